/// The one error type of Sluice's engine layers: a category that says whose fault it was,
/// a message that says what went wrong, where it happened, and what the user can do about it.
///
/// `description` is the one readable line the CLI prints first; `debugDescription` adds the
/// location and hint on lines of their own.
public struct SluiceError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Whose fault an error is, which also decides the CLI's exit code.
    public enum Kind: String, Sendable {
        /// The job is wrong: an unknown column, a type mismatch, an unsupported plan.
        case plan
        /// Usage or configuration: bad option, missing file, unreadable path.
        case configuration
        /// The input data is unusable: empty file, wrong header, too many rejects.
        case data
        /// The memory budget was refused and the operator cannot spill.
        case resourcesExhausted
        /// An operating-system I/O failure: read, write, rename, disk full.
        case io
        /// A task failed while running for a reason not covered above.
        case execution
        /// The run was cancelled (SIGINT, another task failed first).
        case cancelled
        /// A bug in Sluice; the message says which invariant broke.
        case `internal`
    }

    public var kind: Kind
    public var message: String
    /// Where it happened: a file and line, an archive path, a table, an operator.
    public var location: String?
    /// What the user can do about it.
    public var hint: String?

    public init(_ kind: Kind, _ message: String, location: String? = nil, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
        self.hint = hint
    }

    public var description: String {
        if let location { return "\(message) (\(location))" }
        return message
    }

    public var debugDescription: String {
        var text = "[\(kind.rawValue)] \(message)"
        if let location { text += "\n  at: \(location)" }
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }

    /// A copy with a location added in front of any existing one, for errors that pass
    /// through several layers (file → split → operator). A location that already names the
    /// outer one (`a.zip!/b.json` under `a.zip`) is not repeated.
    public func at(_ outer: String) -> SluiceError {
        var copy = self
        if let location {
            if location.contains(outer) { return copy }
            copy.location = outer.contains(location) ? outer : "\(outer), \(location)"
        } else {
            copy.location = outer
        }
        return copy
    }

    public static func plan(_ message: String, hint: String? = nil) -> SluiceError {
        SluiceError(.plan, message, hint: hint)
    }

    public static func `internal`(_ message: String) -> SluiceError {
        SluiceError(.internal, message + " (this is a bug in Sluice)")
    }
}
