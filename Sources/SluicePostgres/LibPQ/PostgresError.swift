public import SluiceCore

/// A failure reported by PostgreSQL or by libpq: the SQLSTATE code, the server's message,
/// detail and hint, the statement that failed and the server it ran on.
///
/// `description` is one short line that is safe to print (no query text, never a password);
/// `debugDescription` adds the detail, hint, query and host on lines of their own. Use
/// ``isTransient`` to decide whether to retry (see ``retrying(_:describe:clock:onRetry:_:)``) and
/// ``sluiceError`` to hand the failure to the CLI.
///
/// ```swift
/// do { try connection.execute("INSERT INTO t VALUES ($1)", [1]) }
/// catch let error as PostgresError where error.code == .uniqueViolation { … }
/// ```
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A five-character SQLSTATE code. Extensible: any code the server sends can be represented,
    /// and the common ones have names.
    ///
    /// Codes beginning with `SL` are assigned by Sluice to client-side failures that PostgreSQL
    /// never reported (an unparsable connection string, an API used out of order).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The five characters, such as `23505`.
        public var rawValue: String
        /// A code from its five characters.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// A code from its five characters.
        public init(_ rawValue: String) { self.rawValue = rawValue }

        /// The two-character class (`"08"` for connection exceptions).
        public var errorClass: Substring { rawValue.prefix(2) }
        /// The five characters.
        public var description: String { rawValue }

        /// 08000 connection_exception.
        public static let connectionException = Code("08000")
        /// The client could not connect (refused, unreachable, timed out, unknown host).
        public static let unableToConnect = Code("08001")
        /// 08003 connection_does_not_exist.
        public static let connectionDoesNotExist = Code("08003")
        /// The connection broke (reset, closed unexpectedly).
        public static let connectionFailure = Code("08006")
        /// 08P01 protocol_violation.
        public static let protocolViolation = Code("08P01")
        /// 0A000 feature_not_supported.
        public static let featureNotSupported = Code("0A000")
        /// 22021 character_not_in_repertoire (also a NUL byte refused by Sluice).
        public static let characterNotInRepertoire = Code("22021")
        /// 22P02 invalid_text_representation.
        public static let invalidTextRepresentation = Code("22P02")
        /// 22P04 bad_copy_file_format.
        public static let badCopyFileFormat = Code("22P04")
        /// 23502 not_null_violation.
        public static let notNullViolation = Code("23502")
        /// 23503 foreign_key_violation.
        public static let foreignKeyViolation = Code("23503")
        /// 23505 unique_violation.
        public static let uniqueViolation = Code("23505")
        /// 23514 check_violation.
        public static let checkViolation = Code("23514")
        /// 25P02 in_failed_sql_transaction.
        public static let inFailedSQLTransaction = Code("25P02")
        /// 28000 invalid_authorization_specification (unknown role, rejected by pg_hba.conf).
        public static let invalidAuthorizationSpecification = Code("28000")
        /// 28P01 invalid_password.
        public static let invalidPassword = Code("28P01")
        /// 3D000 invalid_catalog_name (the database does not exist).
        public static let invalidCatalogName = Code("3D000")
        /// 40000 transaction_rollback.
        public static let transactionRollback = Code("40000")
        /// 40001 serialization_failure.
        public static let serializationFailure = Code("40001")
        /// 40P01 deadlock_detected.
        public static let deadlockDetected = Code("40P01")
        /// 42601 syntax_error.
        public static let syntaxError = Code("42601")
        /// 42501 insufficient_privilege.
        public static let insufficientPrivilege = Code("42501")
        /// 42703 undefined_column.
        public static let undefinedColumn = Code("42703")
        /// 42P01 undefined_table.
        public static let undefinedTable = Code("42P01")
        /// 42P07 duplicate_table.
        public static let duplicateTable = Code("42P07")
        /// 53300 too_many_connections.
        public static let tooManyConnections = Code("53300")
        /// 57014 query_canceled.
        public static let queryCanceled = Code("57014")
        /// 57P01 admin_shutdown.
        public static let adminShutdown = Code("57P01")
        /// 57P02 crash_shutdown.
        public static let crashShutdown = Code("57P02")
        /// 57P03 cannot_connect_now (starting up or shutting down).
        public static let cannotConnectNow = Code("57P03")
        /// XX000 internal_error (also a failure libpq reported without a code).
        public static let internalError = Code("XX000")
        /// Sluice: the connection string could not be parsed.
        public static let invalidConnectionString = Code("SL001")
        /// Sluice: the API was used out of order (COPY through `execute`, a closed connection).
        public static let clientMisuse = Code("SL002")
        /// The host name of the URL does not resolve: a typo or a missing DNS entry, which
        /// retrying does not cure.
        public static let unknownHost = Code("SL003")
    }

    /// The SQLSTATE code (or an `SL` code for client-side failures).
    public var code: Code
    /// The primary message: the server's text, or libpq's short reason ("connection refused").
    public var message: String
    /// The server's detail line, or the whole libpq report for connection failures.
    public var detail: String?
    /// The server's hint.
    public var hint: String?
    /// The statement that failed. It holds no values: they travel as parameters.
    public var query: String?
    /// `host:port` of the server, when known.
    public var host: String?
    /// How many attempts were made, when the error ends a ``retrying(_:describe:clock:onRetry:_:)`` loop.
    public var attempts: Int?
    /// A one-line account that replaces the default `description` (set by the retry loop).
    public var summary: String?

    /// An error from its parts; the library builds these from libpq's reports.
    public init(
        code: Code, message: String, detail: String? = nil, hint: String? = nil,
        query: String? = nil, host: String? = nil
    ) {
        self.code = code
        self.message = message
        self.detail = detail
        self.hint = hint
        self.query = query
        self.host = host
    }

    /// True for failures a retry can cure: connection exceptions (class 08), serialization
    /// failures (40001), deadlocks (40P01), server shutdown or start-up (57P01, 57P02, 57P03)
    /// and too many connections (53300). Constraint violations, syntax errors, bad passwords
    /// and unknown databases are not transient.
    public var isTransient: Bool {
        if code.errorClass == "08" { return true }
        switch code {
        case .serializationFailure, .deadlockDetected, .adminShutdown, .crashShutdown, .cannotConnectNow,
             .tooManyConnections:
            return true
        default:
            return false
        }
    }

    /// True when the fault is in the configuration (authorization, unknown database or role,
    /// unparsable connection string) rather than in the job.
    public var isConfigurationError: Bool {
        code.errorClass == "28" || code == .invalidCatalogName || code == .invalidConnectionString || code == .unknownHost
    }

    /// One safe line: the summary after retries, `could not connect to HOST: reason` for
    /// connection and authorization failures, else `message (SQLSTATE code)`. Never the query.
    public var description: String {
        if let summary { return summary }
        if code.errorClass == "08" || isConfigurationError, let host {
            return "could not connect to \(host): \(message)"
        }
        return "\(message) (SQLSTATE \(code.rawValue))"
    }

    /// The description, then detail, hint, query and server on lines of their own.
    public var debugDescription: String {
        var text = "PostgreSQL error \(code.rawValue): \(description)"
        if let detail { text += "\n  detail: \(detail)" }
        if let hint { text += "\n  hint: \(hint)" }
        if let query { text += "\n  query: \(query)" }
        if let host { text += "\n  server: \(host)" }
        return text
    }

    /// The same failure as a ``SluiceError`` for the CLI: `.configuration` for authorization,
    /// unknown databases and bad connection strings (exit code 2), `.execution` otherwise.
    public var sluiceError: SluiceError {
        SluiceError(
            isConfigurationError ? .configuration : .execution,
            description,
            location: host.map { "PostgreSQL at \($0)" },
            hint: hint ?? defaultHint
        )
    }

    private var defaultHint: String? {
        switch code {
        case .unableToConnect, .connectionFailure, .cannotConnectNow:
            "check that PostgreSQL is running and reachable, and the URL given by --db, SLUICE_DATABASE_URL or DATABASE_URL"
        case .invalidPassword, .invalidAuthorizationSpecification:
            "check the user name and password in the database URL"
        case .invalidCatalogName:
            "create the database first, or name another one with --database"
        case .invalidConnectionString:
            "use postgresql://user:password@host:port/database or key=value pairs"
        case .unknownHost:
            "check the host name in the database URL (--db, SLUICE_DATABASE_URL or DATABASE_URL)"
        case .notNullViolation:
            "the table has a NOT NULL column this job does not write; drop the column, give it a default, or load into another --table"
        case .insufficientPrivilege:
            "the database role lacks a privilege this step needs (named above); grant it, or connect as a role that has it"
        case .undefinedColumn:
            "a table has a different shape than Sluice expects; if it is not one Sluice created, rename it or use another table name"
        default:
            nil
        }
    }
}

extension PostgresError {
    /// Classifies libpq's text for a failed connection attempt, which carries no SQLSTATE.
    ///
    /// The libpq report looks like `connection to server at "h", port 5432 failed: Connection
    /// refused\n\tIs the server running…`; the short reason after `failed:` becomes `message`
    /// and the whole report `detail`.
    static func connectionFailed(libpqMessage: String, host: String?) -> PostgresError {
        let report = libpqMessage.trimmingWhitespace
        let firstLine = report.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? report
        var reason = firstLine
        if let tail = firstLine.suffix(afterLast: "failed: ") { reason = String(tail) }
        if reason.hasPrefix("FATAL:") { reason = String(reason.dropFirst("FATAL:".count)).trimmingWhitespace }
        if let first = reason.first, first.isUppercase, reason.dropFirst().first?.isLowercase == true {
            reason = first.lowercased() + reason.dropFirst()
        }
        let lower = report.lowercased()
        let code: Code
        if lower.contains("password authentication failed") || lower.contains("no password supplied") {
            code = .invalidPassword
        } else if lower.contains("role \"") && lower.contains("does not exist") {
            code = .invalidAuthorizationSpecification
        } else if lower.contains("database \"") && lower.contains("does not exist") {
            code = .invalidCatalogName
        } else if lower.contains("starting up") || lower.contains("shutting down")
                    || lower.contains("in recovery mode") {
            code = .cannotConnectNow
        } else if lower.contains("too many clients") || lower.contains("remaining connection slots") {
            code = .tooManyConnections
        } else if lower.contains("invalid connection option") || lower.contains("invalid uri")
                    || lower.contains("missing \"=\"") || lower.contains("unterminated quoted string")
                    || lower.contains("invalid percent-encoded") || lower.contains("invalid sslmode")
                    || lower.contains("invalid integer value") || lower.contains("invalid port") {
            code = .invalidConnectionString
        } else if lower.contains("could not translate host name") || lower.contains("name or service not known")
                    || lower.contains("nodename nor servname") || lower.contains("no address associated with hostname") {
            code = .unknownHost
        } else if lower.contains("reset by peer") || lower.contains("closed the connection unexpectedly")
                    || lower.contains("broken pipe") {
            code = .connectionFailure
        } else if lower.contains("no pg_hba.conf entry") || lower.contains("authentication") {
            code = .invalidAuthorizationSpecification
        } else {
            code = .unableToConnect
        }
        return PostgresError(code: code, message: reason, detail: report, host: host)
    }

    /// An error for a failed command, from the server's report when there is one.
    static func commandFailed(
        fields: PQ.ErrorFields?, libpqMessage: String, connectionLost: Bool, query: String?, host: String?
    ) -> PostgresError {
        if let fields, let state = fields.sqlState, let primary = fields.primary {
            return PostgresError(
                code: Code(state), message: primary, detail: fields.detail, hint: fields.hint,
                query: query, host: host
            )
        }
        let text = libpqMessage.trimmingWhitespace
        return PostgresError(
            code: connectionLost ? .connectionFailure : .internalError,
            message: text.isEmpty ? "the command failed without a message" : text,
            query: query, host: host
        )
    }

    /// A client-side misuse of the API.
    static func misuse(_ message: String, query: String? = nil, host: String? = nil) -> PostgresError {
        PostgresError(code: .clientMisuse, message: message, query: query, host: host)
    }
}

extension String {
    /// The text after the last occurrence of `marker`, or nil when it does not occur.
    func suffix(afterLast marker: String) -> Substring? {
        var index = endIndex
        while index > startIndex {
            formIndex(before: &index)
            if self[index...].hasPrefix(marker) { return self[index...].dropFirst(marker.count) }
        }
        return nil
    }

    /// The string without leading and trailing spaces, tabs and newlines.
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
