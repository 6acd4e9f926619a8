import SluiceCore
import Testing

@Suite("Decimal")
struct DecimalTests {
    @Test("parses and rounds half away from zero", arguments: [
        ("12.34", 2, Int64(1234)), ("-0.5", 0, Int64(-1)), ("0.125", 2, Int64(13)), ("7", 2, Int64(700)),
        ("+3.1", 1, Int64(31)), ("10.994", 2, Int64(1099)),
    ])
    func parse(text: String, scale: Int, expected: Int64) {
        #expect(DecimalMath.parse(text, scale: scale) == expected)
    }

    @Test("rejects what is not a number, and overflow")
    func rejects() {
        for text in ["", "-", "1.2.3", "12a", "1e5", "99999999999999999999"] {
            #expect(DecimalMath.parse(text, scale: 2) == nil, "\(text)")
        }
    }

    @Test("formats with exactly the scale's digits")
    func format() {
        #expect(DecimalMath.format(1234, scale: 2) == "12.34")
        #expect(DecimalMath.format(-5, scale: 2) == "-0.05")
        #expect(DecimalMath.format(0, scale: 3) == "0.000")
        #expect(DecimalMath.format(42, scale: 0) == "42")
        #expect(DecimalMath.rescale(1255, from: 2, to: 1) == 126)
    }
}

@Suite("Dates and timestamps")
struct DateTests {
    @Test("days round-trip through the calendar, leap years included")
    func roundTrip() {
        for days in stride(from: Int32(-800_000), through: 800_000, by: 997) {
            let civil = DateEncoding.civil(days)
            #expect(DateEncoding.days(year: civil.year, month: civil.month, day: civil.day) == days)
        }
        #expect(DateEncoding.days(year: 1970, month: 1, day: 1) == 0)
        #expect(DateEncoding.days(year: 2020, month: 2, day: 29) != nil)
        #expect(DateEncoding.days(year: 2021, month: 2, day: 29) == nil)
        #expect(DateEncoding.parseDate("2024-13-01") == nil)
        #expect(DateEncoding.formatDate(DateEncoding.parseDate("2011-01-11") ?? 0) == "2011-01-11")
    }

    @Test("formats parse the messy timestamps of the credits log")
    func formats() throws {
        let usFormat = try DateTimeFormat("%m/%d/%Y %I:%M %p")
        #expect(usFormat.parseTimestamp("10/29/2024 12:00 AM").map(DateEncoding.formatTimestamp) == "2024-10-29 00:00:00")
        #expect(usFormat.parseTimestamp("10/29/2024 12:30 PM").map(DateEncoding.formatTimestamp) == "2024-10-29 12:30:00")
        let european = try DateTimeFormat("%d-%m-%Y")
        #expect(european.parseDate("29-10-2024").map(DateEncoding.formatDate) == "2024-10-29")
        #expect(european.parseDate("32/13/2024") == nil)
        let epoch = try DateTimeFormat("epoch")
        #expect(epoch.parseTimestamp("1700000000").map(DateEncoding.formatTimestamp) == "2023-11-14 22:13:20")
        #expect(DateTimeFormat.isoTimestamp.parseTimestamp("2024-11-24 00:00:00") != nil)
        // A leap second is no time, in the CSV reader's ISO parser as in the formats.
        #expect(DateEncoding.parseTimestamp("2026-12-31T23:59:60Z") == nil && DateEncoding.parseTimestamp("2026-12-31T23:59:59Z") != nil)
        #expect(DateTimeFormat.isoTimestamp.parseTimestamp("2026-12-31 23:59:60") == nil)
        #expect(throws: SluiceError.self) { _ = try DateTimeFormat("%Q") }
    }

    @Test("%z reads ISO 8601 offsets as the instant in UTC, and refuses what is not one")
    func zones() throws {
        let zoned = try DateTimeFormat("%Y-%m-%dT%H:%M:%S%z")
        let utc = { (text: String) in zoned.parseTimestamp(text).map(DateEncoding.formatTimestamp) }
        #expect(utc("2026-11-05T14:23:11Z") == "2026-11-05 14:23:11")
        #expect(utc("2026-11-05T14:23:11z") == "2026-11-05 14:23:11")
        #expect(utc("2026-11-05T14:23:11+00:00") == "2026-11-05 14:23:11")
        // East of UTC is earlier in UTC, across midnight and a year's end.
        #expect(utc("2026-11-05T01:30:00+02:00") == "2026-11-04 23:30:00")
        #expect(utc("2027-01-01T00:15:00+0530") == "2026-12-31 18:45:00")
        #expect(utc("2026-11-05T22:00:00-05") == "2026-11-06 03:00:00")
        #expect(utc("2026-11-05T22:00:00-03:30") == "2026-11-06 01:30:00")
        for bad in ["2026-11-05T14:23:11", "2026-11-05T14:23:11+2", "2026-11-05T14:23:11+02:0", "2026-11-05T14:23:11+19:00",
                    "2026-11-05T14:23:11+02:60", "2026-12-31T23:59:60Z", "2026-11-05T14:23:61Z", "2026-11-05T14:23:11 +02:00", "2026-11-05T14:23:11+02:00Z", "2026-11-05T14:23:11UTC"] {
            #expect(zoned.parseTimestamp(bad) == nil, "\(bad)")
        }
        let fractional = try DateTimeFormat("%Y-%m-%d %H:%M:%S.%f%z")
        #expect(fractional.parseTimestamp("2026-11-05 14:23:11.25-01:00").map(DateEncoding.formatTimestamp) == "2026-11-05 15:23:11.250000")
    }
}

@Suite("Columns and batches")
struct ColumnTests {
    @Test("builder with nulls, truncate, take and concat")
    func builder() throws {
        var builder = ColumnBuilder(type: .string)
        builder.append(string: "a")
        builder.appendNull()
        builder.append(string: "ccc")
        builder.append(string: "dropped")
        builder.truncate(to: 3)
        let column = builder.finish()
        #expect(column.values == [.string("a"), .null, .string("ccc")])
        #expect(column.take([2, 0, 1]).values == [.string("ccc"), .string("a"), .null])
        let joined = Column.concat([column, .string(["z"])], type: .string)
        #expect(joined.values == [.string("a"), .null, .string("ccc"), .string("z")])
        #expect(joined.nullCount == 1)
    }

    @Test("batches check their shape")
    func batchShape() {
        #expect(throws: SluiceError.self) {
            _ = try RecordBatch(schema: Schema([Field("a", .int64), Field("b", .int64)]), columns: [.int64([1]), .int64([1, 2])])
        }
    }

    @Test("hashes agree for equal keys and treat null apart")
    func hashing() {
        var first = [UInt64](repeating: 0, count: 3)
        var second = [UInt64](repeating: 0, count: 3)
        Column.string(["x", "y", "x"]).combineHashes(into: &first)
        Column.string(["x", "y", "x"]).combineHashes(into: &second)
        #expect(first == second)
        #expect(first[0] == first[2])
        #expect(first[0] != first[1])
    }

    @Test("the interner gives one id per distinct string")
    func interner() {
        var interner = StringInterner(capacity: 2)
        var ids: [UInt32] = []
        for text in ["alpha", "beta", "alpha", "a somewhat longer string", "beta"] + (0..<100).map { "s\($0)" } {
            var copy = text
            ids.append(copy.withUTF8 { interner.intern($0) })
        }
        #expect(ids[0] == ids[2])
        #expect(ids[1] == ids[4])
        #expect(interner.count == 103)
        interner.withBytes(ids[3]) { #expect(String(decoding: $0, as: UTF8.self) == "a somewhat longer string") }
    }
}

@Suite("Memory pool")
struct MemoryPoolTests {
    @Test("reservations are refused past the limit and released on deinit")
    func budget() throws {
        let pool = MemoryPool(limit: 1_000)
        do {
            let reservation = MemoryReservation(pool: pool, consumer: "test")
            try reservation.resize(to: 800)
            #expect(!MemoryReservation(pool: pool, consumer: "other").tryResize(to: 300))
            #expect(pool.refusals == 1)
            #expect(throws: SluiceError.self) { try reservation.grow(by: 500) }
        }
        #expect(pool.reserved == 0)
        #expect(pool.peak == 800)
    }

    @Test("sizes parse the way users write them")
    func byteCounts() {
        #expect(ByteCount.parse("256MB") == 256 << 20)
        #expect(ByteCount.parse("1.5GiB") == 3 << 29)
        #expect(ByteCount.parse("64k") == 64 << 10)
        #expect(ByteCount.parse("lots") == nil)
        #expect(ByteCount.format(1_572_864) == "1.5 MB")
    }
}
