import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluiceTestSupport
import Testing

/// Seeded mutations of a seed file: byte flips, inserted bytes that mean something to the
/// format (quotes, delimiters, newlines, brackets, byte order marks), deletions and
/// truncations, the damage real exports carry.
enum Mutator {
    /// The bytes a mutation writes or inserts, per format.
    struct Alphabet {
        /// Bytes that overwrite one byte.
        var replacements: [UInt8]
        /// Byte strings inserted before one byte.
        var insertions: [[UInt8]]

        /// CSV: quotes, the seed file's `|` delimiter, line ends, NUL, non-UTF-8 bytes.
        static let csv = Alphabet(replacements: Array("\"|,\n\r\t ".utf8) + [0x00, 0xFF, 0xC3, UInt8(ascii: "9"), UInt8(ascii: "-")],
                                  insertions: [[UInt8(ascii: "\"")], [UInt8(ascii: "|")], [UInt8(ascii: "\n")]])

        /// JSON: structure, string escapes, number and literal bytes, a byte order mark.
        static let json = Alphabet(
            replacements: Array("[]{}\",:\\\n 0-.eEtn".utf8) + [0x00, 0x1F, 0xFF, 0xC3],
            insertions: [Array("\"".utf8), Array(",".utf8), Array("{".utf8), Array("}".utf8), Array("]".utf8), Array("\n".utf8),
                         Array("\\".utf8), [0xEF, 0xBB, 0xBF], Array("null".utf8)]
        )
    }

    static func mutate(_ input: [UInt8], seed: UInt64, alphabet: Alphabet = .csv) -> [UInt8] {
        var random = SeededGenerator(seed: seed)
        var bytes = input
        let inserts = alphabet.insertions.count
        for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &random)
            // CSV keeps the choices (and so the mutants) it had before JSON was added.
            let choice = Int.random(in: 0..<(4 + inserts), using: &random)
            switch choice {
            case 0: bytes[at] = alphabet.replacements.randomElement(using: &random) ?? 0
            case 1...inserts: bytes.insert(contentsOf: alphabet.insertions[choice - 1], at: at)
            case inserts + 1: bytes.remove(at: at)
            case inserts + 2: bytes.removeSubrange(at...)
            default: bytes[at] = UInt8.random(in: 0...255, using: &random)
            }
        }
        return bytes
    }
}

@Suite("CSV fuzz: seeded mutations of the seed file read the same under every split size and worker count")
struct CSVFuzzTests {
    /// Cases per run; `SLUICE_FUZZ_CASES` raises it (`scripts/fuzz.sh`).
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
