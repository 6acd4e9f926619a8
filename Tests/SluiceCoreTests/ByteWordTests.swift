import SluiceCore
import Testing

/// The word-at-a-time byte tests the CSV tokenizer, the file splitter and the JSON scanner share.
@Suite("Byte words")
struct ByteWordTests {
    @Test("zeroBytes flags exactly the zero bytes, whatever their neighbours")
    func zeroBytes() {
        // Every byte value at every position, beside zeros and 0x80s (the neighbours a borrow
        // or a carry would leak from).
        for position in 0..<8 {
            for value in 0...255 {
                for filler: UInt64 in [0, 0x80, 0x01, 0xFF] {
                    var word: UInt64 = 0
                    for index in 0..<8 { word |= (index == position ? UInt64(value) : filler) << UInt64(index * 8) }
                    var expected: UInt64 = 0
                    for index in 0..<8 where (word >> UInt64(index * 8)) & 0xFF == 0 { expected |= 0x80 << UInt64(index * 8) }
                    #expect(ByteWord.zeroBytes(word) == expected)
                }
            }
        }
        #expect(ByteWord.zeroBytes(ByteWord.repeated(0x2C) ^ ByteWord.repeated(0x2C)) == 0x8080_8080_8080_8080)
    }

    @Test("pack and prefix read little-endian, the rest zero, at a buffer's end too")
    func pack() {
        let bytes: [UInt8] = Array("abcdefghij".utf8)
        bytes.withUnsafeBufferPointer { buffer in
            #expect(ByteWord.pack(buffer, from: 0, count: 3) == 0x63_6261)
            #expect(ByteWord.pack(buffer, from: 8, count: 2) == 0x6A69)
            #expect(ByteWord.prefix(buffer) == 0x6867_6665_6463_6261)
            #expect(ByteWord.prefix(UnsafeBufferPointer(rebasing: buffer[0..<0])) == 0)
        }
    }
}
