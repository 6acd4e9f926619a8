/// One open libpq connection (`PGconn *`): parameterised statements, transactions, and COPY
/// in and out (see `PostgresConnection+Copy.swift`).
///
/// The class owns its handle: `PQfinish` runs in `deinit`, in ``close()``, and on every path
/// where connecting fails, including a connection that never came up.
///
/// **Threading.** Every call blocks the calling thread until the server answers, so call it
/// from a thread of your own (a Dispatch queue, a worker), never from Swift concurrency's
/// cooperative pool. A connection is not thread-safe: it is `@unchecked Sendable` so that its
/// single owner may hand it to another thread, but only one thread may use it at a time.
///
/// **Session.** After connecting, the session is set to ISO dates (`DateStyle = ISO, YMD`), UTC
/// (`TimeZone = UTC`) and round-trip float output (`extra_float_digits = 3`), which the COPY
/// encoder and decoder rely on. Server notices are discarded.
///
/// ```swift
/// let connection = try PostgresConnection("postgresql://sluice@127.0.0.1:5432/postgres")
/// try connection.transaction { connection in
///     try connection.execute("INSERT INTO runs (job, started) VALUES ($1, now())", ["transactions"])
/// }
/// ```
public final class PostgresConnection: @unchecked Sendable {
    /// Isolation levels for ``transaction(isolation:_:)``.
    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// The live `PGconn *`, or nil after ``close()``.
    private var handle: OpaquePointer?
    /// `host:port` of the server (or the socket path), for messages.
    public let host: String
    /// Open savepoints of nested ``transaction(isolation:_:)`` calls.
    private var savepointDepth = 0
    /// The statements ``executePrepared(_:_:)`` made, by SQL text.
    private var preparedStatements: [String: String] = [:]

    private static let sessionSetup = "SET DateStyle TO ISO, YMD; SET TimeZone TO 'UTC'; SET extra_float_digits TO 3"

    /// Connects and waits until the session is ready.
    ///
    /// `connectionString` is a URI (`postgresql://user:password@host:port/database?sslmode=require`)
    /// or `key=value` pairs (`host=… dbname=…`). It is handed to libpq unchanged
    /// (`PQconnectdbParams` with `expand_dbname`), never edited or pasted into another string.
    /// Unless the string says otherwise, connecting gives up after `connectTimeout` seconds
    /// (`connect_timeout`, 10 by default; a server answering requests wants it shorter).
    /// - Throws: ``PostgresError``: class 08 (transient) when the server cannot be reached,
    ///   28P01 / 28000 for authentication, 3D000 for an unknown database, SL001 for a string
    ///   libpq cannot parse.
    public init(_ connectionString: String, connectTimeout: Int = 10) throws(PostgresError) {
        guard !connectionString.utf8.contains(0) else {
            throw PostgresError(code: .invalidConnectionString, message: "the connection string contains a NUL byte")
        }
        let target = PQ.describeTarget(connectionString)
        guard let raw = PQ.connect(connectionString, connectTimeout: connectTimeout) else {
            throw PostgresError(code: .unableToConnect, message: "libpq could not allocate a connection", host: target)
        }
        guard PQ.isConnected(raw) else {
            let message = PQ.errorMessage(raw)
            let failedHost = PQ.host(raw).map { PQ.target(host: $0, port: PQ.port(raw)) } ?? target
            PQ.finish(raw)
            throw PostgresError.connectionFailed(libpqMessage: message, host: failedHost)
        }
        handle = raw
        host = PQ.target(host: PQ.host(raw), port: PQ.port(raw))
        PQ.silenceNotices(raw)
        // From here on a throw releases `self`, and `deinit` finishes the handle.
        try executeScript(Self.sessionSetup)
    }

    /// Connects, retrying transient failures (refused, reset, starting up) under `policy`.
    ///
    /// - Throws: the first non-transient ``PostgresError`` at once, or after the last attempt one
    ///   error whose description names the server and what was tried
    ///   (`could not connect to 127.0.0.1:5432 after 5 attempts over 7.3 s: connection refused`).
    public static func connect(
        _ connectionString: String,
        retry policy: RetryPolicy = .default,
        clock: any RetryClock = SystemRetryClock(),
        onRetry: (RetryAttempt) -> Void = { _ in }
    ) throws -> PostgresConnection {
        let target = PQ.describeTarget(connectionString) ?? "the database"
        return try retrying(policy, describe: "connect to \(target)", clock: clock, onRetry: onRetry) {
            try PostgresConnection(connectionString)
        }
    }

    deinit {
        if let handle { PQ.finish(handle) }
    }

    /// Closes the connection (`PQfinish`); later calls throw. Closing twice does nothing.
    public func close() {
        if let handle { PQ.finish(handle) }
        handle = nil
    }

    /// True while the connection is open and healthy (`PQstatus`).
    public var isOpen: Bool {
        guard let handle else { return false }
        return PQ.isConnected(handle)
    }

    /// The server's version number, such as 150018 for 15.18 (`PQserverVersion`); 0 when closed.
    public var serverVersion: Int {
        handle.map(PQ.serverVersion) ?? 0
    }

    /// True inside a transaction block, failed or not (`PQtransactionStatus`).
    public var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQ.transactionStatus(handle)
        return status == .inTransaction || status == .inFailedTransaction
    }

    // MARK: Statements

    /// Runs one statement with text-format parameters `$1`, `$2`, … and returns its whole result.
    /// The corresponding C function is `PQexecParams`.
    ///
    /// Values travel separately from the SQL text, so no value can change the statement.
    /// `nil` is SQL NULL. COPY statements must go through ``copyIn(sql:_:)`` and
    /// ``copyOut(sql:_:)``.
    /// - Throws: ``PostgresError`` with the server's SQLSTATE, message, detail and hint, and the
    ///   statement (which holds no values).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue?] = []) throws(PostgresError) -> PostgresResult {
        let connection = try openHandle(for: sql)
        let encoded = try encode(parameters, for: sql)
        guard let result = PQ.execParams(connection, sql, encoded) else { throw failure(connection, sql) }
        defer { PQ.clear(result) }
        return try read(result, connection, sql)
    }

    /// Runs one statement as ``execute(_:_:)`` does, through a prepared statement made on this
    /// connection the first time this SQL text is run, so that a server answering many
    /// requests of one shape parses and plans each shape once per connection
    /// (`PQprepare`, then `PQexecPrepared`). The statements live as long as the connection.
    @discardableResult
    public func executePrepared(_ sql: String, _ parameters: [PostgresValue?] = []) throws(PostgresError) -> PostgresResult {
        let connection = try openHandle(for: sql)
        let encoded = try encode(parameters, for: sql)
        let name = try preparedName(sql, parameterCount: parameters.count, connection)
        guard let result = PQ.execPrepared(connection, name, encoded) else { throw failure(connection, sql) }
        defer { PQ.clear(result) }
        return try read(result, connection, sql)
    }

    /// Runs a statement as ``executePrepared(_:_:)`` does and hands its rows to `body` without
    /// copying them into strings: a server that turns rows straight into bytes of its own
    /// (JSON) reads each cell where libpq holds it. The view is valid only inside `body`.
    public func executePrepared<T>(_ sql: String, _ parameters: [PostgresValue?], rows body: (PostgresRowView) throws -> T) throws -> T {
        let connection = try openHandle(for: sql)
        let encoded = try encode(parameters, for: sql)
        let name = try preparedName(sql, parameterCount: parameters.count, connection)
        guard let result = PQ.execPrepared(connection, name, encoded) else { throw failure(connection, sql) }
        defer { PQ.clear(result) }
        switch PQ.status(result) {
        case .tuplesOK, .singleTuple, .commandOK:
            return try body(PostgresRowView(result: result))
        default:
            _ = try read(result, connection, sql)
            throw PostgresError.misuse("a statement with rows gave none", query: sql, host: host)
        }
    }

    /// The name of this SQL text's prepared statement on the connection, prepared on first use.
    private func preparedName(_ sql: String, parameterCount: Int, _ connection: OpaquePointer) throws(PostgresError) -> String {
        if let known = preparedStatements[sql] { return known }
        let name = "sluice_statement_\(preparedStatements.count + 1)"
        guard let made = PQ.prepare(connection, name, sql, parameterCount: parameterCount) else { throw failure(connection, sql) }
        defer { PQ.clear(made) }
        _ = try read(made, connection, sql)
        preparedStatements[sql] = name
        return name
    }

    /// The parameters in text format; a NUL byte, which PostgreSQL text cannot hold, is an error.
    private func encode(_ parameters: [PostgresValue?], for sql: String) throws(PostgresError) -> [[UInt8]?] {
        var encoded: [[UInt8]?] = []
        encoded.reserveCapacity(parameters.count)
        for (index, parameter) in parameters.enumerated() {
            guard let parameter else {
                encoded.append(nil)
                continue
            }
            let bytes = parameter.textBytes
            if bytes.contains(0) {
                throw PostgresError(
                    code: .characterNotInRepertoire,
                    message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold",
                    query: sql, host: host
                )
            }
            encoded.append(bytes)
        }
        return encoded
    }

    /// Runs SQL text that may hold several statements separated by `;`, with no parameters and
    /// no result rows (DDL scripts, session settings). The corresponding C function is `PQexec`.
    /// - Throws: ``PostgresError`` for the first statement that fails; the rest do not run.
    public func executeScript(_ sql: String) throws(PostgresError) {
        let connection = try openHandle(for: sql)
        guard let result = PQ.exec(connection, sql) else { throw failure(connection, sql) }
        defer { PQ.clear(result) }
        _ = try read(result, connection, sql)
    }

    /// Runs `body` in a transaction: `BEGIN`, then `COMMIT` when `body` returns, or `ROLLBACK`
    /// when it throws (the error is rethrown). Called inside another transaction, it uses a
    /// savepoint instead, and `isolation` is ignored.
    ///
    /// If a statement failed inside `body` and `body` swallowed the error, PostgreSQL turns the
    /// `COMMIT` into a rollback; this is reported as a ``PostgresError`` with code 25P02 rather
    /// than as success.
    /// - Throws: `body`'s error, or a ``PostgresError`` from `BEGIN` or `COMMIT`.
    public func transaction<T>(
        isolation: IsolationLevel? = nil, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        if isInTransaction { return try savepoint(body) }
        try execute(isolation.map { "BEGIN ISOLATION LEVEL \($0.rawValue)" } ?? "BEGIN")
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackQuietly("ROLLBACK")
            throw error
        }
        let commit = try execute("COMMIT")
        if commit.commandTag == "ROLLBACK" {
            throw PostgresError(
                code: .inFailedSQLTransaction,
                message: "the transaction was rolled back because a statement in it failed",
                query: "COMMIT", host: host
            )
        }
        return value
    }

    private func savepoint<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "sluice_savepoint_\(savepointDepth)"
        try execute("SAVEPOINT \(name)")
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackQuietly("ROLLBACK TO SAVEPOINT \(name)")
            throw error
        }
        try execute("RELEASE SAVEPOINT \(name)")
        return value
    }

    /// Rolls back after a failure, keeping the first error: a rollback that fails too (the
    /// connection is gone) is ignored, since the server discards the transaction anyway.
    private func rollbackQuietly(_ statement: String) {
        guard let handle, PQ.isConnected(handle), PQ.transactionStatus(handle) != .idle else { return }
        _ = try? execute(statement)
    }

    // MARK: Internals shared with the COPY extension

    /// The live handle, or a misuse error when the connection was closed; rejects NUL in `sql`.
    func openHandle(for sql: String) throws(PostgresError) -> OpaquePointer {
        guard let handle else { throw PostgresError.misuse("the connection is closed", query: sql, host: host) }
        if sql.utf8.contains(0) {
            throw PostgresError(
                code: .characterNotInRepertoire, message: "the SQL text contains a NUL byte", query: sql, host: host
            )
        }
        return handle
    }

    /// The error for a command that produced no result or failed at the connection level.
    func failure(_ connection: OpaquePointer, _ sql: String?, result: OpaquePointer? = nil) -> PostgresError {
        PostgresError.commandFailed(
            fields: result.map(PQ.errorFields),
            libpqMessage: result.map(PQ.resultErrorMessage) ?? PQ.errorMessage(connection),
            connectionLost: !PQ.isConnected(connection), query: sql, host: host
        )
    }

    /// Reads every result still pending on the connection and frees them.
    func drainResults(_ connection: OpaquePointer) {
        var remaining = 10_000
        while let result = PQ.getResult(connection) {
            remaining -= 1
            if remaining == 0 {
                // A connection that never settles is unusable; free it rather than spin.
                PQ.clear(result)
                close()
                return
            }
            let status = PQ.status(result)
            PQ.clear(result)
            switch status {
            case .copyIn:
                _ = PQ.putCopyEnd(connection, errorMessage: "COPY FROM STDIN must go through copyIn")
            case .copyOut:
                while PQ.getCopyData(connection, { _ in }) == .row {}
            case .copyBoth:
                close()
                return
            default:
                break
            }
        }
    }

    /// Turns a result into a ``PostgresResult`` or the error it reports.
    private func read(_ result: OpaquePointer, _ connection: OpaquePointer, _ sql: String) throws(PostgresError)
        -> PostgresResult {
        switch PQ.status(result) {
        case .commandOK, .tuplesOK, .emptyQuery, .singleTuple:
            let columnCount = PQ.columnCount(result)
            let rowCount = PQ.rowCount(result)
            let columns = (0..<columnCount).map { PQ.columnName(result, $0) }
            var rows: [[String?]] = []
            rows.reserveCapacity(rowCount)
            for row in 0..<rowCount {
                rows.append((0..<columnCount).map { PQ.value(result, row, $0) })
            }
            return PostgresResult(
                columns: columns, rows: rows, rowsAffected: Int(PQ.commandTuples(result)),
                commandTag: PQ.commandStatus(result)
            )
        case .copyIn, .copyOut, .copyBoth:
            drainResults(connection)
            throw PostgresError.misuse(
                "COPY statements must run through copyIn or copyOut, not execute", query: sql, host: host
            )
        case .badResponse, .nonfatalError, .fatalError, .other:
            throw failure(connection, sql, result: result)
        }
    }
}
