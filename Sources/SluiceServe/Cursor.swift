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

    /// The token for a URL (base64url, no padding).
    public var token: String {
        let data = (try? JSONEncoder().encode(Payload(o: ordering, v: values, b: backwards))) ?? Data()
        return data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Reads a token made by ``token`` for `ordering` with `terms` values.
    /// - Throws: ``APIError`` (400) for a token that is not one, or that was made for another
    ///   ordering.
    public init(token: String, ordering: String, terms: Int) throws(APIError) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard token.utf8.count <= 8192, let data = Data(base64Encoded: base64),
              let payload = try? JSONDecoder().decode(Payload.self, from: data), payload.v.count == terms else {
            throw .badRequest("Invalid cursor.")
        }
        guard payload.o == ordering else {
            throw .badRequest("the cursor was made for ordering=\(payload.o); keep the ordering while following next and previous links")
        }
        self.init(ordering: payload.o, values: payload.v, backwards: payload.b)
    }
}
