/// The buffers behind a column. Several logical types share one physical layout:
/// `int64`, `decimal` and `timestamp` are `int64`; `date` is `int32`.
public indirect enum ColumnStorage: Sendable {
    case int64([Int64])
    case float64([Double])
    case int32([Int32])
    case bool([Bool])
    case string(StringStorage)
    /// `offsets[i]..<offsets[i+1]` indexes row `i`'s elements in `values`.
    case list(offsets: [Int32], values: Column)

    public var count: Int {
        switch self {
        case .int64(let values): values.count
        case .float64(let values): values.count
        case .int32(let values): values.count
        case .bool(let values): values.count
        case .string(let storage): storage.count
        case .list(let offsets, _): offsets.count - 1
        }
    }

    /// An empty storage of the layout `type` uses.
    public static func empty(for type: DataType) -> ColumnStorage {
        switch type {
        case .int64, .decimal, .timestamp: .int64([])
        case .float64: .float64([])
        case .date: .int32([])
        case .bool: .bool([])
        case .string: .string(StringStorage())
        case .list(let element): .list(offsets: [0], values: Column(empty: element))
        }
    }
}

/// A typed column of values with an optional validity bitmap: the unit a ``RecordBatch``
/// is made of. Columns are values (copy-on-write arrays), so slicing and passing them
/// between threads is safe.
public struct Column: Sendable {
    public let type: DataType
    public var storage: ColumnStorage
    /// Null rows are clear bits; nil means the column has no nulls.
    public var validity: ValidityBitmap?

    public init(type: DataType, storage: ColumnStorage, validity: ValidityBitmap? = nil) {
        self.type = type
        self.storage = storage
        self.validity = validity
    }

    /// An empty column of `type`.
    public init(empty type: DataType) {
        self.init(type: type, storage: .empty(for: type))
    }

    public var count: Int { storage.count }

    @inlinable
    public func isNull(_ index: Int) -> Bool {
        guard let validity else { return false }
        return !validity.isValid(index)
    }

    public var nullCount: Int { validity?.nullCount ?? 0 }

    /// Bytes held by the buffers, for memory accounting.
    public var byteSize: Int {
        let bitmapBytes = validity.map { $0.words.count * 8 } ?? 0
        switch storage {
        case .int64(let values): return values.count * 8 + bitmapBytes
        case .float64(let values): return values.count * 8 + bitmapBytes
        case .int32(let values): return values.count * 4 + bitmapBytes
        case .bool(let values): return values.count + bitmapBytes
        case .string(let storage): return storage.byteSize + bitmapBytes
        case .list(let offsets, let values): return offsets.count * 4 + values.byteSize + bitmapBytes
        }
    }

    /// Row `index` as a ``Value`` (slow path: tests, small outputs, messages).
    public func value(at index: Int) -> Value {
        if isNull(index) { return .null }
        switch storage {
        case .int64(let values):
            switch type {
            case .decimal(_, let scale): return .decimal(values[index], scale: scale)
            case .timestamp: return .timestamp(values[index])
            default: return .int64(values[index])
            }
        case .float64(let values): return .float64(values[index])
        case .int32(let values): return .date(values[index])
        case .bool(let values): return .bool(values[index])
        case .string(let storage): return .string(storage.string(at: index))
        case .list(let offsets, let values):
            return .list((Int(offsets[index])..<Int(offsets[index + 1])).map { values.value(at: $0) })
        }
    }

    /// All rows as values; for tests.
    public var values: [Value] { (0..<count).map { value(at: $0) } }
}

extension Column {
    /// A non-null Int64 column.
    public static func int64(_ values: [Int64]) -> Column {
        Column(type: .int64, storage: .int64(values))
    }

    /// A non-null Float64 column.
    public static func float64(_ values: [Double]) -> Column {
        Column(type: .float64, storage: .float64(values))
    }

    /// A non-null string column from Swift strings.
    public static func string(_ values: [String]) -> Column {
        Column(type: .string, storage: .string(StringStorage(values)))
    }

    /// A non-null date column from day numbers.
    public static func date(_ days: [Int32]) -> Column {
        Column(type: .date, storage: .int32(days))
    }

    /// A non-null decimal column from scaled values.
    public static func decimal(_ values: [Int64], precision: Int = 18, scale: Int) -> Column {
        Column(type: .decimal(precision: precision, scale: scale), storage: .int64(values))
    }

    /// A non-null boolean column.
    public static func bool(_ values: [Bool]) -> Column {
        Column(type: .bool, storage: .bool(values))
    }

    /// A column built from values, nulls included; for tests and literals.
    public static func from(_ values: [Value], type: DataType) throws(SluiceError) -> Column {
        var builder = ColumnBuilder(type: type, capacity: values.count)
        for value in values { try builder.append(value) }
        return builder.finish()
    }
}
