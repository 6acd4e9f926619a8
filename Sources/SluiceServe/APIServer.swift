import Hummingbird
public import Logging
import HTTPTypes
import NIOCore
import ServiceLifecycle
import Synchronization
public import UnixSignals

/// `sluice serve`: ``APIService`` behind Hummingbird 2, run by swift-service-lifecycle so that
/// SIGINT or SIGTERM stops accepting connections, lets the requests in flight finish, then
/// closes the database connections.
///
/// Routes: `GET /api/health` and `GET /api/openapi.json` without a token; `GET /api/<route>/`
/// and `GET /api/<route>/<key>/` with `Authorization: Token <key>`. Every answer is JSON, errors
/// included (`{"detail": "…"}`), and every request is logged once (method, path, status, rows,
/// milliseconds, the token's name — never the token).
public struct APIServer: Sendable {
    public var service: APIService
    public var host: String
    public var port: Int
    public var logger: Logger
    /// Log each request at `info` (else at `debug`).
    public var accessLog: Bool

    /// A server for `service` on `host:port` (port 0: any free one); nothing listens until ``run(signals:handle:onRunning:)``.
    public init(service: APIService, host: String, port: Int, logger: Logger, accessLog: Bool = true) {
        self.service = service
        self.host = host
        self.port = port
        self.logger = logger
        self.accessLog = accessLog
    }

    /// Serves until a signal in `signals` arrives or `handle` is told to stop. `onRunning`
    /// gets the port bound, which is the one asked for unless that was 0.
    public func run(signals: [UnixSignal] = [.sigterm, .sigint], handle: ShutdownHandle? = nil,
                    onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let application = Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "sluice"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: application, successTerminationBehavior: .gracefullyShutdownGroup,
                                 failureTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: signals, logger: logger
            )
        )
        defer { for pool in service.pools { pool.shutdown() } }
        handle?.attach(group)
        try await group.run()
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        let service = self.service
        let openAPI = OpenAPIDocument(service: service)
        router.get("/api/health") { request, _ in
            await respond(request) { () throws(APIError) in try await service.health() }
        }
        router.get("/api/openapi.json") { request, _ in
            await respond(request) { () throws(APIError) in
                APIService.Answer(body: openAPI.render(schemas: await service.knownSchemas(), base: Self.origin(request)), rows: 0)
            }
        }
        router.get("/api/:route") { request, context in
            let route = context.parameters.get("route") ?? ""
            return await respond(request) { () throws(APIError) in
                let authorization = request.headers[.authorization]
                _ = try APIService.token(in: authorization)
                let query = try QueryParameters(query: Substring(request.uri.query ?? ""))
                return try await service.list(route: route, query: query, base: Self.origin(request) + "/api/\(route)/",
                                              authorization: authorization)
            }
        }
        router.get("/api/:route/:key") { request, context in
            let route = context.parameters.get("route") ?? "", key = context.parameters.get("key") ?? ""
            return await respond(request) { () throws(APIError) in
                let authorization = request.headers[.authorization]
                _ = try APIService.token(in: authorization)
                guard let decoded = try? QueryParameters.decode(Substring(key)) else { throw .notFound }
                return try await service.detail(route: route, key: decoded, authorization: authorization)
            }
        }
        router.get("**") { request, _ in
            await respond(request) { () throws(APIError) in throw .notFound }
        }
        return router
    }

    /// Answers, turns an ``APIError`` into its JSON, and logs.
    private func respond(_ request: Request, _ body: () async throws(APIError) -> APIService.Answer) async -> Response {
        let started = ContinuousClock.now
        var status = HTTPResponse.Status.ok
        var rows = 0
        var client: String?
        var headers: HTTPFields = [.contentType: "application/json"]
        let bytes: [UInt8]
        do {
            let answer = try await body()
            rows = answer.rows
            client = answer.client
            bytes = answer.body
        } catch {
            status = error.status
            bytes = JSONWriter.detail(error.detail)
            if error.status == .unauthorized { headers[.wwwAuthenticate] = "Token" }
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var metadata: Logger.Metadata = [
            "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(status.code)",
            "rows": "\(rows)", "ms": "\((milliseconds * 100).rounded() / 100)",
        ]
        if let client { metadata["client"] = "\(client)" }
        if status.code >= 500 { metadata["detail"] = "\(String(decoding: bytes, as: UTF8.self))" }
        logger.log(level: accessLog ? .info : .debug, "request", metadata: metadata)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `http://host:port` as the client addressed the server (its Host header), so that links
    /// work through the name and port the client used; `https` behind a proxy that says so.
    static func origin(_ request: Request) -> String {
        let scheme = forwardedProto.map { request.headers[$0] == "https" } == true ? "https" : "http"
        let authority = request.head.authority ?? "localhost"
        return "\(scheme)://\(authority)"
    }
}

/// The header a TLS-terminating proxy sets (a valid field name, so never nil).
private let forwardedProto = HTTPField.Name("X-Forwarded-Proto")

/// Stops a running ``APIServer`` the way SIGTERM does: no new connections, the requests in
/// flight finish. For embedding the server (and for tests, where a signal would reach every
/// server in the process).
public final class ShutdownHandle: Sendable {
    private let group = Mutex<ServiceGroup?>(nil)
    private let requested = Mutex(false)

    public init() {}

    func attach(_ group: ServiceGroup) {
        self.group.withLock { $0 = group }
        if requested.withLock({ $0 }) { Task { await group.triggerGracefulShutdown() } }
    }

    /// Begins the graceful shutdown; the server's `run` returns when it is done.
    public func shutdown() async {
        requested.withLock { $0 = true }
        if let group = group.withLock({ $0 }) { await group.triggerGracefulShutdown() }
    }
}
