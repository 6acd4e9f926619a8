import SluiceCore
import Testing

/// XXH64 against the values Apache Spark 4.3's `xxhash64` gives for the same inputs
/// (`SELECT xxhash64('abc')` …, read off pyspark): text of every length class (empty, under 4,
/// 4–7 bytes and words, over 32 bytes), 64-bit integers, 4-byte values, nulls, several columns.
@Suite("xxhash64 as Spark computes it")
struct XXH64Tests {
    static func text(_ values: String?...) -> Int64 {
        var hash = [XXH64.seed]
        for value in values {
            let column: Column = value.map { .string([$0]) } ?? Column(type: .string, storage: .string(StringStorage(["x"])), validity: ValidityBitmap([false]))
            column.xxhash64(into: &hash)
        }
        return Int64(bitPattern: hash[0])
    }

    @Test("text, integers, booleans, dates, nulls and several columns give Spark's values")
    func sparkValues() {
        #expect(Self.text("") == -7_444_071_767_201_028_348)
        #expect(Self.text("a") == -8_582_455_328_737_087_284)
        #expect(Self.text("abc") == 1_423_657_621_850_124_518)
        #expect(Self.text("0123456789abcdef0123456789abcdef!") == -6_050_938_822_716_990_609)
        #expect(Self.text("ünïcödé ß") == 1_303_633_295_090_145_807)
        #expect(Self.text(nil) == 42)
        #expect(Self.text("org", nil, "x") == 538_482_997_776_122_148)
        #expect(Int64(bitPattern: XXH64.hash(int64: 1, seed: XXH64.seed)) == -7_001_672_635_703_045_582)
        #expect(Int64(bitPattern: XXH64.hash(int64: -5, seed: XXH64.seed)) == -5_259_934_538_394_028_452)
        // Spark's xxhash64(1) hashes an INT: four bytes, as booleans (true is 1) and dates are.
        #expect(Int64(bitPattern: XXH64.hash(int32: 1, seed: XXH64.seed)) == -6_698_625_589_789_238_999)
        var date = [XXH64.seed]
        Column(type: .date, storage: .int32([19_723]), validity: nil).xxhash64(into: &date)
        #expect(Int64(bitPattern: date[0]) == 3_242_891_694_566_951_137)
        var decimal = [XXH64.seed], timestamp = [XXH64.seed], float = [XXH64.seed], negativeZero = [XXH64.seed]
        Column(type: .decimal(precision: 12, scale: 2), storage: .int64([1250]), validity: nil).xxhash64(into: &decimal)
        Column(type: .timestamp, storage: .int64([1_704_067_200_000_000]), validity: nil).xxhash64(into: &timestamp)
        Column(type: .float64, storage: .float64([1.5]), validity: nil).xxhash64(into: &float)
        Column(type: .float64, storage: .float64([-0.0]), validity: nil).xxhash64(into: &negativeZero)
        #expect(Int64(bitPattern: decimal[0]) == 4_753_477_431_033_244_826)
        #expect(Int64(bitPattern: timestamp[0]) == 3_859_582_417_520_161_651)
        #expect(Int64(bitPattern: float[0]) == 7_738_255_526_519_901_366)
        #expect(Int64(bitPattern: negativeZero[0]) == -5_252_525_462_095_825_812)
    }
}
