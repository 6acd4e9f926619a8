/// Reads `.env` files: `KEY=VALUE` lines as docker compose and most tools write them.
///
/// Blank lines and lines starting with `#` are skipped, and an `export ` prefix is allowed.
/// Values may be bare (trimmed, with a ` #` comment after them removed), in single quotes
/// (taken literally) or in double quotes (with `\n`, `\t`, `\"` and `\\` escapes). Lines without
/// `=` are ignored; a later line wins over an earlier one with the same key.
public enum DotEnv {
    /// The variables defined by `text`.
    public static func parse(_ text: String) -> [String: String] {
        var variables: [String: String] = [:]
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            var line = Substring(String(rawLine).trimmingWhitespace)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals]).trimmingWhitespace
            guard !key.isEmpty, !key.contains(" ") else { continue }
            variables[key] = value(String(line[line.index(after: equals)...]).trimmingWhitespace)
        }
        return variables
    }

    private static func value(_ text: String) -> String {
        guard let first = text.first else { return "" }
        if first == "'" {
            let body = text.dropFirst()
            if let close = body.firstIndex(of: "'") { return String(body[..<close]) }
            return String(body)
        }
        if first == "\"" {
            var result = ""
            var escaped = false
            for character in text.dropFirst() {
                if escaped {
                    switch character {
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    case "r": result.append("\r")
                    default: result.append(character)
                    }
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    return result
                } else {
                    result.append(character)
                }
            }
            return result
        }
        // A bare value ends at a comment introduced by whitespace and '#'.
        var result = text
        var previous: Character = " "
        for index in text.indices {
            if text[index] == "#", previous == " " || previous == "\t" {
                result = String(text[..<index])
                break
            }
            previous = text[index]
        }
        return result.trimmingWhitespace
    }
}
