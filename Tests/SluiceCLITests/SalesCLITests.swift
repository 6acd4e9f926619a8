import Foundation
import SluiceTestSupport
import Testing

@Suite("sluice generate sales (the binary)")
struct SalesCLITests {
    @Test("writes the header and the rows asked for, the same bytes for any --workers; a second file continues the ids")
    func generate() throws {
        let directory = try TestSupport.temporaryDirectory()
        let first = directory.appendingPathComponent("a.csv").path, again = directory.appendingPathComponent("b.csv").path
        let output = try CLI.run(["generate", "sales", "--rows", "5000", "--mess", "1", "--total-amount", "--out", first, "--workers", "1"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("wrote 5,000 rows"), "\(output.stdout)")
        #expect(try CLI.run(["generate", "sales", "--rows", "5000", "--mess", "1", "--total-amount", "--out", again, "--workers", "3"]).status == 0)
        let text = try String(contentsOfFile: first, encoding: .utf8)
        #expect(try String(contentsOfFile: again, encoding: .utf8) == text)
        let lines = text.split(separator: "\n")
        #expect(lines.first == "sale_id,sale_ts,store_id,product_id,quantity,unit_price,currency,total_amount")
        #expect(lines.count == 5_001)

        let second = directory.appendingPathComponent("c.csv").path
        #expect(try CLI.run(["generate", "sales", "--rows", "10", "--start", "2026-11-20", "--first-id", "5001", "--out", second]).status == 0)
        let rows = try String(contentsOfFile: second, encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(rows.first?.hasPrefix("5001,2026-1") == true)
        #expect(rows.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 7 })
    }

    @Test("a bad option is a usage error (exit 2) that names it, and writes nothing")
    func badOptions() throws {
        let directory = try TestSupport.temporaryDirectory()
        let path = directory.appendingPathComponent("x.csv").path
        for (flag, value, message) in [("--start", "2026-13-01", "is not a date"), ("--mess", "3", "--mess must be 0, 1 or 2"), ("--days", "0", "--days must be")] {
            let output = try CLI.run(["generate", "sales", "--rows", "10", flag, value, "--out", path])
            #expect(output.status == 2)
            #expect(output.stderr.contains(message), "\(output.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
