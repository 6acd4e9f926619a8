public import SluiceCore
import Foundation

/// Where a job's database is: the configured URL (`--db`, `SLUICE_DATABASE_URL`,
/// `DATABASE_URL`, `.env`), or else the private cluster under `.sluice/postgres`, started on
/// first use; plus the database name a job asks for (`--database`), created when missing.
public struct DatabaseTarget: Sendable {
    /// The connection to use (with the requested database).
    public let url: DatabaseURL
    /// True when the private cluster was used because nothing was configured.
    public let isPrivateCluster: Bool
    /// The retry policy for connecting.
    public let retry: RetryPolicy

    /// Resolves the target; starts the private cluster when nothing is configured.
    /// - Parameters:
    ///   - option: the `--db` value.
    ///   - database: the `--database` value: a database on that server, created when missing.
    ///   - timeout: the most time spent retrying a connection that is refused.
    public static func resolve(option: String?, database: String?, timeout: Duration = .seconds(30),
                               clusterDirectory: String = ".sluice/postgres") throws -> DatabaseTarget {
        let retry = RetryPolicy(maxAttempts: 100, baseDelay: .milliseconds(200), maxDelay: .seconds(4), deadline: timeout)
        var url: DatabaseURL
        var isPrivate = false
        if let configured = try DatabaseURL.resolve(option: option) {
            url = configured
        } else {
            url = DatabaseURL(try LocalCluster(directory: clusterDirectory).start(), source: .option)
            isPrivate = true
        }
        if let database {
            try Identifier(database).validate()
            try createDatabaseIfMissing(database, server: url, retry: retry)
            url = url.withDatabase(database)
        } else if isPrivate {
            try createDatabaseIfMissing("sluice", server: url, retry: retry)
            url = url.withDatabase("sluice")
        }
        return DatabaseTarget(url: url, isPrivateCluster: isPrivate, retry: retry)
    }

    /// Opens a connection, retrying refused connections within the timeout.
    public func connect() throws -> PostgresConnection {
        try PostgresConnection.connect(url.connectionString, retry: retry)
    }

    /// Creates `name` on the server `server` points at, unless it exists. Database names
    /// cannot be parameters in PostgreSQL, so the name goes in as a quoted identifier.
    static func createDatabaseIfMissing(_ name: String, server: DatabaseURL, retry: RetryPolicy) throws {
        let connection = try PostgresConnection.connect(server.connectionString, retry: retry)
        defer { connection.close() }
        let found = try connection.execute("SELECT 1 FROM pg_database WHERE datname = $1", [.text(name)])
        guard found.rows.isEmpty else { return }
        let created = Result { () throws(PostgresError) in try connection.execute("CREATE DATABASE \(Identifier.quote(name))") }
        // 42P04 duplicate_database: created by a concurrent run in between, which is what we wanted.
        if case .failure(let error) = created, error.code.rawValue != "42P04" { throw error }
    }
}
