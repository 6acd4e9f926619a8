/// xxHash64 exactly as Apache Spark computes `xxhash64(…)` (Spark's `XXH64` with its value
/// rules), so an id hashed from a row's values is the same on the local engine and on Spark.
///
/// Spark hashes the columns left to right, each with the previous result as its seed (42 to
/// begin with); a null leaves the seed as it is; text is its UTF-8 bytes; 64-bit integers,
/// timestamps, decimals of up to 18 digits (their unscaled value) and floats (their bits, with
/// −0.0 as 0.0) are one 8-byte word; booleans (1 / 0) and dates (days) are one 4-byte word.
///
/// ```swift
/// XXH64.hash(bytes: Array("abc".utf8), seed: XXH64.seed)   // 1423657621850124518, as Spark's xxhash64('abc')
/// ```
public enum XXH64 {
    /// The seed of the first column (Spark's).
    public static let seed: UInt64 = 42

    static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    @inline(__always)
    static func rotate(_ value: UInt64, _ bits: UInt64) -> UInt64 { (value << bits) | (value >> (64 - bits)) }

    @inline(__always)
    static func fmix(_ value: UInt64) -> UInt64 {
        var hash = value
        hash ^= hash >> 33
        hash = hash &* prime2
        hash ^= hash >> 29
        hash = hash &* prime3
        hash ^= hash >> 32
        return hash
    }

    /// A 4-byte value (Spark's `hashInt`): booleans, dates.
    public static func hash(int32 value: Int32, seed: UInt64) -> UInt64 {
        var hash = seed &+ prime5 &+ 4
        hash ^= UInt64(UInt32(bitPattern: value)) &* prime1
        hash = rotate(hash, 23) &* prime2 &+ prime3
        return fmix(hash)
    }

    /// An 8-byte value (Spark's `hashLong`): integers, timestamps, decimals, float bits.
    public static func hash(int64 value: Int64, seed: UInt64) -> UInt64 {
        var hash = seed &+ prime5 &+ 8
        hash ^= rotate(UInt64(bitPattern: value) &* prime2, 31) &* prime1
        hash = rotate(hash, 27) &* prime1 &+ prime4
        return fmix(hash)
    }

    /// Bytes (Spark's `hashUnsafeBytes`): text as UTF-8.
    public static func hash(bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let length = bytes.count
        var offset = 0
        var hash: UInt64
        let word = { (at: Int) -> UInt64 in UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        if length >= 32 {
            var v1 = seed &+ prime1 &+ prime2, v2 = seed &+ prime2, v3 = seed, v4 = seed &- prime1
            repeat {
                v1 = rotate(v1 &+ word(offset) &* prime2, 31) &* prime1
                v2 = rotate(v2 &+ word(offset + 8) &* prime2, 31) &* prime1
                v3 = rotate(v3 &+ word(offset + 16) &* prime2, 31) &* prime1
                v4 = rotate(v4 &+ word(offset + 24) &* prime2, 31) &* prime1
                offset += 32
            } while offset <= length - 32
            hash = rotate(v1, 1) &+ rotate(v2, 7) &+ rotate(v3, 12) &+ rotate(v4, 18)
            for lane in [v1, v2, v3, v4] {
                hash ^= rotate(lane &* prime2, 31) &* prime1
                hash = hash &* prime1 &+ prime4
            }
        } else {
            hash = seed &+ prime5
        }
        hash = hash &+ UInt64(length)
        while offset + 8 <= length {
            hash ^= rotate(word(offset) &* prime2, 31) &* prime1
            hash = rotate(hash, 27) &* prime1 &+ prime4
            offset += 8
        }
        if offset + 4 <= length {
            hash ^= UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) &* prime1
            hash = rotate(hash, 23) &* prime2 &+ prime3
            offset += 4
        }
        while offset < length {
            hash ^= UInt64(bytes[offset]) &* prime5
            hash = rotate(hash, 11) &* prime1
            offset += 1
        }
        return fmix(hash)
    }

    /// ``hash(bytes:seed:)`` of an array.
    public static func hash(bytes: [UInt8], seed: UInt64) -> UInt64 {
        bytes.withUnsafeBytes { hash(bytes: $0, seed: seed) }
    }
}

extension Column {
    /// Hashes each row's value into `hashes` (the seeds, one per row) as Spark's `xxhash64`
    /// does column by column; a null leaves its seed.
    public func xxhash64(into hashes: inout [UInt64]) {
        for row in 0..<count where !isNull(row) {
            switch storage {
            case .int64(let values):
                hashes[row] = XXH64.hash(int64: values[row], seed: hashes[row])
            case .int32(let values):
                hashes[row] = XXH64.hash(int32: values[row], seed: hashes[row])
            case .float64(let values):
                let value = values[row] == 0 ? 0 : values[row]
                hashes[row] = XXH64.hash(int64: Int64(bitPattern: value.isNaN ? Double.nan.bitPattern : value.bitPattern), seed: hashes[row])
            case .bool(let values):
                hashes[row] = XXH64.hash(int32: values[row] ? 1 : 0, seed: hashes[row])
            case .string(let storage):
                let seed = hashes[row]
                hashes[row] = storage.withBytes(at: row) { XXH64.hash(bytes: UnsafeRawBufferPointer($0), seed: seed) }
            case .list:
                break
            }
        }
    }
}
