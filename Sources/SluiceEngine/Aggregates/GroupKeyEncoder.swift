import SluiceCore

/// Turns the key columns of a batch into fixed-width keys: one 64-bit word per key column,
/// plus one word of null flags when a key type has no spare bit pattern for null.
///
/// Strings of up to 7 bytes are packed into their word directly (bytes, then the length in
/// the top byte), so the usual short codes and ids never touch a dictionary; longer strings
/// are interned and their word is the id with the top bit set. Dates, bools and strings
/// encode null in-band; 64-bit types use the null-flags word.
struct GroupKeyEncoder {
    let types: [DataType]
    /// Words per key: one per column, plus a null-flags word when needed.
    let width: Int
    private let nullWord: Int?
    private var interners: [StringInterner]

    static let nullString: UInt64 = .max
    static let nullDate: UInt64 = 1 << 40
    static let nullBool: UInt64 = 2

    init(types: [DataType]) {
        self.types = types
        let needsNullWord = types.contains { type in
            switch type {
            case .string, .date, .bool: false
            default: true
            }
        }
        nullWord = needsNullWord ? types.count : nil
        width = types.count + (needsNullWord ? 1 : 0)
        interners = types.map { _ in StringInterner(capacity: 64) }
    }

    /// Refuses key types the fixed-width encoding cannot hold (lists), when the plan is built
    /// rather than by collapsing every list into one group while it runs.
    static func requireEncodable(_ type: DataType, key: String, in context: String) throws(SluiceError) {
        if case .list = type {
            throw SluiceError.plan("column '\(key)' is a list (\(type)), which cannot be a key of \(context)",
                                   hint: "group or join on a scalar column, or turn the list into text first")
        }
    }

    /// Writes `rows × width` words, row-major, for the key columns of one batch.
    mutating func encode(_ columns: [Column], rows: Int, into words: inout [UInt64]) {
        words.removeAll(keepingCapacity: true)
        words.append(contentsOf: repeatElement(0, count: rows * width))
        let width = self.width
        for (position, column) in columns.enumerated() {
            words.withUnsafeMutableBufferPointer { out in
                switch column.storage {
                case .int64(let values):
                    values.withUnsafeBufferPointer { v in
                        for row in 0..<rows { out[row * width + position] = UInt64(bitPattern: v[row]) }
                    }
                case .float64(let values):
                    for row in 0..<rows {
                        let value = values[row] == 0 ? 0 : (values[row].isNaN ? .nan : values[row])
                        out[row * width + position] = value.bitPattern
                    }
                case .int32(let values):
                    values.withUnsafeBufferPointer { v in
                        for row in 0..<rows { out[row * width + position] = UInt64(bitPattern: Int64(v[row])) }
                    }
                case .bool(let values):
                    for row in 0..<rows { out[row * width + position] = values[row] ? 1 : 0 }
                case .string(let storage):
                    encodeStrings(storage, column: position, rows: rows, width: width, into: out)
                case .list:
                    break
                }
                if let validity = column.validity {
                    for row in 0..<rows where !validity.isValid(row) {
                        switch types[position] {
                        case .string: out[row * width + position] = Self.nullString
                        case .date: out[row * width + position] = Self.nullDate
                        case .bool: out[row * width + position] = Self.nullBool
                        default:
                            out[row * width + position] = 0
                            if let nullWord { out[row * width + nullWord] |= 1 << UInt64(position) }
                        }
                    }
                }
            }
        }
    }

    private mutating func encodeStrings(
        _ storage: StringStorage, column: Int, rows: Int, width: Int, into out: UnsafeMutableBufferPointer<UInt64>
    ) {
        storage.offsets.withUnsafeBufferPointer { offsets in
            storage.bytes.withUnsafeBufferPointer { bytes in
                for row in 0..<rows {
                    let start = Int(offsets[row]), length = Int(offsets[row + 1]) - start
                    if length <= 7 {
                        var word = UInt64(length) << 56
                        var shift: UInt64 = 0
                        for index in start..<start + length {
                            word |= UInt64(bytes[index]) << shift
                            shift += 8
                        }
                        out[row * width + column] = word
                    } else {
                        let id = interners[column].intern(UnsafeBufferPointer(rebasing: bytes[start..<start + length]))
                        out[row * width + column] = UInt64(id) | (1 << 63)
                    }
                }
            }
        }
    }

    /// Rebuilds the key columns from the stored keys of `groupCount` groups.
    func decode(_ keys: [UInt64], groupCount: Int) -> [Column] {
        types.enumerated().map { position, type in
            var builder = ColumnBuilder(type: type, capacity: groupCount)
            for group in 0..<groupCount {
                let word = keys[group * width + position]
                if let nullWord, keys[group * width + nullWord] & (1 << UInt64(position)) != 0 {
                    builder.appendNull()
                    continue
                }
                switch type {
                case .string:
                    if word == Self.nullString {
                        builder.appendNull()
                    } else if word & (1 << 63) != 0 {
                        interners[position].withBytes(UInt32(truncatingIfNeeded: word)) { builder.append(bytes: $0) }
                    } else {
                        withUnsafeBytes(of: word.littleEndian) { raw in
                            builder.append(bytes: UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[0..<Int(word >> 56)]))
                        }
                    }
                case .date:
                    if word == Self.nullDate { builder.appendNull() } else { builder.append(date: Int32(truncatingIfNeeded: Int64(bitPattern: word))) }
                case .bool:
                    if word == Self.nullBool { builder.appendNull() } else { builder.append(bool: word == 1) }
                case .float64:
                    builder.append(float64: Double(bitPattern: word))
                default:
                    builder.append(int64: Int64(bitPattern: word))
                }
            }
            return builder.finish()
        }
    }

    var byteSize: Int { interners.reduce(0) { $0 + $1.byteSize } }
}
