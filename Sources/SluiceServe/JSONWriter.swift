import SluicePostgres

/// Writes response bodies straight into bytes: cells from PostgreSQL's text format by column
/// kind, read where libpq holds them, and the few envelopes the API answers. No strings,
/// dictionaries or `Codable` trees per row; a page is one buffer.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    public init(capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
    }

    /// Text that is JSON already (punctuation, a number), appended as it is.
    public mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Bytes that are JSON already (a number or a `jsonb` value from PostgreSQL), appended as they are.
    public mutating func raw(bytes more: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: more)
    }

    /// A JSON string, escaped per RFC 8259 (quotes, backslashes, control characters).
    public mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { string(bytes: $0) }
    }

    /// A JSON string of UTF-8 bytes; text with nothing to escape is copied whole.
    public mutating func string(bytes text: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var start = 0
        for index in 0..<text.count {
            let byte = text[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<index]))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            default: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 15)]]
            }
            start = index + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start...]))
        bytes.append(UInt8(ascii: "\""))
    }

    /// `null`, or a string.
    public mutating func optionalString(_ text: String?) {
        if let text { string(text) } else { raw("null") }
    }

    /// One value of a column from PostgreSQL's text output (DateStyle ISO, TimeZone UTC), or
    /// nil for NULL.
    public mutating func value(bytes text: UnsafeBufferPointer<UInt8>?, kind: ValueKind) {
        guard let text else { return raw("null") }
        switch kind {
        case .integer, .json:
            raw(bytes: text)
        case .float:
            // NaN and the infinities have no JSON number.
            if text.contains(where: { $0 == UInt8(ascii: "N") || $0 == UInt8(ascii: "I") }) { string(bytes: text) } else { raw(bytes: text) }
        case .boolean:
            raw(text.first == UInt8(ascii: "t") ? "true" : "false")
        case .timestamp, .localTimestamp:
            timestamp(text)
        case .decimal, .date, .text:
            string(bytes: text)
        }
    }

    /// `2024-01-01 10:30:00+00` → `"2024-01-01T10:30:00Z"` (fractions kept). Anything else
    /// (`infinity`, a year BC) is written unchanged, still a string.
    mutating func timestamp(_ text: UnsafeBufferPointer<UInt8>) {
        let count = text.count
        guard count >= 19, text[10] == UInt8(ascii: " "), !text.contains(UInt8(ascii: "B")) else { return string(bytes: text) }
        var end = count
        if count >= 22, text[count - 3] == UInt8(ascii: "+"), text[count - 2] == UInt8(ascii: "0"), text[count - 1] == UInt8(ascii: "0") {
            end = count - 3
        } else if text[19...].contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }) {
            return string(bytes: text)
        }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[0..<10]))
        bytes.append(UInt8(ascii: "T"))
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[11..<end]))
        bytes += [UInt8(ascii: "Z"), UInt8(ascii: "\"")]
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

/// How the rows of one relation are written: each field's `"name":` made once, and its kind.
public struct RowLayout: Sendable {
    let keys: [[UInt8]]
    let kinds: [ValueKind]

    public init(columns: [ServedColumn]) {
        kinds = columns.map(\.kind)
        keys = columns.enumerated().map { index, column in
            var writer = JSONWriter(capacity: column.name.utf8.count + 4)
            writer.raw(index == 0 ? "{" : ",")
            writer.string(column.name)
            writer.raw(":")
            return writer.bytes
        }
    }

    /// Row `row` of `view` as an object.
    func write(row: Int, of view: PostgresRowView, to writer: inout JSONWriter) {
        for column in 0..<kinds.count {
            writer.append(keys[column])
            writer.value(bytes: column < view.columnCount ? view.bytes(row: row, column: column) : nil, kind: kinds[column])
        }
        writer.raw(kinds.isEmpty ? "{}" : "}")
    }
}

extension JSONWriter {
    mutating func append(_ more: [UInt8]) {
        bytes.append(contentsOf: more)
    }
}
