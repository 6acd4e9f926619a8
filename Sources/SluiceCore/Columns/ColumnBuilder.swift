/// Appends values of one type and turns them into a ``Column``.
///
/// The builder keeps one typed array per layout (never an enum payload that would be copied
/// on every append), and creates a validity bitmap only when the first null arrives.
public struct ColumnBuilder: Sendable {
    public let type: DataType
    @usableFromInline var ints: [Int64] = []
    @usableFromInline var doubles: [Double] = []
    @usableFromInline var days: [Int32] = []
    @usableFromInline var bools: [Bool] = []
    @usableFromInline var strings = StringStorage()
    @usableFromInline var listOffsets: [Int32] = [0]
    @usableFromInline var listValues: ListChild?
    @usableFromInline var validity: ValidityBitmap?
    /// Rows appended so far.
    public var count: Int { length }
    @usableFromInline var length = 0

    /// Holds a list column's element builder; a class because a struct cannot contain itself.
    @usableFromInline
    final class ListChild: @unchecked Sendable {
        @usableFromInline var builder: ColumnBuilder
        init(_ builder: ColumnBuilder) { self.builder = builder }
    }

    public init(type: DataType, capacity: Int = 0) {
        self.type = type
        switch type {
        case .int64, .decimal, .timestamp: ints.reserveCapacity(capacity)
        case .float64: doubles.reserveCapacity(capacity)
        case .date: days.reserveCapacity(capacity)
        case .bool: bools.reserveCapacity(capacity)
        case .string:
            strings.offsets.reserveCapacity(capacity + 1)
            strings.bytes.reserveCapacity(capacity * 8)
        case .list(let element):
            listOffsets.reserveCapacity(capacity + 1)
            listValues = ListChild(ColumnBuilder(type: element))
        }
    }

    @inlinable
    mutating func markValid() {
        validity?.append(true)
        length += 1
    }

    /// Appends a null; the slot in the value buffer holds a zero or empty value.
    public mutating func appendNull() {
        if validity == nil { validity = ValidityBitmap(count: length, allValid: true) }
        switch type {
        case .int64, .decimal, .timestamp: ints.append(0)
        case .float64: doubles.append(0)
        case .date: days.append(0)
        case .bool: bools.append(false)
        case .string: strings.offsets.append(Int32(truncatingIfNeeded: strings.bytes.count))
        case .list: listOffsets.append(listOffsets[listOffsets.count - 1])
        }
        validity?.append(false)
        length += 1
    }

    /// Appends to an `int64`, `decimal` (scaled) or `timestamp` (µs) column.
    @inlinable
    public mutating func append(int64 value: Int64) {
        ints.append(value)
        markValid()
    }

    @inlinable
    public mutating func append(float64 value: Double) {
        doubles.append(value)
        markValid()
    }

    /// Appends to a `date` column (days since epoch).
    @inlinable
    public mutating func append(date value: Int32) {
        days.append(value)
        markValid()
    }

    @inlinable
    public mutating func append(bool value: Bool) {
        bools.append(value)
        markValid()
    }

    /// Appends UTF-8 bytes to a `string` column.
    @inlinable
    public mutating func append(bytes value: UnsafeBufferPointer<UInt8>) {
        strings.append(value)
        markValid()
    }

    public mutating func append(string value: String) {
        strings.append(value)
        markValid()
    }

    /// Appends a list of values to a `list` column.
    public mutating func append(list values: [Value]) throws(SluiceError) {
        guard let child = listValues else {
            throw SluiceError.plan("cannot append a list to a \(type) column")
        }
        for value in values { try child.builder.append(value) }
        listOffsets.append(Int32(truncatingIfNeeded: child.builder.count))
        markValid()
    }

    /// Appends a ``Value``, converting between compatible types; throws on a mismatch.
    public mutating func append(_ value: Value) throws(SluiceError) {
        switch (type, value) {
        case (_, .null): appendNull()
        case (.int64, .int64(let v)), (.timestamp, .timestamp(let v)), (.timestamp, .int64(let v)):
            append(int64: v)
        case (.decimal(_, let scale), .decimal(let v, let from)):
            guard let scaled = DecimalMath.rescale(v, from: from, to: scale) else {
                throw SluiceError(.data, "decimal \(value) overflows \(type)")
            }
            append(int64: scaled)
        case (.decimal(_, let scale), .int64(let v)):
            guard let scaled = DecimalMath.rescale(v, from: 0, to: scale) else {
                throw SluiceError(.data, "integer \(v) overflows \(type)")
            }
            append(int64: scaled)
        case (.float64, .float64(let v)): append(float64: v)
        case (.float64, .int64(let v)): append(float64: Double(v))
        case (.date, .date(let v)): append(date: v)
        case (.bool, .bool(let v)): append(bool: v)
        case (.string, .string(let v)): append(string: v)
        case (.list, .list(let values)): try append(list: values)
        default:
            throw SluiceError.plan("cannot store \(value) in a \(type) column")
        }
    }

    /// Appends row `index` of `column`, which must have this builder's type.
    public mutating func append(from column: Column, at index: Int) {
        if column.isNull(index) {
            appendNull()
            return
        }
        switch column.storage {
        case .int64(let values): append(int64: values[index])
        case .float64(let values): append(float64: values[index])
        case .int32(let values): append(date: values[index])
        case .bool(let values): append(bool: values[index])
        case .string(let storage): storage.withBytes(at: index) { append(bytes: $0) }
        case .list(let offsets, let values):
            if let child = listValues {
                for element in Int(offsets[index])..<Int(offsets[index + 1]) {
                    child.builder.append(from: values, at: element)
                }
                listOffsets.append(Int32(truncatingIfNeeded: child.builder.count))
            }
            markValid()
        }
    }

    /// Drops the rows from `newCount` on (a row that turned out to be a reject).
    public mutating func truncate(to newCount: Int) {
        guard newCount < length else { return }
        let drop = length - newCount
        switch type {
        case .int64, .decimal, .timestamp: ints.removeLast(drop)
        case .float64: doubles.removeLast(drop)
        case .date: days.removeLast(drop)
        case .bool: bools.removeLast(drop)
        case .string:
            strings.offsets.removeLast(drop)
            strings.bytes.removeLast(strings.bytes.count - Int(strings.offsets[strings.offsets.count - 1]))
        case .list:
            listOffsets.removeLast(drop)
            if let child = listValues { child.builder.truncate(to: Int(listOffsets[listOffsets.count - 1])) }
        }
        validity?.truncate(to: newCount)
        length = newCount
    }

    /// Bytes held so far, for memory accounting of long-lived builders.
    public var byteSize: Int {
        ints.count * 8 + doubles.count * 8 + days.count * 4 + bools.count + strings.byteSize
            + listOffsets.count * 4 + (listValues?.builder.byteSize ?? 0)
    }

    /// The finished column; the builder should not be used afterwards.
    public func finish() -> Column {
        let storage: ColumnStorage
        switch type {
        case .int64, .decimal, .timestamp: storage = .int64(ints)
        case .float64: storage = .float64(doubles)
        case .date: storage = .int32(days)
        case .bool: storage = .bool(bools)
        case .string: storage = .string(strings)
        case .list(let element):
            storage = .list(offsets: listOffsets, values: listValues?.builder.finish() ?? Column(empty: element))
        }
        return Column(type: type, storage: storage, validity: validity)
    }
}
