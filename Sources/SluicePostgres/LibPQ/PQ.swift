internal import CLibPQ

/// The single seam between Sluice and libpq: every `PQ*` call the project makes is in this file.
///
/// Handles travel as `OpaquePointer` (`PGconn *`, `PGresult *`); C enums and strings become Swift
/// values here, so no other file imports `CLibPQ` and nothing from it reaches a public signature.
/// Each wrapper names the C function it calls. Ownership stays with the caller: whoever gets a
/// connection from ``connect(_:)`` must ``finish(_:)`` it, and whoever gets a result must
/// ``clear(_:)`` it.
///
/// None of these functions is thread-safe on one handle; see ``PostgresConnection``.
enum PQ {
    /// A `PGconn *`.
    typealias Connection = OpaquePointer
    /// A `PGresult *`.
    typealias Result = OpaquePointer

    /// `ExecStatusType` as a Swift enum.
    enum ResultStatus: Equatable {
        case emptyQuery, commandOK, tuplesOK, copyOut, copyIn, copyBoth
        case badResponse, nonfatalError, fatalError, singleTuple, other(UInt32)
    }

    /// `PGTransactionStatusType` as a Swift enum.
    enum TransactionStatus: Equatable {
        case idle, active, inTransaction, inFailedTransaction, unknown
    }

    /// The fields of a server error report (`PQresultErrorField`).
    struct ErrorFields {
        var sqlState: String?
        var primary: String?
        var detail: String?
        var hint: String?
        var position: String?
    }

    /// What one ``getCopyData(_:_:)`` call produced.
    enum CopyRead: Equatable {
        /// One row (text format) was passed to the body.
        case row
        /// The COPY is complete; collect the final status with ``getResult(_:)``.
        case done
        /// The connection failed; read ``errorMessage(_:)``.
        case failed
    }

    // MARK: Connections

    /// Opens a connection and waits for it. The corresponding C function is `PQconnectdbParams`.
    ///
    /// `connectionString` (a `postgresql://` URI or `key=value` pairs) is passed unchanged as
    /// `dbname` with `expand_dbname = 1`, so libpq does all the parsing. Keywords listed before it
    /// are defaults the string may override (`connect_timeout`, `fallback_application_name`);
    /// `client_encoding=UTF8` comes after it and always wins, because every byte Sluice sends
    /// and reads is UTF-8. Returns nil only when libpq cannot allocate; a failed connection is
    /// returned too and must still be finished.
    static func connect(_ connectionString: String, connectTimeout: Int = 10) -> Connection? {
        let keywords = ["connect_timeout", "fallback_application_name", "dbname", "client_encoding"]
        let values = ["\(max(1, connectTimeout))", "sluice", connectionString, "UTF8"]
        return withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
    }

    /// True when the connection is usable. The corresponding C function is `PQstatus`.
    static func isConnected(_ connection: Connection) -> Bool {
        PQstatus(connection) == CONNECTION_OK
    }

    /// The connection's most recent error text. The corresponding C function is `PQerrorMessage`.
    static func errorMessage(_ connection: Connection) -> String {
        guard let text = PQerrorMessage(connection) else { return "" }
        return String(cString: text)
    }

    /// Closes the connection and frees the handle. The corresponding C function is `PQfinish`.
    static func finish(_ connection: Connection) {
        PQfinish(connection)
    }

    /// The server host (name, address or socket directory). The corresponding C function is `PQhost`.
    static func host(_ connection: Connection) -> String? {
        guard let text = PQhost(connection) else { return nil }
        let host = String(cString: text)
        return host.isEmpty ? nil : host
    }

    /// The server port. The corresponding C function is `PQport`.
    static func port(_ connection: Connection) -> String? {
        guard let text = PQport(connection) else { return nil }
        let port = String(cString: text)
        return port.isEmpty ? nil : port
    }

    /// The server version as a number (150018 for 15.18). The corresponding C function is `PQserverVersion`.
    static func serverVersion(_ connection: Connection) -> Int {
        Int(PQserverVersion(connection))
    }

    /// Where the session is in a transaction. The corresponding C function is `PQtransactionStatus`.
    static func transactionStatus(_ connection: Connection) -> TransactionStatus {
        switch PQtransactionStatus(connection) {
        case PQTRANS_IDLE: .idle
        case PQTRANS_ACTIVE: .active
        case PQTRANS_INTRANS: .inTransaction
        case PQTRANS_INERROR: .inFailedTransaction
        default: .unknown
        }
    }

    /// Drops server notices (`NOTICE: … skipping`) instead of printing them on standard error.
    /// The corresponding C function is `PQsetNoticeProcessor`.
    static func silenceNotices(_ connection: Connection) {
        _ = PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    /// Host and port that a connection string names, for messages, without connecting.
    /// The corresponding C functions are `PQconninfoParse` and `PQconninfoFree`.
    /// Returns nil when the string does not parse.
    static func describeTarget(_ connectionString: String) -> String? {
        var errorText: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorText) else {
            if let errorText { PQfreemem(errorText) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var host: String?
        var hostAddress: String?
        var port: String?
        var index = 0
        while let keyword = options[index].keyword {
            let value = options[index].val.map { String(cString: $0) }
            switch String(cString: keyword) {
            case "host": host = value
            case "hostaddr": hostAddress = value
            case "port": port = value
            default: break
            }
            index += 1
        }
        return Self.target(host: host ?? hostAddress, port: port)
    }

    /// `host:port` for messages, with libpq's defaults filled in.
    static func target(host: String?, port: String?) -> String {
        let name = (host?.isEmpty ?? true) ? "localhost" : (host ?? "localhost")
        let number = (port?.isEmpty ?? true) ? "5432" : (port ?? "5432")
        return name.hasPrefix("/") ? "\(name)/.s.PGSQL.\(number)" : "\(name):\(number)"
    }

    /// Sends a cancel request for the command in progress; best effort.
    /// The corresponding C functions are `PQgetCancel`, `PQcancel` and `PQfreeCancel`.
    static func cancel(_ connection: Connection) {
        guard let cancel = PQgetCancel(connection) else { return }
        defer { PQfreeCancel(cancel) }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &buffer, Int32(buffer.count))
    }

    // MARK: Commands

    /// Runs SQL text that may hold several statements and no parameters; returns the last result.
    /// The corresponding C function is `PQexec`. The text must not contain a NUL byte.
    static func exec(_ connection: Connection, _ sql: String) -> Result? {
        PQexec(connection, sql)
    }

    /// Runs one statement with text-format parameters and text-format results.
    /// The corresponding C function is `PQexecParams` (parameter types left to the server).
    ///
    /// Each parameter is UTF-8 bytes without a NUL, or nil for SQL NULL. The values are copied
    /// into one contiguous NUL-separated buffer for the call, never into the SQL text.
    static func execParams(_ connection: Connection, _ sql: String, _ parameters: [[UInt8]?]) -> Result? {
        withParameterPointers(parameters) { count, values in
            PQexecParams(connection, sql, count, nil, values, nil, nil, 0)
        }
    }

    /// Creates a named prepared statement on the connection; its parameter types are left to
    /// the server. The corresponding C function is `PQprepare`.
    static func prepare(_ connection: Connection, _ name: String, _ sql: String, parameterCount: Int) -> Result? {
        PQprepare(connection, name, sql, Int32(parameterCount), nil)
    }

    /// Runs a statement made by ``prepare(_:_:_:parameterCount:)`` with text-format parameters,
    /// as ``execParams(_:_:_:)`` does. The corresponding C function is `PQexecPrepared`.
    static func execPrepared(_ connection: Connection, _ name: String, _ parameters: [[UInt8]?]) -> Result? {
        withParameterPointers(parameters) { count, values in
            PQexecPrepared(connection, name, count, values, nil, nil, 0)
        }
    }

    /// Calls `body` with the parameter count and an array of NUL-terminated values (nil for SQL
    /// NULL), all in one buffer that lives only inside `body`.
    private static func withParameterPointers(
        _ parameters: [[UInt8]?], _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Result?
    ) -> Result? {
        if parameters.isEmpty { return body(0, nil) }
        var buffer: [CChar] = []
        var starts: [Int?] = []
        buffer.reserveCapacity(parameters.reduce(0) { $0 + ($1?.count ?? 0) + 1 })
        for parameter in parameters {
            guard let parameter else {
                starts.append(nil)
                continue
            }
            starts.append(buffer.count)
            for byte in parameter { buffer.append(CChar(bitPattern: byte)) }
            buffer.append(0)
        }
        return buffer.withUnsafeBufferPointer { base in
            let pointers: [UnsafePointer<CChar>?] = starts.map { start in
                guard let start, let address = base.baseAddress else { return nil }
                return address + start
            }
            return pointers.withUnsafeBufferPointer { body(Int32(parameters.count), $0.baseAddress) }
        }
    }

    /// The next result of a command, or nil when there is none. The corresponding C function is `PQgetResult`.
    static func getResult(_ connection: Connection) -> Result? {
        PQgetResult(connection)
    }

    // MARK: Results

    /// Frees a result. The corresponding C function is `PQclear`.
    static func clear(_ result: Result) {
        PQclear(result)
    }

    /// The outcome of a command. The corresponding C function is `PQresultStatus`.
    static func status(_ result: Result) -> ResultStatus {
        let status = PQresultStatus(result)
        switch status {
        case PGRES_EMPTY_QUERY: return .emptyQuery
        case PGRES_COMMAND_OK: return .commandOK
        case PGRES_TUPLES_OK: return .tuplesOK
        case PGRES_COPY_OUT: return .copyOut
        case PGRES_COPY_IN: return .copyIn
        case PGRES_COPY_BOTH: return .copyBoth
        case PGRES_BAD_RESPONSE: return .badResponse
        case PGRES_NONFATAL_ERROR: return .nonfatalError
        case PGRES_FATAL_ERROR: return .fatalError
        case PGRES_SINGLE_TUPLE: return .singleTuple
        default: return .other(status.rawValue)
        }
    }

    /// The server's error report on a failed result. The corresponding C function is `PQresultErrorField`.
    static func errorFields(_ result: Result) -> ErrorFields {
        func field(_ code: Character) -> String? {
            guard let ascii = code.asciiValue, let text = PQresultErrorField(result, Int32(ascii)) else { return nil }
            return String(cString: text)
        }
        return ErrorFields(
            sqlState: field("C"), primary: field("M"), detail: field("D"), hint: field("H"), position: field("P")
        )
    }

    /// The whole error text of a result. The corresponding C function is `PQresultErrorMessage`.
    static func resultErrorMessage(_ result: Result) -> String {
        guard let text = PQresultErrorMessage(result) else { return "" }
        return String(cString: text)
    }

    /// Rows in a result. The corresponding C function is `PQntuples`.
    static func rowCount(_ result: Result) -> Int { Int(PQntuples(result)) }

    /// Columns in a result. The corresponding C function is `PQnfields`.
    static func columnCount(_ result: Result) -> Int { Int(PQnfields(result)) }

    /// The name of column `column`. The corresponding C function is `PQfname`.
    static func columnName(_ result: Result, _ column: Int) -> String {
        guard let text = PQfname(result, Int32(column)) else { return "" }
        return String(cString: text)
    }

    /// The bytes of one cell, borrowed from the result (valid until it is cleared), or nil
    /// for SQL NULL. The corresponding C functions are `PQgetisnull`, `PQgetvalue` and `PQgetlength`.
    static func bytes(_ result: Result, _ row: Int, _ column: Int) -> UnsafeBufferPointer<UInt8>? {
        let r = Int32(row), c = Int32(column)
        if PQgetisnull(result, r, c) != 0 { return nil }
        guard let text = PQgetvalue(result, r, c) else { return nil }
        let length = Int(PQgetlength(result, r, c))
        return UnsafeBufferPointer(start: UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self), count: length)
    }

    /// The text of one cell, or nil for SQL NULL.
    /// The corresponding C functions are `PQgetisnull`, `PQgetvalue` and `PQgetlength`.
    static func value(_ result: Result, _ row: Int, _ column: Int) -> String? {
        let r = Int32(row), c = Int32(column)
        if PQgetisnull(result, r, c) != 0 { return nil }
        guard let text = PQgetvalue(result, r, c) else { return nil }
        let length = Int(PQgetlength(result, r, c))
        return text.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// The row count of the command as text (`"3"`, or `""` when it has none).
    /// The corresponding C function is `PQcmdTuples`.
    static func commandTuples(_ result: Result) -> String {
        guard let text = PQcmdTuples(result) else { return "" }
        return String(cString: text)
    }

    /// The command tag (`"INSERT 0 3"`). The corresponding C function is `PQcmdStatus`.
    static func commandStatus(_ result: Result) -> String {
        guard let text = PQcmdStatus(result) else { return "" }
        return String(cString: text)
    }

    // MARK: COPY

    /// Sends bytes of COPY data (blocking). The corresponding C function is `PQputCopyData`.
    /// Returns false when the connection failed.
    static func putCopyData(_ connection: Connection, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        return PQputCopyData(connection, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count)) == 1
    }

    /// Ends COPY IN, successfully (nil) or making the server fail it with `errorMessage`.
    /// The corresponding C function is `PQputCopyEnd`. Returns false when the connection failed.
    static func putCopyEnd(_ connection: Connection, errorMessage: String?) -> Bool {
        if let errorMessage {
            return PQputCopyEnd(connection, errorMessage) == 1
        }
        return PQputCopyEnd(connection, nil) == 1
    }

    /// Receives one row of COPY OUT data (blocking) and passes its bytes to `body`; the buffer is
    /// valid only inside `body`. The corresponding C functions are `PQgetCopyData` and `PQfreemem`.
    static func getCopyData(_ connection: Connection, _ body: (UnsafeRawBufferPointer) -> Void) -> CopyRead {
        var buffer: UnsafeMutablePointer<CChar>?
        let length = PQgetCopyData(connection, &buffer, 0)
        if length > 0, let buffer {
            defer { PQfreemem(buffer) }
            body(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
            return .row
        }
        if let buffer { PQfreemem(buffer) }
        return length == -1 ? .done : .failed
    }

    // MARK: Helpers

    /// Calls `body` with a NULL-terminated array of C strings; the pointers live only inside `body`.
    private static func withCStringArray<R>(
        _ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R
    ) -> R {
        var buffer: [CChar] = []
        var starts: [Int] = []
        for string in strings {
            starts.append(buffer.count)
            for byte in string.utf8 { buffer.append(CChar(bitPattern: byte)) }
            buffer.append(0)
        }
        return buffer.withUnsafeBufferPointer { base in
            var pointers: [UnsafePointer<CChar>?] = starts.map { start in base.baseAddress.map { $0 + start } }
            pointers.append(nil)
            return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
        }
    }
}
