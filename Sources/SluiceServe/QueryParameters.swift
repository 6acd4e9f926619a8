/// The query string of a request, decoded: `name=value` pairs in order, `+` as a space and
/// `%XX` escapes as UTF-8 bytes, as HTML forms and Django send them.
public struct QueryParameters: Sendable, Equatable {
    public var items: [(name: String, value: String)]

    public init(_ items: [(name: String, value: String)]) {
        self.items = items
    }

    /// - Throws: ``APIError`` (400) for an escape that is not two hex digits, bytes that are
    ///   not UTF-8, a NUL, or a parameter given twice (which value was meant cannot be known).
    public init(query: Substring) throws(APIError) {
        var items: [(name: String, value: String)] = []
        var seen: Set<String> = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(parts[0])
            let value = parts.count > 1 ? try Self.decode(parts[1]) : ""
            guard seen.insert(name).inserted else {
                throw .badRequest("the parameter '\(name)' is given more than once; give it once (lists are comma-separated: \(name)__in=a,b)")
            }
            items.append((name, value))
        }
        self.items = items
    }

    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.items.elementsEqual(rhs.items) { $0.name == $1.name && $0.value == $1.value }
    }

    /// The value of `name`, if given.
    public subscript(name: String) -> String? {
        items.first { $0.name == name }?.value
    }

    /// The query string again, percent-encoded, with `name` set to `value` (removed when nil);
    /// the other parameters keep their order.
    public func replacing(_ name: String, with value: String?) -> String {
        var pairs = items.filter { $0.name != name }
        if let value { pairs.append((name, value)) }
        return pairs.map { Self.encode($0.name) + "=" + Self.encode($0.value) }.joined(separator: "&")
    }

    static func decode(_ text: Substring) throws(APIError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw .badRequest("the query string has a '%' that is not followed by two hex digits")
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        guard !bytes.contains(0) else { throw .badRequest("the query string contains a NUL byte") }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw .badRequest("the query string is not UTF-8 once decoded")
        }
        return decoded
    }

    /// Percent-encodes everything but the characters RFC 3986 leaves unreserved.
    static func encode(_ text: String) -> String {
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
