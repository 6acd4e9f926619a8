import Foundation
@_spi(Fuzzing) import SluiceIO
import SluiceTestSupport
import Testing

/// The libFuzzer targets' entry points (`Fuzz/`, `scripts/fuzz-libfuzzer.sh`) run in the
/// ordinary test build too: on their seed corpus and on seeded mutants of it, so the
/// invariants they check hold on every CI run, not only when the fuzzer is built. A broken
/// invariant stops the test process with its message.
@Suite("Fuzz entries: the libFuzzer seed corpus and seeded mutants of it keep every invariant")
struct FuzzEntryTests {
    /// Mutants per corpus file; `SLUICE_FUZZ_CASES` raises it (`scripts/fuzz.sh`).
    static let mutants = (ProcessInfo.processInfo.environment["SLUICE_FUZZ_CASES"].flatMap(Int.init) ?? 240) / 6

    static func corpus(_ kind: String) throws -> [[UInt8]] {
        let folder = TestSupport.repositoryRoot.appendingPathComponent("Fuzz/corpus/\(kind)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        return try names.map { Array(try Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    @Test("CSV: records, their newlines and the split synchronizer agree")
    func csv() throws {
        let files = try Self.corpus("csv")
        #expect(files.count >= 5)
        for (index, file) in files.enumerated() {
            #expect(file.withUnsafeBufferPointer { FuzzEntry.csv($0) } == nil, "corpus file \(index)")
            for mutant in 0..<Self.mutants {
                let bytes = Mutator.mutate(file, seed: UInt64(index * 1_000 + mutant) &* 0x9E37_79B9 &+ 11, alphabet: .csv)
                #expect(bytes.withUnsafeBufferPointer { FuzzEntry.csv($0) } == nil, "corpus file \(index), mutant \(mutant)")
            }
        }
    }

    @Test("JSON: every object read is passed or rejected, and a reused decoder reads the same")
    func json() throws {
        let files = try Self.corpus("json")
        #expect(files.count >= 5)
        for (index, file) in files.enumerated() {
            #expect(file.withUnsafeBufferPointer { FuzzEntry.json($0) } == nil, "corpus file \(index)")
            for mutant in 0..<Self.mutants {
                let bytes = Mutator.mutate(file, seed: UInt64(index * 1_000 + mutant) &* 0x9E37_79B9 &+ 13, alphabet: .json)
                #expect(bytes.withUnsafeBufferPointer { FuzzEntry.json($0) } == nil, "corpus file \(index), mutant \(mutant)")
            }
        }
    }
}
