import Foundation
import SluiceTestSupport
import Testing

@Suite("sluice run transactions with stray quotes (the binary)")
struct StrayQuoteCLITests {
    /// The seed file with a literal quote inside one product id and an opening quote that
    /// never closes on a line near the end: the two defects of issue 10, item 1.
    static func damagedSeed() throws -> URL {
        let seed = try String(contentsOfFile: TestSupport.seedFile("transaction.csv"), encoding: .utf8)
        var lines = seed.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[5_000] = lines[5_000].replacingOccurrences(of: "|FOOD", with: "|FO\"OD").replacingOccurrences(of: "|DETA", with: "|DE\"TA")
            .replacingOccurrences(of: "|SUPA", with: "|SU\"PA")
        var fields = lines[13_000].split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        fields[3] = "\"" + fields[3]
        lines[13_000] = fields.joined(separator: "|")
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("damaged.csv")
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return url
    }

    @Test("the result, the rejects and the exit code are the same for every split size and worker count")
    func sameEverywhere() throws {
        let input = try Self.damagedSeed()
        var results: [String] = []
        for arguments in [["--workers", "1"], ["--workers", "2", "--split-size", "64KB"], ["--workers", "4", "--split-size", "100KB"]] {
            let out = try TestSupport.temporaryDirectory()
            let output = try CLI.run(["run", "transactions", "--source", input.path, "--out", out.path, "--no-progress"] + arguments)
            #expect(output.status == 0, "\(arguments): \(output.stderr)")
            #expect(output.stdout.contains("13,355 read"), "\(output.stdout)")
            #expect(output.stdout.contains("1 rejected"), "\(output.stdout)")
            let rejects = try String(contentsOf: out.appendingPathComponent("rejects.csv"), encoding: .utf8)
            #expect(rejects.contains("unterminated_quote"))
            #expect(rejects.contains(",13001,"), "\(rejects)")
            results.append(try String(contentsOf: out.appendingPathComponent("customers.csv"), encoding: .utf8))
        }
        #expect(Set(results).count == 1)
    }

    @Test("--max-quoted-lines is bounded, and exit 2 names it")
    func optionBounds() throws {
        let output = try CLI.run(["run", "transactions", "--source", TestSupport.seedFile("transaction.csv"), "--max-quoted-lines", "0"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("--max-quoted-lines"))
    }
}
