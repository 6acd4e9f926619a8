#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A sorted run of rejects on disk: what a ``RejectSink`` holds past its in-memory share, so
/// every rejected row is kept with its raw text however many there are.
///
/// The file is created under the run's temporary directory and unlinked at once (only the
/// open descriptor names it), so a run that dies leaves nothing behind. Records are
/// length-prefixed fields, read back in order with a small buffer.
final class RejectRun: @unchecked Sendable {
    private let descriptor: Int32
    let count: Int

    /// Writes `rejects` (already sorted) to a new unlinked file in `directory`.
    init(_ rejects: [Reject], directory: String) throws(SluiceError) {
        var template = Array("\(directory)/sluice-rejects-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard descriptor >= 0 else {
            throw SluiceError(.io, "cannot create a file for rejects past the in-memory share: \(String(cString: strerror(errno)))",
                              location: directory, hint: "point --temp-dir at a writable directory with free space")
        }
        _ = template.withUnsafeBufferPointer { buffer in buffer.baseAddress.map { unlink($0) } }
        self.descriptor = descriptor
        count = rejects.count
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        for reject in rejects {
            Self.encode(reject, into: &buffer)
            if buffer.count >= 1 << 20 { try flush(&buffer, directory: directory) }
        }
        try flush(&buffer, directory: directory)
    }

    deinit { close(descriptor) }

    private func flush(_ buffer: inout [UInt8], directory: String) throws(SluiceError) {
        var written = 0
        while written < buffer.count {
            let result = buffer.withUnsafeBytes { bytes in
                bytes.baseAddress.map { write(descriptor, $0 + written, bytes.count - written) } ?? 0
            }
            if result <= 0 {
                if result < 0, errno == EINTR { continue }
                throw SluiceError(.io, "cannot write rejects past the in-memory share: \(String(cString: strerror(errno)))",
                                  location: directory, hint: "free space under --temp-dir, or point it elsewhere")
            }
            written += result
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// A reader from the start of the run.
    func reader() -> Reader { Reader(descriptor: descriptor, count: count) }

    static func encode(_ reject: Reject, into out: inout [UInt8]) {
        func integer(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { out.append(contentsOf: $0) } }
        func text(_ value: String) {
            integer(value.utf8.count)
            out.append(contentsOf: value.utf8)
        }
        text(reject.source)
        integer(reject.line)
        integer(reject.byteOffset)
        integer(reject.column == nil ? -1 : 0)
        if let column = reject.column { text(column) }
        text(reject.kind.rawValue)
        text(reject.raw)
        text(reject.message)
    }

    /// Reads a run's rejects in order, a buffer at a time (positional reads, so readers of
    /// different runs share nothing).
    struct Reader {
        let descriptor: Int32
        private(set) var remaining: Int
        private var offset: off_t = 0
        private var buffer: [UInt8] = []
        private var position = 0

        init(descriptor: Int32, count: Int) {
            self.descriptor = descriptor
            remaining = count
        }

        /// The next reject, or nil at the end of the run.
        mutating func next() throws(SluiceError) -> Reject? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            let source = try text()
            let line = try integer(), byteOffset = try integer()
            let column = try integer() < 0 ? nil : try text()
            let kind = try text(), raw = try text(), message = try text()
            return Reject(source: source, line: line, byteOffset: byteOffset, column: column,
                          kind: RejectKind(rawValue: kind), raw: raw, message: message)
        }

        private mutating func ensure(_ bytes: Int) throws(SluiceError) {
            guard buffer.count - position < bytes else { return }
            buffer.removeSubrange(0..<position)
            position = 0
            let want = max(bytes - buffer.count, 256 << 10)
            let start = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: want))
            var got = 0
            while got < want {
                let result = buffer.withUnsafeMutableBytes { bytes in
                    bytes.baseAddress.map { pread(descriptor, $0 + start + got, want - got, offset) } ?? 0
                }
                if result < 0, errno == EINTR { continue }
                guard result > 0 else { break }
                got += result
                offset += off_t(result)
            }
            buffer.removeSubrange((start + got)...)
            guard buffer.count >= bytes else {
                throw SluiceError.internal("a rejects spill file ended early (\(buffer.count) of \(bytes) bytes)")
            }
        }

        private mutating func integer() throws(SluiceError) -> Int {
            try ensure(8)
            var value: Int64 = 0
            for index in 0..<8 { value |= Int64(buffer[position + index]) << Int64(8 * index) }
            position += 8
            return Int(value)
        }

        private mutating func text() throws(SluiceError) -> String {
            let length = try integer()
            guard length >= 0 else { throw SluiceError.internal("a rejects spill file holds a negative length") }
            try ensure(length)
            let value = String(decoding: buffer[position..<position + length], as: UTF8.self)
            position += length
            return value
        }
    }
}
