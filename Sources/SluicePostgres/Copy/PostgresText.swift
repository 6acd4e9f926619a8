import SluiceCore

/// PostgreSQL's text representation of single values, written to and read from bytes.
///
/// Shared by the COPY encoder and decoder and by query parameters. Writers append to a byte
/// buffer and never build a `String`; readers take a buffer and return nil for text that is not
/// a value of the type. Dates before 0001-01-01 use PostgreSQL's ` BC` suffix (year 0 is 1 BC),
/// and timestamps are UTC without an offset unless one is asked for.
enum PostgresText {
    static let backslash = UInt8(ascii: "\\")
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let quote = UInt8(ascii: "\"")
    /// Day number of 0001-01-01, the first AD day.
    static let firstADDay: Int32 = -719_162

    // MARK: Writing

    /// Appends `YYYY-MM-DD`, or `YYYY-MM-DD BC` before year 1.
    static func appendDate(_ days: Int32, to out: inout [UInt8]) {
        if days >= firstADDay {
            DateEncoding.appendISODate(days, to: &out)
            return
        }
        let (year, month, day) = DateEncoding.civil(days)
        appendDigits(1 - year, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(day, width: 2, to: &out)
        appendBC(to: &out)
    }

    /// Appends `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC (`+00` appended when `utcOffset`),
    /// with ` BC` before year 1.
    static func appendTimestamp(_ micros: Int64, utcOffset: Bool = false, to out: inout [UInt8]) {
        let firstADMicros = Int64(firstADDay) * DateEncoding.microsPerDay
        if micros >= firstADMicros {
            DateEncoding.appendTimestamp(micros, to: &out)
            if utcOffset { out.append(contentsOf: [UInt8(ascii: "+"), 48, 48]) }
            return
        }
        var dayNumber = micros / DateEncoding.microsPerDay
        var rest = micros % DateEncoding.microsPerDay
        if rest < 0 {
            rest += DateEncoding.microsPerDay
            dayNumber -= 1
        }
        let (year, month, day) = DateEncoding.civil(Int32(clamping: dayNumber))
        appendDigits(1 - year, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(day, width: 2, to: &out)
        out.append(UInt8(ascii: " "))
        let seconds = Int(rest / DateEncoding.microsPerSecond)
        appendDigits(seconds / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(seconds / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(seconds % 60, width: 2, to: &out)
        let fraction = Int(rest % DateEncoding.microsPerSecond)
        if fraction != 0 {
            out.append(UInt8(ascii: "."))
            appendDigits(fraction, width: 6, to: &out)
        }
        if utcOffset { out.append(contentsOf: [UInt8(ascii: "+"), 48, 48]) }
        appendBC(to: &out)
    }

    /// Appends the shortest text that reads back as the same Double (`NaN`, `Infinity`,
    /// `-Infinity` for the special values, which PostgreSQL spells that way).
    static func appendFloat(_ value: Double, to out: inout [UInt8]) {
        if value.isNaN {
            out.append(contentsOf: "NaN".utf8)
        } else if value.isInfinite {
            out.append(contentsOf: (value < 0 ? "-Infinity" : "Infinity").utf8)
        } else {
            out.append(contentsOf: value.description.utf8)
        }
    }

    /// Appends `t` or `f`.
    static func appendBool(_ value: Bool, to out: inout [UInt8]) {
        out.append(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    /// Appends the text of row `index` of a non-list column (which must not be null there).
    static func appendScalar(_ column: Column, at index: Int, to out: inout [UInt8]) {
        switch column.storage {
        case .int64(let values):
            switch column.type {
            case .timestamp: appendTimestamp(values[index], to: &out)
            default: DecimalMath.append(values[index], scale: column.type.scale, to: &out)
            }
        case .float64(let values): appendFloat(values[index], to: &out)
        case .int32(let values): appendDate(values[index], to: &out)
        case .bool(let values): appendBool(values[index], to: &out)
        case .string(let storage): storage.withBytes(at: index) { out.append(contentsOf: $0) }
        case .list: appendArray(column, at: index, to: &out)
        }
    }

    /// Appends row `index` of a list column as an array literal: `{1,2,NULL}`, with every string,
    /// date and timestamp element double-quoted and its `"` and `\` backslash-escaped.
    static func appendArray(_ column: Column, at index: Int, to out: inout [UInt8]) {
        guard case .list(let offsets, let values) = column.storage else {
            appendScalar(column, at: index, to: &out)
            return
        }
        out.append(UInt8(ascii: "{"))
        for element in Int(offsets[index])..<Int(offsets[index + 1]) {
            if element > Int(offsets[index]) { out.append(UInt8(ascii: ",")) }
            if values.isNull(element) {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            switch values.type {
            case .string, .date, .timestamp:
                var text: [UInt8] = []
                appendScalar(values, at: element, to: &text)
                appendQuotedElement(text, to: &out)
            default:
                appendScalar(values, at: element, to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends `"text"` with `"` and `\` escaped, as an array element.
    static func appendQuotedElement(_ text: [UInt8], to out: inout [UInt8]) {
        out.append(quote)
        for byte in text {
            if byte == quote || byte == backslash { out.append(backslash) }
            out.append(byte)
        }
        out.append(quote)
    }

    static func appendBC(to out: inout [UInt8]) {
        out.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: "B"), UInt8(ascii: "C")])
    }

    /// Appends a non-negative number with at least `width` digits.
    static func appendDigits(_ value: Int, width: Int, to out: inout [UInt8]) {
        var digits: [UInt8] = []
        var rest = max(value, 0)
        repeat {
            digits.append(UInt8(48 + rest % 10))
            rest /= 10
        } while rest > 0
        for _ in digits.count..<max(width, digits.count) { out.append(48) }
        out.append(contentsOf: digits.reversed())
    }

    // MARK: Reading

    /// Reads an optionally signed base-10 integer; nil on anything else or on overflow.
    static func parseInt64(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        DecimalMath.parseInteger(bytes)
    }

    /// Reads a double, including PostgreSQL's `NaN`, `Infinity` and `-Infinity`.
    static func parseFloat64(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !bytes.isEmpty, bytes.count < 400 else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return Double(text)
        }
    }

    /// Reads PostgreSQL's boolean spellings (`t`, `f`, `true`, `false`, `yes`, `no`, `on`, `off`, `1`, `0`).
    static func parseBool(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        if bytes.count == 1 {
            switch bytes[0] {
            case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "1"), UInt8(ascii: "y"), UInt8(ascii: "Y"): return true
            case UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "0"), UInt8(ascii: "n"), UInt8(ascii: "N"): return false
            default: return nil
            }
        }
        switch String(decoding: bytes, as: UTF8.self).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// Reads `YYYY-MM-DD` (years of four or more digits) with an optional ` BC`.
    static func parseDate(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        var cursor = Cursor(bytes)
        guard cursor.date(), let days = cursor.finishEra(), cursor.atEnd else { return nil }
        return days
    }

    /// Reads `YYYY-MM-DD[ T]HH:MM:SS[.f…]` with an optional UTC offset (`+00`, `-05:30`) and
    /// ` BC`, as microseconds since the epoch in UTC.
    static func parseTimestamp(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var cursor = Cursor(bytes)
        guard cursor.date(), cursor.take(" ") || cursor.take("T"),
              let hour = cursor.number(digits: 2), cursor.take(":"),
              let minute = cursor.number(digits: 2), cursor.take(":"),
              let second = cursor.number(digits: 2), hour < 24 || (hour == 24 && minute == 0 && second == 0),
              minute < 60, second < 61 else { return nil }
        var micros = Int64(0)
        if cursor.take(".") {
            var digits = 0
            while let digit = cursor.digit() {
                guard digits < 6 else { return nil }
                micros = micros * 10 + Int64(digit)
                digits += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<6 { micros *= 10 }
        }
        var offsetSeconds = 0
        if let sign = cursor.peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            cursor.index += 1
            guard let hours = cursor.number(digits: 2) else { return nil }
            var seconds = hours * 3600
            if cursor.take(":") {
                guard let minutes = cursor.number(digits: 2) else { return nil }
                seconds += minutes * 60
                if cursor.take(":") {
                    guard let extra = cursor.number(digits: 2) else { return nil }
                    seconds += extra
                }
            }
            offsetSeconds = sign == UInt8(ascii: "-") ? -seconds : seconds
        }
        guard let day = cursor.finishEra(), cursor.atEnd else { return nil }
        let secondsOfDay = Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        let (dayMicros, o1) = Int64(day).multipliedReportingOverflow(by: DateEncoding.microsPerDay)
        let (total, o2) = dayMicros.addingReportingOverflow(secondsOfDay * DateEncoding.microsPerSecond + micros)
        return o1 || o2 ? nil : total
    }

    /// A reading position in a byte buffer for the date and time grammars.
    struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        /// The calendar year read by ``date()``, kept to re-interpret it when ` BC` follows.
        var civil: (year: Int, month: Int, day: Int) = (0, 0, 0)

        init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }
        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard let byte = peek(), byte == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func digit() -> Int? {
            guard let byte = peek(), byte >= 48, byte <= 57 else { return nil }
            index += 1
            return Int(byte - 48)
        }

        mutating func number(digits: Int) -> Int? {
            var value = 0
            for _ in 0..<digits {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }

        /// Reads `YYYY-MM-DD` (four to seven year digits) into ``civil``; ``finishEra()`` validates it.
        mutating func date() -> Bool {
            var year = 0
            var count = 0
            while let digit = digit() {
                guard count < 7 else { return false }
                year = year * 10 + digit
                count += 1
            }
            guard count >= 4, take("-"), let month = number(digits: 2), take("-"), let day = number(digits: 2) else {
                return false
            }
            civil = (year, month, day)
            return true
        }

        /// Consumes an optional ` BC` and returns the day number of the date read by ``date()``,
        /// or nil when that date does not exist.
        mutating func finishEra() -> Int32? {
            var year = civil.year
            if index + 3 <= bytes.count, bytes[index] == UInt8(ascii: " "),
               bytes[index + 1] == UInt8(ascii: "B"), bytes[index + 2] == UInt8(ascii: "C") {
                index += 3
                guard year >= 1 else { return nil }
                year = 1 - year
            }
            return Self.days(year: year, month: civil.month, day: civil.day)
        }

        /// Days since 1970 for any year (DateEncoding stops at ±9999).
        static func days(year: Int, month: Int, day: Int) -> Int32? {
            DateEncoding.daysAnyYear(year: year, month: month, day: day)
        }
    }
}
