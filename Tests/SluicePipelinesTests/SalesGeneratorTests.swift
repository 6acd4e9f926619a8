import Foundation
import SluiceCore
@testable import SluicePipelines
import Testing

@Suite("sales generator")
struct SalesGeneratorTests {
    static func text(_ generator: SalesGenerator, workers: Int = 2) throws -> String {
        var out: [UInt8] = []
        try generator.write(workers: workers) { out += $0 }
        return String(decoding: out, as: UTF8.self)
    }

    /// The data lines' fields (the files have no quoted fields).
    static func rows(_ text: String) -> [[String]] {
        text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().filter { !$0.isEmpty }
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Microseconds since 1970 of an ISO 8601 `sale_ts` in the generator's four forms.
    static func instant(_ text: String) -> Int64? {
        var body = text, offset: Int64 = 0
        if body.hasSuffix("Z") {
            body.removeLast()
        } else if body.hasSuffix("+00:00") {
            body.removeLast(6)
        } else if body.hasSuffix("+02:00") {
            body.removeLast(6)
            offset = 2 * 3_600_000_000
        }
        let parts = body.split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
        guard parts.count == 6, let day = DateEncoding.days(year: parts[0], month: parts[1], day: parts[2]) else { return nil }
        return Int64(day) * 86_400_000_000 + Int64(parts[3] * 3600 + parts[4] * 60 + parts[5]) * 1_000_000 - offset
    }

    static func cents(_ text: String) -> Int64? { Array(text.utf8).withUnsafeBufferPointer { DecimalMath.parse($0, scale: 2) } }

    @Test("the same file for any number of threads; fewer rows are the start of more")
    func deterministic() throws {
        let big = SalesGenerator(rows: 150_000, seed: 7, totalAmount: true, mess: 2)
        let one = try Self.text(big, workers: 1)
        #expect(try Self.text(big, workers: 3) == one)
        var small = big
        small.rows = 70_000
        #expect(one.hasPrefix(try Self.text(small)))
        #expect(try Self.text(SalesGenerator(rows: 1_000, seed: 8)) != (try Self.text(SalesGenerator(rows: 1_000, seed: 7))))
    }

    @Test("clean files are in the original's shape and ranges, ids count up, totals are exact", arguments: [false, true])
    func cleanShape(totalAmount: Bool) throws {
        let start = try #require(DateEncoding.days(year: 2026, month: 10, day: 20))
        let generator = SalesGenerator(rows: 80_000, days: 10, startDay: start, seed: 3, firstID: 500, totalAmount: totalAmount)
        let text = try Self.text(generator)
        #expect(text.hasPrefix("sale_id,sale_ts,store_id,product_id,quantity,unit_price,currency" + (totalAmount ? ",total_amount\n" : "\n")))
        let rows = Self.rows(text)
        #expect(rows.count == 80_000)
        #expect(rows.map(\.[0]) == (500..<80_500).map(String.init))
        let first = Int64(start) * 86_400_000_000, end = first + 10 * 86_400_000_000
        var forms = Set<String>()
        for row in rows {
            #expect(row.count == (totalAmount ? 8 : 7))
            let instant = try #require(Self.instant(row[1]))
            #expect(instant >= first && instant < end)
            forms.insert(row[1].hasSuffix("Z") ? "Z" : row[1].hasSuffix("+00:00") ? "+00:00" : row[1].hasSuffix("+02:00") ? "+02:00" : "none")
            #expect(row[2].count == 4 && row[2].hasPrefix("S") && (1...20).contains(Int(row[2].dropFirst()) ?? 0))
            #expect(row[3].count == 5 && row[3].hasPrefix("P") && (1...200).contains(Int(row[3].dropFirst()) ?? 0))
            let quantity = try #require(Int(row[4]))
            #expect((1...5).contains(quantity))
            let price = try #require(Self.cents(row[5]))
            #expect((100...25_000).contains(price))
            #expect(SalesGenerator.currencies.contains(row[6]))
            if totalAmount { #expect(Self.cents(row[7]) == price * Int64(quantity)) }
        }
        #expect(forms == ["Z", "+00:00", "+02:00", "none"])
    }

    @Test("mess: each of the original's problems at about its rate, one per row; late duplicates are later")
    func mess() throws {
        let rows = Self.rows(try Self.text(SalesGenerator(rows: 200_000, seed: 11, totalAmount: true, mess: 2)))
        var firstSeen: [String: Int64] = [:]
        var late = 0, missing = 0, zero = 0, negative = 0, yen = 0, wrongTotal = 0
        for row in rows {
            var problems = 0
            if row[0].isEmpty || row[1].isEmpty || row[2].isEmpty || row[3].isEmpty { missing += 1; problems += 1 }
            if row[4] == "0" { zero += 1; problems += 1 }
            if row[5].hasPrefix("-") { negative += 1; problems += 1 }
            if row[6] == "JPY" { yen += 1; problems += 1 }
            if let quantity = Int64(row[4]), let price = Self.cents(row[5]), let total = Self.cents(row[7]), total != price * quantity {
                wrongTotal += 1
                problems += 1
            }
            #expect(problems <= 1)
            guard !row[0].isEmpty, let instant = Self.instant(row[1]) else { continue }
            if let earlier = firstSeen[row[0]] {
                late += 1
                #expect(instant > earlier)
            } else {
                firstSeen[row[0]] = instant
            }
        }
        // Rates per 10,000 at level 2: duplicates 80, missing 30, zero 20, negative 20, JPY 20, totals 30.
        #expect((1_200...2_000).contains(late))
        #expect((400...800).contains(missing))
        for count in [zero, negative, yen] { #expect((250...550).contains(count)) }
        #expect((400...800).contains(wrongTotal))
        // A clean file has none of them.
        let clean = Self.rows(try Self.text(SalesGenerator(rows: 50_000, seed: 11, totalAmount: true)))
        #expect(Set(clean.map(\.[0])).count == clean.count)
        #expect(!clean.contains { $0.contains("") || $0[4] == "0" || $0[5].hasPrefix("-") || $0[6] == "JPY" })
    }
}
