import SluiceCore

/// How one output column's field text becomes a value. Payload-free, so switching on it in
/// the per-field loop copies nothing; scales and formats live beside it in `FieldPlan`.
enum FieldKind: UInt8 {
    case string, int64, float64, bool, decimal, date, timestamp

    init(type: DataType) {
        switch type {
        case .int64: self = .int64
        case .float64: self = .float64
        case .bool: self = .bool
        case .decimal: self = .decimal
        case .date: self = .date
        case .timestamp: self = .timestamp
        default: self = .string
        }
    }
}

/// Everything needed to turn one column's field text into values.
struct FieldPlan {
    var kind: FieldKind
    var scale: Int
    var formats: [DateTimeFormat]
    /// Text read as `nullIfEmpty(trim(field))` (the plan pushed the cleaning into the scan).
    var trims = false

    init(type: DataType, formats: [DateTimeFormat]) {
        kind = FieldKind(type: type)
        scale = type.scale
        self.formats = formats
    }
}

/// Remembers the last ISO date parsed: files sorted or clustered by date repeat the same
/// ten bytes row after row, and comparing them is cheaper than the calendar arithmetic.
struct ParseCache {
    private var lastDate: (UInt64, UInt16) = (0, 0)
    private var lastDays: Int32?

    @inline(__always)
    mutating func date(_ text: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard text.count == 10, let base = text.baseAddress else { return DateEncoding.parseISODate(text) }
        let raw = UnsafeRawPointer(base)
        let key = (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        if let lastDays, key == lastDate { return lastDays }
        let days = DateEncoding.parseISODate(text)
        if let days {
            lastDate = key
            lastDays = days
        }
        return days
    }
}

/// Converts field bytes to typed values, appending to a column builder. Returns false when
/// the text is not a value of the column's type (the row is then rejected).
enum CSVFieldParser {
    @inline(__always)
    static func append(
        _ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool, plan: FieldPlan, to builder: inout ColumnBuilder, cache: inout ParseCache
    ) -> Bool {
        withUnsafePointer(to: plan) { append(bytes, quoted: quoted, planAt: $0, to: &builder, cache: &cache) }
    }

    /// ``append(_:quoted:plan:to:cache:)`` reading the plan where it lies: a plan passed by
    /// value was copied for every field, retaining and releasing its date formats (two atomic
    /// operations a typed field in the CSV reader's loop).
    @inline(__always)
    static func append(
        _ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool, planAt planPointer: UnsafePointer<FieldPlan>, to builder: inout ColumnBuilder,
        cache: inout ParseCache
    ) -> Bool {
        let kind = planPointer.pointee.kind
        if kind == .string {
            if planPointer.pointee.trims {
                let text = TextTrim.trimmed(bytes)
                if text.isEmpty { builder.appendNull() } else { builder.append(bytes: text) }
            } else if bytes.isEmpty, !quoted {
                builder.appendNull()
            } else {
                builder.append(bytes: bytes)
            }
            return true
        }
        let text = trimmed(bytes)
        if text.isEmpty {
            builder.appendNull()
            return true
        }
        switch kind {
        case .int64:
            guard let value = parseInt(text) else { return false }
            builder.append(int64: value)
        case .decimal:
            guard let value = DecimalMath.parse(text, scale: planPointer.pointee.scale) else { return false }
            builder.append(int64: value)
        case .date:
            if let value = cache.date(text) {
                builder.append(date: value)
            } else if let value = planPointer.pointee.formats.lazy.compactMap({ $0.parseDate(text) }).first {
                builder.append(date: value)
            } else {
                return false
            }
        case .timestamp:
            if let value = DateEncoding.parseISOTimestamp(text) {
                builder.append(int64: value)
            } else if let value = planPointer.pointee.formats.lazy.compactMap({ $0.parseTimestamp(text) }).first {
                builder.append(int64: value)
            } else {
                return false
            }
        case .float64:
            guard let value = parseDouble(text) else { return false }
            builder.append(float64: value)
        case .bool:
            guard let value = parseBool(text) else { return false }
            builder.append(bool: value)
        case .string:
            builder.append(bytes: bytes)
        }
        return true
    }

    /// Appends a text field to its column's writer: `nullIfEmpty(trim(field))` when the plan
    /// trims, else the bytes as they are, an empty unquoted field being null. False when the
    /// batch's text in the column would pass ``TextColumnWriter/maxBytes``.
    @inline(__always)
    static func appendText(_ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool, trims: Bool, to writer: inout TextColumnWriter) -> Bool {
        if trims {
            let text = TextTrim.trimmed(bytes)
            if text.isEmpty {
                writer.appendNull()
                return true
            }
            return writer.append(text)
        }
        if bytes.isEmpty, !quoted {
            writer.appendNull()
            return true
        }
        return writer.append(bytes)
    }

    @inline(__always)
    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0, end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }

    /// A decimal integer with an optional sign; nil on anything else or overflow. Up to 18
    /// digits cannot overflow, so the common case skips the overflow checks.
    @inline(__always)
    static func parseInt(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        guard index < bytes.count else { return nil }
        guard bytes.count - index <= 18 else { return DecimalMath.parseInteger(bytes) }
        var value: Int64 = 0
        while index < bytes.count {
            let digit = Int64(bytes[index]) &- 48
            guard digit >= 0 && digit <= 9 else { return nil }
            value = value &* 10 &+ digit
            index += 1
        }
        return negative ? -value : value
    }

    static func parseDouble(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard bytes.count < 64 else { return Double(String(decoding: bytes, as: UTF8.self)) }
        for byte in bytes {
            let allowed = (byte >= 48 && byte <= 57) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
            guard allowed else { return nil }
        }
        return Double(String(decoding: bytes, as: UTF8.self))
    }

    static func parseBool(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        switch bytes.count {
        case 1:
            switch bytes[0] | 0x20 {
            case UInt8(ascii: "t"), UInt8(ascii: "y"), UInt8(ascii: "1") | 0x20: return bytes[0] != UInt8(ascii: "0")
            case UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "0") | 0x20: return false
            default: return nil
            }
        default:
            let text = String(decoding: bytes, as: UTF8.self).lowercased()
            switch text {
            case "true", "yes": return true
            case "false", "no": return false
            default: return nil
            }
        }
    }

    /// Whether bytes are valid UTF-8 (checked only for fields with non-ASCII bytes).
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// True when `bytes` (trimmed) is a plain number — optional sign, digits, at most one
    /// point: text that failed to parse as an integer or decimal only because it is too
    /// large, so the reject says `overflow` rather than `cast_failure`.
    static func isPlainNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let text = trimmed(bytes)
        var index = text.startIndex
        if index < text.endIndex, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") { index += 1 }
        var digits = 0
        var points = 0
        while index < text.endIndex {
            let byte = text[index]
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                digits += 1
            } else if byte == UInt8(ascii: ".") {
                points += 1
            } else {
                return false
            }
            index += 1
        }
        return digits > 0 && points <= 1
    }
}
