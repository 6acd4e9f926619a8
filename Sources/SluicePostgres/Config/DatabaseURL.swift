import Foundation
public import SluiceCore

/// The connection string of the database a run uses, with where it came from.
///
/// ``resolve(option:environment:directory:)`` looks, in order, at the `--db` value, the
/// environment variables `SLUICE_DATABASE_URL` and `DATABASE_URL`, then those two keys in a
/// `.env` file in the working directory; nil means none is configured and the caller falls back
/// to the private ``LocalCluster``.
///
/// Printing a `DatabaseURL` shows the ``redacted`` form: the password never reaches a log.
///
/// ```swift
/// if let url = try DatabaseURL.resolve(option: options.db) {
///     let connection = try PostgresConnection.connect(url.withDatabase("analytics").connectionString)
/// }
/// ```
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    /// Where a URL was found.
    public enum Source: Sendable, Hashable {
        /// The `--db` option.
        case option
        /// An environment variable of this name.
        case environment(String)
        /// A key in a `.env` file at this path.
        case dotEnv(path: String, key: String)
        /// The private cluster.
        case localCluster
    }

    /// The environment variables consulted, in order.
    public static let environmentKeys = ["SLUICE_DATABASE_URL", "DATABASE_URL"]

    /// The string to connect with: a `postgresql://` URI or `key=value` pairs.
    public let connectionString: String
    /// Where the string was found.
    public let source: Source

    /// A URL found at `source`.
    public init(_ connectionString: String, source: Source = .option) {
        self.connectionString = connectionString
        self.source = source
    }

    /// Finds the URL to use: `option` (the `--db` value), then `SLUICE_DATABASE_URL`, then
    /// `DATABASE_URL`, then the same keys in `directory/.env`. Empty values count as unset.
    /// `environment` defaults to the process's, `directory` to the working directory.
    /// - Returns: nil when nothing is configured.
    /// - Throws: an `.io` ``SluiceError`` when `.env` exists but cannot be read.
    public static func resolve(
        option: String?,
        environment: [String: String]? = nil,
        directory: String? = nil
    ) throws(SluiceError) -> DatabaseURL? {
        let environment = environment ?? ProcessInfo.processInfo.environment
        let directory = directory ?? FileManager.default.currentDirectoryPath
        if let option = option?.trimmingWhitespace, !option.isEmpty { return DatabaseURL(option, source: .option) }
        for key in environmentKeys {
            if let value = environment[key]?.trimmingWhitespace, !value.isEmpty {
                return DatabaseURL(value, source: .environment(key))
            }
        }
        let path = directory + "/.env"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SluiceError(.io, "cannot read \(path): \(error.localizedDescription)", location: path)
        }
        let variables = DotEnv.parse(text)
        for key in environmentKeys {
            if let value = variables[key], !value.isEmpty { return DatabaseURL(value, source: .dotEnv(path: path, key: key)) }
        }
        return nil
    }

    /// True for `postgresql://` and `postgres://` URIs; false for `key=value` strings.
    public var isURI: Bool {
        connectionString.hasPrefix("postgresql://") || connectionString.hasPrefix("postgres://")
    }

    /// The same connection with another database name (for `--database NAME`). A URI gets the
    /// name percent-encoded in its path; a `key=value` string gets its `dbname` replaced or added,
    /// single-quoted as libpq requires. Everything else is kept as it was.
    public func withDatabase(_ name: String) -> DatabaseURL {
        if isURI {
            let parts = URIParts(connectionString)
            let path = "/" + Self.percentEncode(name)
            return DatabaseURL(parts.scheme + parts.authority + path + parts.query, source: source)
        }
        var pairs = KeyValueConnectionString(connectionString).pairs
        let quoted = Self.quoteConnectionValue(name)
        if let index = pairs.firstIndex(where: { $0.key == "dbname" }) {
            pairs[index].text = "dbname=\(quoted)"
        } else {
            pairs.append((key: "dbname", value: name, text: "dbname=\(quoted)"))
        }
        return DatabaseURL(pairs.map(\.text).joined(separator: " "), source: source)
    }

    /// The connection string with its password replaced by `***` (in a URI's user info, a
    /// `password=` query parameter, or a `password=` pair).
    public var redacted: String {
        if isURI {
            var parts = URIParts(connectionString)
            if let at = parts.authority.lastIndex(of: "@") {
                let userInfo = parts.authority[..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    parts.authority = String(userInfo[...colon]) + "***" + String(parts.authority[at...])
                }
            }
            if !parts.query.isEmpty {
                let items = parts.query.dropFirst().split(separator: "&", omittingEmptySubsequences: false).map { item in
                    item.lowercased().hasPrefix("password=") ? "password=***" : String(item)
                }
                parts.query = "?" + items.joined(separator: "&")
            }
            return parts.scheme + parts.authority + parts.path + parts.query
        }
        return KeyValueConnectionString(connectionString).pairs
            .map { $0.key == "password" ? "password=***" : $0.text }
            .joined(separator: " ")
    }

    /// The ``redacted`` form, so printing a URL never shows its password.
    public var description: String { redacted }

    /// `text` with every byte outside the URI's unreserved set percent-encoded.
    static func percentEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                result.unicodeScalars.append("%")
                result.unicodeScalars.append(hex[Int(byte >> 4)])
                result.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return result
    }

    /// A value for a `key=value` connection string: single-quoted, with `\` and `'` escaped.
    static func quoteConnectionValue(_ value: String) -> String {
        var result = "'"
        for character in value {
            if character == "\\" || character == "'" { result.append("\\") }
            result.append(character)
        }
        return result + "'"
    }
}

/// A URI split as `scheme` + `authority` + `path` + `query` (each keeping its delimiter:
/// `postgresql://`, `user:pw@host:5432`, `/db`, `?sslmode=require`).
struct URIParts {
    var scheme: String
    var authority: String
    var path: String
    var query: String

    init(_ uri: String) {
        let schemeEnd = uri.range(of: "://").map(\.upperBound) ?? uri.startIndex
        scheme = String(uri[..<schemeEnd])
        let rest = uri[schemeEnd...]
        let queryStart = rest.firstIndex(of: "?") ?? rest.endIndex
        // The authority ends at the first '/' after the last '@' (a password may hold a '/').
        let hostStart = rest[..<queryStart].lastIndex(of: "@").map { rest.index(after: $0) } ?? rest.startIndex
        let pathStart = rest[hostStart..<queryStart].firstIndex(of: "/") ?? queryStart
        authority = String(rest[..<pathStart])
        path = String(rest[pathStart..<queryStart])
        query = String(rest[queryStart...])
    }
}

/// A `key=value` connection string split into its pairs, each kept with its original text.
struct KeyValueConnectionString {
    var pairs: [(key: String, value: String, text: String)] = []

    init(_ text: String) {
        var index = text.startIndex
        func skipSpaces() { while index < text.endIndex, text[index].isWhitespace { index = text.index(after: index) } }
        while true {
            skipSpaces()
            guard index < text.endIndex else { break }
            let start = index
            while index < text.endIndex, text[index] != "=", !text[index].isWhitespace { index = text.index(after: index) }
            let key = String(text[start..<index])
            skipSpaces()
            guard index < text.endIndex, text[index] == "=" else {
                pairs.append((key: key, value: "", text: String(text[start..<index])))
                continue
            }
            index = text.index(after: index)
            skipSpaces()
            var value = ""
            if index < text.endIndex, text[index] == "'" {
                index = text.index(after: index)
                while index < text.endIndex, text[index] != "'" {
                    if text[index] == "\\", text.index(after: index) < text.endIndex { index = text.index(after: index) }
                    value.append(text[index])
                    index = text.index(after: index)
                }
                if index < text.endIndex { index = text.index(after: index) }
            } else {
                while index < text.endIndex, !text[index].isWhitespace {
                    if text[index] == "\\", text.index(after: index) < text.endIndex { index = text.index(after: index) }
                    value.append(text[index])
                    index = text.index(after: index)
                }
            }
            pairs.append((key: key, value: value, text: String(text[start..<index])))
        }
    }
}
