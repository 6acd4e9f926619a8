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
