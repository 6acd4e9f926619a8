/// Conversions between calendar dates, days since 1970-01-01 (``DataType/date``) and
/// microseconds since the epoch (``DataType/timestamp``), in the proleptic Gregorian calendar.
///
/// The arithmetic is Howard Hinnant's `days_from_civil`, exact for every Int32 day.
public enum DateEncoding {
    public static let microsPerSecond: Int64 = 1_000_000
    public static let microsPerDay: Int64 = 86_400_000_000

    /// Days since 1970-01-01 for a valid calendar date in years -9999…9999, or nil when the
    /// date does not exist.
    @inlinable
    public static func days(year: Int, month: Int, day: Int) -> Int32? {
        guard (-9999...9999).contains(year) else { return nil }
        return daysAnyYear(year: year, month: month, day: day)
    }

    /// Days since 1970-01-01 for a valid calendar date of any year whose day number fits in
    /// Int32 (PostgreSQL dates reach year 5874897), or nil.
    @inlinable
    public static func daysAnyYear(year: Int, month: Int, day: Int) -> Int32? {
        if year > 1900, year < 2100 { return daysBetween1901And2099(year: year, month: month, day: day) }
        return daysByEra(year: year, month: month, day: day)
    }

    /// ``daysAnyYear(year:month:day:)`` for 1901…2099, where every fourth year is a leap
    /// year and no other is, so neither the 400-year era nor the century rule is needed.
    @inlinable
    static func daysBetween1901And2099(year: Int, month: Int, day: Int) -> Int32? {
        guard month >= 1, month <= 12, day >= 1 else { return nil }
        let leap = year & 3 == 0
        // 31 days in the months whose bit is set in 0x15AA (1, 3, 5, 7, 8, 10, 12).
        let length = month == 2 ? (leap ? 29 : 28) : 30 | ((0x15AA >> month) & 1)
        guard day <= length else { return nil }
        let before = (367 &* month &- 362) / 12 &- (month > 2 ? (leap ? 1 : 2) : 0)
        // Leap years from 1901 up to the year, less the 17 before 1970.
        return Int32(truncatingIfNeeded: 365 &* (year &- 1970) &+ (year &- 1901) / 4 &- 17 &+ before &+ day &- 1)
    }

    /// ``daysAnyYear(year:month:day:)`` by Hinnant's arithmetic, for every year.
    @inlinable
    static func daysByEra(year: Int, month: Int, day: Int) -> Int32? {
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return Int32(exactly: era * 146_097 + dayOfEra - 719_468)
    }

    /// The calendar date of a day number.
    @inlinable
    public static func civil(_ days: Int32) -> (year: Int, month: Int, day: Int) {
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    @inlinable
    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    @inlinable
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Parses exactly `YYYY-MM-DD`, the fast path of every CSV date column.
    /// - Complexity: O(1), no allocation.
    @inlinable
    public static func parseISODate(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else {
            return nil
        }
        var year = 0
        for index in 0..<4 {
            let digit = Int(bytes[index]) &- 48
            guard digit >= 0 && digit <= 9 else { return nil }
            year = year * 10 + digit
        }
        let m1 = Int(bytes[5]) &- 48, m2 = Int(bytes[6]) &- 48
        let d1 = Int(bytes[8]) &- 48, d2 = Int(bytes[9]) &- 48
        guard (0...9).contains(m1), (0...9).contains(m2), (0...9).contains(d1), (0...9).contains(d2) else {
            return nil
        }
        return days(year: year, month: m1 * 10 + m2, day: d1 * 10 + d2)
    }

    /// Parses ISO 8601 timestamps: `YYYY-MM-DD[T| ]HH:MM[:SS[.ffffff]]` with an optional `Z`
    /// or `±HH:MM` offset (converted to UTC), or a bare date (midnight).
    /// - Complexity: O(n), no allocation.
    public static func parseISOTimestamp(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard bytes.count >= 10, let day = parseISODate(UnsafeBufferPointer(rebasing: bytes[0..<10])) else { return nil }
        var micros = Int64(day) * microsPerDay
        if bytes.count == 10 { return micros }
        guard bytes.count >= 16, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":") else { return nil }
        func two(_ at: Int) -> Int? {
            guard at + 1 < bytes.count else { return nil }
            let a = Int(bytes[at]) &- 48, b = Int(bytes[at + 1]) &- 48
            return (0...9).contains(a) && (0...9).contains(b) ? a * 10 + b : nil
        }
        guard let hour = two(11), hour < 24, let minute = two(14), minute < 60 else { return nil }
        var position = 16
        var second = 0
        if position < bytes.count, bytes[position] == UInt8(ascii: ":") {
            // 00–59: a leap second is refused, as by ``DateTimeFormat`` (no timestamp holds it).
            guard let value = two(position + 1), value < 60 else { return nil }
            second = value
            position += 3
        }
        var fraction = 0
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            var digits = 0
            while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57 {
                if digits < 6 { fraction = fraction * 10 + Int(bytes[position] - 48) }
                digits += 1
                position += 1
            }
            guard digits > 0 else { return nil }
            for _ in min(digits, 6)..<6 { fraction *= 10 }
        }
        micros += Int64(hour * 3600 + minute * 60 + second) * microsPerSecond + Int64(fraction)
        if position == bytes.count { return micros }
        if bytes[position] == UInt8(ascii: "Z"), position + 1 == bytes.count { return micros }
        guard bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"), let offsetHours = two(position + 1) else { return nil }
        var offsetMinutes = 0
        var end = position + 3
        if end < bytes.count, bytes[end] == UInt8(ascii: ":") { end += 1 }
        if end < bytes.count {
            guard let value = two(end) else { return nil }
            offsetMinutes = value
            end += 2
        }
        guard end == bytes.count else { return nil }
        let offset = Int64(offsetHours * 3600 + offsetMinutes * 60) * microsPerSecond
        return bytes[position] == UInt8(ascii: "+") ? micros - offset : micros + offset
    }

    /// Microseconds for an ISO timestamp string; convenience for literals and tests.
    public static func parseTimestamp(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { parseISOTimestamp($0) }
    }

    /// Appends `YYYY-MM-DD` for a day number.
    @inlinable
    public static func appendISODate(_ days: Int32, to out: inout [UInt8]) {
        let (year, month, day) = civil(days)
        if year < 0 { out.append(UInt8(ascii: "-")) }
        appendPadded(abs(year), width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(day, width: 2, to: &out)
    }

    /// Appends `YYYY-MM-DD HH:MM:SS` (and `.ffffff` when there are microseconds), in UTC.
    @inlinable
    public static func appendTimestamp(_ micros: Int64, to out: inout [UInt8]) {
        var dayNumber = micros / microsPerDay
        var rest = micros % microsPerDay
        if rest < 0 {
            rest += microsPerDay
            dayNumber -= 1
        }
        appendISODate(Int32(truncatingIfNeeded: dayNumber), to: &out)
        out.append(UInt8(ascii: " "))
        let seconds = Int(rest / microsPerSecond)
        appendPadded(seconds / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(seconds / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(seconds % 60, width: 2, to: &out)
        let fraction = Int(rest % microsPerSecond)
        if fraction != 0 {
            out.append(UInt8(ascii: "."))
            appendPadded(fraction, width: 6, to: &out)
        }
    }

    /// The text of a date, for messages and tests.
    public static func formatDate(_ days: Int32) -> String {
        var bytes: [UInt8] = []
        appendISODate(days, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The text of a timestamp, for messages and tests.
    public static func formatTimestamp(_ micros: Int64) -> String {
        var bytes: [UInt8] = []
        appendTimestamp(micros, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Days for an ISO date string; convenience for literals and tests.
    public static func parseDate(_ text: String) -> Int32? {
        var copy = text
        return copy.withUTF8 { parseISODate($0) }
    }

    @inlinable
    static func appendPadded(_ value: Int, width: Int, to out: inout [UInt8]) {
        var digits = 1
        var probe = value / 10
        while probe > 0 { digits += 1; probe /= 10 }
        for _ in digits..<max(width, digits) { out.append(UInt8(ascii: "0")) }
        let start = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        var rest = value
        for position in stride(from: start + digits - 1, through: start, by: -1) {
            out[position] = UInt8(48 + rest % 10)
            rest /= 10
        }
    }
}
