import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluiceTestSupport
import Testing

/// A small deterministic generator (SplitMix64), so every fuzz case can be replayed by seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Seeded mutations of a seed file: byte flips, inserted quotes, delimiters and newlines,
/// deletions and truncations, the damage real exports carry.
enum Mutator {
    static let interesting: [UInt8] = Array("\"|,\n\r\t ".utf8) + [0x00, 0xFF, 0xC3, UInt8(ascii: "9"), UInt8(ascii: "-")]

    static func mutate(_ input: [UInt8], seed: UInt64) -> [UInt8] {
        var random = SeededGenerator(seed: seed)
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0: bytes[at] = interesting.randomElement(using: &random) ?? 0
            case 1: bytes.insert(UInt8(ascii: "\""), at: at)
            case 2: bytes.insert(UInt8(ascii: "|"), at: at)
            case 3: bytes.insert(UInt8(ascii: "\n"), at: at)
            case 4: bytes.remove(at: at)
            case 5: bytes.removeSubrange(at...)
            default: bytes[at] = UInt8.random(in: 0...255, using: &random)
            }
        }
        return bytes
    }
}

@Suite("CSV fuzz: seeded mutations of the seed file read the same under every split size and worker count")
struct CSVFuzzTests {
    /// Cases per run; `SLUICE_FUZZ_CASES` raises it (`scripts/fuzz-csv`).
    static let cases = ProcessInfo.processInfo.environment["SLUICE_FUZZ_CASES"].flatMap(Int.init) ?? 240

    static let seedPrefix: [UInt8] = {
        guard let data = FileManager.default.contents(atPath: TestSupport.seedFile("transaction.csv")) else { return [] }
        // About 1,500 rows: large enough for a dozen splits at 4 KB, small enough for
        // hundreds of cases in a debug build.
        return Array(data.prefix(72_000))
    }()

    static let options: CSVOptions = {
        var options = CSVOptions(columnTypes: ["transactionId": .string, "custId": .string, "transactionDate": .date,
                                              "productSold": .string, "unitsSold": .int64],
                                 requiredColumns: ["custId", "transactionDate", "productSold", "unitsSold"])
        options.notNullColumns = ["custId", "productSold"]
        options.maxLineBytes = 8_192
        return options
    }()

    @Test("no crash, the same rows, rejects and errors for every setting, read = passed + rejected")
    func mutants() throws {
        #expect(Self.seedPrefix.count > 60_000)
        let directory = try TestSupport.temporaryDirectory("sluice-fuzz")
        let settings: [(Int?, Int)] = [(4_096, 2), (9_973, 3), (65_536, 2)]
        var failures: [UInt64] = []
        for index in 0..<Self.cases {
            let seed = UInt64(index) &* 0x2545_F491_4F6C_DD1D &+ 1
            let path = directory.appendingPathComponent("mutant-\(index).csv").path
            try Data(Mutator.mutate(Self.seedPrefix, seed: seed)).write(to: URL(fileURLWithPath: path))
            let expected = CSVReading.of(path, options: Self.options, splitBytes: nil, workers: 1)
            if expected.error == nil, expected.counts.read != expected.counts.passed + expected.counts.rejected { failures.append(seed) }
            for (splitBytes, workers) in settings where CSVReading.of(path, options: Self.options, splitBytes: splitBytes, workers: workers) != expected {
                failures.append(seed)
            }
            try? FileManager.default.removeItem(atPath: path)
        }
        #expect(failures.isEmpty, "seeds that disagree: \(failures.prefix(10))")
    }
}
