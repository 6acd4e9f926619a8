import SluicePipelines
import Foundation

/// A listing request checked against the relation it reads: its filters, search words,
/// ordering (made total by the key), cursor and page size. Anything the relation does not
/// declare is refused with a 400 that names it, never ignored.
public struct ListRequest: Sendable {
    /// How a filter compares: `field=`, `field__gte=`, `field__lte=`, `field__in=a,b`.
    public enum Lookup: String, Sendable, CaseIterable {
        case exact = "", gte, lte, `in`
    }

    /// One filter parameter: the column, how it compares, its checked values.
    public struct Filter: Sendable {
        public var column: ServedColumn
        public var lookup: Lookup
        /// One value, or several for `__in`, checked against the column's kind.
        public var values: [String]
    }

    /// One field of the ordering and its direction.
    public struct OrderTerm: Sendable, Hashable {
        public var column: ServedColumn
        public var descending: Bool
    }

    /// The parameters that are not filters.
    public static let reserved: Set<String> = ["search", "ordering", "cursor", "page_size", "format"]
    public static let defaultPageSize = 50
    public static let maximumPageSize = 1000

    public var filters: [Filter] = []
    /// Each word must match one of the search columns.
    public var words: [String] = []
    /// The requested ordering, then every key column it lacks, ascending.
    public var ordering: [OrderTerm] = []
    public var cursor: Cursor?
    public var pageSize = ListRequest.defaultPageSize

    /// The ordering as a cursor records it.
    public var orderingText: String {
        ordering.map { ($0.descending ? "-" : "") + $0.column.name }.joined(separator: ",")
    }

    /// - Throws: ``APIError`` (400) naming the parameter at fault and what it accepts.
    public init(_ parameters: QueryParameters, schema: RelationSchema) throws(APIError) {
        let table = schema.table
        for (name, value) in parameters.items where !Self.reserved.contains(name) {
            // Django-filter's rule: an empty value does not filter (forms send empty fields).
            guard !value.isEmpty else { continue }
            let (field, lookup) = Self.split(name)
            guard let lookup, table.filters.contains(field), let column = schema.column(field) else {
                let accepted = table.filters.isEmpty ? "this endpoint has no filters"
                    : "filters are " + table.filters.joined(separator: ", ") + " (each also with __gte, __lte, __in)"
                throw .badRequest("unknown filter '\(name)'; \(accepted)")
            }
            let values = lookup == .in ? value.split(separator: ",", omittingEmptySubsequences: false).map(String.init) : [value]
            for item in values {
                guard ValueCheck.accepts(item, kind: column.kind) else {
                    throw .badRequest("'\(item)' is not a valid \(ValueCheck.describe(column.kind)) for \(name)")
                }
            }
            filters.append(Filter(column: column, lookup: lookup, values: values))
        }
        if let search = parameters["search"] {
            words = search.split(whereSeparator: { $0.isWhitespace }).map(String.init)
            if !words.isEmpty, table.search.isEmpty { throw .badRequest("this endpoint has no search fields") }
        }
        try readOrdering(parameters["ordering"], schema: schema)
        if let size = parameters["page_size"], !size.isEmpty {
            guard let number = Int(size), (1...Self.maximumPageSize).contains(number) else {
                throw .badRequest("page_size must be a whole number from 1 to \(Self.maximumPageSize), not '\(size)'")
            }
            pageSize = number
        }
        if let token = parameters["cursor"], !token.isEmpty {
            cursor = try Cursor(token: token, ordering: orderingText, terms: ordering.count)
        }
    }

    private mutating func readOrdering(_ text: String?, schema: RelationSchema) throws(APIError) {
        var seen: Set<String> = []
        for item in (text ?? "").split(separator: ",").map({ $0.trimmingSpaces }) where !item.isEmpty {
            let descending = item.hasPrefix("-")
            let name = descending ? String(item.dropFirst()) : item
            guard schema.table.ordering.contains(name), let column = schema.column(name) else {
                throw .badRequest("unknown ordering field '\(name)'; ordering accepts " + schema.table.ordering.joined(separator: ", ")
                    + " (prefix - for descending)")
            }
            if seen.insert(name).inserted { ordering.append(OrderTerm(column: column, descending: descending)) }
        }
        for key in schema.table.key where !seen.contains(key) {
            if let column = schema.column(key) { ordering.append(OrderTerm(column: column, descending: false)) }
        }
    }

    /// `subscription_date__gte` → (`subscription_date`, `.gte`); an unknown suffix gives nil.
    static func split(_ name: String) -> (String, Lookup?) {
        guard let range = name.range(of: "__", options: .backwards) else { return (name, .exact) }
        let suffix = String(name[range.upperBound...])
        return (String(name[..<range.lowerBound]), Lookup(rawValue: suffix).flatMap { $0 == .exact ? nil : $0 })
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
