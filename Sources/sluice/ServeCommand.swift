import ArgumentParser
import Dispatch
import Foundation
import Logging
import SluiceCore
import SluicePipelines
import SluicePostgres
import SluiceServe
import Synchronization

/// `sluice serve`: the read-only HTTP API over what the pipelines load (``APIServer``).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the loaded tables as a read-only JSON API (token auth, filters, search, ordering, cursor pages).",
        discussion: """
            Routes: GET /api/<table>/ and /api/<table>/<key>/ for \(PipelineCatalog.served.map(\.route).joined(separator: ", ")); \
            GET /api/health and /api/openapi.json without a token. Requests need `Authorization: Token <key>`: make one with \
            `sluice token create --name NAME`. SIGINT or SIGTERM finishes the requests in flight, then exits.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port, printed at start).")
    var port: Int = 8000

    @Option(name: .customLong("pool-size"), help: "Database connections per database.")
    var poolSize: Int = 8

    @Option(name: .customLong("request-timeout"), help: "Seconds a query may run before the request fails with 503.")
    var requestTimeout: Double = 10

    @Flag(name: .customLong("access-log"), inversion: .prefixedNo, help: "Log every request (method, path, status, rows, ms) at info.")
    var accessLog = true

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard (1...1000).contains(poolSize) else { throw ValidationError("--pool-size must be 1 to 1000") }
        guard requestTimeout > 0 else { throw ValidationError("--request-timeout must be positive") }
    }

    func run() throws {
        let target = try database.target()
        var pools: [String: ConnectionPool] = [:]
        func pool(_ url: DatabaseURL) -> ConnectionPool {
            if let known = pools[url.connectionString] { return known }
            let made = ConnectionPool(connectionString: url.connectionString, size: poolSize, statementTimeout: requestTimeout)
            pools[url.connectionString] = made
            return made
        }
        // On the private cluster each pipeline loads a database of its own; elsewhere, one.
        let perPipeline = target.isPrivateCluster && database.database == nil
        let endpoints = PipelineCatalog.served.map { table in
            APIService.Endpoint(table: table, pool: pool(perPipeline ? target.url.withDatabase(table.privateDatabase) : target.url))
        }
        let service = APIService(endpoints: endpoints, tokens: pool(target.url), requestTimeout: requestTimeout)
        let logger = { var logger = Logger(label: "sluice.serve"); logger.logLevel = .info; return logger }()
        let server = APIServer(service: service, host: host, port: port, logger: logger, accessLog: accessLog)
        let host = self.host, redacted = target.url.redacted
        let failure = Mutex<(any Error)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await server.run { port in
                    logger.info("listening", metadata: ["url": "http://\(host):\(port)/api/", "database": "\(redacted)"])
                }
            } catch {
                failure.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        if let error = failure.withLock({ $0 }) {
            throw SluiceError(.configuration, "the server stopped: \(error)", hint: "is another program listening on \(host):\(port)?")
        }
    }
}

/// `sluice token create|list|revoke`: the API tokens of `sluice serve`.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke the API tokens of sluice serve (only their SHA-256 is stored).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token and print it once; it cannot be shown again.")
        @Option(help: "A name for who uses it (unique among active tokens).")
        var name: String
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let connection = try database.target().connect()
            defer { connection.close() }
            let token = try TokenStore.create(name: name, on: connection)
            FileHandle.standardError.write(Data("token '\(name)' created; it is shown once, store it now (send it as: Authorization: Token <key>)\n".utf8))
            print(token)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens: name, created, last used, revoked.")
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let connection = try database.target().connect()
            defer { connection.close() }
            let entries = try TokenStore.list(on: connection)
            guard !entries.isEmpty else { return print("no tokens (sluice token create --name NAME makes one)") }
            let rows = [["name", "created (UTC)", "last used", "revoked"]]
                + entries.map { [$0.name, $0.createdAt, $0.lastUsedAt ?? "-", $0.revokedAt ?? "-"] }
            let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows { print(row.enumerated().map { Terminal.pad($0.element, widths[$0.offset]) }.joined(separator: "  ")) }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by name; requests with it fail from now on.")
        @Argument(help: "The token's name.")
        var name: String
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let connection = try database.target().connect()
            defer { connection.close() }
            try TokenStore.revoke(name: name, on: connection)
            print("revoked \(name)")
        }
    }
}
