public import SluiceCore
import Foundation

/// How a partner file's column names meet the `customers` table's: names become snake_case
/// (`Customer Id` → `customer_id`, `Phone 1` → `phone_1`, `SUBSCRIPTION DATE` →
/// `subscription_date`, `firstName` → `first_name`, `name.first` → `name_first`), then match
/// a target column exactly or with the underscores ignored (`phone1` → `phone_1`). Columns
/// that match none are the record's extra attributes.
public struct CustomerColumns: Sendable, Equatable {
    /// The `customers` columns a file supplies, in table order.
    public static let target = ["index", "customer_id", "first_name", "last_name", "company", "city", "country",
                                "phone_1", "phone_2", "email", "subscription_date", "website"]
    /// The columns every file must have; the others are null when a file lacks them.
    public static let required = ["customer_id", "first_name", "last_name", "email", "subscription_date"]

    /// For each target column, the file's column (its name as read), or nil when absent.
    public var mapping: [String: String]
    /// The file's columns that match no target column: (name as read, snake_case name).
    public var extras: [(source: String, name: String)]

    public static func == (a: CustomerColumns, b: CustomerColumns) -> Bool {
        a.mapping == b.mapping && a.extras.map(\.source) == b.extras.map(\.source) && a.extras.map(\.name) == b.extras.map(\.name)
    }

    /// Matches a file's column names to the target's.
    /// - Throws: a `.data` error naming the file when a required column is missing, or when a
    ///   target column is missing and an extra column is within two edits of it (a typo
    ///   would otherwise go unnoticed into `attributes`): one line with the columns expected,
    ///   those found, and the closest match.
    public init(header: [String], file: String) throws(SluiceError) {
        var mapping: [String: String] = [:]
        var extras: [(source: String, name: String)] = []
        var taken: Set<String> = []
        for source in header {
            let name = Self.snakeCase(source)
            let match = Self.target.first { $0 == name } ?? Self.target.first { Self.squashed($0) == Self.squashed(name) }
            if let match, !taken.contains(match) {
                mapping[match] = source
                taken.insert(match)
            } else {
                extras.append((source, name))
            }
        }
        var problems: [String] = []
        for column in Self.target where mapping[column] == nil {
            let closest = extras.map { ($0, Self.editDistance(Self.squashed($0.name), Self.squashed(column))) }.min { $0.1 < $1.1 }
            if let closest, closest.1 <= 2 {
                problems.append("\(column) (closest: '\(closest.0.source)' → \(column)?)")
            } else if Self.required.contains(column) {
                problems.append(column)
            }
        }
        guard problems.isEmpty else {
            throw SluiceError(
                .data,
                "the header is missing column(s) \(problems.joined(separator: ", ")); expected \(Self.target.joined(separator: ", ")); found \(header.joined(separator: ", "))",
                location: file,
                hint: "rename the column in the file (names match case-insensitively, spaces and underscores alike)"
            )
        }
        self.mapping = mapping
        self.extras = extras
    }

    /// `Customer Id` → `customer_id`, `SUBSCRIPTION DATE` → `subscription_date`, `firstName`
    /// → `first_name`, `name.first` → `name_first`: words split at anything not a letter or
    /// digit and at lower-to-upper case changes, lower-cased, joined by `_`.
    public static func snakeCase(_ name: String) -> String {
        var words: [String] = []
        var current = ""
        var previousLower = false
        for character in name {
            guard character.isLetter || character.isNumber else {
                if !current.isEmpty { words.append(current) }
                current = ""
                previousLower = false
                continue
            }
            if character.isUppercase, previousLower, !current.isEmpty {
                words.append(current)
                current = ""
            }
            current += character.lowercased()
            previousLower = character.isLowercase || character.isNumber
        }
        if !current.isEmpty { words.append(current) }
        return words.joined(separator: "_")
    }

    static func squashed(_ name: String) -> String { name.replacingOccurrences(of: "_", with: "") }

    /// Levenshtein distance between two short names.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
