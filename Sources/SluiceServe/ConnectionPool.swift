import Dispatch
public import SluicePostgres
import Synchronization

/// A bounded pool of libpq connections to one database, for a server that answers requests
/// from Swift concurrency while every libpq call blocks.
///
/// At most `size` connections are open; a request that finds none idle waits for one. The
/// blocking call runs on a Dispatch queue, never on an event loop or the cooperative pool.
/// Connections open on first need, so the server starts while the database is down; a
/// connection that breaks is closed and replaced on the next request, so the server recovers
/// when the database is back. Each session has a `statement_timeout`, the request timeout.
public final class ConnectionPool: Sendable {
    /// The database, as libpq reads it.
    public let connectionString: String
    /// The most connections open at once.
    public let size: Int
    /// Seconds a statement may run before the server cancels it.
    public let statementTimeout: Double
    /// Seconds connecting may take before the database counts as unreachable.
    public let connectTimeout: Int

    private struct State: ~Copyable {
        var idle: [PostgresConnection] = []
        var open = 0
        var closed = false
        /// Requests waiting for a connection; each gets one (or leave to open one, nil).
        var waiters: [CheckedContinuation<PostgresConnection?, Never>] = []
    }

    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "sluice.serve.postgres", attributes: .concurrent)

    /// A pool of at most `size` connections to `connectionString`; nothing connects until the
    /// first request.
    public init(connectionString: String, size: Int, statementTimeout: Double, connectTimeout: Int = 3) {
        self.connectionString = connectionString
        self.size = max(1, size)
        self.statementTimeout = statementTimeout
        self.connectTimeout = connectTimeout
    }

    /// Runs `body` with a connection of the pool, off the caller's thread.
    ///
    /// A read that fails because its connection was lost (the server restarted while it sat
    /// idle) runs once more on a new connection; `body` must therefore be safe to repeat.
    /// - Throws: ``PostgresError`` from connecting or from `body`.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        do {
            return try await attempt(body)
        } catch let error as PostgresError where error.isConnectionLost {
            return try await attempt(body)
        }
    }

    /// Closes every idle connection; connections in use close when they come back.
    public func shutdown() {
        let idle = state.withLock { state -> [PostgresConnection] in
            state.closed = true
            defer { state.idle.removeAll() }
            state.open -= state.idle.count
            return state.idle
        }
        for connection in idle { connection.close() }
    }

    private func attempt<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let reused = await acquire()
        let (connectionString, timeout, connectTimeout) = (self.connectionString, self.statementTimeout, self.connectTimeout)
        let outcome: Result<(T, PostgresConnection), any Error> = await withCheckedContinuation { continuation in
            queue.async {
                var connection = reused
                do {
                    if connection == nil {
                        connection = try Self.open(connectionString, statementTimeout: timeout, connectTimeout: connectTimeout)
                    }
                    guard let connection else { throw PostgresError(code: .clientMisuse, message: "no connection") }
                    do {
                        let value = try body(connection)
                        continuation.resume(returning: .success((value, connection)))
                    } catch {
                        // Keep the connection only when it is healthy and outside a transaction.
                        if connection.isOpen, !connection.isInTransaction {
                            continuation.resume(returning: .failure(ReturnedConnection(connection: connection, error: error)))
                        } else {
                            connection.close()
                            continuation.resume(returning: .failure(error))
                        }
                    }
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        switch outcome {
        case .success(let (value, connection)):
            release(connection)
            return value
        case .failure(let returned as ReturnedConnection):
            release(returned.connection)
            throw returned.error
        case .failure(let error):
            discard()
            throw error
        }
    }

    /// An idle connection, nil when the caller should open a new one, or waits for either.
    private func acquire() async -> PostgresConnection? {
        enum Next { case connection(PostgresConnection), open, wait }
        let next = state.withLock { state -> Next in
            if let connection = state.idle.popLast() { return .connection(connection) }
            if state.open < size {
                state.open += 1
                return .open
            }
            return .wait
        }
        switch next {
        case .connection(let connection): return connection
        case .open: return nil
        case .wait:
            return await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Next in
                    if let connection = state.idle.popLast() { return .connection(connection) }
                    if state.open < size {
                        state.open += 1
                        return .open
                    }
                    state.waiters.append(continuation)
                    return .wait
                }
                switch now {
                case .connection(let connection): continuation.resume(returning: connection)
                case .open: continuation.resume(returning: nil)
                case .wait: break
                }
            }
        }
    }

    /// Hands a healthy connection to the first waiter, or back to the idle list.
    private func release(_ connection: PostgresConnection) {
        let waiter = state.withLock { state -> CheckedContinuation<PostgresConnection?, Never>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            if state.closed {
                state.open -= 1
            } else {
                state.idle.append(connection)
            }
            return nil
        }
        if let waiter {
            waiter.resume(returning: connection)
        } else if state.withLock({ $0.closed }) {
            connection.close()
        }
    }

    /// Forgets a connection that broke (or never opened); a waiter may open one in its place.
    private func discard() {
        let waiter = state.withLock { state -> CheckedContinuation<PostgresConnection?, Never>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.open -= 1
            return nil
        }
        waiter?.resume(returning: nil)
    }

    private static func open(_ connectionString: String, statementTimeout: Double, connectTimeout: Int) throws -> PostgresConnection {
        let connection = try PostgresConnection(connectionString, connectTimeout: connectTimeout)
        // A whole number of milliseconds: a value the server reads, not text from a client.
        try connection.executeScript("SET statement_timeout TO \(Int(statementTimeout * 1000))")
        return connection
    }
}

/// A failure of `body` on a connection that is still good, carried back so that it returns to
/// the pool.
private struct ReturnedConnection: Error {
    let connection: PostgresConnection
    let error: any Error
}

extension PostgresError {
    /// True when the connection itself failed (class 08) or the server is going away (57P0x).
    var isConnectionLost: Bool {
        code.errorClass == "08" || code == .adminShutdown || code == .crashShutdown || code == .cannotConnectNow
    }
}
