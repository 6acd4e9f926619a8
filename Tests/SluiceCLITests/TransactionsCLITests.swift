import Foundation
import SluiceTestSupport
import Testing

@Suite("sluice run transactions (the binary)")
struct TransactionsCLITests {
    @Test("runs on the sample and writes customers.csv")
    func sample() throws {
        let directory = try TestSupport.temporaryDirectory()
        let output = try CLI.run(["run", "transactions", "--source", TestSupport.dataFile("transaction.csv"), "--out", directory.path, "--stats"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("13,355 read"))
        #expect(output.stdout.contains("885 customers"))
        #expect(output.stdout.contains("CSVScan"))
        let csv = try String(contentsOf: directory.appendingPathComponent("customers.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("customer_id,favourite_product,longest_streak\n"))
        #expect(csv.contains("\n0024003,SUPA101,3\n"))
    }

    /// Bad inputs: one clear first line on stderr, the documented exit code, no output file.
    @Test("bad inputs fail cleanly", arguments: [
        ("missing", Int32(2), "cannot open input file"),
        ("empty", Int32(1), "the file is empty"),
        ("columns", Int32(1), "missing column(s) custId"),
        ("binary", Int32(1), "looks binary"),
    ])
    func badInput(kind: String, status: Int32, message: String) throws {
        let directory = try TestSupport.temporaryDirectory()
        let input = directory.appendingPathComponent("input.csv")
        switch kind {
        case "empty": try Data().write(to: input)
        case "columns": try Data("id|customer|date|product|units\n1|2|2020-01-01|A|1\n".utf8).write(to: input)
        case "binary": try Data([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]).write(to: input)
        default: break
        }
        let out = directory.appendingPathComponent("out")
        let output = try CLI.run(["run", "transactions", "--source", input.path, "--out", out.path])
        #expect(output.status == status)
        let firstLine = output.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.hasPrefix("error: "))
        #expect(firstLine.contains(message), "\(output.stderr)")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
        #expect(leftovers.isEmpty, "left behind: \(leftovers)")
    }

    @Test("usage errors exit 2")
    func usage() throws {
        let output = try CLI.run(["run", "transactions"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("--source"))
        let bad = try CLI.run(["run", "transactions", "--source", "x.csv", "--memory", "lots"])
        #expect(bad.status == 2)
    }

    @Test("too many rejects fail the run with exit 1 and no output")
    func rejectLimit() throws {
        let directory = try TestSupport.temporaryDirectory()
        let input = directory.appendingPathComponent("input.csv")
        try Data("transactionId|custId|transactionDate|productSold|unitsSold\na|1|2020-01-01|A|x\nb|1|2020-01-01|A|y\nc|1|2020-01-01|A|3\n".utf8).write(to: input)
        let out = directory.appendingPathComponent("out")
        let output = try CLI.run(["run", "transactions", "--source", input.path, "--out", out.path, "--max-rejects", "1"])
        #expect(output.status == 1)
        #expect(output.stderr.contains("more than 1 rows rejected"))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("customers.csv").path))
        let ratio = try CLI.run(["run", "transactions", "--source", input.path, "--out", out.path, "--max-reject-ratio", "0.5"])
        #expect(ratio.status == 1)
        let allowed = try CLI.run(["run", "transactions", "--source", input.path, "--out", out.path])
        #expect(allowed.status == 0)
        #expect(allowed.stdout.contains("2 rejected"))
        let rejects = try String(contentsOf: out.appendingPathComponent("rejects.csv"), encoding: .utf8)
        #expect(rejects.contains("cast_failure"))
    }

    @Test("explain shows one shuffle between the two aggregations")
    func explain() throws {
        let output = try CLI.run(["explain", "transactions", "--workers", "2"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("1 shuffle(s)"))
        #expect(output.stdout.contains("shuffles by hash(custId)"))
        #expect(output.stdout.contains("HashAggregate(single) keys=[custId]"))
    }

    @Test("generate writes the requested rows deterministically")
    func generate() throws {
        let directory = try TestSupport.temporaryDirectory()
        let first = directory.appendingPathComponent("a.csv").path
        let second = directory.appendingPathComponent("b.csv").path
        #expect(try CLI.run(["generate", "transactions", "--rows", "5k", "--customers", "40", "--seed", "9", "--out", first]).status == 0)
        #expect(try CLI.run(["generate", "transactions", "--rows", "5k", "--customers", "40", "--seed", "9", "--out", second, "--workers", "1"]).status == 0)
        let a = try Data(contentsOf: URL(fileURLWithPath: first))
        #expect(a == (try Data(contentsOf: URL(fileURLWithPath: second))))
        #expect(String(decoding: a, as: UTF8.self).split(separator: "\n").count == 5_001)
    }
}

/// Issue 10 (items 2, 3, 9): nonsense options are one line and exit 2, before any work.
@Suite("options that cannot work are refused up front (the binary)")
struct OptionBoundsCLITests {
    @Test("split size, memory, workers and delimiter bounds", arguments: [
        (["--split-size", "1"], "--split-size"), (["--split-size", "0"], "--split-size"), (["--memory", "0"], "--memory"),
        (["--memory", "1"], "--memory"), (["--workers", "100000"], "--workers"), (["--delimiter", "x"], "--delimiter"),
        (["--table", "a.b.c"], "--table"),
    ])
    func bounds(arguments: [String], option: String) throws {
        let output = try CLI.run(["run", "transactions", "--source", TestSupport.seedFile("transaction.csv")] + arguments + ["--out", NSTemporaryDirectory()])
        #expect(output.status == 2, "\(output.stderr)")
        let lines = output.stderr.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.first?.contains(option) == true, "\(output.stderr)")
        #expect(!output.stderr.contains("CommandError"))
    }
}
