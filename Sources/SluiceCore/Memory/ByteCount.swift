/// Parsing and printing byte sizes the way users write them (`256MB`, `1.5GiB`, `64k`).
public enum ByteCount {
    /// Parses a size with an optional unit (B, KB, MB, GB, TB; KiB… accepted, all powers of
    /// 1024). Returns nil for anything else.
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingSpaces.lowercased()
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        var unit = trimmed.dropFirst(digits.count).trimmingSpaces
        if unit.hasSuffix("ib") { unit = String(unit.dropLast(2)) } else if unit.hasSuffix("b") { unit = String(unit.dropLast()) }
        guard let number = Double(digits), number >= 0 else { return nil }
        let multiplier: Double
        switch unit {
        case "": multiplier = 1
        case "k": multiplier = 1024
        case "m": multiplier = 1024 * 1024
        case "g": multiplier = 1024 * 1024 * 1024
        case "t": multiplier = 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = number * multiplier
        guard bytes < Double(Int.max) else { return nil }
        return Int(bytes)
    }

    /// A short human form: `512 B`, `3.4 MB`, `1.25 GB` (powers of 1024).
    public static func format(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while abs(value) >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let rounded = (value * 100).rounded() / 100
        return "\(rounded) \(units[unit])"
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
