public import SluiceCore

/// Streams bytes into a running `COPY … FROM STDIN`: handed to the body of
/// ``PostgresConnection/copyIn(sql:_:)`` and valid only inside it, or returned by
/// ``PostgresConnection/startCopyIn(sql:)`` and valid until ``finish()`` or ``abort()``.
///
/// Writes are buffered and sent with `PQputCopyData` in chunks of about ``chunkSize`` bytes.
/// The data must be complete rows in the format the COPY statement names; ``write(_:)-(RecordBatch)``
/// produces text format with a ``CopyTextEncoder``, or, for a writer started with column types
/// (``PostgresConnection/startCopyIn(sql:binary:)``), binary format with a ``CopyBinaryEncoder``
/// (the stream's header and trailer are then the writer's).
public final class CopyInWriter {
    /// Bytes sent per `PQputCopyData` call.
    public static let chunkSize = 1 << 20

    private let connection: PostgresConnection
    private let handle: OpaquePointer
    private let query: String
    private var buffer: [UInt8] = []
    private var encoder = CopyTextEncoder()
    private var binary: CopyBinaryEncoder?
    private var isOpen = true
    /// Bytes handed to libpq so far.
    public private(set) var bytesSent = 0
    /// Rows written through ``write(_:)-(RecordBatch)``.
    public private(set) var rowsWritten = 0

    init(connection: PostgresConnection, handle: OpaquePointer, query: String, binary types: [BinaryCopyType]? = nil) {
        self.connection = connection
        self.handle = handle
        self.query = query
        buffer.reserveCapacity(Self.chunkSize + Self.chunkSize / 4)
        if let types {
            binary = CopyBinaryEncoder(types: types)
            buffer += CopyBinaryEncoder.header
        }
    }

    /// Appends raw COPY data (whole rows, already in the statement's format).
    /// - Throws: ``PostgresError`` when the connection fails or the writer is used after the body returned.
    public func write(_ bytes: some Sequence<UInt8>) throws(PostgresError) {
        try checkOpen()
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.chunkSize { try send(flushAll: false) }
    }

    /// Appends every row of `batch` in COPY text format (see ``CopyTextEncoder``); the batch's
    /// columns must be in the order of the COPY statement's column list.
    /// - Throws: a `.data` ``SluiceError`` for a string holding a NUL byte, or a ``PostgresError``.
    public func write(_ batch: RecordBatch) throws {
        try checkOpen()
        if binary != nil {
            try binary?.encode(batch, into: &buffer)
        } else {
            try encoder.encode(batch, into: &buffer)
        }
        rowsWritten += batch.rowCount
        if buffer.count >= Self.chunkSize { try send(flushAll: false) }
    }

    /// Sends everything buffered.
    func flush() throws(PostgresError) {
        try send(flushAll: true)
    }

    func close() {
        isOpen = false
        buffer = []
    }

    /// Sends the rest, ends the COPY and checks its result; the writer is closed after it.
    /// - Returns: the number of rows the server copied.
    /// - Throws: a ``PostgresError`` (bad data, a constraint, a lost connection).
    public func finish() throws -> Int {
        try checkOpen()
        if binary != nil { buffer += CopyBinaryEncoder.trailer }
        return try connection.endCopyIn(self, handle: handle, query: query)
    }

    /// Ends the COPY with an error so the server keeps none of its rows; does nothing when
    /// the writer was already finished or aborted.
    public func abort() {
        guard isOpen else { return }
        connection.abortCopyIn(self, handle: handle)
    }

    private func checkOpen() throws(PostgresError) {
        guard isOpen else {
            throw PostgresError.misuse("the COPY writer was used after copyIn's body returned", query: query)
        }
    }

    /// Sends whole chunks of `chunkSize` bytes, and the remainder too when `flushAll`.
    private func send(flushAll: Bool) throws(PostgresError) {
        var offset = 0
        let ok = buffer.withUnsafeBytes { bytes -> Bool in
            while bytes.count - offset >= Self.chunkSize || (flushAll && offset < bytes.count) {
                let end = min(bytes.count, offset + Self.chunkSize)
                guard PQ.putCopyData(handle, UnsafeRawBufferPointer(rebasing: bytes[offset..<end])) else { return false }
                offset = end
            }
            return true
        }
        bytesSent += offset
        buffer.removeFirst(offset)
        if !ok { throw connection.failure(handle, query) }
    }
}

extension PostgresConnection {
    /// Runs a `COPY … FROM STDIN` statement and lets `body` stream its data through a
    /// ``CopyInWriter``. The corresponding C functions are `PQexec`, `PQputCopyData`,
    /// `PQputCopyEnd` and `PQgetResult`.
    ///
    /// When `body` returns, the rest of the buffer is sent, the COPY is ended and its result
    /// checked. When `body` throws, the COPY is ended with an error so the server discards every
    /// row of it, and `body`'s error is rethrown.
    /// - Returns: the number of rows the server copied.
    /// - Throws: `body`'s error, or a ``PostgresError`` (bad data, a constraint, a lost connection).
    @discardableResult
    public func copyIn(sql: String, _ body: (CopyInWriter) throws -> Void) throws -> Int {
        let writer = try startCopyIn(sql: sql)
        do {
            try body(writer)
        } catch {
            writer.abort()
            throw error
        }
        return try writer.finish()
    }

    /// Starts a `COPY … FROM STDIN` statement and returns the writer that feeds it, for a
    /// caller whose rows arrive from elsewhere (a job's result, batch by batch). The caller
    /// must end it with ``CopyInWriter/finish()`` or ``CopyInWriter/abort()`` before using the
    /// connection for anything else.
    /// - Throws: a ``PostgresError`` when the statement is not a COPY FROM STDIN or fails.
    /// - Parameter binary: the server types of the statement's columns, for a
    ///   `COPY … FROM STDIN (FORMAT binary)`; nil for text.
    public func startCopyIn(sql: String, binary: [BinaryCopyType]? = nil) throws(PostgresError) -> CopyInWriter {
        let connection = try openHandle(for: sql)
        guard let start = PQ.exec(connection, sql) else { throw failure(connection, sql) }
        let status = PQ.status(start)
        if status != .copyIn {
            defer { PQ.clear(start) }
            if status == .copyOut || status == .copyBoth || status == .commandOK || status == .tuplesOK {
                drainResults(connection)
                throw PostgresError.misuse("copyIn needs a COPY … FROM STDIN statement", query: sql, host: host)
            }
            throw failure(connection, sql, result: start)
        }
        PQ.clear(start)
        return CopyInWriter(connection: self, handle: connection, query: sql, binary: binary)
    }

    /// Ends a COPY the writer fed: sends what is buffered, `PQputCopyEnd`, and the result.
    func endCopyIn(_ writer: CopyInWriter, handle: OpaquePointer, query: String) throws -> Int {
        do {
            try writer.flush()
        } catch {
            writer.close()
            _ = PQ.putCopyEnd(handle, errorMessage: "COPY aborted by the client")
            drainResults(handle)
            throw error
        }
        writer.close()
        guard PQ.putCopyEnd(handle, errorMessage: nil) else { throw failure(handle, query) }
        return try finishCopy(handle, query)
    }

    /// Ends a COPY with an error, so the server discards every row of it.
    func abortCopyIn(_ writer: CopyInWriter, handle: OpaquePointer) {
        writer.close()
        _ = PQ.putCopyEnd(handle, errorMessage: "COPY aborted by the client")
        drainResults(handle)
    }

    /// Copies batches into `table` through `COPY "schema"."table" ("a", "b") FROM STDIN`, with
    /// every name quoted. `columns` names the table columns in the order of the batches' columns.
    /// - Returns: the number of rows copied.
    @discardableResult
    public func copyIn(table: QualifiedName, columns: [String], batches: some Sequence<RecordBatch>) throws -> Int {
        try copyIn(sql: Self.copySQL(table: table, columns: columns, direction: "FROM STDIN")) { writer in
            for batch in batches { try writer.write(batch) }
        }
    }

    /// Runs a `COPY … TO STDOUT` statement and passes each row of its output to `body`, in the
    /// statement's format (a text row ends with `\n`); the bytes are valid only inside `body`.
    /// The corresponding C functions are `PQexec`, `PQgetCopyData` and `PQgetResult`.
    ///
    /// When `body` throws, the statement is cancelled (`PQcancel`), the rest of its output
    /// discarded, and `body`'s error rethrown.
    /// - Returns: the number of rows the server sent.
    @discardableResult
    public func copyOut(sql: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let connection = try openHandle(for: sql)
        guard let start = PQ.exec(connection, sql) else { throw failure(connection, sql) }
        let status = PQ.status(start)
        if status != .copyOut {
            defer { PQ.clear(start) }
            if status == .copyIn || status == .copyBoth || status == .commandOK || status == .tuplesOK {
                drainResults(connection)
                throw PostgresError.misuse("copyOut needs a COPY … TO STDOUT statement", query: sql, host: host)
            }
            throw failure(connection, sql, result: start)
        }
        PQ.clear(start)
        var bodyError: (any Error)?
        var read = PQ.CopyRead.row
        while read == .row {
            read = PQ.getCopyData(connection) { bytes in
                do { try body(bytes) } catch { bodyError = error }
            }
            if bodyError != nil { break }
        }
        if let bodyError {
            PQ.cancel(connection)
            while PQ.getCopyData(connection, { _ in }) == .row {}
            drainResults(connection)
            throw bodyError
        }
        if read == .failed { throw failure(connection, sql) }
        return try finishCopy(connection, sql)
    }

    /// Streams the rows of `query` into batches of `schema` through
    /// `COPY (query) TO STDOUT`, decoded by a ``CopyTextDecoder``.
    ///
    /// `query` is SQL text (a `SELECT`, `TABLE t`, `VALUES …`) and is pasted inside the COPY
    /// statement, so it must come from code, never from data. Its columns must match `schema`
    /// in order and type.
    /// - Returns: the number of rows read.
    /// - Throws: a `.data` ``SluiceError`` for text that does not fit the schema, `body`'s error,
    ///   or a ``PostgresError``.
    @discardableResult
    public func copyOut(
        query: String, schema: Schema, batchRows: Int = 65_536, _ body: (RecordBatch) throws -> Void
    ) throws -> Int {
        try copyOut(sql: "COPY (\(query)) TO STDOUT", schema: schema, batchRows: batchRows, body)
    }

    /// Streams the columns of `schema` from `table` into batches, through
    /// `COPY "schema"."table" ("a", "b") TO STDOUT` with every name quoted.
    @discardableResult
    public func copyOut(
        table: QualifiedName, schema: Schema, batchRows: Int = 65_536, _ body: (RecordBatch) throws -> Void
    ) throws -> Int {
        let sql = Self.copySQL(table: table, columns: schema.names, direction: "TO STDOUT")
        return try copyOut(sql: sql, schema: schema, batchRows: batchRows, body)
    }

    private func copyOut(
        sql: String, schema: Schema, batchRows: Int, _ body: (RecordBatch) throws -> Void
    ) throws -> Int {
        var decoder = CopyTextDecoder(schema: schema, batchRows: batchRows)
        let rows = try copyOut(sql: sql) { bytes in
            for batch in try decoder.decode(bytes) { try body(batch) }
        }
        if let last = try decoder.finish() { try body(last) }
        return rows
    }

    /// Collects the results that end a COPY and returns its row count.
    private func finishCopy(_ connection: OpaquePointer, _ sql: String) throws(PostgresError) -> Int {
        var rows = 0
        var error: PostgresError?
        while let result = PQ.getResult(connection) {
            switch PQ.status(result) {
            case .commandOK: rows = Int(PQ.commandTuples(result)) ?? 0
            case .copyIn, .copyOut, .copyBoth:
                PQ.clear(result)
                drainResults(connection)
                throw error ?? PostgresError.misuse("the COPY did not end", query: sql, host: host)
            default:
                if error == nil { error = failure(connection, sql, result: result) }
            }
            PQ.clear(result)
        }
        if let error { throw error }
        return rows
    }

    static func copySQL(table: QualifiedName, columns: [String], direction: String) -> String {
        let list = columns.isEmpty ? "" : " (" + columns.map(Identifier.quote).joined(separator: ", ") + ")"
        return "COPY \(table.quoted)\(list) \(direction)"
    }
}
