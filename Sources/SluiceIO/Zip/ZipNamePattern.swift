public import SluiceCore

/// A shell-style glob matched against the base name of an archive entry (the part after the
/// last `/`), so `*.json` finds `2023/10/part-003.json`.
///
/// Supports `*` (any run of characters), `?` (one character), `[abc]`, `[a-z]` and `[!abc]`
/// (a character class, `^` also negates) and `\` to take the next character literally.
/// Matching is case-sensitive and works on Unicode scalars.
///
/// ```swift
/// let pattern = try ZipNamePattern("part-[0-9][0-9][0-9].json")
/// pattern.matches("events/part-003.json")   // true
/// ```
public struct ZipNamePattern: Sendable, Hashable, CustomStringConvertible {
    /// The glob as written.
    public let glob: String
    private let tokens: [Token]

    private enum Token: Sendable, Hashable {
        case literal(Unicode.Scalar)
        case any
        case star
        case set(ranges: [ClosedRange<UInt32>], negated: Bool)

        func matches(_ scalar: Unicode.Scalar) -> Bool {
            switch self {
            case .literal(let expected): return scalar == expected
            case .any: return true
            case .star: return false
            case let .set(ranges, negated): return ranges.contains { $0.contains(scalar.value) } != negated
            }
        }
    }

    /// A pattern that matches every name.
    public static let all = ZipNamePattern(uncheckedStar: ())

    private init(uncheckedStar: Void) {
        glob = "*"
        tokens = [.star]
    }

    /// Parses `glob`.
    /// - Throws: a configuration error for an empty pattern, an unclosed `[`, or a trailing `\`.
    public init(_ glob: String) throws(SluiceError) {
        self.glob = glob
        let scalars = Array(glob.unicodeScalars)
        guard !scalars.isEmpty else {
            throw SluiceError(.configuration, "the entry name pattern is empty", hint: "use '*' to match every entry")
        }
        var tokens: [Token] = []
        var position = 0
        while position < scalars.count {
            let scalar = scalars[position]
            position += 1
            switch scalar {
            case "*":
                if tokens.last != .star { tokens.append(.star) }
            case "?":
                tokens.append(.any)
            case "\\":
                guard position < scalars.count else {
                    throw SluiceError(.configuration, "the entry name pattern '\(glob)' ends with a lone '\\'",
                                      hint: "write '\\\\' for a literal backslash")
                }
                tokens.append(.literal(scalars[position]))
                position += 1
            case "[":
                tokens.append(try Self.parseSet(scalars, &position, glob: glob))
            default:
                tokens.append(.literal(scalar))
            }
        }
        self.tokens = tokens
    }

    /// True when the base name of `name` matches the whole pattern.
    /// - Complexity: O(n·m) in the worst case for n name and m pattern characters.
    public func matches(_ name: String) -> Bool {
        Self.match(tokens, Array(ZipNames.baseName(name).unicodeScalars))
    }

    /// The glob as written.
    public var description: String { glob }

    /// Classic wildcard matching with one backtrack point for the last `*`.
    private static func match(_ tokens: [Token], _ name: [Unicode.Scalar]) -> Bool {
        var t = 0
        var n = 0
        var starToken = -1
        var starName = 0
        while n < name.count {
            if t < tokens.count, tokens[t] == .star {
                starToken = t
                starName = n
                t += 1
            } else if t < tokens.count, tokens[t].matches(name[n]) {
                t += 1
                n += 1
            } else if starToken >= 0 {
                t = starToken + 1
                starName += 1
                n = starName
            } else {
                return false
            }
        }
        while t < tokens.count, tokens[t] == .star { t += 1 }
        return t == tokens.count
    }

    /// Parses a character class after its `[`, leaving `position` after the closing `]`.
    private static func parseSet(_ scalars: [Unicode.Scalar], _ position: inout Int, glob: String) throws(SluiceError) -> Token {
        var negated = false
        if position < scalars.count, scalars[position] == "!" || scalars[position] == "^" {
            negated = true
            position += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while position < scalars.count {
            var low = scalars[position]
            if low == "]", !first {
                position += 1
                return .set(ranges: ranges, negated: negated)
            }
            first = false
            position += 1
            if low == "\\", position < scalars.count {
                low = scalars[position]
                position += 1
            }
            if position + 1 < scalars.count, scalars[position] == "-", scalars[position + 1] != "]" {
                let high = scalars[position + 1]
                position += 2
                guard low.value <= high.value else {
                    throw SluiceError(.configuration, "the entry name pattern '\(glob)' has a reversed range [\(low)-\(high)]")
                }
                ranges.append(low.value...high.value)
            } else {
                ranges.append(low.value...low.value)
            }
        }
        throw SluiceError(.configuration, "the entry name pattern '\(glob)' has a '[' without its closing ']'",
                          hint: "write '[[]' for a literal '['")
    }
}
