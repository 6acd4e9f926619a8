import Foundation
import SluiceTestSupport
import Testing

@Suite("sluice scan (the binary)")
struct ScanCLITests {
    @Test("every column is parsed and typed: values that do not parse are rejects, empty ones are counted as nulls")
    func parsesEveryColumn() throws {
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("scan.csv")
        try Data("""
            transactionId|custId|transactionDate|productSold|unitsSold
            1|0001|2020-01-01|A|3
            2|0002|2020-13-45|B|4
            3|0003|2020-01-02|C|x
            4||2020-01-03|D|5
            5|0005|2020-01-04||6

            """.utf8).write(to: url)
        let output = try CLI.run(["scan", url.path, "--type", "transactionDate=date", "--type", "unitsSold=int64", "--no-progress"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("rows      3 passed · 2 rejected"), "\(output.stdout)")
        #expect(output.stdout.contains("nulls     custId 1, productSold 1"), "\(output.stdout)")
        #expect(output.stdout.contains("line 3 cast_failure"), "\(output.stdout)")
        #expect(output.stdout.contains("line 4 cast_failure"), "\(output.stdout)")
    }

    @Test("the seed file reads whole, with no nulls")
    func seed() throws {
        let output = try CLI.run(["scan", try TestSupport.seedFile("transaction.csv"), "--no-progress"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("rows      13355 passed · 0 rejected"), "\(output.stdout)")
        #expect(output.stdout.contains("nulls     none"), "\(output.stdout)")
    }
    @Test("a list type for a CSV column is refused, naming the column")
    func listTypeRefused() throws {
        let output = try CLI.run(["scan", try TestSupport.seedFile("transaction.csv"), "--type", "custId=list<string>", "--no-progress"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("column custId is given the type list<string>, but a CSV field is one value"), "\(output.stderr)")
    }
}
