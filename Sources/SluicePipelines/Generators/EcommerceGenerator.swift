public import SluiceCore
import SluiceEngine
import SluiceIO

/// Generates the ecommerce inputs in the original task's shape (DESIGN §6.2): weekly
/// archives `events_week_43.zip` (the ISO week of its Monday), each holding seven daily
/// archives `events_2023-10-23.zip`, each holding `part-001.json` … — one JSON array per part,
/// indented by two spaces as Python's `json.dump(events, f, indent=2)` writes it — of events
/// `{"timestamp": "2023-10-23T00:00:37", "customer_id": "c042", "event_type": "purchase",
/// "product_id": "p013", "quantity": 2}`: text ids (`c001`…`c100`, `p001`…`p050`), 70%
/// `view_product`, 25% `add_to_cart`, 5% `purchase`, `quantity` (1–3) on purchases only.
/// Also the `customers` and `products` dimension tables (segments VIP / New / Regular /
/// Lapsed; five categories; prices 10.00–500.00).
///
/// Scaled by weeks, parts per day, events per part, customers and products. Deterministic:
/// every part file has its own generator seeded from (seed, week, day, part), so the archives
/// depend only on the parameters, never on the thread count. With `unknownPermille` > 0 that
/// many events per thousand name a customer or product the tables do not have (the original
/// has none), to exercise the pipeline's accounting of unknown keys.
public struct EcommerceGenerator: Sendable {
    public var weeks: Int
    public var partsPerDay: Int
    public var eventsPerPart: Int
    public var seed: UInt64
    public var customers = 100
    public var products = 50
    public var unknownPermille = 0
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
    public static let categories = ["Electronics", "Books", "Clothing", "Home & Garden", "Sports & Outdoors"]

    /// `c042`: a letter and the number, zero-padded to three digits (more when the count needs it).
    static func id(_ prefix: String, _ number: Int, count: Int) -> String {
        let digits = max(3, String(count).count)
        let text = String(number)
        return prefix + String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    public func customerID(_ number: Int) -> String { Self.id("c", number, count: customers) }
    public func productID(_ number: Int) -> String { Self.id("p", number, count: products) }

    /// The `customers` table: `c001`…, a join date and a segment.
    public func customerTable() -> RecordBatch {
        var random = SplitMix64(seed: seed ^ 0xC0570)
        var ids: [String] = [], joined: [Int32] = [], segments: [String] = []
        for number in 1...max(1, customers) {
            ids.append(customerID(number))
            joined.append(firstDay - 30 - Int32(random.next() % 1_000))
            segments.append(Self.segments[Int(random.next() % UInt64(Self.segments.count))])
        }
        return RecordBatch(unchecked: EcommercePipeline.customerSchema, columns: [.string(ids), .date(joined), .string(segments)], rowCount: ids.count)
    }

    /// The `products` table: `p001`… in five categories, prices 10.00–500.00.
    public func productTable() -> RecordBatch {
        var random = SplitMix64(seed: seed ^ 0x960D)
        var ids: [String] = [], names: [String] = [], categories: [String] = [], prices: [Int64] = []
        for number in 1...max(1, products) {
            ids.append(productID(number))
            let category = Self.categories[(number - 1) % Self.categories.count]
            names.append("\(category) item \(number)")
            categories.append(category)
            prices.append(1_000 + Int64(random.next() % 49_001))
        }
        return RecordBatch(unchecked: EcommercePipeline.productSchema,
                           columns: [.string(ids), .string(names), .string(categories), .decimal(prices, precision: 10, scale: 2)], rowCount: ids.count)
    }

    /// The name of week `index`'s archive: `events_week_43.zip` (the ISO week of its Monday,
    /// as the original task names them); past 52 weeks, when week numbers would repeat, every
    /// name carries the ISO year too: `events_week_43_2024.zip`.
    public func weekArchiveName(_ index: Int) -> String {
        let monday = firstDay + Int32(index * 7)
        let (year, week) = Self.isoWeek(monday)
        return "events_week_\(week < 10 ? "0" : "")\(week)" + (weeks > 52 ? "_\(year)" : "") + ".zip"
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
            let number = String(part + 1)
            let name = "part-" + String(repeating: "0", count: max(0, 3 - number.count)) + number + ".json"
            try writer.add(name: name, bytes: partFile(date: date, week: week, day: day, part: part), level: 1)
        }
        return try writer.finishInMemory()
    }

    /// One part file: a JSON array of events in time order within the day, indented as
    /// `json.dump(events, f, indent=2)` indents it.
    func partFile(date: Int32, week: Int, day: Int, part: Int) -> [UInt8] {
        var random = SplitMix64(seed: seed &+ UInt64(week) &* 1_000_003 &+ UInt64(day) &* 10_007 &+ UInt64(part) &* 101)
        var seconds = (0..<eventsPerPart).map { _ in Int(random.next() % 86_400) }
        seconds.sort()
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(eventsPerPart * 170 + 4)
        var dateText: [UInt8] = []
        DateEncoding.appendISODate(date, to: &dateText)
        let viewShare = UInt64((100 - purchasePercent) * 70 / 95)
        for (index, second) in seconds.enumerated() {
            let roll = random.next() % 100
            let type = roll >= UInt64(100 - purchasePercent) ? "purchase" : (roll < viewShare ? "view_product" : "add_to_cart")
            let unknownCustomer = unknownPermille > 0 && random.next() % 2_000 < UInt64(unknownPermille)
            let unknownProduct = unknownPermille > 0 && random.next() % 2_000 < UInt64(unknownPermille)
            let customer = unknownCustomer ? customers + 1 + Int(random.next() % 10) : 1 + Int(random.next() % UInt64(max(1, customers)))
            let product = unknownProduct ? products + 1 + Int(random.next() % 5) : 1 + Int(random.next() % UInt64(max(1, products)))
            out.append(contentsOf: (index > 0 ? ",\n  {\n    \"timestamp\": \"" : "\n  {\n    \"timestamp\": \"").utf8)
            out.append(contentsOf: dateText)
            out.append(UInt8(ascii: "T"))
            appendTwo(second / 3600, to: &out)
            out.append(UInt8(ascii: ":"))
            appendTwo(second / 60 % 60, to: &out)
            out.append(UInt8(ascii: ":"))
            appendTwo(second % 60, to: &out)
            out.append(contentsOf: "\",\n    \"customer_id\": \"".utf8)
            out.append(contentsOf: customerID(customer).utf8)
            out.append(contentsOf: "\",\n    \"event_type\": \"".utf8)
            out.append(contentsOf: type.utf8)
            out.append(contentsOf: "\",\n    \"product_id\": \"".utf8)
            out.append(contentsOf: productID(product).utf8)
            out.append(UInt8(ascii: "\""))
            if type == "purchase" {
                out.append(contentsOf: ",\n    \"quantity\": ".utf8)
                DecimalMath.append(Int64(1 + random.next() % 3), scale: 0, to: &out)
            }
            out.append(contentsOf: "\n  }".utf8)
        }
        out.append(contentsOf: (seconds.isEmpty ? "]" : "\n]").utf8)
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
