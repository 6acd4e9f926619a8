import SluiceCore
public import SluicePostgres

/// The API tokens, in `sluice_api_tokens`: a token is shown once when made and only its
/// SHA-256 is kept, so a copy of the table lets no one in. There is no default token, user
/// or password: the server refuses every request until someone runs `sluice token create`.
public enum TokenStore {
    public static let table = QualifiedName(name: "sluice_api_tokens")

    /// One token as `sluice token list` shows it (never the token itself).
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var createdAt: String
        public var lastUsedAt: String?
        public var revokedAt: String?
    }

    /// The identity a verified request carries: the token's name, for logs.
    public struct Holder: Sendable, Equatable {
        public var id: Int64
        public var name: String
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS \(table.quoted) (
            id bigserial PRIMARY KEY,
            name text NOT NULL,
            token_sha256 text NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            last_used_at timestamptz,
            revoked_at timestamptz
        );
        CREATE UNIQUE INDEX IF NOT EXISTS sluice_api_tokens_active_name ON \(table.quoted) (name) WHERE revoked_at IS NULL
        """

    /// Makes a token called `name` and returns it: 32 bytes from the system's secure random
    /// source, as 64 hex digits. Only its SHA-256 is stored.
    /// - Throws: a configuration error when an active token already has that name.
    public static func create(name: String, on connection: PostgresConnection) throws -> String {
        guard !name.isEmpty, name.utf8.count <= 100 else {
            throw SluiceError(.configuration, "a token name must have 1 to 100 characters")
        }
        try connection.executeScript(schema)
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        var token: [UInt8] = []
        for _ in 0..<32 {
            let byte = UInt8.random(in: 0...255, using: &generator)
            token += [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
        }
        let text = String(decoding: token, as: UTF8.self)
        do {
            try insert(name: name, digest: digest(text), on: connection)
        } catch let error as PostgresError where error.code == .uniqueViolation {
            throw SluiceError(.configuration, "a token named '\(name)' exists", hint: "revoke it first (sluice token revoke \(name)) or pick another name")
        }
        return text
    }

    private static func insert(name: String, digest: String, on connection: PostgresConnection) throws {
        try connection.execute("INSERT INTO \(table.quoted) (name, token_sha256) VALUES ($1, $2)", [.text(name), .text(digest)])
    }

    /// Every token, newest first, revoked ones included.
    public static func list(on connection: PostgresConnection) throws -> [Entry] {
        guard try exists(on: connection) else { return [] }
        let result = try connection.execute("""
            SELECT name, to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), to_char(last_used_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   to_char(revoked_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            FROM \(table.quoted) ORDER BY created_at DESC, id DESC
            """)
        return result.rows.map { Entry(name: $0[0] ?? "", createdAt: $0[1] ?? "", lastUsedAt: $0[2], revokedAt: $0[3]) }
    }

    /// Revokes the active token called `name`; it stops working on the next request.
    /// - Throws: a configuration error when no active token has that name.
    public static func revoke(name: String, on connection: PostgresConnection) throws {
        let result = try exists(on: connection)
            ? try connection.execute("UPDATE \(table.quoted) SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", [.text(name)])
            : PostgresResult(rowsAffected: 0)
        guard result.rowsAffected ?? 0 > 0 else {
            throw SluiceError(.configuration, "no active token is named '\(name)'", hint: "sluice token list shows them")
        }
    }

    /// The holder of `token`, or nil. Every active token's digest is compared with the
    /// presented one in constant time, all of them, so the answer's timing tells nothing
    /// about how close a guess came. A database without the table has no tokens.
    public static func verify(_ token: String, on connection: PostgresConnection) throws -> Holder? {
        let presented = Array(digest(token).utf8)
        guard let result = try activeTokens(on: connection) else { return nil }
        var holder: Holder?
        for row in result.rows {
            let stored = Array((row[2] ?? "").utf8)
            if constantTimeEqual(stored, presented), let id = row[0].flatMap({ Int64($0) }) {
                holder = Holder(id: id, name: row[1] ?? "")
            }
        }
        return holder
    }

    /// The active tokens' ids, names and digests; nil when the table does not exist.
    private static func activeTokens(on connection: PostgresConnection) throws -> PostgresResult? {
        do {
            return try select(connection)
        } catch let error as PostgresError where error.code == .undefinedTable {
            return nil
        }
    }

    /// The statement of ``activeTokens(on:)``, its error untyped so that the caller can
    /// pick one code out.
    private static func select(_ connection: PostgresConnection) throws -> PostgresResult {
        try connection.executePrepared("SELECT id, name, token_sha256 FROM \(table.quoted) WHERE revoked_at IS NULL")
    }

    /// Records that a token was used (`sluice token list` shows when).
    public static func touch(_ holder: Holder, on connection: PostgresConnection) throws {
        try connection.executePrepared("UPDATE \(table.quoted) SET last_used_at = now() WHERE id = $1", [.int(holder.id)])
    }

    /// True when both are the same bytes, in time that depends only on their lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    static func digest(_ token: String) -> String {
        var hash = SHA256()
        hash.update(Array(token.utf8))
        return hash.finish()
    }

    private static func exists(on connection: PostgresConnection) throws -> Bool {
        try !connection.execute("SELECT to_regclass($1)", [.text(table.quoted)]).rows.allSatisfy { $0[0] == nil }
    }
}
