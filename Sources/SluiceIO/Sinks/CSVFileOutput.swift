public import SluiceCore
public import SluiceEngine

/// A CSV file written as batches arrive: header first, rows appended in order under a
/// temporary name, renamed into place on ``commit()`` — so a reader never sees half a file
/// and a failed run leaves the previous file as it was.
public final class CSVFileOutput: BatchSink {
    public let path: String
    public let schema: Schema
    private let writer: CSVWriter
    private var file: AtomicFileWriter?
    private var buffer: [UInt8] = []
    /// Rows written so far.
    public private(set) var rows = 0

    /// Creates the temporary file (and missing directories) and writes the header.
    /// - Parameter schema: the header; batches are written as they are, column by column.
    /// - Parameter flushBytes: how much is buffered before a write (many files open at once
    ///   each keep this much).
    public init(path: String, schema: Schema, writer: CSVWriter = CSVWriter(), flushBytes: Int = 1 << 20) throws(SluiceError) {
        self.path = path
        self.schema = schema
        self.writer = writer
        file = try AtomicFileWriter(path: path, flushBytes: flushBytes)
        writer.appendHeader(schema, to: &buffer)
    }

    public func write(_ batch: RecordBatch) throws {
        try append(batch)
    }

    /// Appends the rows of `batch` (typed-throws form of ``write(_:)``).
    public func append(_ batch: RecordBatch) throws(SluiceError) {
        guard let file else { throw SluiceError.internal("CSV output \(path) written after commit") }
        writer.appendRows(batch, to: &buffer)
        rows += batch.rowCount
        try file.write(&buffer)
    }

    public func commit() throws {
        try finish()
    }

    /// Flushes and renames the file into place (typed-throws form of ``commit()``).
    public func finish() throws(SluiceError) {
        guard let file else { return }
        try file.write(&buffer)
        try file.commit()
        self.file = nil
    }
}
