/// A date or timestamp format in strftime notation, compiled once and matched against bytes.
///
/// Supported directives: `%Y` (4-digit year), `%y` (2-digit year, 1970–2069), `%m`, `%d`,
/// `%H`, `%I` (12-hour), `%M`, `%S`, `%f` (1–6 fraction digits), `%p` (AM/PM), `%b`
/// (Jan…Dec), `%z` (a UTC offset as ISO 8601 writes it: `Z`, `+02:00`, `+0200`, `-05`; the
/// value is the instant in UTC), `%%`. The whole input must match; text without a zone is
/// read as UTC. Two special formats take a number: `epoch` (seconds since 1970) and `epoch_ms`.
///
/// Seconds run 00–59: a leap second (`23:59:60`) does not parse, as in Spark and Python's
/// `datetime`, since a timestamp in µs since the epoch cannot hold it and moving it to `:59` or to the
/// next minute would change the value silently (PostgreSQL rolls it into the next minute).
///
/// ```swift
/// let format = try DateTimeFormat("%m/%d/%Y %I:%M %p")
/// format.parseTimestamp("10/29/2024 12:00 AM")   // micros of 2024-10-29 00:00:00
/// ```
public struct DateTimeFormat: Sendable, Hashable, CustomStringConvertible {
    /// One part of a pattern: a literal byte or a directive (`%Y` is `year4`, `%p` `ampm`, …).
    public enum Token: Sendable, Hashable {
        case literal(UInt8)
        case year4, year2, month, day, hour24, hour12, minute, second, fraction, ampm, monthName, zone
    }

    /// The pattern's parts, or nil for `epoch` / `epoch_ms`: for another engine that must read
    /// exactly this grammar (the Spark compiler), so the grammar is parsed in one place.
    public var tokens: [Token]? {
        if case .pattern(let tokens) = kind { return tokens }
        return nil
    }

    @usableFromInline
    enum Kind: Sendable, Hashable {
        case pattern([Token])
        case epochSeconds
        case epochMillis
    }

    @usableFromInline let kind: Kind
    public let pattern: String

    /// Compiles a format; throws a plan error naming the unknown directive.
    public init(_ pattern: String) throws(SluiceError) {
        self.pattern = pattern
        switch pattern {
        case "epoch", "epoch_s": kind = .epochSeconds; return
        case "epoch_ms": kind = .epochMillis; return
        default: break
        }
        var tokens: [Token] = []
        var bytes = Array(pattern.utf8)[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                tokens.append(.literal(byte))
                continue
            }
            guard let directive = bytes.popFirst() else {
                throw SluiceError.plan("date format '\(pattern)' ends with a lone '%'")
            }
            switch directive {
            case UInt8(ascii: "Y"): tokens.append(.year4)
            case UInt8(ascii: "y"): tokens.append(.year2)
            case UInt8(ascii: "m"): tokens.append(.month)
            case UInt8(ascii: "d"): tokens.append(.day)
            case UInt8(ascii: "H"): tokens.append(.hour24)
            case UInt8(ascii: "I"): tokens.append(.hour12)
            case UInt8(ascii: "M"): tokens.append(.minute)
            case UInt8(ascii: "S"): tokens.append(.second)
            case UInt8(ascii: "f"): tokens.append(.fraction)
            case UInt8(ascii: "p"): tokens.append(.ampm)
            case UInt8(ascii: "b"): tokens.append(.monthName)
            case UInt8(ascii: "z"): tokens.append(.zone)
            case UInt8(ascii: "%"): tokens.append(.literal(UInt8(ascii: "%")))
            default:
                throw SluiceError.plan(
                    "date format '\(pattern)' has an unknown directive '%\(Character(Unicode.Scalar(directive)))'",
                    hint: "use %Y %y %m %d %H %I %M %S %f %p %b %z, or 'epoch' / 'epoch_ms'"
                )
            }
        }
        kind = .pattern(tokens)
    }

    public var description: String { pattern }

    /// The ISO date format `%Y-%m-%d`.
    public static let isoDate = DateTimeFormat(
        pattern: "%Y-%m-%d",
        kind: .pattern([.year4, .literal(UInt8(ascii: "-")), .month, .literal(UInt8(ascii: "-")), .day])
    )

    /// The ISO timestamp format `%Y-%m-%d %H:%M:%S`.
    public static let isoTimestamp = DateTimeFormat(
        pattern: "%Y-%m-%d %H:%M:%S",
        kind: .pattern([
            .year4, .literal(UInt8(ascii: "-")), .month, .literal(UInt8(ascii: "-")), .day,
            .literal(UInt8(ascii: " ")), .hour24, .literal(UInt8(ascii: ":")), .minute,
            .literal(UInt8(ascii: ":")), .second,
        ])
    )

    private init(pattern: String, kind: Kind) {
        self.pattern = pattern
        self.kind = kind
    }

    /// Microseconds since the epoch for text matching this format, or nil.
    public func parseTimestamp(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        switch kind {
        case .epochSeconds:
            guard let seconds = DecimalMath.parseInteger(bytes) else { return nil }
            let (micros, overflow) = seconds.multipliedReportingOverflow(by: DateEncoding.microsPerSecond)
            return overflow ? nil : micros
        case .epochMillis:
            guard let millis = DecimalMath.parseInteger(bytes) else { return nil }
            let (micros, overflow) = millis.multipliedReportingOverflow(by: 1000)
            return overflow ? nil : micros
        case .pattern(let tokens):
            return match(tokens, bytes)
        }
    }

    /// Days since the epoch for text matching this format (any time part is dropped), or nil.
    public func parseDate(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard let micros = parseTimestamp(bytes) else { return nil }
        let days = micros >= 0 ? micros / DateEncoding.microsPerDay
            : (micros - DateEncoding.microsPerDay + 1) / DateEncoding.microsPerDay
        return Int32(exactly: days)
    }

    /// String conveniences for tests and literals.
    public func parseTimestamp(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { parseTimestamp($0) }
    }

    public func parseDate(_ text: String) -> Int32? {
        var copy = text
        return copy.withUTF8 { parseDate($0) }
    }

    private static let monthNames: [[UInt8]] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ].map { Array($0.utf8) }

    private func match(_ tokens: [Token], _ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var position = 0
        var year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, micros = 0
        var pm: Bool? = nil
        var twelveHour = false
        var offsetSeconds = 0

        func number(maxDigits: Int) -> Int? {
            var value = 0
            var digits = 0
            while digits < maxDigits, position < bytes.count {
                let digit = Int(bytes[position]) &- 48
                guard digit >= 0 && digit <= 9 else { break }
                value = value * 10 + digit
                digits += 1
                position += 1
            }
            return digits == 0 ? nil : value
        }

        for token in tokens {
            switch token {
            case .literal(let expected):
                guard position < bytes.count, bytes[position] == expected else { return nil }
                position += 1
            case .year4:
                guard let value = number(maxDigits: 4) else { return nil }
                year = value
            case .year2:
                guard let value = number(maxDigits: 2) else { return nil }
                year = value < 70 ? 2000 + value : 1900 + value
            case .month:
                guard let value = number(maxDigits: 2) else { return nil }
                month = value
            case .day:
                guard let value = number(maxDigits: 2) else { return nil }
                day = value
            case .hour24:
                guard let value = number(maxDigits: 2), value < 24 else { return nil }
                hour = value
            case .hour12:
                guard let value = number(maxDigits: 2), (1...12).contains(value) else { return nil }
                hour = value
                twelveHour = true
            case .minute:
                guard let value = number(maxDigits: 2), value < 60 else { return nil }
                minute = value
            case .second:
                guard let value = number(maxDigits: 2), value < 60 else { return nil }
                second = value
            case .fraction:
                let start = position
                guard var value = number(maxDigits: 6) else { return nil }
                for _ in (position - start)..<6 { value *= 10 }
                micros = value
            case .ampm:
                guard position + 2 <= bytes.count else { return nil }
                let first = bytes[position] | 0x20, second = bytes[position + 1] | 0x20
                guard second == UInt8(ascii: "m"), first == UInt8(ascii: "a") || first == UInt8(ascii: "p")
                else { return nil }
                pm = first == UInt8(ascii: "p")
                position += 2
            case .monthName:
                guard position + 3 <= bytes.count else { return nil }
                let name = [bytes[position] | 0x20, bytes[position + 1] | 0x20, bytes[position + 2] | 0x20]
                guard let index = Self.monthNames.firstIndex(of: name) else { return nil }
                month = index + 1
                position += 3
            case .zone:
                guard let offset = Self.zoneOffset(bytes, at: &position) else { return nil }
                offsetSeconds = offset
            }
        }
        guard position == bytes.count else { return nil }
        if twelveHour {
            guard let pm else { return nil }
            hour = hour % 12 + (pm ? 12 : 0)
        }
        guard let days = DateEncoding.days(year: year, month: month, day: day) else { return nil }
        let seconds = Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        return Int64(days) * DateEncoding.microsPerDay + seconds * DateEncoding.microsPerSecond + Int64(micros)
    }

    /// Seconds east of UTC of the offset at `position` (`Z`/`z`, or a sign, two hour digits and
    /// optionally two minute digits, with or without a colon; at most 18 hours), moving past it.
    static func zoneOffset(_ bytes: UnsafeBufferPointer<UInt8>, at position: inout Int) -> Int? {
        guard position < bytes.count else { return nil }
        let first = bytes[position]
        if first == UInt8(ascii: "Z") || first == UInt8(ascii: "z") {
            position += 1
            return 0
        }
        guard first == UInt8(ascii: "+") || first == UInt8(ascii: "-") else { return nil }
        func twoDigits(_ at: Int) -> Int? {
            guard at + 2 <= bytes.count else { return nil }
            let high = Int(bytes[at]) &- 48, low = Int(bytes[at + 1]) &- 48
            guard (0...9).contains(high), (0...9).contains(low) else { return nil }
            return high * 10 + low
        }
        guard let hours = twoDigits(position + 1) else { return nil }
        var next = position + 3, minutes = 0
        if next < bytes.count {
            let colon = bytes[next] == UInt8(ascii: ":")
            guard let value = twoDigits(colon ? next + 1 : next) else { return nil }
            minutes = value
            next += colon ? 3 : 2
        }
        guard minutes < 60, hours * 60 + minutes <= 18 * 60 else { return nil }
        position = next
        let seconds = hours * 3600 + minutes * 60
        return first == UInt8(ascii: "-") ? -seconds : seconds
    }
}
