import Foundation
import SluiceCore
import SluiceIO
import SluiceTestSupport
import Testing

/// Deflated entries are inflated and CRC-checked by Sluice, not libzip: the CRC
/// fold must agree with zlib for every length, alignment and split, and damaged entries must
/// still fail with the errors libzip gave.
@Suite("ZIP entries inflated and checked by Sluice")
struct ZipInflaterTests {
    /// Bytes from a fixed seed, with runs so deflate has something to find.
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { index in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return index % 7 < 3 ? UInt8(ascii: "a") + UInt8(index % 26) : UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    @Test("the CRC fold equals zlib's crc32 for every length to 300, at every alignment, and across splits")
    func crcMatchesZlib() {
        #if arch(x86_64)
        // Else this would only compare zlib with itself.
        #expect(ZipCRC32.isFolding)
        #endif
        let data = Self.bytes(4_096, seed: 7)
        data.withUnsafeBytes { all in
            for offset in 0..<16 {
                for length in 0...300 {
                    let slice = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
                    #expect(ZipCRC32.update(0, slice) == ZipCRC32.zlibUpdate(0, slice), "offset \(offset), length \(length)")
                }
            }
            let whole = ZipCRC32.zlibUpdate(0, all)
            #expect(whole == ZipCRC32.update(0, all))
            // Continuing from a previous value, split at every point a reader's chunks could fall.
            for split in [1, 15, 16, 17, 63, 64, 65, 127, 1_000, 2_048, 4_031, 4_095] {
                let first = ZipCRC32.update(0, UnsafeRawBufferPointer(rebasing: all[0..<split]))
                #expect(ZipCRC32.update(first, UnsafeRawBufferPointer(rebasing: all[split...])) == whole, "split at \(split)")
            }
        }
        // The standard check value of CRC-32.
        #expect(Array("123456789".utf8).withUnsafeBytes { ZipCRC32.update(0, $0) } == 0xCBF4_3926)
        #expect(Array(repeating: UInt8(ascii: "x"), count: 1_000).withUnsafeBytes { ZipCRC32.update(0, $0) }
            == Array(repeating: UInt8(ascii: "x"), count: 1_000).withUnsafeBytes { ZipCRC32.zlibUpdate(0, $0) })
    }

    @Test("deflated and stored entries of 0 bytes to 3 MB read back whole, in one read or in small chunks")
    func roundTrip() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-zip-inflate")
        defer { try? FileManager.default.removeItem(at: directory) }
        let payloads = [0, 1, 63, 64, 65, 70_000, 3 << 20].map { Self.bytes($0, seed: UInt64($0) + 1) }
        let entries = payloads.enumerated().map { ZipFixtures.Entry("p\($0.offset).bin", $0.element) }
        for stored in [false, true] {
            let path = try ZipFixtures.write(entries, to: directory, name: stored ? "stored.zip" : "deflated.zip", stored: stored)
            let archive = try ZipArchive(path: path)
            for (index, payload) in payloads.enumerated() {
                #expect(try archive.read(entryAt: index) == payload, "entry \(index), stored \(stored)")
                let reader = try archive.openEntry(at: index)
                var chunks: [UInt8] = []
                while let chunk = try reader.readChunk(maxCount: 1_000) { chunks += chunk }
                #expect(chunks == payload, "entry \(index) in chunks, stored \(stored)")
            }
        }
    }

    @Test("a deflated entry whose CRC does not match, or whose data is damaged, fails with the entry's path")
    func damagedDeflatedEntries() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-zip-inflate-damage")
        defer { try? FileManager.default.removeItem(at: directory) }
        let payload = Self.bytes(200_000, seed: 11)
        let clean = try ZipFixtures.bytes([.init("data.bin", payload)])

        // The CRC in the local header and the directory, off by one bit: the data inflates
        // fine, and only the check at the end can catch it.
        let crc = payload.withUnsafeBytes { ZipCRC32.zlibUpdate(0, $0) }
        let wrong = crc ^ 1
        let crcBytes = (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt32($0))) }
        let wrongBytes = (0..<4).map { UInt8(truncatingIfNeeded: wrong >> (8 * UInt32($0))) }
        var badCRC = clean
        var replaced = 0
        for start in 0...(badCRC.count - 4) where Array(badCRC[start..<(start + 4)]) == crcBytes {
            badCRC.replaceSubrange(start..<(start + 4), with: wrongBytes)
            replaced += 1
        }
        #expect(replaced == 2)
        let crcPath = directory.appendingPathComponent("crc.zip").path
        try Data(badCRC).write(to: URL(fileURLWithPath: crcPath))
        let crcError = try #require(throws: SluiceError.self) { try ZipArchive(path: crcPath).read(entryAt: 0) }
        #expect(crcError.kind == .data)
        #expect(crcError.message == "archive is truncated or corrupt (CRC error)")
        #expect(crcError.location == "\(crcPath)!/data.bin")

        // Bytes in the middle of the deflate stream overwritten: invalid data, a CRC error or a
        // size that differs from the header's, but never bytes returned as if intact.
        var damaged = clean
        let middle = damaged.count / 2
        for index in middle..<(middle + 64) { damaged[index] ^= 0x5A }
        let damagedPath = directory.appendingPathComponent("damaged.zip").path
        try Data(damaged).write(to: URL(fileURLWithPath: damagedPath))
        let dataError = try #require(throws: SluiceError.self) { try ZipArchive(path: damagedPath).read(entryAt: 0) }
        #expect(dataError.kind == .data)
        #expect(dataError.location == "\(damagedPath)!/data.bin")
    }
}
