public import SluiceCore

/// A PostgreSQL identifier (table, column, schema, index name) and its quoted SQL form.
///
/// Every name Sluice writes into SQL goes through ``quoted``: wrapped in double quotes with
/// embedded quotes doubled, so any text, including upper case, spaces, quotes and keywords, is
/// taken as the exact name and can never end the identifier early. Quoted names are
/// case-sensitive: `Identifier("Customers")` is not the table `customers`.
///
/// ```swift
/// Identifier("My \"odd\" Table").quoted     // "My ""odd"" Table"
/// ```
public struct Identifier: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// PostgreSQL keeps only this many bytes of a name (`NAMEDATALEN - 1`).
    public static let maximumLength = 63

    /// The exact name.
    public let name: String

    /// The identifier for exactly `name` (no case folding).
    public init(_ name: String) { self.name = name }
    /// The identifier for exactly the literal's text.
    public init(stringLiteral value: String) { self.name = value }

    /// The name in double quotes with embedded double quotes doubled.
    public var quoted: String { Self.quote(name) }

    /// `name` in double quotes with embedded double quotes doubled.
    /// - Complexity: O(n) in the length of `name`.
    public static func quote(_ name: String) -> String {
        var text = "\""
        text.reserveCapacity(name.utf8.count + 2)
        for character in name.unicodeScalars {
            if character == "\"" { text.unicodeScalars.append("\"") }
            text.unicodeScalars.append(character)
        }
        text.unicodeScalars.append("\"")
        return text
    }

    /// Checks that PostgreSQL can store the name as given: not empty, no NUL, at most 63 bytes
    /// (longer names would be silently truncated by the server).
    /// - Throws: a `.configuration` ``SluiceError`` naming the problem.
    public func validate() throws(SluiceError) {
        if name.isEmpty {
            throw SluiceError(.configuration, "an empty name cannot be a PostgreSQL identifier")
        }
        if name.utf8.contains(0) {
            throw SluiceError(.configuration, "the name '\(name)' contains a NUL byte")
        }
        if name.utf8.count > Self.maximumLength {
            throw SluiceError(
                .configuration, "the name '\(name)' is \(name.utf8.count) bytes; PostgreSQL keeps only 63",
                hint: "choose a shorter table or column name"
            )
        }
    }

    /// The quoted form.
    public var description: String { quoted }
}

/// A table name with an optional schema, quoted as `"schema"."table"`.
///
/// ```swift
/// QualifiedName(schema: "sales", name: "Daily Metrics").quoted   // "sales"."Daily Metrics"
/// try QualifiedName(parsing: "public.Customers").quoted          // "public"."customers"
/// ```
public struct QualifiedName: Sendable, Hashable, CustomStringConvertible {
    /// The schema, or nil for the search path's first schema (usually `public`).
    public let schema: Identifier?
    /// The table (or view, index, sequence) name.
    public let name: Identifier

    /// The exact names given, without case folding.
    public init(schema: String? = nil, name: String) {
        self.schema = schema.map { Identifier($0) }
        self.name = Identifier(name)
    }

    /// A name from identifiers.
    public init(schema: Identifier?, name: Identifier) {
        self.schema = schema
        self.name = name
    }

    /// Parses a name as a user writes it in SQL or on the command line: `table`,
    /// `schema.table`, or either part in double quotes (`"My Schema"."Odd.Name"`, with `""` for
    /// a quote). Like PostgreSQL, unquoted parts are folded to lower case.
    /// - Throws: a `.configuration` ``SluiceError`` for an empty part, an unclosed quote, more
    ///   than two parts, or a part PostgreSQL cannot store.
    public init(parsing text: String) throws(SluiceError) {
        var parts: [String] = []
        var current = ""
        var quotedPart = false
        var inQuotes = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            if inQuotes {
                if scalar == "\"" {
                    if pending == "\"" {
                        current.unicodeScalars.append("\"")
                        pending = scalars.next()
                    } else {
                        inQuotes = false
                    }
                } else {
                    current.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" {
                inQuotes = true
                quotedPart = true
            } else if scalar == "." {
                parts.append(quotedPart ? current : current.lowercased().trimmingWhitespace)
                current = ""
                quotedPart = false
            } else {
                current.unicodeScalars.append(scalar)
            }
        }
        guard !inQuotes else {
            throw SluiceError(.configuration, "the table name '\(text)' has an unclosed double quote")
        }
        parts.append(quotedPart ? current : current.lowercased().trimmingWhitespace)
        guard parts.count <= 2 else {
            throw SluiceError(
                .configuration, "the table name '\(text)' has \(parts.count) parts; use table or schema.table",
                hint: "quote a name that contains a dot: \"odd.name\""
            )
        }
        let identifiers = parts.map { Identifier($0) }
        for identifier in identifiers { try identifier.validate() }
        self.init(schema: identifiers.count == 2 ? identifiers[0] : nil, name: identifiers[identifiers.count - 1])
    }

    /// `"schema"."table"`, or `"table"` without a schema.
    public var quoted: String {
        if let schema { return "\(schema.quoted).\(name.quoted)" }
        return name.quoted
    }

    /// The quoted form.
    public var description: String { quoted }
}
