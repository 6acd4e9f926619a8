import ArgumentParser
import Foundation
import SluiceCore
import SluicePipelines
import SluicePostgres

/// `sluice db start|stop|status|url`: the private PostgreSQL cluster under `.sluice/postgres`.
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the private PostgreSQL cluster in .sluice/postgres (used when no database URL is configured).",
        subcommands: [Start.self, Stop.self, Status.self, URLCommand.self]
    )

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (first time) and start the cluster; print its URL.")
        func run() throws { print(try LocalCluster().start()) }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster (its data stays).")
        func run() throws {
            try LocalCluster().stop()
            print("stopped")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the cluster exists and runs.")
        func run() throws {
            switch LocalCluster().status() {
            case .notInitialized: print("not created (sluice db start creates it)")
            case .stopped: print("stopped")
            case .running(let port): print("running on 127.0.0.1:\(port)")
            }
        }
    }

    struct URLCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "url", abstract: "Print the URL of the running cluster (for psql).")
        func run() throws {
            guard case .running = LocalCluster().status(), let url = LocalCluster().url else {
                throw SluiceError(.configuration, "the private cluster is not running", hint: "start it with: sluice db start")
            }
            print(url)
        }
    }
}

/// `sluice runs`: the run ledger, newest first.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List recent runs from the sluice_runs ledger.")

    @Option(help: "Only runs of this job.")
    var job: String?

    @Option(help: "How many runs.")
    var limit: Int = 20

    @OptionGroup var database: DatabaseOptions

    /// Where the runs are: the named database, or on the private cluster with no database
    /// named, every pipeline's own database that exists (each pipeline writes its ledger in
    /// the database it loads into).
    static func ledgers(_ target: DatabaseTarget, database: DatabaseOptions) throws -> [DatabaseURL] {
        guard target.isPrivateCluster, database.database == nil else { return [target.url] }
        let connection = try target.connect()
        defer { connection.close() }
        var urls: [DatabaseURL] = []
        for name in Set(PipelineCatalog.all.map { $0.privateDatabase }).sorted() {
            let found = try connection.execute("SELECT 1 FROM pg_database WHERE datname = $1", [.text(name)])
            if !found.rows.isEmpty { urls.append(target.url.withDatabase(name)) }
        }
        return urls
    }

    func run() throws {
        let target = try database.target()
        var found: [(url: DatabaseURL, row: [String?])] = []
        for url in try Self.ledgers(target, database: database) {
            let connection = try PostgresConnection.connect(url.connectionString, retry: target.retry)
            defer { connection.close() }
            found += try RunLedger.recent(limit: max(1, limit), job: job, on: connection).map { (url, $0) }
        }
        // Run ids start with the start time in milliseconds: newest first across databases.
        found.sort { ($0.row[0] ?? "") > ($1.row[0] ?? "") }
        let recent = Array(found.prefix(max(1, limit)))
        let header = ["run", "job", "status", "started (UTC)", "seconds", "read", "loaded", "rejected", "inserted", "updated", "unchanged", "deleted"]
        var rows = [header]
        for (_, row) in recent { rows.append((0..<12).map { row[$0] ?? "-" }) }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows { print(row.enumerated().map { Terminal.pad($0.element, widths[$0.offset], right: $0.offset >= 4) }.joined(separator: "  ")) }
        for (_, row) in recent where row[2] == "failed" {
            print("\(row[0] ?? "?") failed: \(row[12] ?? "")")
        }
        try printFiles(recent, target: target)
    }

    /// The input files of the listed runs that audit them (`sluice_files`), one line each.
    func printFiles(_ runs: [(url: DatabaseURL, row: [String?])], target: DatabaseTarget) throws {
        let byDatabase = Dictionary(grouping: runs, by: { $0.url.connectionString })
        var lines: [(run: String, text: String)] = []
        for (url, group) in byDatabase {
            let connection = try PostgresConnection.connect(url, retry: target.retry)
            defer { connection.close() }
            for file in try CustomersAudit.files(ofRuns: group.compactMap { $0.row[0] }, on: connection) {
                let figures = file.status == CustomersAudit.loadedStatus
                    ? " · \(file.read) read = \(file.loaded) loaded + \(file.quarantined) quarantined + \(file.duplicates) duplicates"
                        + (file.blank > 0 ? " + \(file.blank) blank" : "")
                    : ""
                lines.append((file.run, "  \(file.run)  \(file.path)  \(file.status)\(figures)  sha256 \(file.sha256.prefix(12))…"
                                        + (file.error.map { "  \($0)" } ?? "")))
            }
        }
        guard !lines.isEmpty else { return }
        print("files:")
        for line in lines.sorted(by: { $0.run > $1.run }) { print(line.text) }
    }
}
