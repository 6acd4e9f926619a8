public import SluiceCore
import SluiceEngine
import SluiceIO

/// Generates the ecommerce inputs of DESIGN §6.2: weekly archives `events_YYYY-Www.zip`, each
/// holding seven daily archives `events_YYYY-MM-DD.zip`, each holding `part-NNN.json` files
/// with a JSON array of events — 70% `view_product`, 25% `add_to_cart`, 5% `purchase` (with a
/// quantity of 1–3) — plus the `customers` and `products` dimension tables.
///
/// Deterministic: every part file has its own generator seeded from (seed, week, day, part),
/// so the archives depend only on the parameters, never on the thread count. About 0.5% of
/// events name a customer or product that the dimension tables do not have, so the pipeline's
/// accounting of unknown keys is exercised.
public struct EcommerceGenerator: Sendable {
    public var weeks: Int
    public var partsPerDay: Int
    public var eventsPerPart: Int
    public var seed: UInt64
    public var customers = 100
    public var products = 50
    /// The share of purchases among events, in percent (the rest split 70:25 between views
    /// and cart additions as in DESIGN §6.2 when it is 5).
    public var purchasePercent = 5
    /// Monday 2023-10-23 (ISO week 43 of 2023).
    public var firstDay: Int32 = DateEncoding.days(year: 2023, month: 10, day: 23) ?? 19_653

    public init(weeks: Int, partsPerDay: Int, eventsPerPart: Int, seed: UInt64 = 42) {
        self.weeks = max(1, weeks)
        self.partsPerDay = max(1, partsPerDay)
        self.eventsPerPart = max(0, eventsPerPart)
        self.seed = seed
    }

    public static let segments = ["VIP", "New", "Regular", "Lapsed"]
    public static let categories = ["Electronics", "Home", "Books", "Sports", "Beauty"]

    /// The `customers` table: ids 1…100, a join date and a segment.
    public func customerTable() -> RecordBatch {
        var random = SplitMix64(seed: seed ^ 0xC0570)
        var ids: [Int64] = [], joined: [Int32] = [], segments: [String] = []
        for id in 1...customers {
            ids.append(Int64(id))
            joined.append(firstDay - 30 - Int32(random.next() % 1_000))
            segments.append(Self.segments[Int(random.next() % UInt64(Self.segments.count))])
        }
        return RecordBatch(unchecked: EcommercePipeline.customerSchema, columns: [.int64(ids), .date(joined), .string(segments)], rowCount: ids.count)
    }

    /// The `products` table: ids 1…50 in five categories, prices 10.00–500.00.
    public func productTable() -> RecordBatch {
        var random = SplitMix64(seed: seed ^ 0x960D)
        var ids: [Int64] = [], names: [String] = [], categories: [String] = [], prices: [Int64] = []
        for id in 1...products {
            ids.append(Int64(id))
            let category = Self.categories[(id - 1) % Self.categories.count]
            names.append("\(category) item \(id)")
            categories.append(category)
            prices.append(1_000 + Int64(random.next() % 49_001))
        }
        return RecordBatch(unchecked: EcommercePipeline.productSchema,
                           columns: [.int64(ids), .string(names), .string(categories), .decimal(prices, precision: 10, scale: 2)], rowCount: ids.count)
    }

    /// The name of week `index`'s archive: `events_2023-W43.zip` (ISO year and week, so names
    /// stay unique past 52 weeks).
    public func weekArchiveName(_ index: Int) -> String {
        let monday = firstDay + Int32(index * 7)
        let (year, week) = Self.isoWeek(monday)
        return "events_\(year)-W\(week < 10 ? "0" : "")\(week).zip"
    }

    /// ISO 8601 year and week of a day.
    static func isoWeek(_ day: Int32) -> (year: Int, week: Int) {
        let weekday = Int((Int64(day) + 3) % 7 + 7) % 7  // 0 = Monday (1970-01-01 was a Thursday)
        let thursday = day - Int32(weekday) + 3
        let year = DateEncoding.civil(thursday).year
        let januaryFirst = DateEncoding.days(year: year, month: 1, day: 1) ?? thursday
        return (year, Int(thursday - januaryFirst) / 7 + 1)
    }

    /// Writes every weekly archive into `directory`, using up to `workers` threads; returns
    /// the archive paths and the number of events.
    public func write(to directory: String, workers: Int) throws -> (paths: [String], events: Int) {
        let pool = WorkerPool(workers: workers)
        var paths: [String] = []
        for week in 0..<weeks {
            let generator = self
            let days = try pool.run(taskCount: 7, cancellation: Cancellation()) { day in
                DayArchive(bytes: try generator.dayArchive(week: week, day: day))
            }
            let path = "\(directory)/\(weekArchiveName(week))"
            let writer = try ZipWriter(path: path)
            for (day, archive) in days.enumerated() {
                let date = DateEncoding.formatDate(firstDay + Int32(week * 7 + day))
                try writer.add(name: "events_\(date).zip", bytes: archive.bytes, level: 0)
            }
            try writer.finish()
            paths.append(path)
        }
        return (paths, weeks * 7 * partsPerDay * eventsPerPart)
    }

    struct DayArchive: Sendable {
        var bytes: [UInt8]
    }

    /// One day's archive of part files, in memory.
    func dayArchive(week: Int, day: Int) throws -> [UInt8] {
        let writer = try ZipWriter.inMemory()
        let date = firstDay + Int32(week * 7 + day)
        for part in 0..<partsPerDay {
            let name = "part-\(part < 100 ? (part < 10 ? "00" : "0") : "")\(part).json"
            try writer.add(name: name, bytes: partFile(date: date, week: week, day: day, part: part), level: 1)
        }
        return try writer.finishInMemory()
    }

    /// One part file: a JSON array of events, in time order within the day.
    func partFile(date: Int32, week: Int, day: Int, part: Int) -> [UInt8] {
        var random = SplitMix64(seed: seed &+ UInt64(week) &* 1_000_003 &+ UInt64(day) &* 10_007 &+ UInt64(part) &* 101)
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(eventsPerPart * 110 + 2)
        var dateText: [UInt8] = []
        DateEncoding.appendISODate(date, to: &dateText)
        for index in 0..<eventsPerPart {
            let second = Int(random.next() % 86_400)
            let roll = random.next() % 100
            let viewShare = UInt64((100 - purchasePercent) * 70 / 95)
            let type = roll >= UInt64(100 - purchasePercent) ? "purchase" : (roll < viewShare ? "view_product" : "add_to_cart")
            let customer = random.next() % 200 == 0 ? customers + 1 + Int(random.next() % 10) : 1 + Int(random.next() % UInt64(customers))
            let product = random.next() % 200 == 0 ? products + 1 + Int(random.next() % 5) : 1 + Int(random.next() % UInt64(products))
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: "\n{\"timestamp\":\"".utf8)
            out.append(contentsOf: dateText)
            out.append(UInt8(ascii: "T"))
            appendTwo(second / 3600, to: &out)
            out.append(UInt8(ascii: ":"))
            appendTwo(second / 60 % 60, to: &out)
            out.append(UInt8(ascii: ":"))
            appendTwo(second % 60, to: &out)
            out.append(contentsOf: "Z\",\"customer_id\":".utf8)
            DecimalMath.append(Int64(customer), scale: 0, to: &out)
            out.append(contentsOf: ",\"event_type\":\"".utf8)
            out.append(contentsOf: type.utf8)
            out.append(contentsOf: "\",\"product_id\":".utf8)
            DecimalMath.append(Int64(product), scale: 0, to: &out)
            if type == "purchase" {
                out.append(contentsOf: ",\"quantity\":".utf8)
                DecimalMath.append(Int64(1 + random.next() % 3), scale: 0, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "\n]\n".utf8)
        return out
    }

    /// One part file's bytes, for the JSON micro benchmark.
    public func partFileForBenchmark() -> [UInt8] {
        partFile(date: firstDay, week: 0, day: 0, part: 0)
    }

    private func appendTwo(_ value: Int, to out: inout [UInt8]) {
        out.append(UInt8(48 + value / 10))
        out.append(UInt8(48 + value % 10))
    }
}
