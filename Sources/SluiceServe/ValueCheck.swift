/// Checks a client's text before it is sent as a parameter of a column's type, so that a bad
/// value is a 400 naming the parameter rather than a database error. PostgreSQL still parses
/// every value itself; this only decides whose mistake it was.
enum ValueCheck {
    static func accepts(_ text: String, kind: ValueKind) -> Bool {
        let bytes = Array(text.utf8)
        switch kind {
        case .integer: return Int64(text) != nil
        case .float: return Double(text) != nil
        case .decimal: return isDecimal(bytes)
        case .boolean: return ["true", "false", "1", "0", "t", "f"].contains(text.lowercased())
        case .date: return isDate(bytes[...])
        case .timestamp, .localTimestamp: return isTimestamp(bytes)
        case .json: return false
        case .text: return true
        }
    }

    static func describe(_ kind: ValueKind) -> String {
        switch kind {
        case .integer: "whole number"
        case .float: "number"
        case .decimal: "decimal number (such as 12.50)"
        case .boolean: "boolean (true or false)"
        case .date: "date (YYYY-MM-DD)"
        case .timestamp, .localTimestamp: "time (YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS with an optional zone)"
        case .json: "value: JSON fields cannot be filtered"
        case .text: "text"
        }
    }

    /// `[+-]digits[.digits]` with at least one digit.
    static func isDecimal(_ bytes: [UInt8]) -> Bool {
        var index = 0, digits = 0, dots = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "."): dots += 1
            default: return false
            }
            index += 1
        }
        return digits > 0 && dots <= 1
    }

    /// `YYYY-MM-DD`, a day that exists.
    static func isDate(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard bytes.count == 10 else { return false }
        let b = Array(bytes)
        guard b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let year = number(b[0..<4]), let month = number(b[5..<7]), let day = number(b[8..<10]) else { return false }
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    /// A date, optionally followed by `T` or a space, `HH:MM[:SS[.fraction]]` and a zone
    /// (`Z`, `+HH`, `+HH:MM`).
    static func isTimestamp(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 10, isDate(bytes[0..<10]) else { return false }
        if bytes.count == 10 { return true }
        guard bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " ") else { return false }
        var rest = Array(bytes[11...])
        if rest.last == UInt8(ascii: "Z") {
            rest.removeLast()
        } else if let sign = rest.lastIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }) {
            let zone = rest[(sign + 1)...].filter { $0 != UInt8(ascii: ":") }
            guard zone.count == 2 || zone.count == 4, zone.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return false }
            rest = Array(rest[..<sign])
        }
        guard rest.count >= 5, rest[2] == UInt8(ascii: ":"), let hour = number(rest[0..<2]), let minute = number(rest[3..<5]),
              hour < 24, minute < 60 else { return false }
        if rest.count == 5 { return true }
        guard rest.count >= 8, rest[5] == UInt8(ascii: ":"), let second = number(rest[6..<8]), second < 60 else { return false }
        if rest.count == 8 { return true }
        return rest[8] == UInt8(ascii: ".") && rest.count > 9 && rest[9...].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func number(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return bytes.isEmpty ? nil : value
    }
}
