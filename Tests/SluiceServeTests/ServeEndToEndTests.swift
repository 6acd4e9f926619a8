import Foundation
import NIOCore
import SluicePipelines
import SluicePostgres
import SluiceServe
import SluiceTestSupport
import Testing

/// `sluice serve` end to end: a real server on a free port, a real PostgreSQL, a real HTTP
/// client; answers compared with the equivalent SQL.
@Suite(.enabled(if: TestCluster.available, TestCluster.skipReason), .serialized)
struct ServeEndToEndTests {
    static let customers = CustomersPipeline.served[0]

    /// A database with a `customers` table in the pipeline's shape: 240 rows with ties on
    /// every ordering field, NULLs, and names that look like LIKE patterns or SQL.
    static func fixture() throws -> String {
        let url = try TestCluster.newDatabase("serve")
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        try connection.executeScript("""
            CREATE TABLE customers (index integer, customer_id text PRIMARY KEY, first_name text, last_name text, company text,
              city text, country text, phone_1 text, phone_2 text, email text, subscription_date date, website text,
              attributes jsonb, source_file text, ingested_at timestamptz NOT NULL DEFAULT now())
            """)
        let firsts = ["Alice", "alice", "ALICE-May", "Bob", "50% off", "under_score", "O'Brien", "back\\slash", "emoji 😀", "Zoë", "Carl"]
        let lasts = ["Smith", "Jones", "Alison", "Brown", "Ng", "Ortiz", "Young"]
        let countries: [String?] = ["USA", "Chile", "Fiji", nil]
        for index in 0..<240 {
            let day = index % 23 == 0 ? nil : String(format: "2021-%02d-%02d", index % 12 + 1, index % 27 + 1)
            try connection.execute("""
                INSERT INTO customers VALUES ($1, $2, $3, $4, $5, $6, $7, '', '', $8, $9::date, '', $10::jsonb, 'fixture.csv',
                  timestamptz '2024-01-01 10:30:00+00' + make_interval(secs => $11::int))
                """, [.int(Int64(index + 1)), .text(String(format: "C%04d", (index * 37) % 240)), .text(firsts[index % firsts.count]),
                      .text(lasts[index % lasts.count]), index % 5 == 0 ? nil : .text("Co \(index % 9)"), .text("City \(index % 4)"),
                      countries[index % countries.count].map { .text($0) }, .text("p\(index)@example.com"), day.map { .text($0) },
                      index % 7 == 0 ? .text("{\"tier\": \"gold\"}") : nil, .int(Int64(index % 3 == 0 ? 0 : index))])
        }
        return url
    }

    /// The fixture with a view `slow_customers` defined by `query`, served at `/api/slow/`.
    static func slowFixture(_ query: String) throws -> (String, ServedTable) {
        let url = try fixture()
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        try connection.executeScript("CREATE VIEW slow_customers AS \(query)")
        return (url, ServedTable(route: "slow", relation: QualifiedName(name: "slow_customers"), key: ["customer_id"],
                                 pipeline: "customers", privateDatabase: "customers"))
    }

    /// The customer ids the equivalent SQL gives, in order.
    static func ids(_ harness: ServeHarness, where condition: String = "true", orderBy: String, _ parameters: [PostgresValue?] = []) throws -> [String] {
        try harness.sql("SELECT customer_id FROM customers WHERE \(condition) ORDER BY \(orderBy)", parameters).rows.map { $0[0] ?? "" }
    }

    /// Every page from `path`, following next links; the ids in order and the pages.
    static func walk(_ harness: ServeHarness, _ path: String, token: String, between: (Int) throws -> Void = { _ in })
        async throws -> (ids: [String], pages: [ServeHarness.Reply]) {
        var pages: [ServeHarness.Reply] = []
        var next: String? = harness.base + path
        while let url = next {
            let page = try await harness.get(absolute: url, token: token)
            #expect(page.status == 200, "\(page.body)")
            pages.append(page)
            next = page.json["next"] as? String
            try between(pages.count)
            if pages.count > 500 { break }
        }
        return (pages.flatMap { $0.results.compactMap { $0["customer_id"] as? String } }, pages)
    }

    @Test func theOriginalExampleAnswersAsSQLDoes() async throws {
        let harness = try await ServeHarness(url: try Self.fixture(), tables: [Self.customers])
        let token = try harness.token()
        let reply = try await harness.get("/api/customers/?search=alice&country=USA&ordering=-subscription_date", token: token)
        #expect(reply.status == 200)
        #expect(reply.header("Content-Type") == "application/json")
        let searched = Self.customers.search.map { "\($0) ILIKE '%alice%'" }.joined(separator: " OR ")
        let expected = try Self.ids(harness, where: "(\(searched)) AND country = 'USA'", orderBy: "subscription_date DESC NULLS FIRST, customer_id")
        #expect(!expected.isEmpty)
        #expect(reply.results.compactMap { $0["customer_id"] as? String } == Array(expected.prefix(50)))
        #expect((reply.json["previous"] as? NSNull) != nil)
        let first = try #require(reply.results.first)
        #expect(first["index"] is Int)
        #expect((first["ingested_at"] as? String)?.hasSuffix("Z") == true)
        #expect(Array(first.keys).count == 15)
        try await harness.stop()
    }

    @Test func walkingEveryPageGivesExactlyTheRowsOfTheSQL() async throws {
        let harness = try await ServeHarness(url: try Self.fixture(), tables: [Self.customers])
        let token = try harness.token()
        let orderings = [
            ("", "customer_id"),
            ("-subscription_date,last_name", "subscription_date DESC NULLS FIRST, last_name, customer_id"),
            ("last_name", "last_name, customer_id"),
            ("company,-index", "company NULLS LAST, index DESC, customer_id"),
            ("-ingested_at", "ingested_at DESC, customer_id"),
            ("country,-customer_id", "country NULLS LAST, customer_id DESC"),
        ]
        for (ordering, sql) in orderings {
            let expected = try Self.ids(harness, orderBy: sql)
            let forward = try await Self.walk(harness, "/api/customers/?page_size=7&ordering=\(ordering)", token: token)
            #expect(forward.ids == expected, "ordering=\(ordering)")
            #expect(forward.pages.allSatisfy { $0.results.count <= 7 })
            // And back from the last page by previous links: the same rows, page by page.
            var backwards: [[String]] = []
            var previous = forward.pages.last?.json["previous"] as? String
            while let url = previous, backwards.count < 100 {
                let page = try await harness.get(absolute: url, token: token)
                backwards.append(page.results.compactMap { $0["customer_id"] as? String })
                previous = page.json["previous"] as? String
            }
            let lastPage = forward.pages.last?.results.compactMap { $0["customer_id"] as? String } ?? []
            #expect(backwards.reversed().flatMap { $0 } + lastPage == expected, "backwards, ordering=\(ordering)")
        }
        // Filters and search narrow the walk as their SQL does.
        let filtered = try await Self.walk(harness, "/api/customers/?page_size=9&country__in=USA,Fiji&subscription_date__gte=2021-03-01"
            + "&subscription_date__lte=2021-10-31&search=o&ordering=-subscription_date", token: token)
        let searched = Self.customers.search.map { "\($0) ILIKE '%o%'" }.joined(separator: " OR ")
        #expect(filtered.ids == (try Self.ids(harness, where: "country IN ('USA', 'Fiji') AND subscription_date BETWEEN '2021-03-01' AND '2021-10-31' AND (\(searched))",
                                             orderBy: "subscription_date DESC NULLS FIRST, customer_id")))
        try await harness.stop()
    }

    @Test func pagesStayStableWhileRowsAreInserted() async throws {
        let harness = try await ServeHarness(url: try Self.fixture(), tables: [Self.customers])
        let token = try harness.token()
        let before = Set(try Self.ids(harness, orderBy: "customer_id"))
        var inserted: [String] = []
        let walk = try await Self.walk(harness, "/api/customers/?page_size=10&ordering=last_name", token: token) { page in
            guard page % 3 == 0 else { return }
            for last in ["Aaron", "Mmm", "Zzz"] {
                let id = "N\(page)\(last)"
                inserted.append(id)
                _ = try harness.sql("INSERT INTO customers (index, customer_id, last_name, email) VALUES (0, $1, $2, 'x@y.z')",
                                    [.text(id), .text(last)])
            }
        }
        #expect(walk.ids.count == Set(walk.ids).count, "no row twice")
        #expect(before.isSubset(of: Set(walk.ids)), "no row that existed at the start is skipped")
        #expect(Set(walk.ids).isSubset(of: before.union(inserted)))
        try await harness.stop()
    }

    @Test func searchMatchesLiterally() async throws {
        let harness = try await ServeHarness(url: try Self.fixture(), tables: [Self.customers])
        let token = try harness.token()
        for word in ["%", "_", "'", "\\", "😀", "50%", "'; DROP TABLE customers; --", "ALICE", "zoë"] {
            let encoded = word.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let reply = try await harness.get("/api/customers/?page_size=1000&search=\(encoded)", token: token)
            #expect(reply.status == 200, "\(word): \(reply.body)")
            let literal = Self.customers.search.map { "strpos(lower(coalesce(\($0), '')), lower($1)) > 0" }.joined(separator: " OR ")
            let expected = try Self.ids(harness, where: literal, orderBy: "customer_id", [.text(word)])
            #expect(reply.results.compactMap { $0["customer_id"] as? String } == expected, "search=\(word)")
        }
        #expect(try harness.sql("SELECT count(*) FROM customers").rows[0][0] == "240")
        try await harness.stop()
    }

    @Test func errorsAreJSONWithTheirStatus() async throws {
        let harness = try await ServeHarness(url: try Self.fixture(), tables: CustomersPipeline.served + CreditsPipeline.served)
        let token = try harness.token("errors")
        let unauthenticated = try await harness.get("/api/customers/")
        #expect(unauthenticated.status == 401 && unauthenticated.header("WWW-Authenticate") == "Token")
        #expect(unauthenticated.detail == "Authentication credentials were not provided.")
        #expect(try await harness.get("/api/customers/", token: "nope").detail == "Invalid token.")
        #expect(try await harness.get("/api/customers/", authorization: "Bearer \(token)").status == 401)
        // Without a good token nothing else is told: not what is wrong with a query, not whether a table is loaded.
        #expect(try await harness.get("/api/customers/?bogus=1", token: "nope").status == 401)
        #expect(try await harness.get("/api/finance_org_balance/", token: "nope").status == 401)
        #expect(try await harness.get("/api/customers/C0001/", token: "nope").status == 401)
        for query in ["bogus=1", "ordering=phone_1", "cursor=abc", "subscription_date__gte=2021-13-01", "page_size=0", "page_size=5000",
                      "index=one", "a=1&a=2"] {
            let reply = try await harness.get("/api/customers/?\(query)", token: token)
            #expect(reply.status == 400, "\(query)")
            #expect(reply.detail?.isEmpty == false, "\(query)")
        }
        #expect(try await harness.get("/api/customers/?bogus=1", token: token).detail?.contains("'bogus'") == true)
        #expect(try await harness.get("/api/nothing/", token: token).status == 404)
        #expect(try await harness.get("/elsewhere", token: token).detail == "Not found.")
        #expect(try await harness.get("/api/customers/NOPE/", token: token).status == 404)
        let unloaded = try await harness.get("/api/finance_org_balance/", token: token)
        #expect(unloaded.status == 404 && unloaded.detail?.contains("sluice run credits") == true)
        // A cursor made for one ordering is refused with another.
        let page = try await harness.get("/api/customers/?page_size=2&ordering=last_name", token: token)
        let next = try #require(page.json["next"] as? String)
        let cursor = try #require(next.components(separatedBy: "cursor=").last)
        #expect(try await harness.get("/api/customers/?cursor=\(cursor)", token: token).status == 400)
        // A revoked token stops working on the next request.
        #expect(try await harness.get("/api/customers/", token: token).status == 200)
        let connection = try PostgresConnection(harness.url)
        try TokenStore.revoke(name: "errors", on: connection)
        connection.close()
        #expect(try await harness.get("/api/customers/", token: token).detail == "Invalid token.")
        try await harness.stop()
    }

    @Test func oneRowByItsKey() async throws {
        let harness = try await ServeHarness(url: try Self.fixture(), tables: [Self.customers])
        let token = try harness.token()
        let listed = try await harness.get("/api/customers/?page_size=1", token: token)
        let row = try #require(listed.results.first)
        let id = try #require(row["customer_id"] as? String)
        let detail = try await harness.get("/api/customers/\(id)/", token: token)
        #expect(detail.status == 200)
        #expect(NSDictionary(dictionary: detail.json).isEqual(to: row))
        #expect(try await harness.get("/api/customers/\(id)", token: token).status == 200)
        #expect(try await harness.get("/api/customers/C9999/", token: token).status == 404)
        try await harness.stop()
    }

    @Test func aDatabaseThatIsDownIs503AndTheServerStaysUp() async throws {
        let url = try Self.fixture()
        let closed = "postgresql://sluice@127.0.0.1:1/none"
        let harness = try await ServeHarness(url: url, tables: [Self.customers], dataURL: closed)
        let token = try harness.token()
        for _ in 0..<2 {
            let reply = try await harness.get("/api/customers/", token: token)
            #expect(reply.status == 503 && reply.detail?.contains("unavailable") == true, "\(reply.body)")
        }
        #expect(try await harness.get("/api/health").status == 503)
        #expect(try await harness.get("/api/customers/").status == 401)
        try await harness.stop()
    }

    @Test func aDatabaseNotCreatedYetIsNotLoaded() async throws {
        let url = try Self.fixture()
        let missing = DatabaseURL(url).withDatabase(TestCluster.uniqueName("nodb")).connectionString
        let harness = try await ServeHarness(url: url, tables: [Self.customers], dataURL: missing)
        let reply = try await harness.get("/api/customers/", token: try harness.token())
        #expect(reply.status == 404 && reply.detail?.contains("sluice run customers") == true, "\(reply.body)")
        try await harness.stop()
    }

    @Test func connectionsCutByTheServerAreReplaced() async throws {
        let harness = try await ServeHarness(url: try Self.fixture(), tables: [Self.customers], poolSize: 2)
        let token = try harness.token()
        #expect(try await harness.get("/api/customers/", token: token).status == 200)
        // As a restart does: every other session of the database is ended.
        _ = try harness.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        for _ in 0..<3 { #expect(try await harness.get("/api/customers/", token: token).status == 200) }
        #expect(try await harness.get("/api/health").status == 200)
        try await harness.stop()
    }

    @Test func aSlowQueryFailsWithTheRequestTimeout() async throws {
        // A sleep of 0.2 s for every row of the table, sorted before the page is cut.
        let (url, slow) = try Self.slowFixture("SELECT c.*, pg_sleep(0.2) IS NULL AS slept FROM customers AS c")
        let harness = try await ServeHarness(url: url, tables: [slow], requestTimeout: 0.5)
        let reply = try await harness.get("/api/slow/?page_size=10", token: try harness.token())
        #expect(reply.status == 503 && reply.detail?.contains("request timeout") == true, "\(reply.body)")
        try await harness.stop()
    }

    @Test func shutdownFinishesTheRequestsInFlight() async throws {
        // One sleep of 0.8 s per query, whatever the rows.
        let (url, slow) = try Self.slowFixture("SELECT c.* FROM customers AS c, (SELECT pg_sleep(0.8)) AS s")
        let harness = try await ServeHarness(url: url, tables: [slow])
        let token = try harness.token()
        let inFlight = Task { try await harness.get("/api/slow/?page_size=3", token: token) }
        try await Task.sleep(for: .milliseconds(300))
        try await harness.stop()
        let reply = try await inFlight.value
        #expect(reply.status == 200 && reply.results.count == 3, "\(reply.body)")
        // Nothing listens any more (the client would retry a refused connection until its timeout).
        await #expect(throws: (any Error).self) { _ = try await harness.get(absolute: harness.base + "/api/health", timeout: .seconds(1)) }
    }

    @Test func theOpenAPIDocumentListsEveryRouteAndParameter() async throws {
        let harness = try await ServeHarness(url: try Self.fixture(), tables: CustomersPipeline.served + CreditsPipeline.served)
        let reply = try await harness.get("/api/openapi.json")
        #expect(reply.status == 200)
        #expect(reply.json["openapi"] as? String == "3.1.0")
        let paths = try #require(reply.json["paths"] as? [String: Any])
        for route in (CustomersPipeline.served + CreditsPipeline.served).map(\.route) { #expect(paths["/api/\(route)/"] != nil, "\(route)") }
        #expect(paths["/api/customers/{customer_id}/"] != nil)
        let list = try #require((paths["/api/customers/"] as? [String: Any])?["get"] as? [String: Any])
        let names = (list["parameters"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        for name in ["search", "ordering", "cursor", "page_size", "country", "country__in", "subscription_date__gte", "subscription_date__lte"] {
            #expect(names.contains(name), "\(name)")
        }
        let schemas = try #require((reply.json["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let properties = try #require((schemas["Customers"] as? [String: Any])?["properties"] as? [String: Any])
        #expect((properties["subscription_date"] as? [String: Any])?["format"] as? String == "date")
        try await harness.stop()
    }
}
