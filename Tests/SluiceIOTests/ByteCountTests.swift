import SluiceIO
import Testing

/// The newline and quote counts that give every split its first line number.
@Suite("Byte counts in sixteen-byte steps")
struct ByteCountTests {
    static func scalarCount(_ bytes: [UInt8], _ byte: UInt8) -> Int { bytes.reduce(0) { $0 + ($1 == byte ? 1 : 0) } }

    @Test("every length from 0 to 80 at every start from 0 to 16, bytes on both sides of 0x80, match a byte-by-byte count")
    func everyLengthAndStart() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let alphabet: [UInt8] = [0x0A, 0x22, 0x0D, 0x2C, 0x41, 0x7F, 0x80, 0x8A, 0xA2, 0xFF, 0x00]
        let bytes: [UInt8] = (0..<200).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return alphabet[Int(state >> 33) % alphabet.count]
        }
        var mismatches: [String] = []
        bytes.withUnsafeBytes { raw in
            for start in 0...16 {
                for length in 0...80 {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
                    let expected = Array(bytes[start..<(start + length)])
                    let counted = FileSplitter.countBytes(slice, 0x0A, 0x22)
                    if counted.first != Self.scalarCount(expected, 0x0A) || counted.second != Self.scalarCount(expected, 0x22) {
                        mismatches.append("start \(start) length \(length): \(counted)")
                    }
                    let high = FileSplitter.countBytes(slice, 0x8A, 0x8A)
                    if high.first != Self.scalarCount(expected, 0x8A) || high.second != high.first {
                        mismatches.append("start \(start) length \(length), 0x8A: \(high)")
                    }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test("a buffer of only newlines, past the 255 steps a lane counter can take, counts every one")
    func countersDoNotWrap() {
        for count in [255 * 16 - 1, 255 * 16, 255 * 16 + 1, 255 * 16 + 15, 100_003] {
            let bytes = [UInt8](repeating: 0x0A, count: count)
            let counted = bytes.withUnsafeBytes { FileSplitter.countBytes($0, 0x0A, 0x22) }
            #expect(counted.first == count && counted.second == 0)
        }
    }
}
