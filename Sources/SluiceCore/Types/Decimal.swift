/// Exact decimal arithmetic on Int64 values scaled by a power of ten.
///
/// Money and credits are summed as scaled integers so that a total is exact to the last
/// digit whatever the order of addition; see ``DataType/decimal(precision:scale:)``.
public enum DecimalMath {
    /// Powers of ten that fit in Int64, indexed by exponent (0...18).
    public static let powersOfTen: [Int64] = {
        var result: [Int64] = [1]
        for _ in 1...18 { result.append(result[result.count - 1] * 10) }
        return result
    }()

    /// Parses ASCII digits with an optional sign and fraction into a value scaled by
    /// `10^scale`, rounding half away from zero when the text has more fraction digits.
    ///
    /// Returns nil for anything that is not a plain decimal number or overflows Int64.
    /// - Complexity: O(n) in the number of bytes, no allocation.
    @inlinable
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, scale: Int) -> Int64? {
        let count = bytes.count
        guard count > 0 else { return nil }
        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        var value: Int64 = 0
        var digits = 0
        var fractionDigits = 0
        var seenPoint = false
        var roundUp = false
        while index < count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                if seenPoint { return nil }
                seenPoint = true
                continue
            }
            guard byte >= 48 && byte <= 57 else { return nil }
            digits += 1
            if seenPoint {
                fractionDigits += 1
                if fractionDigits > scale {
                    // Only the first digit beyond the scale decides the rounding.
                    if fractionDigits == scale + 1 { roundUp = byte >= 53 }
                    continue
                }
            }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int64(byte &- 48))
            if o1 || o2 { return nil }
            value = plus
        }
        guard digits > 0 else { return nil }
        let kept = min(fractionDigits, scale)
        if kept < scale {
            let (scaled, overflow) = value.multipliedReportingOverflow(by: powersOfTen[scale - kept])
            if overflow { return nil }
            value = scaled
        }
        if roundUp {
            let (rounded, overflow) = value.addingReportingOverflow(1)
            if overflow { return nil }
            value = rounded
        }
        return negative ? -value : value
    }

    /// Parses a plain decimal number (optional sign, digits, at most one point, at least one
    /// digit) into a value scaled by `10^scale`, exactly: nil when a digit past the scale is not
    /// zero (no rounding) or the value needs more than `precision` digits.
    /// - Complexity: O(n) in the number of bytes, no allocation.
    public static func parseExact(_ bytes: UnsafeBufferPointer<UInt8>, precision: Int, scale: Int) -> Int64? {
        var index = 0
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            index = 1
        }
        var value: Int64 = 0
        var integerDigits = 0
        var fractionDigits = 0
        var digits = 0
        var seenPoint = false
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                if seenPoint { return nil }
                seenPoint = true
                continue
            }
            guard byte >= 48, byte <= 57 else { return nil }
            digits += 1
            let digit = Int64(byte - 48)
            if seenPoint {
                fractionDigits += 1
                if fractionDigits > scale {
                    if digit != 0 { return nil }
                    continue
                }
            } else {
                if integerDigits > 0 || digit != 0 { integerDigits += 1 }
                if integerDigits > precision - scale { return nil }
            }
            value = value * 10 + digit
        }
        guard digits > 0 else { return nil }
        for _ in min(fractionDigits, scale)..<scale { value *= 10 }
        return negative ? -value : value
    }

    /// Parses a decimal integer with an optional sign, exactly: nil on anything else or on
    /// overflow (`Int64.min` itself parses).
    /// - Complexity: O(n), no allocation.
    @inlinable
    public static func parseInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            index = 1
        }
        guard index < bytes.count else { return nil }
        var value: Int64 = 0
        while index < bytes.count {
            let digit = Int64(bytes[index]) &- 48
            guard digit >= 0 && digit <= 9 else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = next
            index += 1
        }
        return value
    }

    /// Parses a Swift string; convenience for literals and tests.
    public static func parse(_ text: String, scale: Int) -> Int64? {
        var copy = text
        return copy.withUTF8 { parse($0, scale: scale) }
    }

    /// Formats a scaled value as plain decimal text (`-12.50`), always with `scale` digits.
    public static func format(_ value: Int64, scale: Int) -> String {
        var bytes: [UInt8] = []
        append(value, scale: scale, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the text of a scaled value to a byte buffer without an intermediate String.
    @inlinable
    public static func append(_ value: Int64, scale: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var digitCount = 1
        var probe = magnitude / 10
        while probe > 0 { digitCount += 1; probe /= 10 }
        let width = max(digitCount, scale + 1)
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width + (scale > 0 ? 1 : 0)))
        var rest = magnitude
        var position = out.count - 1
        for produced in 0..<width {
            if scale > 0 && produced == scale {
                out[position] = UInt8(ascii: ".")
                position -= 1
            }
            out[position] = UInt8(48 + rest % 10)
            rest /= 10
            position -= 1
        }
    }

    /// Converts a scaled value from one scale to another, rounding half away from zero
    /// when the scale shrinks. Returns nil on overflow.
    public static func rescale(_ value: Int64, from: Int, to: Int) -> Int64? {
        if from == to { return value }
        if to > from {
            let (result, overflow) = value.multipliedReportingOverflow(by: powersOfTen[to - from])
            return overflow ? nil : result
        }
        let divisor = powersOfTen[from - to]
        let quotient = value / divisor
        let remainder = value % divisor
        if remainder.magnitude * 2 >= divisor.magnitude {
            return value < 0 ? quotient - 1 : quotient + 1
        }
        return quotient
    }
}
