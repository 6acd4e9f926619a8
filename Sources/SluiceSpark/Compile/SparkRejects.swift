public import SluiceCore
public import SluiceEngine

/// The rejects a script writes, one row each: `source, line, kind, column, message, raw,
/// values, rule`. `raw` is the raw text when the rule (or the CSV reader) gives one; otherwise
/// `values` holds the row's values (all but the provenance columns) as a JSON array of their
/// ``SparkTransport`` texts, and `rule` says whose: Sluice decodes them with that rule's
/// columns (``SparkPlanCompiler/rejectSchemas``) and renders the raw line as the engine does,
/// so a reject reads the same from either engine.
public enum SparkRejects {
    public static let schema = Schema([
        Field("source", .string), Field("line", .int64), Field("kind", .string), Field("column", .string), Field("message", .string),
        Field("raw", .string), Field("values", .string), Field("rule", .int64),
    ])

    /// The rows `rule` rejects from `relation`, as reject rows.
    static func query(_ rule: RejectRule, over relation: SparkRelation, id: Int) throws(SluiceError) -> String {
        let predicate = try SparkExpressions.compile(rule.predicate, over: relation.schema)
        let reason = try SparkExpressions.compile(rule.reason, over: relation.schema)
        let raw = try rule.raw.map { (expression) throws(SluiceError) in try SparkExpressions.compile(expression, over: relation.schema) }
        guard relation.schema.index(of: Provenance.sourceColumn) != nil, relation.schema.index(of: Provenance.lineColumn) != nil else {
            throw SluiceError.plan("rejectWhen(\(rule.kind.rawValue)) needs the source's provenance columns")
        }
        let column = rule.column.map(SparkSQL.string) ?? "CAST(NULL AS STRING)"
        return "SELECT \(SparkSQL.identifier(Provenance.sourceColumn)) AS source, \(SparkSQL.identifier(Provenance.lineColumn)) AS line, "
            + "\(SparkSQL.string(rule.kind.rawValue)) AS kind, \(column) AS column, coalesce(\(reason), \(SparkSQL.string(rule.kind.rawValue))) AS message, "
            + "\(raw.map { "coalesce(\($0), '')" } ?? "CAST(NULL AS STRING)") AS raw, "
            + "\(raw == nil ? values(relation.schema) : "CAST(NULL AS STRING)") AS \(SparkSQL.identifier("values")), CAST(\(id) AS BIGINT) AS rule "
            + "FROM \(relation.view) WHERE coalesce(\(predicate), FALSE)"
    }

    /// The columns a reject's values hold: all but the provenance ones.
    public static func valueSchema(_ schema: Schema) -> Schema {
        Schema(schema.fields.filter { !Provenance.isProvenance($0.name) })
    }

    /// A JSON array of the row's non-provenance values in their transport text (nulls as null).
    static func values(_ schema: Schema) -> String {
        let texts = schema.fields.filter { !Provenance.isProvenance($0.name) }.map { field -> String in
            let encoded = (try? SparkTransport.encode(SparkSQL.identifier(field.name), type: field.type)) ?? "to_json(\(SparkSQL.identifier(field.name)))"
            return "CAST(\(encoded) AS STRING)"
        }
        return "to_json(array(\(texts.joined(separator: ", "))))"
    }
}

/// Per-source figures a script writes: `source, read, blank, apart` (summed by source when read back).
public enum SparkCounts {
    public static let schema = Schema([Field("source", .string), Field("read", .int64), Field("blank", .int64), Field("apart", .int64)])
}
