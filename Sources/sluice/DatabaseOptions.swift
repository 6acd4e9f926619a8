import ArgumentParser
import Foundation
import SluiceCore
import SluicePipelines
import SluicePostgres

/// Where results are loaded: `--db URL` (else SLUICE_DATABASE_URL, DATABASE_URL, `.env`,
/// else the private cluster under `.sluice/postgres`), `--database NAME` on that server.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL (default: SLUICE_DATABASE_URL, DATABASE_URL, .env, else a private cluster in .sluice/postgres).")
    var db: String?

    @Option(help: "A database on that server, created when missing.")
    var database: String?

    @Option(name: .customLong("db-timeout"), help: "Seconds to keep retrying a refused connection.")
    var dbTimeout: Double = 30

    /// True when any database option was given.
    var given: Bool { db != nil || database != nil }

    func validate() throws {
        guard dbTimeout > 0 else { throw ValidationError("--db-timeout must be positive") }
    }

    /// The target database; `defaultDatabase` is used on the private cluster when no
    /// `--database` is given (pipelines whose tables would clash get a database of their own).
    func target(defaultDatabase: String? = nil) throws -> DatabaseTarget {
        var name = database
        if name == nil, let defaultDatabase, try DatabaseURL.resolve(option: db) == nil { name = defaultDatabase }
        return try DatabaseTarget.resolve(option: db, database: name, timeout: .milliseconds(Int(dbTimeout * 1000)))
    }
}
