import SluiceCore

extension PostgresText {
    /// Reads the text of one value of `type` as a ``Value`` (the slow path, used for array
    /// elements); nil when the text is not a value of that type.
    static func parseValue(_ bytes: UnsafeBufferPointer<UInt8>, type: DataType) -> Value? {
        switch type {
        case .int64: parseInt64(bytes).map(Value.int64)
        case .float64: parseFloat64(bytes).map(Value.float64)
        case .decimal(_, let scale): DecimalMath.parse(bytes, scale: scale).map { .decimal($0, scale: scale) }
        case .bool: parseBool(bytes).map(Value.bool)
        case .string: .string(String(decoding: bytes, as: UTF8.self))
        case .date: parseDate(bytes).map(Value.date)
        case .timestamp: parseTimestamp(bytes).map(Value.timestamp)
        case .list(let element): parseArray(bytes, element: element).map(Value.list)
        }
    }

    /// Reads an array literal (`{1,2,NULL}`, `{"a b","c\"d"}`, nested `{{1},{2}}` for lists of
    /// lists, with an optional `[1:3]=` bounds prefix) into its elements.
    static func parseArray(_ bytes: UnsafeBufferPointer<UInt8>, element: DataType) -> [Value]? {
        var parser = ArrayParser(bytes: bytes)
        parser.skipBounds()
        guard let values = parser.list(element: element) else { return nil }
        parser.skipSpaces()
        return parser.index == bytes.count ? values : nil
    }

    /// Recursive-descent reader of PostgreSQL's array literal syntax.
    private struct ArrayParser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpaces() {
            while let byte = peek(), byte == UInt8(ascii: " ") || byte == PostgresText.tab
                    || byte == PostgresText.newline || byte == PostgresText.carriageReturn {
                index += 1
            }
        }

        /// Skips a `[lo:hi][lo:hi]=` dimension prefix.
        mutating func skipBounds() {
            skipSpaces()
            guard peek() == UInt8(ascii: "[") else { return }
            while let byte = peek(), byte != UInt8(ascii: "=") { index += 1 }
            if peek() == UInt8(ascii: "=") { index += 1 }
            skipSpaces()
        }

        mutating func list(element: DataType) -> [Value]? {
            skipSpaces()
            guard peek() == UInt8(ascii: "{") else { return nil }
            index += 1
            var values: [Value] = []
            skipSpaces()
            if peek() == UInt8(ascii: "}") {
                index += 1
                return values
            }
            while true {
                skipSpaces()
                guard let value = self.element(element) else { return nil }
                values.append(value)
                skipSpaces()
                switch peek() {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    return values
                default: return nil
                }
            }
        }

        mutating func element(_ type: DataType) -> Value? {
            if case .list(let inner) = type, peek() == UInt8(ascii: "{") {
                return list(element: inner).map(Value.list)
            }
            var text: [UInt8] = []
            if peek() == PostgresText.quote {
                index += 1
                while true {
                    guard let byte = peek() else { return nil }
                    index += 1
                    if byte == PostgresText.quote { break }
                    if byte == PostgresText.backslash {
                        guard let escaped = peek() else { return nil }
                        index += 1
                        text.append(escaped)
                    } else {
                        text.append(byte)
                    }
                }
            } else {
                var escapedEnd = 0
                while let byte = peek(), byte != UInt8(ascii: ","), byte != UInt8(ascii: "}") {
                    index += 1
                    if byte == PostgresText.backslash {
                        guard let escaped = peek() else { return nil }
                        index += 1
                        text.append(escaped)
                        escapedEnd = text.count
                    } else {
                        text.append(byte)
                    }
                }
                while text.count > escapedEnd, let last = text.last, last == UInt8(ascii: " ") || last == PostgresText.tab {
                    text.removeLast()
                }
                if escapedEnd == 0, text.count == 4,
                   String(decoding: text, as: UTF8.self).uppercased() == "NULL" {
                    return .null
                }
            }
            return text.withUnsafeBufferPointer { PostgresText.parseValue($0, type: type) }
        }
    }

    /// Appends the text of a ``Value`` (nil → nothing; the caller writes NULL), for parameters.
    static func appendValue(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "NULL".utf8)
        case .int64(let v): DecimalMath.append(v, scale: 0, to: &out)
        case .float64(let v): appendFloat(v, to: &out)
        case .decimal(let v, let scale): DecimalMath.append(v, scale: scale, to: &out)
        case .bool(let v): appendBool(v, to: &out)
        case .string(let v): out.append(contentsOf: v.utf8)
        case .date(let v): appendDate(v, to: &out)
        case .timestamp(let v): appendTimestamp(v, to: &out)
        case .list(let values):
            out.append(UInt8(ascii: "{"))
            for (position, element) in values.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                switch element {
                case .null, .int64, .float64, .decimal, .bool, .list:
                    appendValue(element, to: &out)
                case .string, .date, .timestamp:
                    var text: [UInt8] = []
                    appendValue(element, to: &text)
                    appendQuotedElement(text, to: &out)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
