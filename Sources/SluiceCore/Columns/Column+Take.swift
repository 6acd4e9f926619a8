/// Row selection and concatenation: the moves that filters, shuffles and sorts make.
extension Column {
    /// The rows at `indices`, in that order.
    /// - Complexity: O(indices.count) plus the bytes of the selected strings.
    public func take(_ indices: [Int32]) -> Column {
        if isAllNullInt64 {
            return Column(type: type, storage: .int64([Int64](repeating: 0, count: indices.count)),
                          validity: ValidityBitmap(count: indices.count, allValid: false))
        }
        let newValidity = validity.map { bitmap in bitmap.gather(indices) }
        let newStorage: ColumnStorage
        switch storage {
        case .int64(let values): newStorage = .int64(Self.gather(values, indices))
        case .float64(let values): newStorage = .float64(Self.gather(values, indices))
        case .int32(let values): newStorage = .int32(Self.gather(values, indices))
        case .bool(let values): newStorage = .bool(Self.gather(values, indices))
        case .string(let source):
            var result = StringStorage()
            // Two passes over raw buffers: the total first, then one copy per row into
            // storage allocated once, with no per-row array growth.
            source.offsets.withUnsafeBufferPointer { offsets in
                source.bytes.withUnsafeBufferPointer { bytes in
                    result.offsets = Self.takenOffsets(offsets, indices)
                    let total = Int(result.offsets[indices.count])
                    // An empty array is the runtime's shared empty storage, which must not be
                    // written to (its count would be, from every thread at once).
                    guard total > 0 else { return }
                    // Eight spare bytes: a short value is moved as one whole word (below).
                    result.bytes = [UInt8](unsafeUninitializedCapacity: total + 8) { target, initialized in
                        guard let destination = target.baseAddress, let origin = bytes.baseAddress else {
                            initialized = 0
                            return
                        }
                        // Consecutive rows are one move: a filter's kept rows, or a
                        // batch's new groups, come in long runs; scattered rows cost one
                        // comparison more each.
                        var written = 0
                        var position = 0
                        while position < indices.count {
                            let first = Int(indices[position])
                            var last = first
                            position += 1
                            while position < indices.count, Int(indices[position]) == last + 1 {
                                last += 1
                                position += 1
                            }
                            let start = Int(offsets[first])
                            let length = Int(offsets[last + 1]) - start
                            if length <= 8, start + 8 <= bytes.count {
                                // Ids and codes of a few bytes, taken one row at a time: one
                                // word load and store, no branch on the length. The bytes
                                // past the value are overwritten by the next one or fall in
                                // the spare bytes.
                                let word = UnsafeRawPointer(origin + start).loadUnaligned(as: UInt64.self)
                                UnsafeMutableRawPointer(destination + written).storeBytes(of: word, as: UInt64.self)
                            } else {
                                Self.copyBytes(from: origin + start, to: destination + written, count: length)
                            }
                            written += length
                        }
                        initialized = written
                    }
                }
            }
            newStorage = .string(result)
        case .list(let offsets, let values):
            // Sized first, then filled through raw buffers: appending element by element
            // checked capacity and uniqueness per element, and regrew (a shuffle of day sets
            // spent a tenth of its time in takes).
            let (newOffsets, elementIndices) = offsets.withUnsafeBufferPointer { offsets in
                let newOffsets = Self.takenOffsets(offsets, indices)
                let total = Int(newOffsets[indices.count])
                let elementIndices = [Int32](unsafeUninitializedCapacity: max(total, 1)) { target, initialized in
                    var written = 0
                    for index in indices {
                        var element = offsets[Int(index)]
                        let end = offsets[Int(index) + 1]
                        while element < end {
                            target.initializeElement(at: written, to: element)
                            written += 1
                            element += 1
                        }
                    }
                    initialized = written
                }
                return (newOffsets, elementIndices)
            }
            newStorage = .list(offsets: newOffsets, values: values.take(elementIndices))
        }
        return Column(type: type, storage: newStorage, validity: newValidity)
    }

    /// Whether the values are 64-bit integers.
    var isInt64Storage: Bool {
        if case .int64 = storage { return true }
        return false
    }

    /// Whether this is a 64-bit column with every row null: its values are never read, so a
    /// take need not gather them.
    var isAllNullInt64: Bool {
        guard isInt64Storage, let validity, count > 0 else { return false }
        return validity.nullCount == count
    }

    /// The offsets of the rows at `indices` of a column with `offsets` (strings or lists),
    /// laid end to end from 0: one more than there are indices, the last being the total.
    /// Offsets are 32-bit, as the column's own are; a take past that (repeated rows of a
    /// column near 2 GiB) stops rather than wrap.
    static func takenOffsets(_ offsets: UnsafeBufferPointer<Int32>, _ indices: [Int32]) -> [Int32] {
        [Int32](unsafeUninitializedCapacity: indices.count + 1) { target, initialized in
            target.initializeElement(at: 0, to: 0)
            var end = 0
            for (position, index) in indices.enumerated() {
                end += Int(offsets[Int(index) + 1]) - Int(offsets[Int(index)])
                precondition(end <= Int(Int32.max), "a take of more than 2 GiB of values into one column")
                target.initializeElement(at: position + 1, to: Int32(truncatingIfNeeded: end))
            }
            initialized = indices.count + 1
        }
    }

    /// Copies `count` bytes: up to sixteen with two overlapping word moves (or a short loop)
    /// in place, more through `memmove`. Most strings a take moves are ids and codes of a few
    /// bytes, taken one row at a time, where the call cost more than the copy.
    @inline(__always)
    static func copyBytes(from source: UnsafePointer<UInt8>, to target: UnsafeMutablePointer<UInt8>, count: Int) {
        if count > 16 {
            target.initialize(from: source, count: count)
        } else if count >= 8 {
            let head = UnsafeRawPointer(source).loadUnaligned(as: UInt64.self)
            let tail = UnsafeRawPointer(source + count - 8).loadUnaligned(as: UInt64.self)
            UnsafeMutableRawPointer(target).storeBytes(of: head, as: UInt64.self)
            UnsafeMutableRawPointer(target + count - 8).storeBytes(of: tail, as: UInt64.self)
        } else {
            for index in 0..<count { target[index] = source[index] }
        }
    }

    @inlinable
    static func gather<T>(_ values: [T], _ indices: [Int32]) -> [T] {
        if indices.isEmpty { return [] }
        return values.withUnsafeBufferPointer { source in
            [T](unsafeUninitializedCapacity: indices.count) { target, initialized in
                for (position, index) in indices.enumerated() {
                    target.initializeElement(at: position, to: source[Int(index)])
                }
                initialized = indices.count
            }
        }
    }

    /// Rows `range` as a new column.
    ///
    /// A contiguous copy (one move per buffer, string offsets rebased), not a gather.
    public func slice(_ range: Range<Int>) -> Column {
        if range == 0..<count { return self }
        let newValidity = validity.map { bitmap in bitmap.slice(range) }
        switch storage {
        case .int64(let values): return Column(type: type, storage: .int64(Array(values[range])), validity: newValidity)
        case .float64(let values): return Column(type: type, storage: .float64(Array(values[range])), validity: newValidity)
        case .int32(let values): return Column(type: type, storage: .int32(Array(values[range])), validity: newValidity)
        case .bool(let values): return Column(type: type, storage: .bool(Array(values[range])), validity: newValidity)
        case .string(let source):
            let first = source.offsets[range.lowerBound], last = source.offsets[range.upperBound]
            let offsets = source.offsets[range.lowerBound...range.upperBound].map { $0 &- first }
            let bytes = last > first ? Array(source.bytes[Int(first)..<Int(last)]) : []
            return Column(type: type, storage: .string(StringStorage(offsets: offsets, bytes: bytes)), validity: newValidity)
        case .list:
            return take(range.map { Int32($0) })
        }
    }

    /// The rows of several columns of one type, one after another.
    public static func concat(_ columns: [Column], type: DataType) -> Column {
        if columns.count == 1 { return columns[0] }
        let total = columns.reduce(0) { $0 + $1.count }
        // Fast paths for the fixed-width layouts; strings and lists go row by row.
        switch ColumnStorage.empty(for: type) {
        case .int64:
            var values: [Int64] = []
            values.reserveCapacity(total)
            for column in columns { if case .int64(let part) = column.storage { values += part } }
            return Column(type: type, storage: .int64(values), validity: concatValidity(columns))
        case .float64:
            var values: [Double] = []
            values.reserveCapacity(total)
            for column in columns { if case .float64(let part) = column.storage { values += part } }
            return Column(type: type, storage: .float64(values), validity: concatValidity(columns))
        case .int32:
            var values: [Int32] = []
            values.reserveCapacity(total)
            for column in columns { if case .int32(let part) = column.storage { values += part } }
            return Column(type: type, storage: .int32(values), validity: concatValidity(columns))
        case .string:
            var result = StringStorage()
            result.offsets.reserveCapacity(total + 1)
            for column in columns {
                guard case .string(let part) = column.storage else { continue }
                let base = Int32(truncatingIfNeeded: result.bytes.count)
                result.bytes += part.bytes
                for offset in part.offsets.dropFirst() { result.offsets.append(base + offset) }
            }
            return Column(type: type, storage: .string(result), validity: concatValidity(columns))
        case .bool, .list:
            var builder = ColumnBuilder(type: type, capacity: total)
            for column in columns {
                for row in 0..<column.count { builder.append(from: column, at: row) }
            }
            return builder.finish()
        }
    }

    private static func concatValidity(_ columns: [Column]) -> ValidityBitmap? {
        guard columns.contains(where: { $0.validity != nil }) else { return nil }
        var bitmap = ValidityBitmap([])
        for column in columns {
            for row in 0..<column.count { bitmap.append(!column.isNull(row)) }
        }
        return bitmap
    }
}
