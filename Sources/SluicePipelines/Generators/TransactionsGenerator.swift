import Foundation
import SluiceCore
import SluiceEngine

/// Generates transaction files in the seed's shape: pipe-delimited, 7-digit customer ids
/// with leading zeros, product codes like `PURA250`, ISO dates, and baskets of several
/// products bought by one customer on one day.
///
/// Deterministic: the file depends only on the parameters and the seed, never on the
/// number of threads. Rows are produced in chunks, each from its own seeded generator, in
/// parallel; chunks are written in order. Customer activity is skewed (a power law): a few
/// customers buy far more often than most. The shape is set by the number of customers,
/// products and days and by the skew, so the benchmark can make both the narrow file (few
/// customers, each with many rows) and a wide one where most (customer, product) pairs are rare.
public struct TransactionsGenerator: Sendable {
    public var rows: Int
    public var customers: Int
    public var products: Int
    public var seed: UInt64
    /// The first purchase date; purchases spread over `days` days from it.
    public var startDay: Int32 = DateEncoding.days(year: 2011, month: 1, day: 1) ?? 14975
    public var days: Int
    /// How unevenly purchases fall on customers: a customer's rank is `customers × u^skew` for
    /// a uniform `u`, so 1 is even, and the default 3 puts about half the rows on the busiest
    /// eighth of the customers.
    public var skew: Double

    public init(rows: Int, customers: Int? = nil, products: Int = 12, days: Int = 730, skew: Double = 3, seed: UInt64 = 42) {
        self.rows = max(0, rows)
        self.customers = max(1, customers ?? max(10, rows / 200))
        self.products = max(1, products)
        self.days = max(1, days)
        self.skew = skew.isFinite ? max(1, skew) : 3
        self.seed = seed
    }

    /// A product code for each index: ten families (`PURA`, `SUPA`, …) and a number, so
    /// codes are 7 bytes like the seed's `PURA250` up to 180 products, and unique beyond.
    static func productCode(_ index: Int) -> String {
        let family = families[index % families.count]
        let number = 100 + (index / families.count) * 50 + (index % 3)
        return "\(family)\(number)"
    }

    static let families = ["PURA", "SUPA", "DETA", "KIDS", "HOME", "GARD", "TECH", "BOOK", "FOOD", "SPRT"]

    /// The product codes, in the order their popularity falls.
    public var productCodes: [String] {
        (0..<products).map(Self.productCode)
    }

    static let chunkRows = 262_144

    /// Produces the file's bytes in order, a chunk at a time, using up to `workers` threads.
    public func write(workers: Int, _ write: (inout [UInt8]) throws -> Void) throws {
        let generator = self
        try ChunkedText.write(header: "transactionId|custId|transactionDate|productSold|unitsSold\n",
                              chunks: (rows + Self.chunkRows - 1) / Self.chunkRows, workers: workers,
                              make: { generator.chunk($0) }, write)
    }

    /// The bytes of chunk `index` (rows `index * chunkRows` onward).
    func chunk(_ index: Int) -> [UInt8] {
        var random = SplitMix64(stream: UInt64(index), seed: seed)
        let count = min(Self.chunkRows, rows - index * Self.chunkRows)
        let codes = productCodes.map { Array($0.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(count * 44)
        var produced = 0
        var date: [UInt8] = []
        date.reserveCapacity(10)
        while produced < count {
            // Skewed customer: u^skew puts most purchases on a few customers; a multiplicative
            // permutation spreads the busy ones over the id range.
            let u = random.nextDouble()
            let rank = min(customers - 1, Int(Double(customers) * (skew == 3 ? u * u * u : pow(u, skew))))
            let customer = 1 + (rank &* 7_919 % customers)
            let day = startDay + Int32(random.next() % UInt64(days))
            let basket = 1 + Int(random.next() % 3)
            date.removeAll(keepingCapacity: true)
            DateEncoding.appendISODate(day, to: &date)
            for _ in 0..<min(basket, count - produced) {
                let v = random.nextDouble()
                let product = min(products - 1, Int(Double(products) * v * v))
                let units = 1 + Int(random.next() % 200)
                for byte in date where byte != UInt8(ascii: "-") { out.append(byte) }
                out.append(UInt8(ascii: "-"))
                appendPadded(customer, to: &out)
                out.append(UInt8(ascii: "|"))
                appendPadded(customer, to: &out)
                out.append(UInt8(ascii: "|"))
                out.append(contentsOf: date)
                out.append(UInt8(ascii: "|"))
                out.append(contentsOf: codes[product])
                out.append(UInt8(ascii: "|"))
                DecimalMath.append(Int64(units), scale: 0, to: &out)
                out.append(UInt8(ascii: "\n"))
                produced += 1
            }
        }
        return out
    }

    /// Appends `value` as at least seven digits with leading zeros.
    private func appendPadded(_ value: Int, to out: inout [UInt8]) {
        let width = value >= 10_000_000 ? String(value).utf8.count : 7
        let start = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var rest = value
        var position = start + width - 1
        while rest > 0 {
            out[position] = UInt8(48 + rest % 10)
            rest /= 10
            position -= 1
        }
    }
}
