import CSluiceHints
import SluiceCore

/// Byte-level JSON primitives over one buffer: whitespace, strings (with escapes decoded
/// into a scratch buffer only when present), numbers and skipping whole values. The record
/// reader builds on these; nothing here allocates per value.
struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var atEnd: Bool { position >= bytes.count }

    /// Skips spaces, tabs and line breaks. Most calls find none or one, so the first two bytes
    /// are looked at alone; a longer run (a pretty-printed file's line break and indent) is
    /// crossed eight bytes at a time.
    @inline(__always)
    mutating func skipWhitespace() {
        guard position < bytes.count, Self.isWhitespace(bytes[position]), let base = bytes.baseAddress else { return }
        position += 1
        let count = bytes.count
        // One byte (`": "`, `", "`) is the commonest run of all.
        guard position < count, Self.isWhitespace(base[position]) else { return }
        position += 1
        while position + 8 <= count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
            let other = Self.nonWhitespace(word)
            if other != 0 {
                position += other.trailingZeroBitCount >> 3
                return
            }
            position += 8
        }
        while position < count, Self.isWhitespace(base[position]) { position += 1 }
    }

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// The high bit of each of `word`'s bytes that is not JSON whitespace, exact per byte (a
    /// byte equals `c` where `word ^ c` has a zero byte).
    @inline(__always)
    static func nonWhitespace(_ word: UInt64) -> UInt64 {
        let space = ByteWord.zeroBytes(word ^ ByteWord.repeated(0x20)), newline = ByteWord.zeroBytes(word ^ ByteWord.repeated(0x0A))
        let carriage = ByteWord.zeroBytes(word ^ ByteWord.repeated(0x0D)), tab = ByteWord.zeroBytes(word ^ ByteWord.repeated(0x09))
        return ~(space | newline | carriage | tab) & 0x8080_8080_8080_8080
    }

    /// Skips whitespace and UTF-8 byte order marks (`EF BB BF`): exporters put one at the
    /// start of a file, and concatenating such files leaves one before each document.
    @inline(__always)
    mutating func skipWhitespaceAndByteOrderMarks() {
        while true {
            skipWhitespace()
            guard position + 2 < bytes.count, bytes[position] == 0xEF, bytes[position + 1] == 0xBB, bytes[position + 2] == 0xBF else { return }
            position += 3
        }
    }

    @inline(__always)
    func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    /// Consumes `byte` (after whitespace) or returns false.
    @inline(__always)
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// A string token: the raw range between the quotes, and whether it has escapes.
    struct StringToken {
        var range: Range<Int>
        var escaped: Bool
        var nonASCII: Bool
    }

    /// Reads a string starting at the opening quote. The plain bytes between special ones
    /// (quote, backslash, control) are crossed by `sluice_scan_string`, sixteen at a time.
    mutating func string() throws(JSONSyntaxError) -> StringToken {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), let base = bytes.baseAddress else {
            throw JSONSyntaxError(position: position, message: "expected a string")
        }
        position += 1
        let start = position
        let count = bytes.count
        var escaped = false
        var nonASCII = false
        while position < count {
            let scan = sluice_scan_string(base + position, count - position)
            position += scan.offset
            if scan.nonASCII != 0 { nonASCII = true }
            guard position < count else { break }
            let byte = base[position]
            if byte == UInt8(ascii: "\"") {
                let token = StringToken(range: start..<position, escaped: escaped, nonASCII: nonASCII)
                position += 1
                return token
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                // The escaped byte is never special; past the end, the string is unterminated.
                position += 2
                continue
            }
            throw JSONSyntaxError(position: position, message: "control character in a string")
        }
        throw JSONSyntaxError(position: start - 1, message: "unterminated string")
    }

    /// The decoded text of a string token (escapes resolved, `\u` pairs joined) in `out`.
    func decode(_ token: StringToken, into out: inout [UInt8]) throws(JSONSyntaxError) {
        out.removeAll(keepingCapacity: true)
        var index = token.range.lowerBound
        let end = token.range.upperBound
        while index < end {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 1 < end else { throw JSONSyntaxError(position: index, message: "bad escape") }
            let code = bytes[index + 1]
            index += 2
            switch code {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(code)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(at: index, end: end)
                index += 4
                if (0xD800..<0xDC00).contains(scalar), index + 6 <= end, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    let low = try hex4(at: index + 2, end: end)
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: String(Character(unicode)).utf8)
            default:
                throw JSONSyntaxError(position: index - 2, message: "bad escape")
            }
        }
    }

    private func hex4(at index: Int, end: Int) throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= end else { throw JSONSyntaxError(position: index, message: "bad \\u escape") }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[index + offset]
            let digit: UInt32
            switch byte {
            case 48...57: digit = UInt32(byte - 48)
            case 65...70: digit = UInt32(byte - 55)
            case 97...102: digit = UInt32(byte - 87)
            default: throw JSONSyntaxError(position: index, message: "bad \\u escape")
            }
            value = value << 4 | digit
        }
        return value
    }

    /// A number token's range and whether it has a fraction or exponent.
    mutating func number() throws(JSONSyntaxError) -> (range: Range<Int>, integral: Bool) {
        let start = position
        var integral = true
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        while position < bytes.count {
            let byte = bytes[position]
            if byte >= 48 && byte <= 57 {
                position += 1
            } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                        || ((byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")) && position > start) {
                integral = false
                position += 1
            } else {
                break
            }
        }
        guard position > start, !(position == start + 1 && bytes[start] == UInt8(ascii: "-")) else {
            throw JSONSyntaxError(position: start, message: "expected a value")
        }
        return (start..<position, integral)
    }

    /// Consumes `literal` (`true`, `false`, `null`) or throws.
    mutating func literal(_ text: StaticString) throws(JSONSyntaxError) {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw JSONSyntaxError(position: position, message: "expected a value") }
        let expected = UnsafeBufferPointer(start: text.utf8Start, count: count)
        for index in 0..<count where bytes[position + index] != expected[index] {
            throw JSONSyntaxError(position: position, message: "expected a value")
        }
        position += count
    }

    /// Skips one whole value (object, array, string, number or literal); returns its range.
    @discardableResult
    mutating func skipValue() throws(JSONSyntaxError) -> Range<Int> {
        skipWhitespace()
        let start = position
        guard let byte = peek() else { throw JSONSyntaxError(position: position, message: "expected a value") }
        switch byte {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while position < bytes.count {
                let current = bytes[position]
                if current == UInt8(ascii: "\"") {
                    _ = try string()
                    continue
                }
                if current == UInt8(ascii: "{") || current == UInt8(ascii: "[") { depth += 1 }
                if current == UInt8(ascii: "}") || current == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 {
                        position += 1
                        return start..<position
                    }
                }
                position += 1
            }
            throw JSONSyntaxError(position: start, message: "unterminated \(byte == UInt8(ascii: "{") ? "object" : "array")")
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try number()
        }
        return start..<position
    }
}

/// Malformed JSON at a byte position.
struct JSONSyntaxError: Error {
    var position: Int
    var message: String
}
