/// Variable-width values as Arrow lays them out: `offsets[i]..<offsets[i+1]` is row `i`'s
/// slice of one contiguous byte buffer. Strings are UTF-8; the storage never makes a `String`
/// unless asked.
public struct StringStorage: Sendable, Hashable {
    /// `count + 1` offsets into `bytes`, starting at 0.
    public var offsets: [Int32]
    public var bytes: [UInt8]

    public init(offsets: [Int32] = [0], bytes: [UInt8] = []) {
        self.offsets = offsets
        self.bytes = bytes
    }

    /// Builds storage from Swift strings; convenience for tests and literals.
    public init<S: Sequence>(_ strings: S) where S.Element == String {
        self.init()
        for string in strings {
            bytes.append(contentsOf: string.utf8)
            offsets.append(Int32(bytes.count))
        }
    }

    /// `count` copies of `value`, written by doubling copies rather than one append per row:
    /// a scan's source-file column is one path repeated for every row of a batch.
    public init(repeating value: UnsafeBufferPointer<UInt8>, count: Int) {
        let length = value.count
        let total = length * max(0, count)
        guard count > 0, total < Int(Int32.max) else {
            self.init()
            for _ in 0..<max(0, count) { append(value) }
            return
        }
        // Written once, not zeroed first: for a batch's source-file column the zeroing was as
        // much work again as the copies.
        let bytes = [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
            guard let base = out.baseAddress, let source = value.baseAddress, length > 0 else { return }
            base.initialize(from: source, count: length)
            var filled = length
            while filled < total {
                let chunk = min(filled, total - filled)
                (base + filled).initialize(from: base, count: chunk)
                filled += chunk
            }
            initialized = filled
        }
        let step = Int32(length)
        let offsets = [Int32](unsafeUninitializedCapacity: count + 1) { out, initialized in
            var offset: Int32 = 0
            for index in 0...count {
                out[index] = offset
                offset &+= step
            }
            initialized = count + 1
        }
        self.init(offsets: offsets, bytes: bytes)
    }

    public var count: Int { offsets.count - 1 }

    @inlinable
    public func length(at index: Int) -> Int {
        Int(offsets[index + 1] - offsets[index])
    }

    /// Calls `body` with row `index`'s bytes; the buffer is valid only inside `body`.
    @inlinable
    public func withBytes<R>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = Int(offsets[index])
        let end = Int(offsets[index + 1])
        return try bytes.withUnsafeBufferPointer { buffer in
            try body(UnsafeBufferPointer(rebasing: buffer[start..<end]))
        }
    }

    /// Row `index` as a Swift string (allocates; not for hot loops).
    public func string(at index: Int) -> String {
        let start = Int(offsets[index])
        let end = Int(offsets[index + 1])
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    @inlinable
    public mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: buffer)
        offsets.append(Int32(truncatingIfNeeded: bytes.count))
    }

    public mutating func append(_ string: String) {
        bytes.append(contentsOf: string.utf8)
        offsets.append(Int32(truncatingIfNeeded: bytes.count))
    }

    /// Memory held, for budget accounting.
    public var byteSize: Int { offsets.count * 4 + bytes.count }
}
