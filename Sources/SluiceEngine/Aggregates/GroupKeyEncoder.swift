import SluiceCore

/// Turns the key columns of a batch into fixed-width keys: one 64-bit word per key column
/// (two for a wide string column), plus one word of null flags when a key type has no spare
/// bit pattern for null.
///
/// Strings of up to 7 bytes are packed into their word directly (bytes, then the length in
/// the top byte), so the usual short codes and ids never touch a dictionary; longer strings
/// are interned and their word is the id with the top bit set. A string column whose sample
/// values are 8 to 15 bytes long (ids such as `org_000123`, `user_004567`) gets two words and
/// packs up to 15 bytes the same way: hashing and comparing two words is cheaper than a
/// dictionary probe per value, and decoding needs no lookup. Dates, bools and strings encode
/// null in-band; 64-bit types use the null-flags word.
struct GroupKeyEncoder {
    let types: [DataType]
    /// Words per key: one per column (two for a wide string), plus a null-flags word when needed.
    let width: Int
    /// Where each column's first word is.
    private let offsets: [Int]
    /// Whether each column takes two words (strings only).
    private let wide: [Bool]
    private let nullWord: Int?
    private var interners: [StringInterner]

    static let nullString: UInt64 = .max
    static let nullDate: UInt64 = 1 << 40
    static let nullBool: UInt64 = 2
    /// The second word of a wide string that is interned (its first word is the id).
    static let internedWide: UInt64 = 1 << 63

    /// - Parameter sample: key columns of a first batch; a string column whose values there
    ///   are mostly 8 to 15 bytes long gets two words. Without one, every column takes one.
    init(types: [DataType], sample: [Column]? = nil) {
        let needsNullWord = types.contains { type in
            switch type {
            case .string, .date, .bool: false
            default: true
            }
        }
        var wide = [Bool](repeating: false, count: types.count)
        if let sample, sample.count == types.count {
            for (position, column) in sample.enumerated() {
                guard case .string(let storage) = column.storage else { continue }
                wide[position] = Self.prefersTwoWords(storage)
            }
        }
        self.init(types: types, wide: wide, needsNullWord: needsNullWord)
    }

    private init(types: [DataType], wide: [Bool], needsNullWord: Bool) {
        self.types = types
        var offsets: [Int] = []
        var next = 0
        for position in types.indices {
            offsets.append(next)
            next += wide[position] ? 2 : 1
        }
        self.wide = wide
        self.offsets = offsets
        nullWord = needsNullWord ? next : nil
        width = next + (needsNullWord ? 1 : 0)
        interners = types.map { _ in StringInterner(capacity: 64) }
    }

    /// An encoder with the same layout and no interned strings (for a table started afresh).
    func emptied() -> GroupKeyEncoder {
        GroupKeyEncoder(types: types, wide: wide, needsNullWord: nullWord != nil)
    }

    /// True when most sampled values are 8–15 bytes: short enough to pack in two words, too
    /// long for one.
    static func prefersTwoWords(_ storage: StringStorage) -> Bool {
        let count = min(storage.count, 4096)
        guard count > 0 else { return false }
        var mid = 0
        storage.offsets.withUnsafeBufferPointer { offsets in
            for row in 0..<count where (8...15).contains(offsets[row + 1] - offsets[row]) { mid += 1 }
        }
        return mid * 2 > count
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
            let word = offsets[position]
            words.withUnsafeMutableBufferPointer { out in
                switch column.storage {
                case .int64(let values):
                    values.withUnsafeBufferPointer { v in
                        for row in 0..<rows { out[row * width + word] = UInt64(bitPattern: v[row]) }
                    }
                case .float64(let values):
                    for row in 0..<rows {
                        let value = values[row] == 0 ? 0 : (values[row].isNaN ? .nan : values[row])
                        out[row * width + word] = value.bitPattern
                    }
                case .int32(let values):
                    values.withUnsafeBufferPointer { v in
                        for row in 0..<rows { out[row * width + word] = UInt64(bitPattern: Int64(v[row])) }
                    }
                case .bool(let values):
                    for row in 0..<rows { out[row * width + word] = values[row] ? 1 : 0 }
                case .string(let storage):
                    if wide[position] {
                        encodeWideStrings(storage, column: position, word: word, rows: rows, width: width, into: out)
                    } else {
                        encodeStrings(storage, column: position, word: word, rows: rows, width: width, into: out)
                    }
                case .list:
                    break
                }
                if let validity = column.validity {
                    for row in 0..<rows where !validity.isValid(row) {
                        switch types[position] {
                        case .string:
                            if wide[position] {
                                out[row * width + word] = 0
                                out[row * width + word + 1] = Self.nullString
                            } else {
                                out[row * width + word] = Self.nullString
                            }
                        case .date: out[row * width + word] = Self.nullDate
                        case .bool: out[row * width + word] = Self.nullBool
                        default:
                            out[row * width + word] = 0
                            if let nullWord { out[row * width + nullWord] |= 1 << UInt64(position) }
                        }
                    }
                }
            }
        }
    }

    private mutating func encodeStrings(
        _ storage: StringStorage, column: Int, word: Int, rows: Int, width: Int, into out: UnsafeMutableBufferPointer<UInt64>
    ) {
        storage.offsets.withUnsafeBufferPointer { offsets in
            storage.bytes.withUnsafeBufferPointer { bytes in
                for row in 0..<rows {
                    let start = Int(offsets[row]), length = Int(offsets[row + 1]) - start
                    if length <= 7 {
                        out[row * width + word] = UInt64(length) << 56 | ByteWord.pack(bytes, from: start, count: length)
                    } else {
                        let id = interners[column].intern(UnsafeBufferPointer(rebasing: bytes[start..<start + length]))
                        out[row * width + word] = UInt64(id) | (1 << 63)
                    }
                }
            }
        }
    }

    /// Two words per value: bytes 0–7, then bytes 8–14 with the length in the top byte;
    /// longer values are interned (the id, then ``internedWide``).
    private mutating func encodeWideStrings(
        _ storage: StringStorage, column: Int, word: Int, rows: Int, width: Int, into out: UnsafeMutableBufferPointer<UInt64>
    ) {
        storage.offsets.withUnsafeBufferPointer { offsets in
            storage.bytes.withUnsafeBufferPointer { bytes in
                for row in 0..<rows {
                    let start = Int(offsets[row]), length = Int(offsets[row + 1]) - start
                    if length <= 15 {
                        let low = min(length, 8)
                        out[row * width + word] = ByteWord.pack(bytes, from: start, count: low)
                        out[row * width + word + 1] = UInt64(length) << 56 | ByteWord.pack(bytes, from: start + low, count: length - low)
                    } else {
                        let id = interners[column].intern(UnsafeBufferPointer(rebasing: bytes[start..<start + length]))
                        out[row * width + word] = UInt64(id)
                        out[row * width + word + 1] = Self.internedWide
                    }
                }
            }
        }
    }

    /// Rebuilds the key columns from the stored keys of `groupCount` groups.
    func decode(_ keys: [UInt64], groupCount: Int) -> [Column] {
        types.enumerated().map { position, type in
            if type == .string { return decodeText(keys, groupCount: groupCount, position: position) }
            var builder = ColumnBuilder(type: type, capacity: groupCount)
            let offset = offsets[position]
            for group in 0..<groupCount {
                let word = keys[group * width + offset]
                if let nullWord, keys[group * width + nullWord] & (1 << UInt64(position)) != 0 {
                    builder.appendNull()
                    continue
                }
                switch type {
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

    /// A text key column, written through a ``TextColumnWriter``: each value one inlined copy
    /// into memory sized once, where appending each to a growing array cost a uniqueness check
    /// and a generic append (7 % of the instructions of a job whose groups are most of its
    /// rows). Past the writer's 2 GiB, a column builder makes it as before.
    private func decodeText(_ keys: [UInt64], groupCount: Int, position: Int) -> Column {
        let writers = TextColumnWriter.allocate(rows: [groupCount])
        let fits = forEachText(keys, groupCount: groupCount, position: position) { bytes in
            guard let bytes else {
                writers[0].appendNull()
                return true
            }
            return writers[0].append(bytes)
        }
        let written: Column? = fits ? writers[0].finish() : nil
        // Freed before a builder starts over, so the two never hold the text together.
        TextColumnWriter.deallocate(writers)
        if let written { return written }
        var builder = ColumnBuilder(type: .string, capacity: groupCount)
        _ = forEachText(keys, groupCount: groupCount, position: position) { bytes in
            if let bytes { builder.append(bytes: bytes) } else { builder.appendNull() }
            return true
        }
        return builder.finish()
    }

    /// Calls `body` with the text of key column `position` for each group in order (nil for a
    /// null) while it returns true; whether every call did.
    @inline(__always)
    private func forEachText(_ keys: [UInt64], groupCount: Int, position: Int, _ body: (UnsafeBufferPointer<UInt8>?) -> Bool) -> Bool {
        let offset = offsets[position], isWide = wide[position], nullBit = UInt64(1) << UInt64(position)
        return keys.withUnsafeBufferPointer { keys in
            for group in 0..<groupCount {
                let word = keys[group * width + offset]
                let going: Bool
                if let nullWord, keys[group * width + nullWord] & nullBit != 0 {
                    going = body(nil)
                } else if isWide {
                    let second = keys[group * width + offset + 1]
                    if second == Self.nullString {
                        going = body(nil)
                    } else if second == Self.internedWide {
                        going = interners[position].withBytes(UInt32(truncatingIfNeeded: word)) { body($0) }
                    } else {
                        going = withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2) { pair in
                            pair[0] = word.littleEndian
                            pair[1] = second.littleEndian
                            let raw = UnsafeRawBufferPointer(pair).bindMemory(to: UInt8.self)
                            // Bytes 8–14 follow bytes 0–7; the length byte is past any value's end.
                            return body(UnsafeBufferPointer(rebasing: raw[0..<Int(second >> 56)]))
                        }
                    }
                } else if word == Self.nullString {
                    going = body(nil)
                } else if word & (1 << 63) != 0 {
                    going = interners[position].withBytes(UInt32(truncatingIfNeeded: word)) { body($0) }
                } else {
                    going = withUnsafeBytes(of: word.littleEndian) { raw in
                        body(UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[0..<Int(word >> 56)]))
                    }
                }
                if !going { return false }
            }
            return true
        }
    }

    var byteSize: Int { interners.reduce(0) { $0 + $1.byteSize } }
}
