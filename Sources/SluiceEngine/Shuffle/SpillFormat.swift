public import SluiceCore

/// The binary columnar format of spill files: each batch is one self-describing segment.
///
/// ```
/// segment := "SLSP" version:u8 rows:u32 columns:u16 payloadBytes:u64 checksum:u64 payload
/// payload := column*
/// column  := typeTag:u8 hasValidity:u8 [validityWords:u64*] buffers
/// ```
/// Fixed-width values are written as their raw little-endian buffers; strings as offsets
/// then bytes; lists as offsets then the child column. The checksum (``Hash64``) covers
/// the payload and is verified on every read, so a damaged spill file is reported, never
/// read as data.
public enum SpillFormat {
    static let magic: [UInt8] = Array("SLSP".utf8)
    static let version: UInt8 = 1
    static let headerBytes = 4 + 1 + 4 + 2 + 8 + 8

    /// Appends one segment holding `batch` to `out`.
    public static func encode(_ batch: RecordBatch, into out: inout [UInt8]) {
        var payload: [UInt8] = []
        payload.reserveCapacity(batch.byteSize + 64)
        for column in batch.columns { encode(column, into: &payload) }
        out.append(contentsOf: magic)
        out.append(version)
        appendInteger(UInt32(batch.rowCount), to: &out)
        appendInteger(UInt16(batch.columns.count), to: &out)
        appendInteger(UInt64(payload.count), to: &out)
        let checksum = payload.withUnsafeBytes { Hash64.bytes($0) }
        appendInteger(checksum, to: &out)
        out.append(contentsOf: payload)
    }

    private static func encode(_ column: Column, into out: inout [UInt8]) {
        out.append(typeTag(column.storage))
        if let validity = column.validity {
            out.append(1)
            appendInteger(UInt64(validity.words.count), to: &out)
            appendArray(validity.words, to: &out)
        } else {
            out.append(0)
        }
        switch column.storage {
        case .int64(let values): appendInteger(UInt64(values.count), to: &out); appendArray(values, to: &out)
        case .float64(let values): appendInteger(UInt64(values.count), to: &out); appendArray(values, to: &out)
        case .int32(let values): appendInteger(UInt64(values.count), to: &out); appendArray(values, to: &out)
        case .bool(let values): appendInteger(UInt64(values.count), to: &out); out.append(contentsOf: values.map { $0 ? 1 : 0 })
        case .string(let storage):
            appendInteger(UInt64(storage.offsets.count), to: &out)
            appendArray(storage.offsets, to: &out)
            appendInteger(UInt64(storage.bytes.count), to: &out)
            out.append(contentsOf: storage.bytes)
        case .list(let offsets, let values):
            appendInteger(UInt64(offsets.count), to: &out)
            appendArray(offsets, to: &out)
            encode(values, into: &out)
        }
    }

    private static func typeTag(_ storage: ColumnStorage) -> UInt8 {
        switch storage {
        case .int64: 1
        case .float64: 2
        case .int32: 3
        case .bool: 4
        case .string: 5
        case .list: 6
        }
    }

    /// The total size of the segment starting at `header` (its first bytes), or nil when the
    /// header is not a segment header.
    public static func segmentSize(header: UnsafeRawBufferPointer) -> Int? {
        guard header.count >= headerBytes, Array(header[0..<4]) == magic, header[4] == version else { return nil }
        let payload = header.loadUnaligned(fromByteOffset: 11, as: UInt64.self)
        guard payload < UInt64(Int.max - headerBytes) else { return nil }
        return headerBytes + Int(payload)
    }

    /// Decodes one whole segment (header included) into a batch of `schema`.
    /// - Throws: an I/O error naming `location` when the checksum or structure is wrong.
    public static func decode(_ segment: UnsafeRawBufferPointer, schema: Schema, location: String) throws(SluiceError) -> RecordBatch {
        func corrupt(_ what: String) -> SluiceError {
            SluiceError(.io, "spill file is corrupt: \(what)", location: location,
                        hint: "the temp directory's disk may be failing or full; rerun with another --temp-dir")
        }
        guard let size = segmentSize(header: segment), size == segment.count else { throw corrupt("bad segment header") }
        let rows = Int(segment.loadUnaligned(fromByteOffset: 5, as: UInt32.self))
        let columns = Int(segment.loadUnaligned(fromByteOffset: 9, as: UInt16.self))
        let checksum = segment.loadUnaligned(fromByteOffset: 19, as: UInt64.self)
        let payload = UnsafeRawBufferPointer(rebasing: segment[headerBytes...])
        guard Hash64.bytes(payload) == checksum else { throw corrupt("checksum mismatch") }
        guard columns == schema.count else { throw corrupt("\(columns) columns where \(schema.count) were written") }
        var reader = ByteReader(bytes: payload)
        var decoded: [Column] = []
        for field in schema.fields {
            guard let column = reader.column(type: field.type), column.count == rows else { throw corrupt("column \(field.name) is damaged") }
            decoded.append(column)
        }
        return RecordBatch(unchecked: schema, columns: decoded, rowCount: rows)
    }

    @inline(__always)
    static func appendInteger<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    static func appendArray<T>(_ values: [T], to out: inout [UInt8]) {
        values.withUnsafeBytes { out.append(contentsOf: $0) }
    }
}

/// Reads the pieces of a spill payload, failing softly (nil) on anything out of bounds.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
        guard position + MemoryLayout<T>.size <= bytes.count else { return nil }
        defer { position += MemoryLayout<T>.size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    mutating func array<T>(_: T.Type, count: Int) -> [T]? {
        let size = count * MemoryLayout<T>.stride
        guard count >= 0, position + size <= bytes.count else { return nil }
        defer { position += size }
        // Never write to the runtime's shared empty storage (see Column.take).
        if count == 0 { return [] }
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress, let source = bytes.baseAddress, size > 0 {
                UnsafeMutableRawPointer(base).copyMemory(from: source + position, byteCount: size)
            }
            initialized = count
        }
    }

    mutating func column(type: DataType) -> Column? {
        guard let tag = integer(UInt8.self), let hasValidity = integer(UInt8.self) else { return nil }
        var validity: ValidityBitmap?
        if hasValidity == 1 {
            guard let wordCount = integer(UInt64.self), let words = array(UInt64.self, count: Int(wordCount)) else { return nil }
            validity = ValidityBitmap(words: words)
        }
        guard let count = integer(UInt64.self).map(Int.init) else { return nil }
        let storage: ColumnStorage
        switch (tag, type) {
        case (1, .int64), (1, .decimal), (1, .timestamp):
            guard let values = array(Int64.self, count: count) else { return nil }
            storage = .int64(values)
        case (2, .float64):
            guard let values = array(Double.self, count: count) else { return nil }
            storage = .float64(values)
        case (3, .date):
            guard let values = array(Int32.self, count: count) else { return nil }
            storage = .int32(values)
        case (4, .bool):
            guard let values = array(UInt8.self, count: count) else { return nil }
            storage = .bool(values.map { $0 != 0 })
        case (5, .string):
            guard let offsets = array(Int32.self, count: count), let byteCount = integer(UInt64.self),
                  let data = array(UInt8.self, count: Int(byteCount)), offsets.first == 0,
                  offsets.last.map({ Int($0) == data.count }) ?? false else { return nil }
            storage = .string(StringStorage(offsets: offsets, bytes: data))
        case (6, .list(let element)):
            guard let offsets = array(Int32.self, count: count), let values = column(type: element),
                  offsets.last.map({ Int($0) == values.count }) ?? false else { return nil }
            storage = .list(offsets: offsets, values: values)
        default:
            return nil
        }
        if let validity, validity.count < storage.count { return nil }
        var column = Column(type: type, storage: storage, validity: validity)
        if var bitmap = column.validity {
            bitmap.truncate(to: storage.count)
            column.validity = bitmap
        }
        return column
    }
}
