import Foundation
import SluiceCore
import SluiceEngine
import SluicePipelines
import SluiceTestSupport
import Testing

@Suite("credits pipeline")
struct CreditsPipelineTests {
    static func run(_ path: String, workers: Int = 2, memory: Int? = nil, splitBytes: Int? = nil, batchRows: Int = 65_536,
                    temporaryDirectory: String = NSTemporaryDirectory()) throws -> PipelineRun {
        let runtime = ExecutionRuntime(config: ExecutionConfig(workers: workers, memoryLimit: memory, batchRows: batchRows, splitBytes: splitBytes,
                                                               temporaryDirectory: temporaryDirectory))
        return try PipelineRun.run(CreditsPipeline.self, .init(source: path), runtime: runtime)
    }

    static func run(text: String, workers: Int = 2) throws -> PipelineRun {
        try run(TestSupport.writeTemporaryFile(text, name: "credits.csv"), workers: workers)
    }

    /// `events.csv` as dictionaries by column name, in file order.
    static func events(_ run: PipelineRun) -> [[String: String]] {
        let lines = run.file("events.csv").split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else { return [] }
        return lines.dropFirst().map { line in
            Dictionary(uniqueKeysWithValues: zip(header, CSVLine.fields(line)))
        }
    }

    /// `finance_org_balance.csv` as org → balance.
    static func balances(_ run: PipelineRun) -> [String: String] {
        var found: [String: String] = [:]
        for line in run.rows("finance_org_balance.csv").split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            found[String(fields[0])] = String(fields[3])
        }
        return found
    }

    @Test("known answers on the seed file: 957 events, 41 rejects, 2 duplicates, and the balances")
    func seed() throws {
        let run = try Self.run(TestSupport.seedFile("credits_test_data.csv"))
        #expect(run.outcome.rowsRead == 1_000)
        #expect(run.outcome.observed("events") == 957)
        #expect(run.outcome.observed("duplicates") == 2)
        #expect(run.outcome.rowsRejected == 41)
        #expect(run.outcome.rowsApart == 2)
        #expect(Self.events(run).count == 957)
        let balances = Self.balances(run)
        #expect(balances.count == 10)
        #expect(balances["org_000"] == "-171.00")
        #expect(balances["org_001"] == "-1739.00")
        #expect(balances["org_003"] == "570.00")
        #expect(balances["org_005"] == "514.00")
        #expect(balances["org_009"] == "-1102.00")
        let kinds = run.outcome.rejects.totalsByKind
        #expect(kinds["missing_org_id"] == 1 && kinds["unknown_action"] == 15 && kinds["invalid_credits"] == 25)
        let rejects = run.file("rejects.csv")
        #expect(rejects.split(separator: "\n").count == 42)
        #expect(rejects.contains("missing org_id") && rejects.contains("missing action") && rejects.contains("missing credits"))
    }

    @Test("the same events, balances and counts with 1, 2 and 4 workers, tiny splits and batches, and a budget that spills")
    func settings() throws {
        let seed = TestSupport.seedFile("credits_test_data.csv")
        let reference = try Self.run(seed, workers: 1)
        for (workers, memory, split, batch) in [(2, Optional<Int>.none, Optional(4_096), 64), (4, Optional(16 << 20), Optional(8_192), 100)] {
            let other = try Self.run(seed, workers: workers, memory: memory, splitBytes: split, batchRows: batch)
            #expect(other.file("events.csv") == reference.file("events.csv"), "workers \(workers)")
            #expect(other.file("finance_org_balance.csv") == reference.file("finance_org_balance.csv"))
            #expect(other.outcome.observed("duplicates") == 2 && other.outcome.rowsRejected == 41)
        }
    }

    @Test("a budget so small that the events kept for the balances spill gives the unbounded answer, and leaves no spill files")
    func stepResultSpills() throws {
        let directory = try TestSupport.temporaryDirectory()
        let path = directory.appendingPathComponent("credits.csv").path
        _ = try CreditsPipeline.generate(CreditsGenerator(rows: 60_000, orgs: 50, users: 400, seed: 11), to: path, workers: 2)
        let reference = try Self.run(path, workers: 2)
        let spillPlace = directory.appendingPathComponent("tmp").path
        try FileManager.default.createDirectory(atPath: spillPlace, withIntermediateDirectories: true)
        let bounded = try Self.run(path, workers: 2, memory: 3 << 20, batchRows: 2_048, temporaryDirectory: spillPlace)
        #expect(bounded.file("finance_org_balance.csv") == reference.file("finance_org_balance.csv"))
        #expect(bounded.file("events.csv") == reference.file("events.csv"))
        #expect(reference.file("finance_org_balance.csv").split(separator: "\n").count == 51)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spillPlace) == [])
    }

    @Test("the four timestamp forms parse (12:00 AM is midnight, 12:00 PM noon, day first, epoch UTC); others keep a status")
    func timestamps() throws {
        let text = """
            org_id,user_id,credit_type,action,credits,timestamp
            org_1,u1,api_call,add,1.0,2024-11-24 00:00:00
            org_1,u1,api_call,add,2.0,10/29/2024 12:00 AM
            org_1,u1,api_call,add,3.0,10/29/2024 12:00 PM
            org_1,u1,api_call,add,4.0,10/29/2024 01:30 PM
            org_1,u1,api_call,add,5.0,19-12-2024
            org_1,u1,api_call,add,6.0,1734912000
            org_1,u1,api_call,add,7.0,
            org_1,u1,api_call,add,8.0,not-a-date
            org_1,u1,api_call,add,9.0,32/13/2024
            org_1,u1,api_call,add,10.0,31-02-2024

            """
        let events = Self.events(try Self.run(text: text))
        #expect(events.map { $0["occurred_at"] ?? "?" } == [
            "2024-11-24 00:00:00", "2024-10-29 00:00:00", "2024-10-29 12:00:00", "2024-10-29 13:30:00", "2024-12-19 00:00:00",
            "2024-12-23 00:00:00", "", "", "", "",
        ])
        #expect(events.map { $0["timestamp_status"] ?? "?" } == Array(repeating: "parsed", count: 6) + ["missing"] + Array(repeating: "unparseable", count: 3))
        #expect(events[1]["timestamp_format"] == "%m/%d/%Y %I:%M %p")
        #expect(events[4]["timestamp_format"] == "%d-%m-%Y")
        #expect(events[5]["timestamp_format"] == "epoch")
        #expect(events[7]["timestamp_raw"] == "not-a-date")
    }

    @Test("each reject reason, padding and case variants, a quoted comma, CRLF and blank lines")
    func rules() throws {
        let text = "org_id,user_id,credit_type,action,credits,timestamp\r\n"
            + ",u1,api_call,add,1.0,2024-11-24 00:00:00\r\n"
            + "org_1,u1,api_call,refund,1.0,2024-11-24 00:00:00\r\n"
            + "org_1,u1,api_call,,1.0,2024-11-24 00:00:00\r\n"
            + "org_1,u1,api_call,add,abc,2024-11-24 00:00:00\r\n"
            + "org_1,u1,api_call,add,,2024-11-24 00:00:00\r\n"
            + "org_1,u1,api_call,deduct,-5.0,2024-11-24 00:00:00\r\n"
            + "org_1,u1,api_call,add,1.005,2024-11-24 00:00:00\r\n"
            + "org_1,u1,api_call,add,12345678901,2024-11-24 00:00:00\r\n"
            + "org_1,u1,api_call,add,1.0\r\n"
            + "\r\n"
            + "  org_1 , u1 , API_Call , ADD , 2.50 ,2024-11-24 00:00:00\r\n"
            + "org_1,u1,api_call,add,2.50,2024-11-24 00:00:00\r\n"
            + "org_1,,\"report, download\",Deduct,1.25,\r\n"
            + "org_1,u1,,deduct,0,1734912000\n"
        let run = try Self.run(text: text)
        let rejects = try run.outcome.rejects.allRejects()
        #expect(rejects.map(\.message) == [
            "missing org_id", "unknown action 'refund'", "missing action", "credits 'abc' is not a number", "missing credits",
            "negative credits '-5.0'", "credits '1.005' has more than 2 decimal places", "credits '12345678901' is too large for numeric(12,2)",
            "expected 6 fields, found 5",
        ])
        #expect(rejects.map(\.line) == Array(2...10))
        // The padded, upper-case row and its clean copy are one event: the second is a duplicate.
        #expect(run.outcome.observed("duplicates") == 1)
        let events = Self.events(run)
        #expect(events.count == 3)
        #expect(events[0]["credit_type"] == "api_call" && events[0]["action"] == "add" && events[0]["credits"] == "2.50")
        #expect(events[0]["source_line"] == "12")
        #expect(events[1]["credit_type"] == "report, download" && events[1]["user_id"] == "" && events[1]["signed_credits"] == "-1.25")
        #expect(events[2]["credit_type"] == "" && events[2]["credits"] == "0.00")
        #expect(run.outcome.rowsRead == 9 + 4)
        #expect(Self.balances(run)["org_1"] == "1.25")
    }
}

/// Splits one CSV line written by Sluice (RFC 4180 quoting) into its fields.
enum CSVLine {
    static func fields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var chars = Array(line)[...]
        while let char = chars.popFirst() {
            if quoted {
                if char == "\"" {
                    if chars.first == "\"" { current.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    current.append(char)
                }
            } else if char == "\"" {
                quoted = true
            } else if char == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(char)
            }
        }
        fields.append(current)
        return fields
    }
}
