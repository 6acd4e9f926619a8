/// Writes response bodies straight into bytes: rows from PostgreSQL's text format by column
/// kind, and the few envelopes the API answers. No intermediate dictionaries or `Codable`
/// trees per row; a page of 1,000 rows is one buffer.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// A JSON string, escaped per RFC 8259 (quotes, backslashes, control characters).
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `null`, or a string.
    public mutating func optionalString(_ text: String?) {
        if let text { string(text) } else { raw("null") }
    }

    /// One row as an object, fields named and ordered as the columns.
    public mutating func row(_ values: [String?], columns: [ServedColumn]) {
        bytes.append(UInt8(ascii: "{"))
        for (index, column) in columns.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(column.name)
            bytes.append(UInt8(ascii: ":"))
            value(index < values.count ? values[index] : nil, kind: column.kind)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// One value of a column, from PostgreSQL's text output (DateStyle ISO, TimeZone UTC).
    public mutating func value(_ text: String?, kind: ValueKind) {
        guard let text else { return raw("null") }
        switch kind {
        case .integer, .json:
            raw(text)
        case .float:
            // NaN and the infinities have no JSON number.
            if let first = text.utf8.first, first == UInt8(ascii: "N") || first == UInt8(ascii: "I") || text.hasPrefix("-I") {
                string(text)
            } else {
                raw(text)
            }
        case .boolean:
            raw(text == "t" ? "true" : "false")
        case .timestamp, .localTimestamp:
            string(Self.rfc3339(text))
        case .decimal, .date, .text:
            string(text)
        }
    }

    /// `2024-01-01 10:30:00+00` → `2024-01-01T10:30:00Z` (fractions kept). Anything else
    /// (`infinity`, a year BC) is passed through unchanged, still a string.
    static func rfc3339(_ text: String) -> String {
        var bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes[10] == UInt8(ascii: " ") else { return text }
        bytes[10] = UInt8(ascii: "T")
        if bytes.count >= 22, bytes[bytes.count - 3] == UInt8(ascii: "+"), bytes[bytes.count - 2] == UInt8(ascii: "0"),
           bytes[bytes.count - 1] == UInt8(ascii: "0") {
            bytes.removeLast(3)
        } else if bytes.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "B") }) || bytes[19...].contains(UInt8(ascii: "-")) {
            return text
        }
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `{"detail": "…"}`.
    public static func detail(_ text: String) -> [UInt8] {
        var writer = JSONWriter(capacity: text.utf8.count + 16)
        writer.raw("{\"detail\":")
        writer.string(text)
        writer.raw("}")
        return writer.bytes
    }
}
