public import SluiceCore
public import SluiceEngine

extension SparkPlanCompiler {
    /// The engine's broadcast join in SQL: every left column, then the right side's columns
    /// but its provenance and the keys named as on the left, a clashing name suffixed
    /// `_right`. What a key on several right rows does follows ``DuplicateKeys``: allowed;
    /// reported (a ``SparkOutput/Kind/duplicateKeys(source:keys:)`` output, which fails the run
    /// when it has rows); or the first row in source order kept, the others counted apart or
    /// rejected as `duplicate_key`.
    mutating func join(_ leftPlan: LogicalPlan, _ rightPlan: LogicalPlan, on keys: [JoinKey], type: JoinType, duplicates: DuplicateKeys,
                       schema: Schema) throws(SluiceError) -> SparkRelation {
        let left = try compile(leftPlan), rawRight = try compile(rightPlan)
        for key in keys {
            let leftType = left.schema.fields[try left.schema.requireIndex(of: key.left)].type
            let rightType = rawRight.schema.fields[try rawRight.schema.requireIndex(of: key.right)].type
            guard leftType == rightType else {
                throw SluiceError.plan("join key \(key.left) is \(leftType) on the left and \(rightType) on the right")
            }
        }
        let right = try deduplicated(rawRight, keys: keys.map(\.right), policy: duplicates, sourceName: rightPlan.sourceName)
        let dropped = Set(keys.filter { $0.left == $0.right }.map(\.right))
        var columns = left.schema.names.map { "l.\(SparkSQL.identifier($0))" }
        for field in right.schema.fields where !dropped.contains(field.name) && !Provenance.isProvenance(field.name) {
            let name = left.schema.index(of: field.name) != nil ? field.name + "_right" : field.name
            columns.append("r.\(SparkSQL.identifier(field.name)) AS \(SparkSQL.identifier(name))")
        }
        let condition = keys.map { "l.\(SparkSQL.identifier($0.left)) = r.\(SparkSQL.identifier($0.right))" }.joined(separator: " AND ")
        let kind = type == .left ? "LEFT JOIN" : "JOIN"
        let name = name("join")
        add(statements: ["CREATE OR REPLACE TEMPORARY VIEW \(name) AS SELECT \(columns.joined(separator: ", ")) FROM \(left.view) l \(kind) \(right.view) r ON \(condition)"])
        return SparkRelation(view: name, schema: schema)
    }

    /// The right side with one row per key where the policy wants it, the repeated rows
    /// reported, counted apart or rejected.
    private mutating func deduplicated(_ right: SparkRelation, keys: [String], policy: DuplicateKeys, sourceName: String?) throws(SluiceError) -> SparkRelation {
        guard policy != .allow else { return right }
        let keyColumns = keys.map(SparkSQL.identifier).joined(separator: ", ")
        let hasLines = right.schema.index(of: Provenance.lineColumn) != nil && right.schema.index(of: Provenance.sourceColumn) != nil
        let line = SparkSQL.identifier(Provenance.lineColumn), source = SparkSQL.identifier(Provenance.sourceColumn)
        var keyTexts: [String] = []
        for key in keys {
            let type = right.schema.fields[try right.schema.requireIndex(of: key)].type
            keyTexts.append("concat(\(SparkSQL.string(key + " ")), \(try SparkCasts.cast(SparkSQL.identifier(key), from: type, to: .string)))")
        }
        let keyText = "concat_ws(', ', \(keyTexts.joined(separator: ", ")))"
        let fallbackSource = SparkSQL.string(sourceName ?? "the join's build side")
        if policy == .fail {
            let lines = hasLines ? "array_sort(collect_list(\(line)))" : "CAST(array() AS ARRAY<BIGINT>)"
            let query = "SELECT first(\(keyText)) AS key, \(hasLines ? "first(\(source))" : fallbackSource) AS source, "
                + "try_element_at(\(lines), 1) AS first_line, try_element_at(\(lines), 2) AS second_line, CAST(count(*) - 1 AS BIGINT) AS repeated "
                + "FROM \(right.view) GROUP BY \(keyColumns) HAVING count(*) > 1"
            let schema = Schema([Field("key", .string), Field("source", .string), Field("first_line", .int64), Field("second_line", .int64),
                                 Field("repeated", .int64)])
            outputs.append(SparkOutput(kind: .duplicateKeys(source: sourceName ?? "the join's build side", keys: keys),
                                       name: "duplicate-keys-\(outputs.count + 1)", query: query, schema: schema))
            return right
        }
        guard hasLines else {
            throw SluiceError.plan("keeping the first row per key of \(sourceName ?? "a join's build side") needs its provenance columns on Spark",
                                   hint: "read the source with provenance, so \"first\" means its first line")
        }
        let numbered = name("numbered")
        add(statements: ["CREATE OR REPLACE TEMPORARY VIEW \(numbered) AS SELECT *, row_number() OVER (PARTITION BY \(keyColumns) ORDER BY \(line)) AS sluice_rank, "
            + "min(\(line)) OVER (PARTITION BY \(keyColumns)) AS sluice_first_line FROM \(right.view)"])
        if policy == .first {
            addCounts("SELECT \(source) AS source, CAST(0 AS BIGINT) AS read, CAST(0 AS BIGINT) AS blank, count(*) AS apart "
                + "FROM \(numbered) WHERE sluice_rank > 1 GROUP BY \(source)")
        } else {
            let raw = SparkRejects.values(right.schema)
            let rule = rejectSchemas.count
            rejectSchemas.append(SparkRejects.valueSchema(right.schema))
            addRejects("SELECT \(source) AS source, \(line) AS line, 'duplicate_key' AS kind, "
                + "\(keys.count == 1 ? SparkSQL.string(keys[0]) : "CAST(NULL AS STRING)") AS column, "
                + "concat(\(keyText), ' is already on line ', CAST(sluice_first_line AS STRING), '; the first row is kept') AS message, "
                + "CAST(NULL AS STRING) AS raw, \(raw) AS \(SparkSQL.identifier("values")), CAST(\(rule) AS BIGINT) AS rule FROM \(numbered) WHERE sluice_rank > 1")
        }
        let kept = name("first")
        add(statements: ["CREATE OR REPLACE TEMPORARY VIEW \(kept) AS SELECT \(right.schema.names.map(SparkSQL.identifier).joined(separator: ", ")) "
            + "FROM \(numbered) WHERE sluice_rank = 1"])
        return SparkRelation(view: kept, schema: right.schema)
    }
}
