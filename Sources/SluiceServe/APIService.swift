public import SluicePipelines
import HTTPTypes
import SluicePostgres
import Synchronization

/// What `sluice serve` answers, apart from HTTP itself: tokens checked, requests turned into
/// statements, rows into JSON, database failures into statuses. ``APIServer`` puts it behind
/// Hummingbird; the tests drive both.
public final class APIService: Sendable {
    /// A served relation and the database it lives in.
    public struct Endpoint: Sendable {
        public var table: ServedTable
        public var pool: ConnectionPool

        public init(table: ServedTable, pool: ConnectionPool) {
            self.table = table
            self.pool = pool
        }
    }

    /// One answer: the body, and how many rows it carries (for the access log).
    public struct Answer: Sendable {
        public var body: [UInt8]
        public var rows: Int
        /// The name of the token that asked, for the access log.
        public var client: String?

        public init(body: [UInt8], rows: Int, client: String? = nil) {
            self.body = body
            self.rows = rows
            self.client = client
        }
    }

    public let endpoints: [String: Endpoint]
    /// Where `sluice_api_tokens` is.
    public let tokens: ConnectionPool
    /// Seconds a statement may run (the request timeout), for messages.
    public let requestTimeout: Double
    private let schemas = Mutex<[String: RelationSchema]>([:])
    /// When each token was last recorded as used; written at most once a minute per token.
    private let touched = Mutex<[Int64: ContinuousClock.Instant]>([:])

    /// The service for `endpoints` (one per route; a second with the same route is ignored),
    /// with tokens read through `tokens`.
    public init(endpoints: [Endpoint], tokens: ConnectionPool, requestTimeout: Double) {
        self.endpoints = Dictionary(endpoints.map { ($0.table.route, $0) }, uniquingKeysWith: { first, _ in first })
        self.tokens = tokens
        self.requestTimeout = requestTimeout
    }

    /// Every pool, once each.
    public var pools: [ConnectionPool] {
        var seen: Set<ObjectIdentifier> = []
        return ([tokens] + endpoints.values.map(\.pool)).filter { seen.insert(ObjectIdentifier($0)).inserted }
    }

    // MARK: Requests

    /// The holder of the `Authorization: Token <key>` header's token.
    /// - Throws: ``APIError`` 401 without a header or with a bad token, 503 when the database is down.
    public func authenticate(_ header: String?) async throws(APIError) -> TokenStore.Holder {
        let token = try Self.token(in: header)
        let holder = try await run(on: tokens, what: "the token table") { connection in
            try TokenStore.verify(token, on: connection)
        }
        guard let holder else { throw .invalidToken }
        await touch(holder)
        return holder
    }

    /// Runs `body` for the holder of the header's token. When the tokens live in `pool`'s
    /// database, the check and `body` share one connection and one trip to it; `body` runs
    /// only once the token is good, so nothing of a relation is revealed without one.
    func authorized<T: Sendable>(_ header: String?, on pool: ConnectionPool, what: String,
                                 _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws(APIError) -> (TokenStore.Holder, T) {
        let token = try Self.token(in: header)
        guard pool === tokens else {
            let holder = try await authenticate(header)
            return (holder, try await run(on: pool, what: what, body))
        }
        let outcome = try await run(on: pool, what: what) { connection -> (TokenStore.Holder, T)? in
            guard let holder = try TokenStore.verify(token, on: connection) else { return nil }
            return (holder, try body(connection))
        }
        guard let outcome else { throw .invalidToken }
        await touch(outcome.0)
        return outcome
    }

    /// The key of `Authorization: Token <key>`.
    static func token(in header: String?) throws(APIError) -> String {
        guard let header, !header.isEmpty else { throw .noCredentials }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "token" else {
            throw APIError(.unauthorized, "Invalid token header. Send: Authorization: Token <key>")
        }
        return String(parts[1])
    }

    /// Records the token's use, at most once a minute per token.
    private func touch(_ holder: TokenStore.Holder) async {
        let now = ContinuousClock.now
        let due = touched.withLock { touched -> Bool in
            if let last = touched[holder.id], now - last < .seconds(60) { return false }
            touched[holder.id] = now
            return true
        }
        if due { _ = try? await tokens.withConnection { try TokenStore.touch(holder, on: $0) } }
    }

    /// A page of `route`: `{"next", "previous", "results"}`. `base` is the absolute URL of the
    /// listing without its query (`http://host/api/customers/`), for the links.
    public func list(route: String, query: QueryParameters, base: String, authorization: String?) async throws(APIError) -> Answer {
        let endpoint = try self.endpoint(route)
        let schema = try await self.schema(endpoint, authorization: authorization)
        let request: ListRequest
        do {
            request = try ListRequest(query, schema: schema)
        } catch {
            // A bad token is told first; only its holder learns what is wrong with the query.
            _ = try await authenticate(authorization)
            throw error
        }
        let statement = ListSQL(schema: schema, request: request)
        let backwards = request.cursor?.backwards ?? false
        let positions = request.ordering.compactMap { term in schema.columns.firstIndex { $0.name == term.column.name } }
        let pageSize = request.pageSize
        let (holder, page) = try await authorized(authorization, on: endpoint.pool, what: route) { connection in
            try connection.executePrepared(statement.sql, statement.parameters) { view in
                Page(view, layout: schema.layout, pageSize: pageSize, backwards: backwards, positions: positions)
            }
        }
        func link(_ values: [String?]?, backwards: Bool) -> String? {
            guard let values else { return nil }
            let cursor = Cursor(ordering: request.orderingText, values: values, backwards: backwards)
            return base + "?" + query.replacing("cursor", with: cursor.token)
        }
        let next = backwards || page.more ? link(page.last, backwards: false) : nil
        let previous = backwards ? (page.more ? link(page.first, backwards: true) : nil)
            : (request.cursor != nil ? link(page.first, backwards: true) : nil)

        var writer = JSONWriter(capacity: 256 + page.results.count)
        writer.raw("{\"next\":")
        writer.optionalString(next)
        writer.raw(",\"previous\":")
        writer.optionalString(previous)
        writer.raw(",\"results\":[")
        writer.append(page.results)
        writer.raw("]}")
        return Answer(body: writer.bytes, rows: page.rows, client: holder.name)
    }

    /// The rows of a page written as JSON objects in the page's order, and the ordering values
    /// of its first and last rows for the links. The statement fetched one row more than a
    /// page, in the page's direction; that row only says whether another page follows.
    struct Page: Sendable {
        var results: [UInt8]
        var rows: Int
        var more: Bool
        var first: [String?]?
        var last: [String?]?

        init(_ view: PostgresRowView, layout: RowLayout, pageSize: Int, backwards: Bool, positions: [Int]) {
            rows = min(view.count, pageSize)
            more = view.count > pageSize
            let order = backwards ? Array((0..<rows).reversed()) : Array(0..<rows)
            var writer = JSONWriter(capacity: rows * 64 * max(1, layout.kinds.count))
            for (index, row) in order.enumerated() {
                if index > 0 { writer.raw(",") }
                layout.write(row: row, of: view, to: &writer)
            }
            results = writer.bytes
            func values(_ row: Int?) -> [String?]? {
                guard let row else { return nil }
                return positions.map { view.string(row: row, column: $0) }
            }
            first = values(order.first)
            last = values(order.last)
        }
    }

    /// One row of `route` by its key, or 404.
    public func detail(route: String, key: String, authorization: String?) async throws(APIError) -> Answer {
        let endpoint = try self.endpoint(route)
        let schema = try await self.schema(endpoint, authorization: authorization)
        guard let column = schema.column(endpoint.table.key[0]), endpoint.table.hasDetailRoute else { throw .notFound }
        guard ValueCheck.accepts(key, kind: column.kind), let statement = ListSQL.detail(schema: schema, key: key) else {
            throw .notFound
        }
        let layout = schema.layout
        let (holder, body) = try await authorized(authorization, on: endpoint.pool, what: route) { connection -> [UInt8]? in
            try connection.executePrepared(statement.sql, statement.parameters) { view -> [UInt8]? in
                guard view.count > 0 else { return nil }
                var writer = JSONWriter()
                layout.write(row: 0, of: view, to: &writer)
                return writer.bytes
            }
        }
        guard let body else { throw .notFound }
        return Answer(body: body, rows: 1, client: holder.name)
    }

    /// `{"status": "ok", "database": "up"}`, or 503 with the reason.
    public func health() async throws(APIError) -> Answer {
        for pool in pools {
            _ = try await run(on: pool, what: "the health check") { connection in
                try connection.executePrepared("SELECT 1").rows.count
            }
        }
        return Answer(body: Array("{\"status\":\"ok\",\"database\":\"up\"}".utf8), rows: 0)
    }

    /// The columns of every served relation that exists, for the OpenAPI document.
    public func knownSchemas() async -> [String: RelationSchema] {
        var found: [String: RelationSchema] = [:]
        for route in endpoints.keys {
            if let endpoint = endpoints[route], let schema = try? await self.schema(endpoint) { found[route] = schema }
        }
        return found
    }

    // MARK: Internals

    private func endpoint(_ route: String) throws(APIError) -> Endpoint {
        guard let endpoint = endpoints[route] else { throw .notFound }
        return endpoint
    }

    /// The relation's columns, read once from the catalogue and kept until a statement finds
    /// the relation changed.
    /// The relation's columns, read once from the catalogue and kept until a statement finds
    /// the relation changed. Before the first read the token is checked on its own, so that
    /// no one learns without one whether a relation is loaded.
    private func schema(_ endpoint: Endpoint, authorization: String?) async throws(APIError) -> RelationSchema {
        if let known = schemas.withLock({ $0[endpoint.table.route] }) { return known }
        _ = try await authenticate(authorization)
        return try await schema(endpoint)
    }

    private func schema(_ endpoint: Endpoint) async throws(APIError) -> RelationSchema {
        let route = endpoint.table.route
        if let known = schemas.withLock({ $0[route] }) { return known }
        let relation = endpoint.table.relation
        let columns = try await run(on: endpoint.pool, what: route) { connection in
            try RelationSchema.columns(of: relation, on: connection)
        }
        guard let columns else {
            throw APIError(.notFound, "\(route) is not loaded in this database yet: run `sluice run \(endpoint.table.pipeline)` first")
        }
        let schema = try RelationSchema(table: endpoint.table, columns: columns)
        schemas.withLock { $0[route] = schema }
        return schema
    }

    /// Runs `body` on a connection of `pool`, turning database failures into statuses.
    private func run<T: Sendable>(on pool: ConnectionPool, what: String,
                                  _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws(APIError) -> T {
        do {
            return try await pool.withConnection(body)
        } catch let error as APIError {
            throw error
        } catch let error as PostgresError {
            throw translate(error, what: what)
        } catch {
            throw APIError(.internalServerError, "the server failed: \(error)")
        }
    }

    private func translate(_ error: PostgresError, what: String) -> APIError {
        if error.isConnectionLost || error.code == .unknownHost || error.code == .unableToConnect || error.code == .tooManyConnections {
            return .unavailable("the database is unavailable (\(error.message)); retry shortly")
        }
        switch error.code {
        case .invalidCatalogName:
            // On the private cluster each pipeline loads a database of its own, made by its first run.
            let pipeline = endpoints[what]?.table.pipeline ?? "the pipeline"
            return APIError(.notFound, "\(what) is not loaded yet: its database does not exist; run `sluice run \(pipeline)` first")
        case .queryCanceled:
            return .unavailable("the query took longer than the request timeout of \(Self.seconds(requestTimeout)); narrow it with filters")
        case .undefinedTable, .undefinedColumn:
            schemas.withLock { $0[what] = nil }
            return .unavailable("\(what) changed while it was read (it is being reloaded); retry")
        default:
            if error.code.errorClass == "22" { return .badRequest("a value does not fit its field: \(error.message)") }
            return APIError(.internalServerError, "the database refused the query (\(error.code)): \(error.message)")
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
