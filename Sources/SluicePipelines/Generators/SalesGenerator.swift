import SluiceCore
import SluiceEngine

/// Generates sales files in the original warehouse task's shape:
/// `sale_id,sale_ts,store_id,product_id,quantity,unit_price,currency[,total_amount]`, stores
/// `S001`–`S020`, products `P0001`–`P0200`, quantity 1–5, unit price 1.00–250.00, currency
/// USD / EUR / GBP, `sale_ts` in ISO 8601 with or without a zone (no zone means UTC) over `days`
/// days from `startDay`.
///
/// `sale_id` is text that happens to be digits (`firstID`, `firstID + 1`, …), as a Python loader's
/// counter writes it; a second file made with `firstID` past the first's ids and `startDay`
/// inside the first's days overlaps its dates without reusing its sales.
///
/// With `mess` 1 or 2, about 1 or 2 rows in 100 carry one of the original's problems (``Mess``):
/// a late duplicate (an earlier `sale_id` of the chunk again, with a later `sale_ts`, sometimes
/// days later, and another quantity), a missing required field, quantity 0, a negative price,
/// currency `JPY`, and, when `totalAmount` is written, a total that is not quantity × price.
///
/// Deterministic: chunk `i` of 65,536 rows comes from its own generator seeded from `seed` and
/// the chunk's first id, so the file depends only on the settings, never on the number of
/// threads, and a file of fewer rows is the start of one of more.
public struct SalesGenerator: Sendable {
    public var rows: Int
    /// Days the sales spread over, from `startDay`.
    public var days: Int
    /// The first day (days since 1970-01-01); 2026-11-01 unless set.
    public var startDay: Int32
    public var seed: UInt64
    /// The first `sale_id`.
    public var firstID: Int
    /// Writes the optional eighth column, `total_amount`.
    public var totalAmount: Bool
    /// 0: clean; 1: about 1 row in 100 messy; 2: about 2 in 100.
    public var mess: Int
    public var stores = 20
    public var products = 200

    /// A generator of `rows` sales over `days` days.
    public init(rows: Int, days: Int = 30, startDay: Int32? = nil, seed: UInt64 = 42, firstID: Int = 1,
                totalAmount: Bool = false, mess: Int = 0) {
        self.rows = max(0, rows)
        self.days = max(1, days)
        self.startDay = startDay ?? Self.defaultStartDay
        self.seed = seed
        self.firstID = max(0, firstID)
        self.totalAmount = totalAmount
        self.mess = min(2, max(0, mess))
    }

    /// 2026-11-01: a fixed default, so that a file depends on its settings and not on the day it
    /// was made (the original's "last 30 days" is `--start` today − 30).
    public static let defaultStartDay: Int32 = DateEncoding.days(year: 2026, month: 11, day: 1) ?? 20_393

    public static let currencies = ["USD", "EUR", "GBP"]

    /// How many rows in 10,000 carry each problem at `mess` 1 (twice as many at 2).
    public enum Mess {
        public static let lateDuplicate: UInt64 = 40
        public static let missingField: UInt64 = 15
        public static let zeroQuantity: UInt64 = 10
        public static let negativePrice: UInt64 = 10
        public static let unknownCurrency: UInt64 = 10
        public static let wrongTotal: UInt64 = 15
    }

    /// The header line, with or without `total_amount`.
    public var header: String {
        "sale_id,sale_ts,store_id,product_id,quantity,unit_price,currency" + (totalAmount ? ",total_amount" : "") + "\n"
    }

    static let chunkRows = 65_536

    /// Writes the file atomically to `destination` on up to `workers` threads.
    public func writeFile(to destination: String, workers: Int) throws -> GeneratedSample {
        let days = days
        return try ChunkedText.file(at: destination, rows: rows, description: "of \(stores) stores and \(products) products over \(days) days") { write in
            try self.write(workers: max(1, workers), write)
        }
    }

    /// Produces the header then the rows, a chunk at a time in file order, on up to `workers`
    /// threads.
    public func write(workers: Int, _ write: (inout [UInt8]) throws -> Void) throws {
        let generator = self
        try ChunkedText.write(header: header, chunks: (rows + Self.chunkRows - 1) / Self.chunkRows, workers: workers,
                              make: { generator.chunk($0) }, write)
    }

    /// The bytes of chunk `index` (rows `index * chunkRows` onward).
    func chunk(_ index: Int) -> [UInt8] {
        let count = max(0, min(Self.chunkRows, rows - index * Self.chunkRows))
        // Seeded by the chunk's first id too, so a second file (another --first-id) is not the
        // first one again under other ids.
        let first = firstID + index * Self.chunkRows
        var writer = SalesChunkWriter(generator: self, seed: seed ^ 0x5A1E_5 ^ (UInt64(first) &* 0x9E37_79B9_7F4A_7C15), firstID: first)
        for _ in 0..<count { writer.row() }
        return writer.out
    }
}

/// One sale as drawn, before it is written (a late duplicate rewrites some of it).
private struct Sale {
    var id: Int
    var micros: Int64
    var store: Int
    var product: Int
    var quantity: Int
    var cents: Int64
    var currency: Int
}

/// Writes one chunk's rows.
private struct SalesChunkWriter {
    typealias Mess = SalesGenerator.Mess

    let generator: SalesGenerator
    var random: SplitMix64
    var out: [UInt8] = []
    var nextID: Int
    /// The last sales written, for late duplicates.
    var recent: [Sale] = []
    var recentNext = 0
    let factor: UInt64
    let currencies: [[UInt8]]
    static let unknownCurrency = Array("JPY".utf8)
    static let utcOffset = Array("+00:00".utf8)
    static let eastOffset = Array("+02:00".utf8)

    static let recentSales = 64
    static let microsPerDay: Int64 = 86_400_000_000

    init(generator: SalesGenerator, seed: UInt64, firstID: Int) {
        self.generator = generator
        random = SplitMix64(seed: seed)
        nextID = firstID
        factor = UInt64(generator.mess)
        currencies = SalesGenerator.currencies.map { Array($0.utf8) }
        out.reserveCapacity(SalesGenerator.chunkRows * 64)
    }

    /// A chance of `rate` in 10,000, scaled by the mess level (never at level 0).
    mutating func chance(_ rate: UInt64) -> Bool {
        factor > 0 && random.next() % 10_000 < rate * factor
    }

    mutating func pick(_ count: Int) -> Int {
        Int(random.next() % UInt64(max(1, count)))
    }

    mutating func row() {
        var sale: Sale
        if !recent.isEmpty, chance(Mess.lateDuplicate) {
            // The same sale sent again later (a correction): a later time, up to three days on,
            // and another quantity.
            sale = recent[pick(recent.count)]
            sale.micros += 1_000_000 * Int64(1 + pick(3 * 86_400))
            sale.quantity = 1 + pick(5)
        } else {
            let dayStart = Int64(generator.startDay + Int32(pick(generator.days))) * Self.microsPerDay
            sale = Sale(id: nextID, micros: dayStart + 1_000_000 * Int64(pick(86_400)), store: 1 + pick(generator.stores),
                        product: 1 + pick(generator.products), quantity: 1 + pick(5), cents: 100 + Int64(pick(24_901)),
                        currency: pick(currencies.count))
            nextID += 1
        }
        if recent.count < Self.recentSales {
            recent.append(sale)
        } else {
            recent[recentNext] = sale
            recentNext = (recentNext + 1) % Self.recentSales
        }
        write(sale)
    }

    mutating func write(_ sale: Sale) {
        // At most one problem per row, so each messy row has one reason to be rejected.
        let missing = chance(Mess.missingField) ? 1 + pick(4) : 0
        let zero = missing == 0 && chance(Mess.zeroQuantity)
        let negative = missing == 0 && !zero && chance(Mess.negativePrice)
        let foreign = missing == 0 && !zero && !negative && chance(Mess.unknownCurrency)
        let wrongTotal = generator.totalAmount && missing == 0 && !zero && !negative && !foreign && chance(Mess.wrongTotal)

        if missing != 1 { DecimalMath.append(Int64(sale.id), scale: 0, to: &out) }
        out.append(UInt8(ascii: ","))
        if missing != 2 { timestamp(sale.micros, form: pick(4)) }
        out.append(UInt8(ascii: ","))
        if missing != 3 { code("S", sale.store, digits: 3) }
        out.append(UInt8(ascii: ","))
        if missing != 4 { code("P", sale.product, digits: 4) }
        out.append(UInt8(ascii: ","))
        let quantity = zero ? 0 : sale.quantity
        DecimalMath.append(Int64(quantity), scale: 0, to: &out)
        out.append(UInt8(ascii: ","))
        let cents = negative ? -sale.cents : sale.cents
        DecimalMath.append(cents, scale: 2, to: &out)
        out.append(UInt8(ascii: ","))
        out.append(contentsOf: foreign ? Self.unknownCurrency : currencies[sale.currency])
        if generator.totalAmount {
            out.append(UInt8(ascii: ","))
            let total = cents * Int64(quantity) + (wrongTotal ? Int64(1 + pick(500)) : 0)
            DecimalMath.append(total, scale: 2, to: &out)
        }
        out.append(UInt8(ascii: "\n"))
    }

    /// `sale_ts` in one of four ISO 8601 forms: `2026-11-05T14:23:11Z`, the same without a zone,
    /// with `+00:00`, or in local time at +02:00 (the same instant, so the UTC date may differ
    /// from the written one).
    mutating func timestamp(_ micros: Int64, form: Int) {
        let shown = form == 3 ? micros + 2 * 3_600_000_000 : micros
        let start = out.count
        DateEncoding.appendTimestamp(shown, to: &out)
        if let space = out[start...].firstIndex(of: UInt8(ascii: " ")) { out[space] = UInt8(ascii: "T") }
        switch form {
        case 0: out.append(UInt8(ascii: "Z"))
        case 2: out.append(contentsOf: Self.utcOffset)
        case 3: out.append(contentsOf: Self.eastOffset)
        default: break
        }
    }

    /// `prefix` then `value` with at least `digits` digits (`S007`, `P0042`).
    mutating func code(_ prefix: StaticString, _ value: Int, digits: Int) {
        out.append(contentsOf: UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
        var width = 1, rest = value
        while rest >= 10 { width += 1; rest /= 10 }
        if width < digits { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits - width)) }
        DecimalMath.append(Int64(value), scale: 0, to: &out)
    }
}
