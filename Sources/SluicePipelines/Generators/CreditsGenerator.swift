import SluiceCore
import SluiceEngine

/// Generates usage-credits logs in the seed's shape (`credits_test_data.csv`):
/// `org_id,user_id,credit_type,action,credits,timestamp` with ids `org_000`… and `user_000`…
/// (each user belongs to one organisation), credit types `api_call`, `report_download` and
/// `data_export`, actions `add` / `deduct` and credits like `32.0`, and the seed's mess at
/// about its rates: blanks in every column, timestamps in four forms (`2024-11-24 00:00:00`,
/// `10/29/2024 12:00 AM`, `19-12-2024`, `1734912000`) and garbage ones (`not-a-date`,
/// `abc123`, `32/13/2024`, `31-02-2024`, empty). On top of the seed's mess: exact copies of
/// earlier rows, padded and upper-case values (` ADD `, `Deduct`, ` org_001`), quoted fields
/// (some holding a comma, `"report, download"`), negative, non-numeric and three-decimal
/// credits, `refund` actions and CRLF line endings on some lines. `Rate` says how often.
///
/// Deterministic: rows are made in chunks of 65,536, chunk `i` from its own generator
/// seeded from (`seed`, `i`), so the file depends only on the settings, never on the number of
/// threads, and a file of fewer rows is the start of one of more rows made with the same
/// settings. Chunks are made in parallel and written in order. A copied row repeats one of the
/// last few rows of its own chunk.
public struct CreditsGenerator: Sendable {
    /// Data rows written after the header.
    public var rows: Int
    /// Organisations `org_000`…; the first `orgs` users belong one each to them, the others
    /// to the first half of them in turn (the seed's 20 users in 10 organisations).
    public var orgs: Int
    /// Users `user_000`…, each in one organisation. Rows of few users are often equal by
    /// chance (with the seed's 20, a sixth of 200,000 rows); one user per 50 rows keeps those
    /// about as rare as the copies (0.2 %).
    public var users: Int
    /// The seed every chunk's generator derives from.
    public var seed: UInt64

    /// A generator of `rows` rows for `orgs` organisations and `users` users.
    public init(rows: Int, orgs: Int = 10, users: Int = 20, seed: UInt64 = 42) {
        self.rows = max(0, rows)
        self.orgs = max(1, orgs)
        self.users = max(1, users)
        self.seed = seed
    }

    /// The header line of every file.
    static let header = "org_id,user_id,credit_type,action,credits,timestamp\n"

    static let chunkRows = 65_536

    /// How many rows in 10,000 carry each kind of mess. Blanks follow the seed (1,000 rows:
    /// 1 empty org_id, 1 empty user_id, 20 empty credit_type, 15 empty action, 25 empty
    /// credits); the seed has none of the padding, case, quoting, bad credits, refunds,
    /// copies or CRLF lines.
    enum Rate {
        static let copy: UInt64 = 20
        static let emptyOrg: UInt64 = 10
        static let emptyUser: UInt64 = 10
        static let emptyType: UInt64 = 200
        static let emptyAction: UInt64 = 150
        static let emptyCredits: UInt64 = 250
        static let padded: UInt64 = 80
        static let upperCase: UInt64 = 150
        static let quoted: UInt64 = 15
        static let quotedComma: UInt64 = 10
        static let refund: UInt64 = 25
        static let negativeCredits: UInt64 = 25
        static let textCredits: UInt64 = 20
        static let threeDecimals: UInt64 = 5
        static let fractionalCredits: UInt64 = 100
        static let midnight: UInt64 = 6_000
        static let crlf: UInt64 = 300
    }

    /// Timestamp forms and their weights per 1,000 rows (the seed: 186 empty, 167 day-first,
    /// 166 ISO, 158 epoch, 154 12-hour, 61 `not-a-date`, 59 `abc123`, 49 `32/13/2024`).
    enum TimestampForm: CaseIterable {
        case empty, dayFirst, iso, epoch, twelveHour, notADate, abc123, month13, february31

        var weight: UInt64 {
            switch self {
            case .empty: 185
            case .dayFirst: 160
            case .iso: 165
            case .epoch: 160
            case .twelveHour: 155
            case .notADate: 60
            case .abc123: 60
            case .month13: 45
            case .february31: 10
            }
        }

        /// The text of a form that is not a time.
        var garbage: StaticString? {
            switch self {
            case .notADate: "not-a-date"
            case .abc123: "abc123"
            case .month13: "32/13/2024"
            case .february31: "31-02-2024"
            default: nil
            }
        }
    }

    /// Timestamps fall on the 92 days from 2024-10-01, as in the seed.
    static let firstDay: Int32 = DateEncoding.days(year: 2024, month: 10, day: 1) ?? 19_997
    static let days = 92

    static let creditTypes = ["api_call", "report_download", "data_export"]

    /// Produces the header then the rows, a chunk at a time in file order, using up to
    /// `workers` threads.
    public func write(workers: Int, _ write: (inout [UInt8]) throws -> Void) throws {
        let generator = self
        try ChunkedText.write(header: Self.header, chunks: (rows + Self.chunkRows - 1) / Self.chunkRows, workers: workers,
                              make: { generator.chunk($0) }, write)
    }

    /// The organisation user `user` belongs to.
    func org(ofUser user: Int) -> Int {
        user < orgs ? user : (user - orgs) % max(1, (orgs + 1) / 2)
    }

    /// The bytes of chunk `index` (rows `index * chunkRows` onward).
    func chunk(_ index: Int) -> [UInt8] {
        let count = max(0, min(Self.chunkRows, rows - index * Self.chunkRows))
        var writer = ChunkWriter(generator: self, seed: seed ^ 0xC4ED_175 ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15), rows: count)
        for _ in 0..<count { writer.row() }
        return writer.out
    }
}

/// Writes one chunk's rows.
private struct ChunkWriter {
    typealias Rate = CreditsGenerator.Rate

    let generator: CreditsGenerator
    var random: SplitMix64
    var out: [UInt8] = []
    /// Where the last few rows start and end (without their line ending), for copies.
    var recent: [Range<Int>] = []
    var recentNext = 0
    let orgDigits: Int
    let userDigits: Int
    let types: [[UInt8]]
    let commaTypes: [[UInt8]]
    let forms: [(form: CreditsGenerator.TimestampForm, upTo: UInt64)]

    static let recentRows = 16

    init(generator: CreditsGenerator, seed: UInt64, rows: Int) {
        self.generator = generator
        random = SplitMix64(seed: seed)
        out.reserveCapacity(rows * 56)
        orgDigits = max(3, String(generator.orgs - 1).count)
        userDigits = max(3, String(generator.users - 1).count)
        types = CreditsGenerator.creditTypes.map { Array($0.utf8) }
        commaTypes = types.map { type in type.flatMap { $0 == UInt8(ascii: "_") ? Array(", ".utf8) : [$0] } }
        var total: UInt64 = 0
        forms = CreditsGenerator.TimestampForm.allCases.map { form in
            total += form.weight
            return (form, total)
        }
    }

    /// A chance of `rate` in 10,000.
    mutating func chance(_ rate: UInt64) -> Bool {
        random.next() % 10_000 < rate
    }

    mutating func pick(_ count: Int) -> Int {
        Int(random.next() % UInt64(count))
    }

    mutating func row() {
        let start = out.count
        if !recent.isEmpty, chance(Rate.copy) {
            // A copy of the row first: appending a slice of `out` to `out` would copy the whole chunk.
            let copy = Array(out[recent[pick(recent.count)]])
            out.append(contentsOf: copy)
        } else {
            fields()
        }
        if recent.count < Self.recentRows {
            recent.append(start..<out.count)
        } else {
            recent[recentNext] = start..<out.count
            recentNext = (recentNext + 1) % Self.recentRows
        }
        if chance(Rate.crlf) { out.append(UInt8(ascii: "\r")) }
        out.append(UInt8(ascii: "\n"))
    }

    mutating func fields() {
        let user = pick(generator.users)
        var wrap = begin()
        if !chance(Rate.emptyOrg) { id("org_", generator.org(ofUser: user), digits: orgDigits) }
        end(wrap, then: ",")

        wrap = begin()
        if !chance(Rate.emptyUser) { id("user_", user, digits: userDigits) }
        end(wrap, then: ",")

        let type = pick(types.count)
        let upperType = chance(Rate.upperCase)
        if chance(Rate.quotedComma) {
            out.append(UInt8(ascii: "\""))
            text(commaTypes[type], upper: upperType)
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ","))
        } else {
            wrap = begin()
            if !chance(Rate.emptyType) { text(types[type], upper: upperType) }
            end(wrap, then: ",")
        }

        let action = random.next() % 10_000
        let upperAction = chance(Rate.upperCase)
        wrap = begin()
        if action >= Rate.emptyAction {
            let name: StaticString = action < Rate.emptyAction + Rate.refund ? "refund" : action < 4_800 ? "add" : "deduct"
            name.withUTF8Buffer { text($0, upper: upperAction) }
        }
        end(wrap, then: ",")

        credits()
        timestamp()
    }

    /// How a field is wrapped: in quotes or not, and its padding.
    struct Wrap {
        var quoted: Bool
        var padding: Int
    }

    /// Opens a field: sometimes a quote, sometimes leading spaces (inside the quotes).
    mutating func begin() -> Wrap {
        let wrap = Wrap(quoted: chance(Rate.quoted), padding: chance(Rate.padded) ? 1 + pick(4) : 0)
        if wrap.quoted { out.append(UInt8(ascii: "\"")) }
        if wrap.padding & 1 != 0 { out.append(UInt8(ascii: " ")) }
        if wrap.padding == 4 { out.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: " ")]) }
        return wrap
    }

    /// Closes a field opened by `begin` (a padded empty field is all spaces), then writes
    /// the separator, if any.
    mutating func end(_ wrap: Wrap, then separator: Unicode.Scalar?) {
        if wrap.padding & 2 != 0 { out.append(UInt8(ascii: " ")) }
        if wrap.quoted { out.append(UInt8(ascii: "\"")) }
        if let separator { out.append(UInt8(ascii: separator)) }
    }

    /// `text`, or when `upper` an upper-case (`ADD`) or capitalised (`Deduct`) variant.
    mutating func text(_ text: some Collection<UInt8>, upper: Bool) {
        let start = out.count
        out.append(contentsOf: text)
        guard upper, start < out.count else { return }
        let end = random.next() & 1 == 0 ? out.count : start + 1
        for index in start..<end where out[index] >= 97 && out[index] <= 122 {
            out[index] -= 32
        }
    }

    mutating func id(_ prefix: StaticString, _ value: Int, digits: Int) {
        prefix.withUTF8Buffer { out.append(contentsOf: $0) }
        number(value, width: digits)
    }

    /// `value` (not negative) in decimal, zero-padded to `width` digits.
    mutating func number(_ value: Int, width: Int) {
        let start = out.count
        var rest = value
        repeat {
            out.append(UInt8(48 + rest % 10))
            rest /= 10
        } while rest > 0
        while out.count - start < width { out.append(UInt8(ascii: "0")) }
        out[start...].reverse()
    }

    /// Two two-digit numbers with `separator` between them.
    mutating func pair(_ first: Int, _ second: Int, _ separator: Unicode.Scalar) {
        number(first, width: 2)
        out.append(UInt8(ascii: separator))
        number(second, width: 2)
    }

    /// `32.0` mostly; sometimes `12.5` / `7.25`, three decimals (`7.125`), negative
    /// (`-32.0`), `abc` or nothing.
    mutating func credits() {
        let roll = random.next() % 10_000
        let whole = 1 + pick(100)
        let wrap = begin()
        let text = Rate.emptyCredits + Rate.textCredits
        let negative = text + Rate.negativeCredits
        let threeDecimals = negative + Rate.threeDecimals
        if roll < Rate.emptyCredits {
            // a blank
        } else if roll < text {
            out.append(contentsOf: "abc".utf8)
        } else {
            if roll < negative { out.append(UInt8(ascii: "-")) }
            number(whole, width: 1)
            out.append(UInt8(ascii: "."))
            if roll >= negative, roll < threeDecimals {
                out.append(contentsOf: "125".utf8)
            } else if roll >= threeDecimals, roll < threeDecimals + Rate.fractionalCredits {
                out.append(contentsOf: random.next() & 1 == 0 ? "5".utf8 : "25".utf8)
            } else {
                out.append(UInt8(ascii: "0"))
            }
        }
        end(wrap, then: ",")
    }

    mutating func timestamp() {
        let roll = random.next() % 1_000
        let form = forms.first { roll < $0.upTo }?.form ?? .empty
        let day = CreditsGenerator.firstDay + Int32(pick(CreditsGenerator.days))
        let second = chance(Rate.midnight) ? 0 : pick(86_400)
        let date = DateEncoding.civil(day)
        let hour = second / 3_600, minute = second / 60 % 60
        let wrap = begin()
        switch form {
        case .empty:
            break
        case .iso:
            number(date.year, width: 4)
            out.append(UInt8(ascii: "-"))
            pair(date.month, date.day, "-")
            out.append(UInt8(ascii: " "))
            pair(hour, minute, ":")
            out.append(UInt8(ascii: ":"))
            number(second % 60, width: 2)
        case .twelveHour:
            pair(date.month, date.day, "/")
            out.append(UInt8(ascii: "/"))
            number(date.year, width: 4)
            out.append(UInt8(ascii: " "))
            pair((hour + 11) % 12 + 1, minute, ":")
            out.append(contentsOf: hour < 12 ? " AM".utf8 : " PM".utf8)
        case .dayFirst:
            pair(date.day, date.month, "-")
            out.append(UInt8(ascii: "-"))
            number(date.year, width: 4)
        case .epoch:
            number(Int(day) * 86_400 + second, width: 1)
        case .notADate, .abc123, .month13, .february31:
            form.garbage?.withUTF8Buffer { out.append(contentsOf: $0) }
        }
        end(wrap, then: nil)
    }
}
