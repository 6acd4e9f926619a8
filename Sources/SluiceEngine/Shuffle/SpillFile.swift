#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import SluiceCore
import Foundation

/// Owns the run's spill directory (`<temp-dir>/sluice-spill-<pid>-<n>`): creates spill files
/// in it, counts what was written, and removes it all at the end of the run — after success,
/// failure or cancellation (the CLI turns SIGINT / SIGTERM into a cancellation, and the run
/// unwinds through `cleanup`). Directories left by killed runs are removed at the next start.
public final class SpillManager: Sendable {
    public let directory: String
    private let state = Locked(State())

    private struct State {
        var created = false
        var nextFile = 0
        var files = 0
        var bytes = 0
    }

    public init(temporaryDirectory: String) {
        let unique = UInt32.random(in: 0...UInt32.max)
        directory = "\(temporaryDirectory)/sluice-spill-\(getpid())-\(unique)"
        Self.removeStale(in: temporaryDirectory)
    }

    /// Spill files written and bytes spilled so far.
    public var filesWritten: Int { state.withLock { $0.files } }
    public var bytesWritten: Int { state.withLock { $0.bytes } }

    /// Creates a new, empty spill file.
    public func createFile(_ purpose: String) throws(SluiceError) -> SpillWriter {
        let path = try state.withLock { (state: inout State) throws(SluiceError) -> String in
            if !state.created {
                guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
                    throw SluiceError(.io, "cannot create the spill directory: \(String(cString: strerror(errno)))", location: directory,
                                      hint: "point --temp-dir at a writable directory with free space")
                }
                state.created = true
            }
            state.nextFile += 1
            state.files += 1
            return "\(directory)/\(purpose)-\(state.nextFile).spill"
        }
        return try SpillWriter(path: path, manager: self)
    }

    func recordWrite(_ bytes: Int) {
        state.withLock { $0.bytes += bytes }
    }

    /// Removes every spill file and the directory; a later spill (the next step of a job)
    /// creates it again.
    public func cleanup() {
        state.withLock { state in
            Self.removeTree(directory)
            state.created = false
        }
    }

    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Removes `sluice-spill-<pid>-*` directories whose process no longer exists.
    static func removeStale(in temporaryDirectory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporaryDirectory)) ?? []
        for name in names where name.hasPrefix("sluice-spill-") {
            let parts = name.split(separator: "-")
            guard parts.count == 4, let pid = Int32(parts[2]), pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH { removeTree("\(temporaryDirectory)/\(name)") }
        }
    }
}

/// Appends segments to one spill file; remembers where each one is.
public final class SpillWriter {
    public let path: String
    private let manager: SpillManager
    private var descriptor: Int32
    private var offset = 0
    private var buffer: [UInt8] = []

    init(path: String, manager: SpillManager) throws(SluiceError) {
        self.path = path
        self.manager = manager
        descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SluiceError(.io, "cannot create a spill file: \(String(cString: strerror(errno)))", location: path,
                              hint: "point --temp-dir at a writable directory with free space")
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Writes `batches` as segments of about `segmentBytes` each (small batches are joined,
    /// large ones cut by rows), so reading them back never needs more than about that much
    /// memory at a time.
    public func write(_ batches: [RecordBatch], schema: Schema, segmentBytes: Int = 1 << 20) throws(SluiceError) -> [SpillSegment] {
        var segments: [SpillSegment] = []
        var group: [RecordBatch] = []
        var groupBytes = 0
        func flush() throws(SluiceError) {
            guard !group.isEmpty else { return }
            segments.append(try write(RecordBatch.concat(group, schema: schema)))
            group = []
            groupBytes = 0
        }
        for batch in batches where batch.rowCount > 0 {
            let bytes = batch.byteSize
            if bytes > segmentBytes {
                try flush()
                for piece in batch.chunks(maxRows: max(1, batch.rowCount * segmentBytes / bytes)) {
                    segments.append(try write(piece))
                }
                continue
            }
            if groupBytes + bytes > segmentBytes { try flush() }
            group.append(batch)
            groupBytes += bytes
        }
        try flush()
        return segments
    }

    /// Writes `batch` as one segment and returns where it is.
    public func write(_ batch: RecordBatch) throws(SluiceError) -> SpillSegment {
        buffer.removeAll(keepingCapacity: true)
        SpillFormat.encode(batch, into: &buffer)
        var written = 0
        while written < buffer.count {
            let result = buffer.withUnsafeBytes { raw in
                pwrite(descriptor, raw.baseAddress.map { $0 + written }, buffer.count - written, off_t(offset + written))
            }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = errno == ENOSPC ? "the disk is full" : String(cString: strerror(errno))
                throw SluiceError(.io, "cannot write spill data: \(reason)", location: path,
                                  hint: "free space in the temp directory or point --temp-dir elsewhere")
            }
            written += result
        }
        let segment = SpillSegment(path: path, offset: offset, length: buffer.count, rows: batch.rowCount)
        offset += buffer.count
        manager.recordWrite(buffer.count)
        if buffer.capacity > 64 << 20 { buffer = [] }
        return segment
    }
}

/// Where one spilled batch lives.
public struct SpillSegment: Sendable {
    public var path: String
    public var offset: Int
    public var length: Int
    public var rows: Int

    /// Reads the segment back, verifying its checksum.
    public func read(schema: Schema) throws(SluiceError) -> RecordBatch {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw SluiceError(.io, "cannot open a spill file: \(String(cString: strerror(errno)))", location: path)
        }
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, length), alignment: 16)
        defer { buffer.deallocate() }
        var done = 0
        while done < length {
            let result = pread(descriptor, buffer.baseAddress.map { $0 + done }, length - done, off_t(offset + done))
            if result < 0, errno == EINTR { continue }
            guard result > 0 else {
                throw SluiceError(.io, "spill file is corrupt: it ends early", location: "\(path) at byte \(offset + done)")
            }
            done += result
        }
        return try SpillFormat.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), schema: schema, location: "\(path) at byte \(offset)")
    }
}

/// Streams spilled segments back one batch at a time.
public final class SpillReadStream: BatchStream {
    private var segments: ArraySlice<SpillSegment>
    private let schema: Schema

    public init(segments: [SpillSegment], schema: Schema) {
        self.segments = segments[...]
        self.schema = schema
    }

    public func next() throws(SluiceError) -> RecordBatch? {
        guard let segment = segments.popFirst() else { return nil }
        return try segment.read(schema: schema)
    }
}
