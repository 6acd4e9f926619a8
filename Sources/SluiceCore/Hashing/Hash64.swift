/// Fast, seedless 64-bit hashing for partitioning rows and probing hash tables.
///
/// Deterministic across runs and machines, so the same key always lands in the same shuffle
/// bucket; not meant to resist adversarial keys.
public enum Hash64 {
    /// A strong finaliser for one 64-bit word (murmur3's fmix64).
    @inlinable @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        x &*= 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return x
    }

    /// Combines an existing hash with another word, for multi-column keys.
    @inlinable @inline(__always)
    public static func combine(_ seed: UInt64, _ value: UInt64) -> UInt64 {
        mix(seed ^ (value &+ 0x9e37_79b9_7f4a_7c15 &+ (seed << 6) &+ (seed >> 2)))
    }

    /// Hashes a byte string eight bytes at a time.
    /// - Complexity: O(n), no allocation.
    @inlinable
    public static func bytes(_ buffer: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0x243f_6a88_85a3_08d3 ^ UInt64(buffer.count)
        var offset = 0
        let count = buffer.count
        while offset + 8 <= count {
            let word = buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            hash = (hash ^ mix(word)) &* 0x9e37_79b9_7f4a_7c15
            offset += 8
        }
        if offset < count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < count {
                tail |= UInt64(buffer[offset]) << shift
                shift += 8
                offset += 1
            }
            hash = (hash ^ mix(tail)) &* 0x9e37_79b9_7f4a_7c15
        }
        return mix(hash)
    }

    /// The hash of a null, distinct from the hash of any small integer.
    public static let nullHash: UInt64 = 0x6a09_e667_f3bc_c908
}

extension Column {
    /// Combines each row's hash of this column into `hashes` (one slot per row), so that
    /// rows equal on all key columns get equal hashes. Used to pick shuffle buckets.
    public func combineHashes(into hashes: inout [UInt64]) {
        let rows = count
        hashes.withUnsafeMutableBufferPointer { out in
            switch storage {
            case .int64(let values):
                values.withUnsafeBufferPointer { v in
                    for row in 0..<rows { out[row] = Hash64.combine(out[row], UInt64(bitPattern: v[row])) }
                }
            case .float64(let values):
                values.withUnsafeBufferPointer { v in
                    for row in 0..<rows {
                        let value = v[row] == 0 ? 0 : v[row]  // -0.0 and 0.0 are one key
                        out[row] = Hash64.combine(out[row], value.bitPattern)
                    }
                }
            case .int32(let values):
                values.withUnsafeBufferPointer { v in
                    for row in 0..<rows {
                        out[row] = Hash64.combine(out[row], UInt64(bitPattern: Int64(v[row])))
                    }
                }
            case .bool(let values):
                for row in 0..<rows { out[row] = Hash64.combine(out[row], values[row] ? 1 : 0) }
            case .string(let storage):
                storage.offsets.withUnsafeBufferPointer { offsets in
                    storage.bytes.withUnsafeBytes { bytes in
                        for row in 0..<rows {
                            let slice = UnsafeRawBufferPointer(
                                rebasing: bytes[Int(offsets[row])..<Int(offsets[row + 1])]
                            )
                            out[row] = Hash64.combine(out[row], Hash64.bytes(slice))
                        }
                    }
                }
            case .list:
                // The list's text: the same on every run (Swift's hashValue is seeded per process).
                for row in 0..<rows {
                    var text = value(at: row).description
                    let hash = text.withUTF8 { Hash64.bytes(UnsafeRawBufferPointer($0)) }
                    out[row] = Hash64.combine(out[row], hash)
                }
            }
            if let validity {
                for row in 0..<rows where !validity.isValid(row) {
                    out[row] = Hash64.combine(out[row] ^ Hash64.nullHash, Hash64.nullHash)
                }
            }
        }
    }
}
