import Foundation
import SluicePostgres
import SluiceTestSupport
import Testing

@Suite("sluice run credits into PostgreSQL (the binary, live server)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct CreditsCLITests {
    static func query(_ url: String, _ sql: String) throws -> [[String?]] {
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        return try connection.execute(sql).rows
    }

    /// A fresh folder holding the fixture as `log.csv`.
    static func writeFixture() throws -> (directory: URL, input: URL) {
        let directory = try TestSupport.temporaryDirectory()
        let input = directory.appendingPathComponent("log.csv")
        try Data(fixture.utf8).write(to: input)
        return (directory, input)
    }

    /// A small log whose every view row is worked out by hand below.
    static let fixture = """
        org_id,user_id,credit_type,action,credits,timestamp
        org_a,u1,api_call,add,100.00,2024-10-01 09:00:00
        org_a,u1,api_call,deduct,30.50,2024-10-01 10:00:00
        org_a,u2,report_download,deduct,10.00,10/15/2024 12:00 PM
        org_a,u2,report_download,deduct,10.00,10/15/2024 12:00 PM
        org_a,,api_call,deduct,5.25,02-11-2024
        org_b,u3,data_export,add,7.00,not-a-date
        org_b,u3,data_export,deduct,2.00,
        org_b,u3,data_export,refund,1.00,2024-10-01 00:00:00

        """

    @Test("views answer with SELECT *: balances, months (null month kept), users, days, overview, data quality; a re-run changes nothing")
    func views() throws {
        let url = try TestCluster.newDatabase("credits")
        let (directory, input) = try Self.writeFixture()
        let first = try CLI.run(["run", "credits", "--source", input.path, "--db", url, "--out", directory.appendingPathComponent("out").path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("8 rows = 6 events + 1 duplicates + 1 rejects"), "\(first.stdout)")
        #expect(try Self.query(url, "SELECT * FROM finance_org_balance") == [
            ["org_a", "100.00", "45.75", "54.25", "4", "0", "2024-10-01 09:00:00", "2024-11-02 00:00:00"],
            ["org_b", "7.00", "2.00", "5.00", "2", "2", nil, nil],
        ])
        #expect(try Self.query(url, "SELECT * FROM finance_org_monthly") == [
            ["org_a", "2024-10-01", "100.00", "40.50", "59.50"], ["org_a", "2024-11-01", "0.00", "5.25", "-5.25"],
            ["org_b", nil, "7.00", "2.00", "5.00"],
        ])
        #expect(try Self.query(url, "SELECT org_id, user_id, credit_type, events, credits_used, credits_added FROM cs_user_activity") == [
            ["org_a", "u1", "api_call", "2", "30.50", "100.00"], ["org_a", "u2", "report_download", "1", "10.00", "0.00"],
            ["org_a", nil, "api_call", "1", "5.25", "0.00"], ["org_b", "u3", "data_export", "2", "2.00", "7.00"],
        ])
        #expect(try Self.query(url, "SELECT * FROM cs_daily_usage") == [
            ["2024-10-01", "org_a", "api_call", "2", "1", "30.50"], ["2024-10-15", "org_a", "report_download", "1", "1", "10.00"],
            ["2024-11-02", "org_a", "api_call", "1", "0", "5.25"], [nil, "org_b", "data_export", "2", "1", "2.00"],
        ])
        #expect(try Self.query(url, "SELECT * FROM cs_org_overview") == [
            ["org_a", "2", "4", "api_call", "2024-11-02 00:00:00"], ["org_b", "1", "2", "data_export", nil],
        ])
        let quality = try Self.query(url, """
            SELECT rows_read, events, duplicates, rejects, rejects_unknown_action, timestamps_parsed, timestamps_missing, timestamps_unparseable
            FROM credits_data_quality
            """)
        #expect(quality == [["8", "6", "1", "1", "1", "4", "1", "1"]])
        let second = try CLI.run(["run", "credits", "--source", input.path, "--db", url])
        #expect(second.stdout.contains("0 inserted · 0 updated · 6 unchanged · 0 deleted"), "\(second.stdout)")
        #expect(try Self.query(url, "SELECT count(DISTINCT run_id) FROM credit_events") == [["1"]])
        #expect(try Self.query(url, "SELECT count(*) FROM credits_data_quality") == [["2"]])
        // Without --out the balances CSV step does not run, and the summary does not claim it wrote 0 rows.
        let databaseOnly = try CLI.run(["run", "credits", "--source", input.path, "--db", url])
        #expect(databaseOnly.stdout.contains("6 events rows") && !databaseOnly.stdout.contains("balances rows"), "\(databaseOnly.stdout)")
    }

    @Test("a corrected file replaces what that file contributed and leaves other files' events alone")
    func correctedFile() throws {
        let url = try TestCluster.newDatabase("credits")
        let directory = try TestSupport.temporaryDirectory()
        let january = directory.appendingPathComponent("january.csv"), february = directory.appendingPathComponent("february.csv")
        try Data("org_id,user_id,credit_type,action,credits,timestamp\norg_a,u1,api_call,add,10,2024-01-05 00:00:00\norg_a,u1,api_call,deduct,4,2024-01-06 00:00:00\n".utf8)
            .write(to: january)
        try Data("org_id,user_id,credit_type,action,credits,timestamp\norg_a,u1,api_call,add,1,2024-02-05 00:00:00\n".utf8).write(to: february)
        #expect(try CLI.run(["run", "credits", "--source", january.path, "--db", url]).status == 0)
        #expect(try CLI.run(["run", "credits", "--source", february.path, "--db", url]).status == 0)
        #expect(try Self.query(url, "SELECT balance FROM finance_org_balance") == [["7.00"]])
        try Data("org_id,user_id,credit_type,action,credits,timestamp\norg_a,u1,api_call,add,10,2024-01-05 00:00:00\norg_a,u1,api_call,deduct,6,2024-01-06 00:00:00\n".utf8)
            .write(to: january)
        let corrected = try CLI.run(["run", "credits", "--source", january.path, "--db", url])
        #expect(corrected.stdout.contains("1 inserted · 0 updated · 1 unchanged · 1 deleted"), "\(corrected.stdout)")
        #expect(try Self.query(url, "SELECT balance FROM finance_org_balance") == [["5.00"]])
    }

    @Test("--select of the balance file alone with a database: the run is recorded, and no table or view is made")
    func selectFilesOnly() throws {
        let url = try TestCluster.newDatabase("credits_select")
        let (directory, input) = try Self.writeFixture()
        let out = directory.appendingPathComponent("out")
        let run = try CLI.run(["run", "credits", "--source", input.path, "--db", url, "--out", out.path, "--select", "finance_org_balance.csv"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("8 rows = 6 events + 1 duplicates + 1 rejects"), "\(run.stdout)")
        let balances = try String(contentsOf: out.appendingPathComponent("finance_org_balance.csv"), encoding: .utf8)
        #expect(balances.contains("org_a,100.00,45.75,54.25,4,0,2024-10-01 09:00:00,2024-11-02 00:00:00"))
        #expect(try Self.query(url, "SELECT to_regclass('credit_events') IS NULL, to_regclass('finance_org_balance') IS NULL") == [["t", "t"]])
        #expect(try Self.query(url, "SELECT status FROM sluice_runs") == [["succeeded"]])
    }
}
