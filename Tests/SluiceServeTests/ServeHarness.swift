import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SluiceCore
import SluicePipelines
import SluicePostgres
import SluiceServe
import SluiceTestSupport
import Synchronization

/// A real `sluice serve` on a free port of 127.0.0.1, over a database of the test cluster,
/// spoken to over a real socket with AsyncHTTPClient.
final class ServeHarness: Sendable {
    let url: String
    let base: String
    let handle = ShutdownHandle()
    let service: APIService
    private let finished: Task<Void, any Error>

    struct Reply: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: String

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
        var results: [[String: Any]] { json["results"] as? [[String: Any]] ?? [] }
        var detail: String? { json["detail"] as? String }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// Starts a server over `tables` in the database `url` (tokens there too), or over
    /// `dataURL` for the tables when given (a database that is down, say).
    init(url: String, tables: [ServedTable], dataURL: String? = nil, poolSize: Int = 4, requestTimeout: Double = 10) async throws {
        self.url = url
        let tokens = ConnectionPool(connectionString: url, size: poolSize, statementTimeout: requestTimeout)
        let data = dataURL.map { ConnectionPool(connectionString: $0, size: poolSize, statementTimeout: requestTimeout, connectTimeout: 1) } ?? tokens
        service = APIService(endpoints: tables.map { APIService.Endpoint(table: $0, pool: data) }, tokens: tokens, requestTimeout: requestTimeout)
        var logger = Logger(label: "sluice.serve.test")
        logger.logLevel = .warning
        let server = APIServer(service: service, host: "127.0.0.1", port: 0, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let handle = self.handle
        finished = Task {
            defer { continuation.finish() }
            try await server.run(signals: [], handle: handle) { port in continuation.yield(port) }
        }
        var bound = 0
        for await port in ports {
            bound = port
            break
        }
        guard bound > 0 else {
            try await finished.value
            throw SluiceError(.configuration, "the test server did not start")
        }
        base = "http://127.0.0.1:\(bound)"
    }

    func get(_ path: String, token: String? = nil, authorization: String? = nil) async throws -> Reply {
        try await get(absolute: base + path, token: token, authorization: authorization)
    }

    func get(absolute: String, token: String? = nil, authorization: String? = nil, timeout: TimeAmount = .seconds(30)) async throws -> Reply {
        var request = HTTPClientRequest(url: absolute)
        if let token { request.headers.add(name: "Authorization", value: "Token \(token)") }
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                     body: String(buffer: body))
    }

    /// Stops the server gracefully and waits until it has.
    func stop() async throws {
        await handle.shutdown()
        try await finished.value
    }

    /// A new token in the database.
    func token(_ name: String = TestCluster.uniqueName("client")) throws -> String {
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        return try TokenStore.create(name: name, on: connection)
    }

    /// Runs SQL on the database (fixtures, inserts between pages).
    func sql(_ text: String, _ parameters: [PostgresValue?] = []) throws -> PostgresResult {
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        return try connection.execute(text, parameters)
    }
}
