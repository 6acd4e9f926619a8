import Foundation
import SluiceTestSupport
import Testing

/// Issue 9: with no database configured, each pipeline loads into a database of its own on the
/// private cluster, and `sluice runs` lists the runs of all of them; a missing `--temp-dir` is
/// created.
@Suite("the private cluster and the run ledger across pipelines (the binary)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct PrivateClusterCLITests {
    static let noDatabase = ["SLUICE_DATABASE_URL": "", "DATABASE_URL": ""]

    @Test("transactions and ecommerce on the private cluster: sluice runs shows both; a missing --temp-dir is created")
    func runsAcrossPipelines() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-private")
        defer { _ = try? CLI.run(["db", "stop"], in: directory, environment: Self.noDatabase) }
        let temp = directory.appendingPathComponent("spill/nested").path
        let transactions = try CLI.run(["run", "transactions", "--source", TestSupport.seedFile("transaction.csv"), "--temp-dir", temp, "--no-progress"],
                                       in: directory, environment: Self.noDatabase)
        #expect(transactions.status == 0, "\(transactions.stderr)")
        #expect(FileManager.default.fileExists(atPath: temp))
        let events = directory.appendingPathComponent("events").path
        #expect(try CLI.run(["generate", "ecommerce", "--weeks", "1", "--parts-per-day", "1", "--events-per-part", "200", "--out", events],
                            in: directory).status == 0)
        let tables = try CLI.run(["generate", "ecommerce-db"], in: directory, environment: Self.noDatabase)
        #expect(tables.status == 0, "\(tables.stderr)")
        let ecommerce = try CLI.run(["run", "ecommerce", "--events", events, "--no-progress"], in: directory, environment: Self.noDatabase)
        #expect(ecommerce.status == 0, "\(ecommerce.stderr)")
        let runs = try CLI.run(["runs"], in: directory, environment: Self.noDatabase)
        #expect(runs.status == 0, "\(runs.stderr)")
        let lines = runs.stdout.split(separator: "\n").dropFirst()
        #expect(lines.count == 2, "\(runs.stdout)")
        #expect(lines.first?.contains(" ecommerce ") == true, "newest first: \(runs.stdout)")
        #expect(lines.last?.contains(" transactions ") == true)
        #expect(lines.allSatisfy { $0.contains("succeeded") })
    }
}
