import Foundation

/// A position in an ordered listing: the ordering values of one row (its key among them) and
/// which way the page goes from it. Keyset pagination: a page is the rows strictly after (or
/// before) the position, so pages never shift when rows are inserted or deleted meanwhile,
/// and a deep page costs what the first one does; OFFSET does neither.
///
/// Clients see it as an opaque token: base64url of a small JSON document. It names the
/// ordering it was made for, so a cursor used with another ordering is refused rather than
/// read as a position it is not.
public struct Cursor: Sendable, Equatable {
    /// The ordering, canonical (`-subscription_date,last_name,customer_id`).
    public var ordering: String
    /// The row's values of each ordering column, as PostgreSQL's text (nil for NULL).
    public var values: [String?]
    /// True for a `previous` link: the rows before the position.
    public var backwards: Bool

    public init(ordering: String, values: [String?], backwards: Bool) {
        self.ordering = ordering
        self.values = values
        self.backwards = backwards
    }

    private struct Payload: Codable {
        var o: String
        var v: [String?]
        var b: Bool
    }

    /// The token for a URL: base64url without padding of `{"o":…,"v":[…],"b":…}`.
    public var token: String {
        var writer = JSONWriter(capacity: 64 + ordering.utf8.count + values.reduce(0) { $0 + ($1?.utf8.count ?? 4) + 3 })
        writer.raw("{\"o\":")
        writer.string(ordering)
        writer.raw(",\"v\":[")
        for (index, value) in values.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.optionalString(value)
        }
        writer.raw(backwards ? "],\"b\":true}" : "],\"b\":false}")
        return Base64URL.encode(writer.bytes)
    }

    /// Reads a token made by ``token`` for `ordering` with `terms` values.
    /// - Throws: ``APIError`` (400) for a token that is not one, or that was made for another
    ///   ordering.
    public init(token: String, ordering: String, terms: Int) throws(APIError) {
        guard token.utf8.count <= 8192, let bytes = Base64URL.decode(token), let payload = try? JSONDecoder().decode(Payload.self, from: Data(bytes)), payload.v.count == terms else {
            throw .badRequest("Invalid cursor.")
        }
        guard payload.o == ordering else {
            throw .badRequest("the cursor was made for ordering=\(payload.o); keep the ordering while following next and previous links")
        }
        self.init(ordering: payload.o, values: payload.v, backwards: payload.b)
    }
}

/// base64url (RFC 4648 §5) without padding, for tokens that travel in a query string as they are.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int(chunk >> UInt32(shift) & 63)]) }
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let chunk = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            for shift in [18, 12, 6].prefix(rest + 1) { out.append(alphabet[Int(chunk >> UInt32(shift) & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var bits: UInt32 = 0, count = 0
        var out: [UInt8] = []
        for byte in text.utf8 {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "_"): value = 63
            default: return nil
            }
            bits = bits << 6 | UInt32(value)
            count += 6
            if count >= 8 {
                count -= 8
                out.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
            }
        }
        return count >= 6 ? nil : out
    }
}
