import Foundation
import SluicePostgres
import SluiceTestSupport
import Testing

@Suite("sluice run customers into PostgreSQL (the binary, live server)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct CustomersCLITests {
    static func query(_ url: String, _ sql: String) throws -> [[String?]] {
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        return try connection.execute(sql).rows
    }

    static let header = "Index,Customer Id,First Name,Last Name,Company,City,Country,Phone 1,Phone 2,Email,Subscription Date,Website\n"

    @Test("customers-100.csv loads 100 exact rows; a re-run skips the file; --force changes nothing; a changed row is one update with a new ingested_at")
    func loadAndRerun() throws {
        let url = try TestCluster.newDatabase("customers")
        let directory = try TestSupport.temporaryDirectory()
        let input = directory.appendingPathComponent("customers-100.csv")
        try FileManager.default.copyItem(atPath: TestSupport.seedFile("customers-100.csv"), toPath: input.path)
        let first = try CLI.run(["run", "customers", "--source", input.path, "--db", url])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("100 rows = 100 loaded + 0 quarantined + 0 duplicates, dates iso"), "\(first.stdout)")
        #expect(try Self.query(url, "SELECT count(*) FROM customers") == [["100"]])
        #expect(try Self.query(url, """
            SELECT index, customer_id, first_name, last_name, company, city, country, phone_1, phone_2, email, subscription_date, website,
                   attributes, source_file = $$\(input.path)$$ FROM customers WHERE customer_id IN ('DD37Cf93aecA6Dc', '5Cef8BFA16c5e3c') ORDER BY index
            """) == [
            ["1", "DD37Cf93aecA6Dc", "Sheryl", "Baxter", "Rasmussen Group", "East Leonard", "Chile", "229.077.5154", "397.884.0519x718",
             "zunigavanessa@smith.info", "2020-08-24", "http://www.stephenson.com/", nil, "t"],
            ["4", "5Cef8BFA16c5e3c", "Linda", "Olsen", "Dominguez, Mcmillan and Donovan", "Bensonview", "Dominican Republic",
             "001-808-617-6467x12895", "+1-813-324-8756", "stanleyblackwell@benson.org", "2020-06-02", "http://www.good-lyons.com/", nil, "t"],
        ])
        #expect(try Self.query(url, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'customers'::regclass AND attnum > 0 ORDER BY attnum")
            .map { $0[0] ?? "" } == ["integer"] + Array(repeating: "text", count: 9) + ["date", "text", "jsonb", "text", "timestamp with time zone"])
        let sha = try Self.query(url, "SELECT sha256, size_bytes, rows_read, rows_loaded, rows_quarantined, rows_duplicates, status FROM sluice_files")
        #expect(sha.count == 1 && sha[0][1] == "17160" && Array(sha[0][2...]) == ["100", "100", "0", "0", "loaded"])
        #expect(sha[0][0] == Self.sha256(input.path))

        let again = try CLI.run(["run", "customers", "--source", input.path, "--db", url])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("skipped (already loaded)"), "\(again.stdout)")
        let forced = try CLI.run(["run", "customers", "--source", input.path, "--db", url, "--force"])
        #expect(forced.stdout.contains("0 inserted · 0 updated · 100 unchanged"), "\(forced.stdout)")

        let before = try Self.query(url, "SELECT customer_id, ingested_at FROM customers ORDER BY customer_id")
        var text = try String(contentsOf: input, encoding: .utf8)
        text = text.replacingOccurrences(of: "East Leonard,Chile", with: "West Leonard,Chile")
        try Data(text.utf8).write(to: input)
        let changed = try CLI.run(["run", "customers", "--source", input.path, "--db", url])
        #expect(changed.stdout.contains("0 inserted · 1 updated · 99 unchanged"), "\(changed.stdout)")
        let after = try Self.query(url, "SELECT customer_id, ingested_at FROM customers ORDER BY customer_id")
        let moved = zip(before, after).filter { $0.0[1] != $0.1[1] }.map { $0.1[0] ?? "" }
        #expect(moved == ["DD37Cf93aecA6Dc"])
        #expect(try Self.query(url, "SELECT city FROM customers WHERE customer_id = 'DD37Cf93aecA6Dc'") == [["West Leonard"]])
        #expect(try Self.query(url, "SELECT status FROM sluice_files ORDER BY started_at, run_id") == [["loaded"], ["skipped (already loaded)"], ["loaded"], ["loaded"]])
        let runs = try CLI.run(["runs", "--db", url])
        #expect(runs.stdout.contains("files:") && runs.stdout.contains("\(input.path)  skipped (already loaded)"), "\(runs.stdout)")
    }

    @Test("quarantine: every failed rule with its reason and the raw record; sluice_rejects too; attributes jsonb; a typo writes nothing")
    func quarantine() throws {
        let url = try TestCluster.newDatabase("customers")
        let directory = try TestSupport.temporaryDirectory()
        let input = directory.appendingPathComponent("partner.csv")
        try Data((Self.header.replacingOccurrences(of: "Website\n", with: "Website,Tier\n")
            + "1,A1,Ann,Lee,Z,C,K,0123,,bad,2021-02-30,http://x.com/,gold\n"
            + "2,A2,Bo,Lee,Z,C,K,1,,b@x.org,2021-02-03,ftp://x,\n"
            + "3,A3,Cy,Lee,Z,C,K,1,,c@x.org,2021-02-03,,silver\n").utf8).write(to: input)
        let run = try CLI.run(["run", "customers", input.path, "--db", url])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Self.query(url, "SELECT line, raw->>'Email', raw->>'Tier', failures, reasons FROM customers_quarantine ORDER BY line") == [
            ["2", "bad", "gold", #"[{"rule": "email", "reason": "'bad' is not a valid e-mail address"}, {"rule": "subscription_date", "reason": "'2021-02-30' is not a real date in the file's form YYYY-MM-DD"}]"#,
             "email: 'bad' is not a valid e-mail address; subscription_date: '2021-02-30' is not a real date in the file's form YYYY-MM-DD"],
            ["3", "b@x.org", nil, #"[{"rule": "website", "reason": "'ftp://x' is not an http(s) URL"}]"#, "website: 'ftp://x' is not an http(s) URL"],
        ])
        #expect(try Self.query(url, "SELECT line, kind FROM sluice_rejects ORDER BY line") == [["2", "quarantined"], ["3", "quarantined"]])
        #expect(try Self.query(url, "SELECT customer_id, attributes->>'tier' FROM customers") == [["A3", "silver"]])
        #expect(try Self.query(url, "SELECT rows_read, rows_loaded, rows_quarantined FROM sluice_files") == [["3", "1", "2"]])

        let typo = directory.appendingPathComponent("typo.csv")
        try Data(Self.header.replacingOccurrences(of: "First Name", with: "FIRSNAME").appending("9,A9,Ann,Lee,Z,C,K,1,2,a@x.org,2021-05-13,\n").utf8).write(to: typo)
        let failed = try CLI.run(["run", "customers", typo.path, "--db", url])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("closest: 'FIRSNAME' → first_name?"), "\(failed.stderr)")
        #expect(try Self.query(url, "SELECT count(*) FROM customers") == [["1"]])
        #expect(try Self.query(url, "SELECT status, error LIKE '%FIRSNAME%' FROM sluice_files WHERE file = $$\(typo.path)$$") == [["failed", "t"]])
    }

    @Test("a file with a typo in its header fails alone: the other file loads, both are audited in the run, the summary names it, exit 1")
    func badFileFailsAlone() throws {
        let url = try TestCluster.newDatabase("customers")
        let directory = try TestSupport.temporaryDirectory()
        let good = directory.appendingPathComponent("a-good.csv")
        let typo = directory.appendingPathComponent("b-typo.csv")
        try Data((Self.header + "1,A1,Ann,Lee,Z,C,K,1,2,a@x.org,2021-05-13,\n2,A2,Bo,Lee,Z,C,K,1,2,b@x.org,2021-05-14,\n").utf8).write(to: good)
        try Data((Self.header.replacingOccurrences(of: "First Name", with: "FIRSNAME") + "9,A9,Cy,Lee,Z,C,K,1,2,c@x.org,2021-05-13,\n").utf8).write(to: typo)
        let run = try CLI.run(["run", "customers", "--source", directory.path, "--db", url])
        #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stderr.contains("error: the header is missing column(s) first_name (closest: 'FIRSNAME' → first_name?); expected index, customer_id"),
                "\(run.stderr)")
        #expect(run.stdout.contains("\(good.path): 2 rows = 2 loaded + 0 quarantined + 0 duplicates, dates iso"), "\(run.stdout)")
        #expect(run.stdout.contains("\(typo.path): failed — the header is missing column(s) first_name (closest: 'FIRSNAME' → first_name?)"), "\(run.stdout)")
        #expect(run.stdout.contains("\"customers\" ← 2 rows: 2 inserted"), "\(run.stdout)")
        #expect(try Self.query(url, "SELECT customer_id, first_name FROM customers ORDER BY customer_id") == [["A1", "Ann"], ["A2", "Bo"]])
        let runs = try Self.query(url, "SELECT run_id, status, error LIKE '%FIRSNAME%' FROM sluice_runs")
        #expect(runs.count == 1 && runs[0][1] == "partial" && runs[0][2] == "t", "\(runs)")
        #expect(try Self.query(url, """
            SELECT file, run_id = $$\(runs.first?[0] ?? "")$$, status, rows_read, rows_loaded, error LIKE 'the header is missing column(s) first_name%'
            FROM sluice_files ORDER BY file
            """) == [[good.path, "t", "loaded", "2", "2", nil], [typo.path, "t", "failed", nil, nil, "t"]])

        // Every file fails: nothing is loaded, the run is failed, and the file is still audited in it.
        let fresh = try TestCluster.newDatabase("customers")
        let alone = try CLI.run(["run", "customers", typo.path, "--db", fresh])
        #expect(alone.status == 1 && alone.stderr.contains("closest: 'FIRSNAME' → first_name?"), "\(alone.stderr)")
        #expect(try Self.query(fresh, "SELECT to_regclass('customers') IS NULL") == [["t"]])
        #expect(try Self.query(fresh, "SELECT r.status, f.status FROM sluice_runs r JOIN sluice_files f USING (run_id)") == [["failed", "failed"]])
    }

    @Test("superseded duplicates: counted in their own file in sluice_files, listed in the summary and OUT/duplicates.csv, in the ledger")
    func duplicates() throws {
        let url = try TestCluster.newDatabase("customers")
        let directory = try TestSupport.temporaryDirectory()
        let out = directory.appendingPathComponent("out")
        let first = directory.appendingPathComponent("a.csv")
        let second = directory.appendingPathComponent("b.csv")
        try Data((Self.header + "1,A1,Ann,Lee,Z,Old,K,1,2,a@x.org,2021-05-13,\n2,A2,Bo,Lee,Z,C,K,1,2,b@x.org,2021-05-13,\n").utf8).write(to: first)
        try Data((Self.header + "3,A1,Ann,Lee,Z,New,K,1,2,a@x.org,2021-05-13,\n").utf8).write(to: second)
        let run = try CLI.run(["run", "customers", first.path, second.path, "--db", url, "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("rows      3 read · 2 passed · 0 rejected · 1 counted apart"), "\(run.stdout)")
        #expect(run.stdout.contains("1 superseded duplicate(s) (the last record of a customer_id wins); all in \(out.path)/duplicates.csv:\n"
            + "  output      A1  \(first.path):2  superseded by \(second.path):2"), "\(run.stdout)")
        #expect(try String(contentsOf: out.appendingPathComponent("duplicates.csv"), encoding: .utf8)
            == "customer_id,file,line,superseded_by_file,superseded_by_line\nA1,\(first.path),2,\(second.path),2\n")
        #expect(try Self.query(url, "SELECT file, rows_read, rows_loaded, rows_quarantined, rows_duplicates FROM sluice_files ORDER BY file")
            == [[first.path, "2", "1", "0", "1"], [second.path, "1", "1", "0", "0"]])
        #expect(try Self.query(url, "SELECT value FROM sluice_run_details WHERE name = 'duplicates'") == [["1"]])
        #expect(try Self.query(url, "SELECT customer_id, city FROM customers ORDER BY customer_id") == [["A1", "New"], ["A2", "C"]])
    }

    @Test("--date-format takes day-first or month-first only (it breaks ties between them)")
    func dateFormatOption() throws {
        let run = try CLI.run(["run", "customers", "x.csv", "--date-format", "iso"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--date-format 'iso' is not day-first or month-first (it decides only files whose dates read both ways)"), "\(run.stderr)")
    }

    static func sha256(_ path: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try? process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return String(output.prefix(64))
    }
}
