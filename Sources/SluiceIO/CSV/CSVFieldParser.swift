import SluiceCore

/// How one output column's field text becomes a value.
enum FieldKind {
    case string, int64, float64, bool
    case decimal(scale: Int)
    case date([DateTimeFormat])
    case timestamp([DateTimeFormat])

    init(type: DataType, formats: [DateTimeFormat]) {
        switch type {
        case .int64: self = .int64
        case .float64: self = .float64
        case .bool: self = .bool
        case .decimal(_, let scale): self = .decimal(scale: scale)
        case .date: self = .date(formats)
        case .timestamp: self = .timestamp(formats)
        default: self = .string
        }
    }
}

/// Converts field bytes to typed values, appending to a column builder. Returns false when
/// the text is not a value of the column's type (the row is then rejected).
enum CSVFieldParser {
    @inline(__always)
    static func append(_ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool, kind: FieldKind, to builder: inout ColumnBuilder) -> Bool {
        if case .string = kind {
            if bytes.isEmpty, !quoted { builder.appendNull() } else { builder.append(bytes: bytes) }
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
        case .decimal(let scale):
            guard let value = DecimalMath.parse(text, scale: scale) else { return false }
            builder.append(int64: value)
        case .date(let formats):
            if let value = DateEncoding.parseISODate(text) {
                builder.append(date: value)
            } else if let value = formats.lazy.compactMap({ $0.parseDate(text) }).first {
                builder.append(date: value)
            } else {
                return false
            }
        case .timestamp(let formats):
            if let value = DateTimeFormat.isoTimestamp.parseTimestamp(text) {
                builder.append(int64: value)
            } else if let value = formats.lazy.compactMap({ $0.parseTimestamp(text) }).first {
                builder.append(int64: value)
            } else if let day = DateEncoding.parseISODate(text) {
                builder.append(int64: Int64(day) * DateEncoding.microsPerDay)
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

    @inline(__always)
    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0, end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }

    /// A decimal integer with an optional sign; nil on anything else or overflow.
    @inline(__always)
    static func parseInt(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        guard index < bytes.count else { return nil }
        var value: Int64 = 0
        if bytes.count - index <= 18 {
            while index < bytes.count {
                let digit = Int64(bytes[index]) &- 48
                guard digit >= 0 && digit <= 9 else { return nil }
                value = value &* 10 &+ digit
                index += 1
            }
        } else {
            while index < bytes.count {
                let digit = Int64(bytes[index]) &- 48
                guard digit >= 0 && digit <= 9 else { return nil }
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(digit)
                if o1 || o2 { return nil }
                value = plus
                index += 1
            }
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
}
