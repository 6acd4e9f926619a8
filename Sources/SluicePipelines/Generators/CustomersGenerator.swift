import SluiceCore
import SluiceEngine
import Foundation

/// Generates partner customer files in the sample's shape (`customers-100.csv`):
/// `Index,Customer Id,First Name,Last Name,Company,City,Country,Phone 1,Phone 2,Email,Subscription Date,Website`,
/// with 15-character mixed-case hex ids, companies like `Vega-Gentry` or quoted
/// `"Dominguez, Mcmillan and Donovan"`, the sample's phone shapes (`229.077.5154`,
/// `(496)978-3969x58947`, `001-808-617-6467x12895`, `+1-539-402-0259`), ISO dates in
/// 2020–2022 and `http(s)://www.….com/` sites — as CSV, a JSON array or NDJSON.
///
/// `mess` (0–3) adds, per 1,000 rows at level 1 (×3 at 2, ×10 at 3): 10 duplicates of an
/// earlier customer of the chunk with a changed city, 5 invalid e-mails, 5 impossible dates
/// (`2021-02-30`), 3 rows shifted by one field (CSV only), 10 phones with their leading
/// zeros stripped (as Excel does), and CRLF line endings on some lines (CSV).
///
/// Deterministic: chunk `i` of 65,536 rows comes from a generator seeded from (`seed`, `i`),
/// whatever the number of threads.
public struct CustomersGenerator: Sendable {
    /// The file formats written.
    public enum Format: String, Sendable, CaseIterable {
        case csv, json, ndjson
    }

    public var rows: Int
    public var seed: UInt64
    public var format: Format
    public var mess: Int

    public init(rows: Int, seed: UInt64 = 42, format: Format = .csv, mess: Int = 0) {
        self.rows = max(0, rows)
        self.seed = seed
        self.format = format
        self.mess = min(3, max(0, mess))
    }

    static let chunkRows = 65_536
    static let columns = ["Index", "Customer Id", "First Name", "Last Name", "Company", "City", "Country", "Phone 1", "Phone 2", "Email",
                          "Subscription Date", "Website"]
    static let firstNames = ["Sheryl", "Preston", "Roy", "Linda", "Joanna", "Aimee", "Darren", "Brett", "Sheryl", "Michelle", "Emily",
                             "Marco", "Zoe", "Ruben", "Kristin", "Grace", "Noah", "Erin", "Otto", "Ivy"]
    static let lastNames = ["Baxter", "Lozano", "Berry", "Olsen", "Bender", "Downs", "Peck", "Mullen", "Meyer", "Macdonald", "Vega",
                            "Gentry", "Murillo", "Perry", "Dominguez", "Mcmillan", "Donovan", "Rasmussen", "Hobbs", "Good"]
    static let cities = ["East Leonard", "East Jimmychester", "Isabelborough", "Bensonview", "West Priscilla", "Lake Andrew",
                         "Port Tina", "New Kevin", "North Lisa", "Jamesburgh"]
    static let countries = ["Chile", "Djibouti", "Antigua and Barbuda", "Dominican Republic", "Slovakia (Slovak Republic)", "Bosnia and Herzegovina",
                            "Sri Lanka", "Netherlands", "Papua New Guinea", "Belarus"]
    static let domains = ["smith.info", "colon.com", "hogan.com", "benson.org", "example.net", "mail.org"]
    /// Days from 2020-01-01 to 2022-12-31.
    static let firstDay: Int32 = DateEncoding.days(year: 2020, month: 1, day: 1) ?? 18_262
    static let dayCount: UInt64 = 1_096

    /// Writes the file to `destination` using up to `workers` threads.
    public func write(to destination: String, workers: Int) throws -> GeneratedSample {
        let generator = self
        let chunks = (rows + Self.chunkRows - 1) / Self.chunkRows
        let header: String
        switch format {
        case .csv: header = Self.columns.joined(separator: ",") + "\n"
        case .json: header = "["
        case .ndjson: header = ""
        }
        return try ChunkedText.file(at: destination, rows: rows, description: "customers as \(format.rawValue), mess level \(mess)") { write in
            try ChunkedText.write(header: header, chunks: chunks, workers: workers, make: { generator.chunk($0) }, write)
            if format == .json {
                var footer = Array("\n]\n".utf8)
                try write(&footer)
            }
        }
    }

    /// Per 1,000 rows: how often each kind of mess appears at this level.
    func rate(_ perThousand: UInt64) -> UInt64 { mess == 0 ? 0 : perThousand * [0, 1, 3, 10][mess] }

    /// A 15-character id of hex digits in mixed case, distinct per row number.
    func customerID(_ row: Int) -> String {
        var random = SplitMix64(seed: seed ^ 0x5EED_C057 ^ (UInt64(row) &* 0x9E37_79B9_7F4A_7C15))
        let digits = Array("0123456789abcdefABCDEF".utf8)
        // 7 digits from the row number (unique), 8 random ones.
        var bytes: [UInt8] = []
        var rest = UInt64(row)
        for _ in 0..<7 {
            let digit = Int(rest & 0xF)
            bytes.append(digit >= 10 && random.next() & 1 == 0 ? digits[digit + 6] : digits[digit])
            rest >>= 4
        }
        for _ in 0..<8 { bytes.append(digits[Int(random.next() % 22)]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    func phone(_ random: inout SplitMix64) -> String {
        func digits(_ count: Int) -> String { (0..<count).map { _ in String(random.next() % 10) }.joined() }
        let area = String(200 + random.next() % 800)
        switch random.next() % 6 {
        case 0: return "\(area).\(digits(3)).\(digits(4))"
        case 1: return "\(area)\(digits(3))\(digits(4))"
        case 2: return "+1-\(area)-\(digits(3))-\(digits(4))"
        case 3: return "(\(area))\(digits(3))-\(digits(4))x\(digits(1 + Int(random.next() % 5)))"
        case 4: return "001-\(area)-\(digits(3))-\(digits(4))x\(digits(3 + Int(random.next() % 3)))"
        default: return "\(area)-\(digits(3))-\(digits(4))x\(digits(3))"
        }
    }

    /// The fields of row `row`, before any mess.
    func fields(_ row: Int, _ random: inout SplitMix64) -> [String] {
        let first = Self.firstNames[Int(random.next() % UInt64(Self.firstNames.count))]
        let last = Self.lastNames[Int(random.next() % UInt64(Self.lastNames.count))]
        let other = Self.lastNames[Int(random.next() % UInt64(Self.lastNames.count))]
        let company: String
        switch random.next() % 4 {
        case 0: company = "\(last)-\(other)"
        case 1: company = "\(last) Group"
        case 2: company = "\(last), \(other) and \(Self.lastNames[Int(random.next() % UInt64(Self.lastNames.count))])"
        default: company = "\(last) LLC"
        }
        let day = Self.firstDay + Int32(random.next() % Self.dayCount)
        let civil = DateEncoding.civil(day)
        let date = "\(civil.year)-\(civil.month < 10 ? "0" : "")\(civil.month)-\(civil.day < 10 ? "0" : "")\(civil.day)"
        let email = "\(first.lowercased())\(last.lowercased())\(random.next() % 100)@\(Self.domains[Int(random.next() % UInt64(Self.domains.count))])"
        let site = "\(random.next() % 3 == 0 ? "https" : "http")://www.\(other.lowercased())-\(last.lowercased()).com/"
        return [String(row + 1), customerID(row), first, last, company, Self.cities[Int(random.next() % UInt64(Self.cities.count))],
                Self.countries[Int(random.next() % UInt64(Self.countries.count))], phone(&random), phone(&random), email, date, site]
    }

    /// The bytes of chunk `index`.
    func chunk(_ index: Int) -> [UInt8] {
        let start = index * Self.chunkRows
        let count = max(0, min(Self.chunkRows, rows - start))
        var random = SplitMix64(seed: seed ^ 0xC057_0DE5 ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
        var out: [UInt8] = []
        out.reserveCapacity(count * 190)
        for offset in 0..<count {
            let row = start + offset
            var values = fields(row, &random)
            let roll = random.next() % 1_000
            var shifted = false
            var crlf = false
            if offset > 10, roll < rate(10) {
                // An earlier customer again, with a changed city: the later record wins.
                let earlier = row - 1 - Int(random.next() % 10)
                values[1] = customerID(earlier)
                values[5] = Self.cities[Int(random.next() % UInt64(Self.cities.count))] + " Heights"
            } else if roll < rate(15) {
                values[9] = values[9].replacingOccurrences(of: "@", with: ".")
            } else if roll < rate(20) {
                values[10] = "\(2020 + Int(random.next() % 3))-02-30"
            } else if roll < rate(23), format == .csv {
                shifted = true
            } else if roll < rate(33) {
                values[7] = "0\(values[7])".drop { $0 == "0" }.description
            }
            if format == .csv, random.next() % 1_000 < rate(50) { crlf = true }
            switch format {
            case .csv:
                var line = values.map(Self.csvField)
                if shifted { line.insert("", at: 2) }
                out.append(contentsOf: line.joined(separator: ",").utf8)
                out.append(contentsOf: crlf ? [0x0D, 0x0A] : [0x0A])
            case .json, .ndjson:
                if format == .json { out.append(contentsOf: (row == 0 ? "\n" : ",\n").utf8) }
                let members = zip(Self.columns, values).map { "\(TextJSON.quoted($0)): \(TextJSON.quoted($1))" }
                out.append(contentsOf: ("{" + members.joined(separator: ", ") + "}").utf8)
                if format == .ndjson { out.append(0x0A) }
            }
        }
        return out
    }

    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
