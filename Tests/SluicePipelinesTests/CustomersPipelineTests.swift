import Foundation
import SluiceCore
import SluiceEngine
import SluicePipelines
import SluiceTestSupport
import Testing

@Suite("customers pipeline")
struct CustomersPipelineTests {
    static func run(_ paths: [String], workers: Int = 2, memory: Int? = nil, splitBytes: Int? = nil, batchRows: Int = 65_536,
                    dateFormat: CustomerDateFormat? = nil) throws -> PipelineRun {
        let runtime = ExecutionRuntime(config: ExecutionConfig(workers: workers, memoryLimit: memory, batchRows: batchRows, splitBytes: splitBytes,
                                                               temporaryDirectory: NSTemporaryDirectory()))
        return try PipelineRun.run(CustomersPipeline.self, .init(sources: paths, dateFormat: dateFormat), runtime: runtime)
    }

    static func run(text: String, name: String = "customers.csv", dateFormat: CustomerDateFormat? = nil) throws -> PipelineRun {
        try run([TestSupport.writeTemporaryFile(text, name: name)], dateFormat: dateFormat)
    }

    /// `customers.csv` as dictionaries by column name, in output order.
    static func customers(_ run: PipelineRun) -> [[String: String]] {
        let lines = run.file("customers.csv").split(separator: "\n").map(String.init)
        guard let header = lines.first.map(CSVLine.fields) else { return [] }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, CSVLine.fields($0))) }
    }

    static let header = "Index,Customer Id,First Name,Last Name,Company,City,Country,Phone 1,Phone 2,Email,Subscription Date,Website\n"

    @Test("customers-100.csv: 100 rows with phones, dates and quoted companies exact")
    func sample() throws {
        let run = try Self.run([TestSupport.seedFile("customers-100.csv")])
        let rows = Self.customers(run)
        #expect(rows.count == 100)
        #expect(run.outcome.rowsRead == 100 && run.outcome.rowsRejected == 0)
        #expect(rows[0] == [
            "index": "1", "customer_id": "DD37Cf93aecA6Dc", "first_name": "Sheryl", "last_name": "Baxter", "company": "Rasmussen Group",
            "city": "East Leonard", "country": "Chile", "phone_1": "229.077.5154", "phone_2": "397.884.0519x718",
            "email": "zunigavanessa@smith.info", "subscription_date": "2020-08-24", "website": "http://www.stephenson.com/", "attributes": "",
            "source_file": TestSupport.seedFile("customers-100.csv"),
        ])
        #expect(rows[3]["company"] == "Dominguez, Mcmillan and Donovan" && rows[3]["phone_1"] == "001-808-617-6467x12895")
        #expect(rows[18]["phone_1"] == "001-151-330-3524x0469" && rows[18]["website"] == "https://mcconnell.com/")
        #expect(rows[99]["company"] == "Le, Nash and Cross" && rows[99]["phone_1"] == "(753)813-6941" && rows[99]["subscription_date"] == "2020-03-11")
        // Counted independently with Python's csv module: 22 leading zeros, 57 extensions, 34 quoted commas.
        #expect(rows.filter { $0["phone_1"]?.hasPrefix("0") == true }.count == 22)
        #expect(rows.filter { $0["phone_1"]?.contains("x") == true }.count == 57)
        #expect(rows.filter { $0["company"]?.contains(",") == true }.count == 34)
        #expect(Set(rows.compactMap { $0["customer_id"] }).count == 100)
    }

    @Test("each rule quarantines with every failed reason; raw record as JSON; blank lines counted apart; CRLF")
    func rules() throws {
        let text = Self.header.replacingOccurrences(of: "\n", with: "\r\n")
            + "1,A1,Ann,Lee,\"X, Y\",C,K,0123,456x7,bad-email,2021-02-30,ftp://x\r\n"
            + "\r\n"
            + "2,,Bob,Ray,Z,C,K,1,2,b@x.org,2021-05-13,http://x.com/\r\n"
            + "x3,A3,Cy,Ray,Z,C,K,1,2,c@x.org,2021-05-13,http://x.com/\r\n"
            + "4,A4,Di,Ray,Z,C,K,1,2,d@x,2021-05-13,https://x.com/a?b=1\r\n"
            + "5,A5,Ed,Ray,Z,C,K,1,2,e@x.org,2021-13-01,www.x.com\r\n"
            + "6,A6, Flo ,  ,Z,C,K, 007 ,,f@x.org,,\r\n"
        let run = try Self.run(text: text)
        let messages = try run.outcome.rejects.allRejects().map(\.message)
        #expect(messages == [
            "email: 'bad-email' is not a valid e-mail address; subscription_date: '2021-02-30' is not a real date in the file's form YYYY-MM-DD; website: 'ftp://x' is not an http(s) URL",
            "customer_id: missing",
            "index: 'x3' is not an integer",
            "email: 'd@x' is not a valid e-mail address",
            "subscription_date: '2021-13-01' is not a real date in the file's form YYYY-MM-DD; website: 'www.x.com' is not an http(s) URL",
        ])
        #expect(try run.outcome.rejects.allRejects().map(\.line) == [2, 4, 5, 6, 7])
        #expect(try run.outcome.rejects.allRejects()[0].raw.hasPrefix(#"{"Index":"1","Customer Id":"A1","First Name":"Ann","Last Name":"Lee","Company":"X, Y""#))
        let rows = Self.customers(run)
        #expect(rows.count == 1)
        #expect(rows[0]["first_name"] == "Flo" && rows[0]["last_name"] == "" && rows[0]["phone_1"] == "007" && rows[0]["subscription_date"] == "")
        let counts = try #require(run.outcome.sourceCounts.first)
        #expect(counts.read == 7 && counts.passed == 1 && counts.rejected == 5 && counts.blank == 1)
        #expect(run.outcome.rowsRead == run.outcome.rowsPassed + run.outcome.rowsRejected + run.outcome.rowsApart)
    }

    @Test("a row shifted by one field is quarantined with the field count; the rows around it load")
    func shiftedRow() throws {
        let run = try Self.run(text: Self.header
            + "1,A1,Ann,Lee,Z,C,K,1,2,a@x.org,2021-05-13,http://x.com/\n"
            + "2,A2,,Bob,Ray,Z,C,K,1,2,b@x.org,2021-05-13,http://x.com/\n"
            + "3,A3,Cy,Ray,Z,C,K,1,2,c@x.org,2021-05-13,http://x.com/\n")
        #expect(try run.outcome.rejects.allRejects().map(\.message) == ["expected 12 fields, found 13"])
        #expect(Self.customers(run).map { $0["customer_id"] ?? "" } == ["A1", "A3"])
    }

    @Test("day-first and month-first files are read by their own form; --date-format decides only an ambiguous file; a file mixing forms fails")
    func dateForms() throws {
        let dayFirst = try Self.run(text: Self.header + "1,A1,Ann,Lee,Z,C,K,1,2,a@x.org,13/05/2021,\n2,A2,Bo,Lee,Z,C,K,1,2,b@x.org,03/04/2021,\n")
        #expect(Self.customers(dayFirst).map { $0["subscription_date"] ?? "" } == ["2021-05-13", "2021-04-03"])
        let monthFirst = try Self.run(text: Self.header + "1,A1,Ann,Lee,Z,C,K,1,2,a@x.org,05/13/2021,\n2,A2,Bo,Lee,Z,C,K,1,2,b@x.org,03/04/2021,\n")
        #expect(Self.customers(monthFirst).map { $0["subscription_date"] ?? "" } == ["2021-05-13", "2021-03-04"])
        // One value per form: each reading fits one value, so the column is ambiguous too.
        let ambiguous = Self.header + "1,A1,Ann,Lee,Z,C,K,1,2,a@x.org,03/04/2021,\n2,A2,Bo,Lee,Z,C,K,1,2,b@x.org,05/06/2021,\n"
        let error = try Self.run(text: ambiguous).outcome.failure?.error
        #expect(error?.kind == .data && error?.message.contains("ambiguous") == true && error?.hint?.contains("--date-format") == true)
        let decided = try Self.run(text: ambiguous, dateFormat: .dayFirst)
        #expect(Self.customers(decided).map { $0["subscription_date"] ?? "" } == ["2021-04-03", "2021-06-05"])
        #expect(decided.outcome.failure == nil)
        // --date-format only breaks ties: a file whose values read one way only keeps its own form.
        let monthFirstAnyway = try Self.run(text: Self.header + "1,A1,Ann,Lee,Z,C,K,1,2,a@x.org,05/13/2021,\n2,A2,Bo,Lee,Z,C,K,1,2,b@x.org,03/04/2021,\n",
                                            dateFormat: .dayFirst)
        #expect(Self.customers(monthFirstAnyway).map { $0["subscription_date"] ?? "" } == ["2021-05-13", "2021-03-04"])
        #expect(monthFirstAnyway.job.report(monthFirstAnyway.outcome).lines.first?.hasSuffix(", dates month-first") == true)
        // Some values only day-first, others only month-first: the file fails, naming the first of each (even with --date-format).
        let mixedText = Self.header + "1,A1,Ann,Lee,Z,C,K,1,2,a@x.org,05/13/2021,\n2,A2,Bo,Lee,Z,C,K,1,2,b@x.org,12/31/2021,\n"
            + "3,A3,Cy,Lee,Z,C,K,1,2,c@x.org,31/12/2021,\n4,A4,Di,Lee,Z,C,K,1,2,d@x.org,30/11/2021,\n"
        for preferred in [nil, CustomerDateFormat.monthFirst] {
            let mixed = try Self.run(text: mixedText, dateFormat: preferred)
            #expect(mixed.outcome.failure?.error.message == "subscription_date mixes forms: '31/12/2021' reads only day-first and '05/13/2021' only month-first, "
                + "so the values that read both ways cannot be told")
            #expect(Self.customers(mixed).isEmpty && mixed.outcome.rowsRead == 0)
        }
        // A value that reads no way at all says nothing about the form: it is quarantined in the file's form.
        let impossible = try Self.run(text: Self.header + "1,A1,Ann,Lee,Z,C,K,1,2,a@x.org,13/05/2021,\n2,A2,Bo,Lee,Z,C,K,1,2,b@x.org,31/02/2021,\n")
        #expect(try impossible.outcome.rejects.allRejects().map(\.message) == ["subscription_date: '31/02/2021' is not a real date in the file's form DD/MM/YYYY"])
        #expect(Self.customers(impossible).map { $0["subscription_date"] ?? "" } == ["2021-05-13"])
    }

    @Test("an upper-case header and an extra column: names become snake_case, the extra is kept in attributes")
    func headers() throws {
        let run = try Self.run(text: "INDEX,CUSTOMER ID,FIRST NAME,LAST NAME,COMPANY,CITY,COUNTRY,PHONE 1,PHONE 2,EMAIL,SUBSCRIPTION DATE,WEBSITE,Loyalty Tier\n"
            + "1,A1,Ann,Lee,Z,C,K,1,2,a@x.org,2021-05-13,http://x.com/,gold \"plus\"\n2,A2,Bo,Lee,Z,C,K,1,2,b@x.org,2021-05-13,,\n")
        let rows = Self.customers(run)
        #expect(rows.map { $0["first_name"] ?? "" } == ["Ann", "Bo"])
        #expect(rows.map { $0["attributes"] ?? "" } == [#"{"loyalty_tier":"gold \"plus\""}"#, #"{"loyalty_tier":null}"#])
    }

    @Test("a header with a typo fails that file with the columns expected, found and the closest match; the other file loads")
    func typo() throws {
        let path = try TestSupport.writeTemporaryFile("Index,Customer Id,FIRSNAME,Last Name,Company,City,Country,Phone 1,Phone 2,Email,Subscription Date,Website\n1,A1,Ann,Lee,Z,C,K,1,2,a@x.org,2021-05-13,\n", name: "typo.csv")
        let directory = try TestSupport.temporaryDirectory()
        let runtime = TestSupport.runtime()
        let job = try CustomersPipeline.job(.init(sources: [path]), context: JobContext(runtime: runtime, database: nil))
        let outcome = try PipelineRunner.run(job, pipeline: "customers", settings: RunSettings(outputDirectory: directory.path, database: nil), runtime: runtime)
        let error = try #require(outcome.failure?.error)
        #expect(outcome.failure?.status == "failed")
        #expect(error.message.contains("missing column(s) first_name (closest: 'FIRSNAME' → first_name?)"), "\(error)")
        #expect(error.message.contains("expected index, customer_id, first_name") && error.message.contains("found Index, Customer Id, FIRSNAME"))
        #expect(error.location == path && error.kind == .data)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) == [])

        let good = try TestSupport.writeTemporaryFile(Self.header + "1,A1,Ann,Lee,Z,C,K,1,2,a@x.org,2021-05-13,\n", name: "good.csv")
        let both = try Self.run([path, good])
        #expect(both.outcome.failure?.status == "partial" && both.outcome.failure?.error.location == path)
        #expect(Self.customers(both).map { $0["customer_id"] ?? "" } == ["A1"])
        let lines = both.job.report(both.outcome).lines
        #expect(lines.first?.hasPrefix("\(path): failed — the header is missing column(s) first_name") == true, "\(lines)")
        #expect(lines.dropFirst().first == "\(good): 1 rows = 1 loaded + 0 quarantined + 0 duplicates, dates iso")
    }

    @Test("the last record of a customer in file order wins, across files too; the superseded ones are listed and counted apart in their own file")
    func lastWins() throws {
        let first = try TestSupport.writeTemporaryFile(Self.header + "1,A1,Ann,Lee,Z,Old,K,1,2,a@x.org,2021-05-13,\n2,A1,Ann,Lee,Z,Newer,K,1,2,a@x.org,2021-05-13,\n3,A2,Bo,Lee,Z,C,K,1,2,b@x.org,2021-05-13,\n", name: "a.csv")
        let second = try TestSupport.writeTemporaryFile(Self.header + "9,A1,Ann,Lee,Z,Newest,K,1,2,a@x.org,2021-05-13,\n", name: "b.csv")
        let run = try Self.run([first, second])
        let rows = Self.customers(run)
        #expect(rows.map { "\($0["customer_id"] ?? ""):\($0["city"] ?? "")" } == ["A2:C", "A1:Newest"])
        #expect(run.outcome.observed("duplicates") == 2)
        let counts = [first, second].map { path in run.outcome.sourceCounts.first { $0.source == path }.map { [$0.read, $0.passed, $0.rejected, $0.apart] } }
        #expect(counts == [[3, 1, 0, 2], [1, 1, 0, 0]])
        #expect(run.outcome.rowsRead == 4 && run.outcome.rowsPassed == 2 && run.outcome.rowsApart == 2)
        #expect(run.file("duplicates.csv") == "customer_id,file,line,superseded_by_file,superseded_by_line\n"
            + "A1,\(first),2,\(second),2\nA1,\(first),3,\(second),2\n")
        let report = run.job.report(run.outcome)
        #expect(report.lines == [
            "\(first): 3 rows = 1 loaded + 0 quarantined + 2 duplicates, dates iso",
            "\(second): 1 rows = 1 loaded + 0 quarantined + 0 duplicates, dates iso",
            "2 superseded duplicate(s) (the last record of a customer_id wins); all in \(run.directory.appendingPathComponent("duplicates.csv").path):",
            "  A1  \(first):2  superseded by \(second):2",
            "  A1  \(first):3  superseded by \(second):2",
        ])
        #expect(report.details.first { $0.0 == "duplicates" }?.1 == "2")
    }

    @Test("a JSON file's duplicates are counted apart in that file and listed by their lines")
    func jsonDuplicates() throws {
        let record = { (city: String) in
            #"{"Customer Id": "A1", "First Name": "Ann", "Last Name": "Lee", "City": "\#(city)", "Email": "a@x.org", "Subscription Date": "2021-05-13"}"#
        }
        let path = try TestSupport.writeTemporaryFile([record("Old"), record("New")].joined(separator: "\n") + "\n", name: "dups.ndjson")
        let run = try Self.run([path])
        #expect(Self.customers(run).map { $0["city"] ?? "" } == ["New"])
        let counts = try #require(run.outcome.sourceCounts.first)
        #expect(counts.source == path && counts.read == 2 && counts.passed == 1 && counts.rejected == 0 && counts.apart == 1)
        #expect(run.rows("duplicates.csv") == "A1,\(path),1,\(path),2\n")
    }

    @Test("the summary lists the first 20 superseded records; duplicates.csv has all of them")
    func manyDuplicates() throws {
        let text = Self.header + (1...26).map { "\($0),B1,Ann,Lee,Z,City \($0),K,1,2,a@x.org,2021-05-13,\n" }.joined()
        let path = try TestSupport.writeTemporaryFile(text, name: "many.csv")
        let run = try Self.run([path])
        #expect(Self.customers(run).map { $0["city"] ?? "" } == ["City 26"])
        let lines = run.job.report(run.outcome).lines
        #expect(lines.count == 1 + 1 + 20)
        #expect(lines[1].hasPrefix("25 superseded duplicate(s) (the last record of a customer_id wins), the first 20; all in "))
        #expect(lines[2] == "  B1  \(path):2  superseded by \(path):27" && lines[21] == "  B1  \(path):21  superseded by \(path):27")
        #expect(run.rows("duplicates.csv").split(separator: "\n").map { $0.split(separator: ",")[2] } == (2...26).map { Substring("\($0)") })
        let counts = try #require(run.outcome.sourceCounts.first)
        #expect(counts.read == 26 && counts.passed == 1 && counts.rejected == 0 && counts.apart == 25)
    }

    @Test("JSON with nested objects and NDJSON give the same table as the CSV")
    func json() throws {
        let csv = try Self.run(text: Self.header + "1,A1,Ann,Lee,\"X, Y\",C,K,0123,456x7,a@x.org,2021-05-13,http://x.com/\n2,A2,Bo,Ray,Z,C,K,1,,b@x.org,2022-01-02,\n")
        let objects = [
            #"{"Index": 1, "Customer Id": "A1", "First Name": "Ann", "Last Name": "Lee", "Company": "X, Y", "City": "C", "Country": "K", "phone": {"1": "0123", "2": "456x7"}, "Email": "a@x.org", "subscription": {"date": "2021-05-13"}, "Website": "http://x.com/"}"#,
            #"{"Index": 2, "Customer Id": "A2", "First Name": "Bo", "Last Name": "Ray", "Company": "Z", "City": "C", "Country": "K", "phone": {"1": "1", "2": null}, "Email": "b@x.org", "subscription": {"date": "2022-01-02"}, "Website": ""}"#,
        ]
        let array = try Self.run(text: "[\n  " + objects.joined(separator: ",\n  ") + "\n]\n", name: "customers.json")
        let ndjson = try Self.run(text: objects.joined(separator: "\n") + "\n", name: "customers.ndjson")
        let strip = { (rows: [[String: String]]) in rows.map { $0.filter { $0.key != "source_file" } } }
        #expect(strip(Self.customers(array)) == strip(Self.customers(csv)))
        #expect(strip(Self.customers(ndjson)) == strip(Self.customers(csv)))
        #expect(Self.customers(csv).count == 2)
        #expect(ndjson.outcome.rowsRead == 2)
    }

    @Test("workers 1, 2 and 4, tiny splits and batches, and a small budget give the same table")
    func settings() throws {
        let path = try TestSupport.temporaryDirectory().appendingPathComponent("many.csv").path
        _ = try CustomersGenerator(rows: 20_000, seed: 7, format: .csv, mess: 2).write(to: path, workers: 2)
        let reference = try Self.run([path], workers: 1)
        #expect(reference.outcome.rowsRejected > 0 && reference.outcome.observed("duplicates") > 0)
        for (workers, memory, split, batch) in [(2, Optional<Int>.none, Optional(65_536), 100), (4, Optional(16 << 20), Optional(65_536), 1_000)] {
            let other = try Self.run([path], workers: workers, memory: memory, splitBytes: split, batchRows: batch)
            #expect(other.file("customers.csv") == reference.file("customers.csv"), "workers \(workers)")
            #expect(other.file("rejects.csv") == reference.file("rejects.csv"))
            #expect(other.file("duplicates.csv") == reference.file("duplicates.csv") && !reference.rows("duplicates.csv").isEmpty)
            #expect(other.outcome.observed("duplicates") == reference.outcome.observed("duplicates"))
        }
    }
}
