import SluicePipelines
public import SluicePostgres

/// The statement for one listing request: identifiers quoted, every value a parameter.
///
/// Its text depends only on the request's shape (which filters, how many search words and
/// `__in` values, the ordering, which cursor values are NULL), never on the values, so each
/// shape is prepared once per connection.
public struct ListSQL: Sendable {
    public var sql: String
    public var parameters: [PostgresValue?]

    /// The rows of a page, `pageSize + 1` of them so that a further page shows itself, in the
    /// page's direction (a backwards page comes reversed; the caller turns it round).
    public init(schema: RelationSchema, request: ListRequest) {
        var parameters: [PostgresValue?] = []
        func parameter(_ value: PostgresValue?) -> String {
            parameters.append(value)
            return "$\(parameters.count)"
        }
        var conditions: [String] = []
        for filter in request.filters {
            let column = Identifier.quote(filter.column.name)
            let type = filter.column.sqlType
            switch filter.lookup {
            case .exact: conditions.append("\(column) = \(parameter(.text(filter.values[0])))::\(type)")
            case .gte: conditions.append("\(column) >= \(parameter(.text(filter.values[0])))::\(type)")
            case .lte: conditions.append("\(column) <= \(parameter(.text(filter.values[0])))::\(type)")
            case .in: conditions.append("\(column) = ANY(\(parameter(.array(filter.values.map { .text($0) })))::\(type)[])")
            }
        }
        let searched = schema.table.search.compactMap { schema.column($0) }
        // A word is found with strpos over lower(): a literal substring test (no pattern
        // characters to escape), and on PostgreSQL 15 about a third cheaper per row than ILIKE,
        // whose case folding is the same lower().
        for word in request.words {
            let lowered = "lower(" + parameter(.text(word)) + ")"
            let matches = searched.map { column in
                let name = Identifier.quote(column.name)
                return "strpos(lower(" + (column.kind == .text ? name : "\(name)::text") + "), \(lowered)) > 0"
            }
            conditions.append("(" + matches.joined(separator: " OR ") + ")")
        }
        let backwards = request.cursor?.backwards ?? false
        if let cursor = request.cursor {
            conditions.append(Self.after(cursor.values, terms: request.ordering, backwards: backwards, parameter: parameter))
        }
        let order = request.ordering.map { term in
            Identifier.quote(term.column.name) + (term.descending != backwards ? " DESC NULLS FIRST" : " ASC NULLS LAST")
        }
        var sql = "SELECT " + schema.columns.map { Identifier.quote($0.name) }.joined(separator: ", ")
            + " FROM " + schema.table.relation.quoted
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY " + order.joined(separator: ", ") + " LIMIT " + parameter(.int(Int64(request.pageSize + 1)))
        self.sql = sql
        self.parameters = parameters
    }

    /// The rows strictly after `values` in the order of `terms` (reversed when `backwards`),
    /// with NULLs where PostgreSQL puts them by default: last ascending, first descending.
    /// Otherwise `(a, b) > (x, y)` is spelled out term by term, because directions may differ
    /// and a row comparison has no NULL order.
    static func after(_ values: [String?], terms: [ListRequest.OrderTerm], backwards: Bool,
                      parameter: (PostgresValue?) -> String) -> String {
        // No NULL anywhere and one direction: a row comparison, which an index on those
        // columns answers with one range scan (the expanded form below makes it scan).
        let noNulls = zip(terms, values).allSatisfy { !$0.column.nullable && $1 != nil }
        if noNulls, let first = terms.first, terms.allSatisfy({ $0.descending == first.descending }) {
            let columns = terms.map { Identifier.quote($0.column.name) }.joined(separator: ", ")
            let placeholders = zip(terms, values).map { parameter(.text($1 ?? "")) + "::" + $0.column.sqlType }.joined(separator: ", ")
            return "(\(columns)) \(first.descending != backwards ? "<" : ">") (\(placeholders))"
        }
        var alternatives: [String] = []
        var equalities: [String] = []
        for (term, value) in zip(terms, values) {
            let column = Identifier.quote(term.column.name)
            let descending = term.descending != backwards
            let placeholder = value.map { parameter(.text($0)) + "::" + term.column.sqlType }
            let beyond: String? = switch (descending, placeholder) {
            case (false, let p?): term.column.nullable ? "(\(column) > \(p) OR \(column) IS NULL)" : "\(column) > \(p)"
            case (false, nil): nil
            case (true, let p?): "\(column) < \(p)"
            case (true, nil): "\(column) IS NOT NULL"
            }
            if let beyond { alternatives.append((equalities + [beyond]).joined(separator: " AND ")) }
            equalities.append(placeholder.map { "\(column) = \($0)" } ?? "\(column) IS NULL")
        }
        return alternatives.isEmpty ? "false" : "(" + alternatives.map { "(\($0))" }.joined(separator: " OR ") + ")"
    }

    /// One row by its one-column key.
    public static func detail(schema: RelationSchema, key: String) -> ListSQL? {
        guard schema.table.hasDetailRoute, let column = schema.column(schema.table.key[0]) else { return nil }
        let sql = "SELECT " + schema.columns.map { Identifier.quote($0.name) }.joined(separator: ", ")
            + " FROM " + schema.table.relation.quoted + " WHERE " + Identifier.quote(column.name) + " = $1::" + column.sqlType + " LIMIT 2"
        return ListSQL(sql: sql, parameters: [.text(key)])
    }

    private init(sql: String, parameters: [PostgresValue?]) {
        self.sql = sql
        self.parameters = parameters
    }
}
