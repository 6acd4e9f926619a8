import Foundation
import SluiceCore
import SluiceEngine
import SluicePipelines
import SluicePostgres
import SluiceServe
import SluiceTestSupport
import Testing

/// The tables the pipelines really load, served as they declare: every declared field exists,
/// and the answers are the pipelines' known answers. Tokens: stored as digests only.
@Suite(.enabled(if: TestCluster.available, TestCluster.skipReason), .serialized)
struct ServedPipelinesTests {
    static func load() throws -> String {
        let url = try TestCluster.newDatabase("served")
        let target = try DatabaseTarget.resolve(option: url, database: nil)
        let runtime = TestSupport.runtime()
        let settings = RunSettings(outputDirectory: nil, database: target)
        let customers = try CustomersPipeline.job(.init(sources: [TestSupport.seedFile("customers-100.csv")]),
                                                  context: JobContext(runtime: runtime, database: target))
        _ = try PipelineRunner.run(customers, pipeline: CustomersPipeline.name, settings: settings, runtime: runtime)
        let creditsRuntime = TestSupport.runtime()
        let credits = try CreditsPipeline.job(.init(source: TestSupport.seedFile("credits_test_data.csv")),
                                              context: JobContext(runtime: creditsRuntime, database: target))
        _ = try PipelineRunner.run(credits, pipeline: CreditsPipeline.name, settings: settings, runtime: creditsRuntime)
        return url
    }

    @Test func everyServedRouteAnswersFromTheLoadedTables() async throws {
        let harness = try await ServeHarness(url: try Self.load(), tables: PipelineCatalog.served)
        let token = try harness.token()
        for table in PipelineCatalog.served {
            let count = try harness.sql("SELECT count(*) FROM \(table.relation.quoted)").rows[0][0].flatMap { Int($0) } ?? -1
            var seen = 0
            var next: String? = harness.base + "/api/\(table.route)/?page_size=37"
            while let url = next {
                let page = try await harness.get(absolute: url, token: token)
                #expect(page.status == 200, "\(table.route): \(page.body)")
                seen += page.results.count
                next = page.json["next"] as? String
            }
            #expect(seen == count, "\(table.route)")
            // Every declared ordering field, both ways.
            for field in table.ordering {
                let reply = try await harness.get("/api/\(table.route)/?ordering=-\(field)", token: token)
                #expect(reply.status == 200, "\(table.route) ordering=-\(field): \(reply.body)")
            }
        }
        // The customers load keeps the index its served filter needs, and the filter uses it.
        #expect(try harness.sql("SELECT indexdef FROM pg_indexes WHERE indexname = 'customers_country_subscription_date_idx'").rows.first?[0]
            == "CREATE INDEX customers_country_subscription_date_idx ON public.customers USING btree (country, subscription_date)")
        let customers = try await harness.get("/api/customers/?page_size=1000", token: token)
        #expect(customers.results.count == 100)
        let balances = try await harness.get("/api/finance_org_balance/", token: token)
        let balance = Dictionary(uniqueKeysWithValues: balances.results.compactMap { row -> (String, String)? in
            guard let org = row["org_id"] as? String, let value = row["balance"] as? String else { return nil }
            return (org, value)
        })
        #expect(balance["org_000"] == "-171.00" && balance["org_001"] == "-1739.00" && balance["org_003"] == "570.00")
        #expect(balance["org_005"] == "514.00" && balance["org_009"] == "-1102.00")
        let one = try await harness.get("/api/finance_org_balance/org_003/", token: token)
        #expect(one.json["balance"] as? String == "570.00")
        let filtered = try await harness.get("/api/cs_user_activity/?org_id=org_001&ordering=-credits_used&page_size=1000", token: token)
        let used = filtered.results.compactMap { ($0["credits_used"] as? String).flatMap { Double($0) } }
        #expect(!used.isEmpty && used == used.sorted(by: >))
        #expect(filtered.results.allSatisfy { $0["org_id"] as? String == "org_001" })
        try await harness.stop()
    }

    @Test func indexNamesFitPostgreSQLsLimit() {
        let short = IndexDefinition(table: QualifiedName(name: "customers"), columns: ["country", "subscription_date"])
        #expect(short.name == "customers_country_subscription_date_idx")
        #expect(short.sql == #"CREATE INDEX IF NOT EXISTS "customers_country_subscription_date_idx" ON "customers" ("country", "subscription_date")"#)
        let long = IndexDefinition(table: QualifiedName(name: String(repeating: "t", count: 60)), columns: ["a", "b"])
        let other = IndexDefinition(table: QualifiedName(name: String(repeating: "t", count: 60)), columns: ["a", "c"])
        #expect(long.name.utf8.count == Identifier.maximumLength && long.name != other.name)
    }

    @Test func tokensAreStoredAsDigestsAndListedWithoutThem() throws {
        let url = try TestCluster.newDatabase("tokens")
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        let token = try TokenStore.create(name: "reporting", on: connection)
        #expect(token.utf8.count == 64 && token.allSatisfy(\.isHexDigit))
        #expect(try TokenStore.create(name: "other", on: connection) != token)
        #expect(throws: SluiceError.self) { try TokenStore.create(name: "reporting", on: connection) }
        let stored = try connection.execute("SELECT token_sha256 FROM sluice_api_tokens WHERE name = 'reporting'").rows[0][0]
        #expect(stored != token && stored?.utf8.count == 64)
        #expect(try TokenStore.verify(token, on: connection)?.name == "reporting")
        #expect(try TokenStore.verify(token + "0", on: connection) == nil)
        #expect(try TokenStore.list(on: connection).map(\.name) == ["other", "reporting"])
        try TokenStore.revoke(name: "reporting", on: connection)
        #expect(try TokenStore.verify(token, on: connection) == nil)
        #expect(throws: SluiceError.self) { try TokenStore.revoke(name: "reporting", on: connection) }
        // The name is free again once revoked; the old row stays, for the record.
        _ = try TokenStore.create(name: "reporting", on: connection)
        #expect(try TokenStore.list(on: connection).filter { $0.name == "reporting" }.map { $0.revokedAt == nil } == [true, false])
    }
}
