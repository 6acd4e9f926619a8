public import SluiceCore

/// A pair of equal columns joining two plans.
public struct JoinKey: Sendable, Hashable {
    public var left: String
    public var right: String

    public init(_ left: String, _ right: String) {
        self.left = left
        self.right = right
    }
}

/// The lazy description of a job that ``DataFrame`` builds. Nothing runs until the
/// physical planner turns it into an ``ExecutionPlan`` and the ``JobRunner`` executes it.
public indirect enum LogicalPlan: Sendable {
    /// Reads a source; `projection` (column names) is filled in by projection pushdown.
    case scan(any TableSource, projection: [String]?)
    case filter(Expr, LogicalPlan)
    /// Exactly these output columns.
    case project([Expr], LogicalPlan)
    /// The input's columns plus (or replacing, by name) these named expressions.
    case extend([Expr], LogicalPlan)
    case aggregate(keys: [Expr], aggregates: [AggregateExpr], LogicalPlan)
    case sort([SortKey], LogicalPlan)
    case distinct(LogicalPlan)
    /// A broadcast hash join of the left plan with the (smaller) right one; `duplicates` says
    /// what a key on several rows of the right side does.
    case join(LogicalPlan, LogicalPlan, on: [JoinKey], type: JoinType, duplicates: DuplicateKeys)
    case union([LogicalPlan])
    /// Routes the rows a rule matches to the run's rejects; the rest pass on unchanged.
    case reject(RejectRule, LogicalPlan)
    /// Adds figures up over the rows that pass, which pass on unchanged.
    case observe([Observation], LogicalPlan)
    /// One row per element of a list column, the element in its place (``ExplodeExec``).
    case explode(String, LogicalPlan)

    /// The output schema, checking names and types on the way.
    public func schema() throws(SluiceError) -> Schema {
        switch self {
        case .scan(let source, let projection):
            guard let projection else { return source.schema }
            var fields: [Field] = []
            for name in projection { fields.append(source.schema[try source.schema.requireIndex(of: name)]) }
            return Schema(fields)
        case .filter(_, let input), .sort(_, let input), .distinct(let input), .reject(_, let input), .observe(_, let input):
            return try input.schema()
        case .project(let expressions, let input):
            let inputSchema = try input.schema()
            var fields: [Field] = []
            for expression in expressions {
                fields.append(Field(expression.outputName, try BoundExpr.bind(expression, to: inputSchema).type))
            }
            return Schema(fields)
        case .extend(let expressions, let input):
            return Schema(try LogicalPlan.extendedExpressions(expressions, over: try input.schema()).map {
                (expression) throws(SluiceError) in Field(expression.outputName, try BoundExpr.bind(expression, to: try input.schema()).type)
            })
        case .aggregate(let keys, let aggregates, let input):
            let inputSchema = try input.schema()
            var fields: [Field] = []
            for key in keys { fields.append(Field(key.outputName, try BoundExpr.bind(key, to: inputSchema).type)) }
            for aggregate in aggregates {
                var types: [DataType] = []
                for argument in aggregate.arguments { types.append(try BoundExpr.bind(argument, to: inputSchema).type) }
                fields.append(Field(aggregate.name, try aggregate.function.returnType(types)))
            }
            return Schema(fields)
        case .join(let left, let right, let on, _, _):
            let leftSchema = try left.schema(), rightSchema = try right.schema()
            let dropped = Set(on.filter { $0.left == $0.right }.map(\.right))
            var fields = leftSchema.fields
            // The right side's provenance stays behind: it names the right side's rows in
            // duplicate-key rejects; the output's rows are the left side's.
            for field in rightSchema.fields where !dropped.contains(field.name) && !Provenance.isProvenance(field.name) {
                var renamed = field
                if leftSchema.index(of: field.name) != nil { renamed.name += "_right" }
                fields.append(renamed)
            }
            return Schema(fields)
        case .union(let inputs):
            guard let first = inputs.first else { throw SluiceError.plan("union of nothing") }
            return try first.schema()
        case .explode(let column, let input):
            return try Self.exploded(try input.schema(), column: column)
        }
    }

    /// `schema` with the list column `column` holding its elements.
    /// - Throws: a plan error when the column is missing or not a list.
    static func exploded(_ schema: Schema, column: String) throws(SluiceError) -> Schema {
        let index = try schema.requireIndex(of: column, in: "explode")
        guard case .list(let element) = schema[index].type else {
            throw SluiceError.plan("explode(\(column)) needs a list column, got \(schema[index].type)")
        }
        var fields = schema.fields
        fields[index].type = element
        return Schema(fields)
    }

    /// The bytes the plan's scans read, as far as the sources know before running (sources
    /// that do not know count nothing); nil when none knows.
    public var estimatedInputBytes: Int? {
        if case .scan(let source, _) = self { return source.estimatedBytes }
        let known = inputs.compactMap(\.estimatedInputBytes)
        return known.isEmpty ? nil : known.reduce(0, +)
    }

    /// The name of the one source the plan reads (a file, a table), or nil when it reads
    /// several; errors about the plan's rows name it.
    public var sourceName: String? {
        switch self {
        case .scan(let source, _): source.displayName
        case .filter(_, let input), .project(_, let input), .extend(_, let input), .sort(_, let input), .distinct(let input),
             .reject(_, let input), .observe(_, let input), .aggregate(_, _, let input), .explode(_, let input):
            input.sourceName
        case .join, .union: nil
        }
    }

    /// The full projection an `extend` stands for: every input column (replaced in place
    /// when a new expression has its name) and then the new ones.
    static func extendedExpressions(_ expressions: [Expr], over schema: Schema) throws(SluiceError) -> [Expr] {
        var byName: [String: Expr] = [:]
        for expression in expressions { byName[expression.outputName] = expression }
        var result: [Expr] = schema.names.map { byName.removeValue(forKey: $0) ?? .column($0) }
        for expression in expressions where byName[expression.outputName] != nil {
            result.append(expression)
        }
        return result
    }
}

/// A validation rule of a plan: the rows where `predicate` is true (null counts as false) are
/// rejected with `kind` and the text of `reason`, evaluated for each such row.
public struct RejectRule: Sendable, CustomStringConvertible {
    public var predicate: Expr
    public var kind: RejectKind
    /// A string expression: `lit("missing org_id")`, or
    /// `concat(lit("unknown action '"), col("action"), lit("'"))`.
    public var reason: Expr
    /// The column the reject names (the value found wrong), or nil for the whole row.
    public var column: String?
    /// A string expression whose value is the reject's raw text (the record as its source
    /// had it, as JSON, say), or nil for the row's values as one CSV line.
    public var raw: Expr?

    public init(_ predicate: Expr, kind: RejectKind, reason: Expr, column: String? = nil, raw: Expr? = nil) {
        self.predicate = predicate
        self.kind = kind
        self.reason = reason
        self.column = column
        self.raw = raw
    }

    public var description: String { "\(kind.rawValue) when \(predicate)" }
}

/// A figure observed over the rows flowing past: the count of rows (`value` nil) or the sum
/// of an integer expression, over the rows where `predicate` holds (all rows when nil).
public struct Observation: Sendable, CustomStringConvertible {
    public var name: String
    public var value: Expr?
    public var predicate: Expr?
    /// The rows counted leave their source's passed rows and are counted apart (rows folded
    /// into others, such as exact duplicates), so `read == passed + rejected + apart` stays
    /// true; the rows must carry the source's ``Provenance/sourceColumn``.
    public var setsApart = false
    /// The caller's own figure over each batch (see ``custom(_:columns:_:)``), instead of
    /// `value` and `predicate`.
    public var custom: (@Sendable (RecordBatch, RejectSink) throws(SluiceError) -> Int64)?
    /// The columns `custom` reads (kept by projection pushdown).
    public var customColumns: Set<String> = []

    /// The rows where `predicate` holds, counted as `name`.
    public static func count(_ name: String, where predicate: Expr? = nil) -> Observation {
        Observation(name: name, value: nil, predicate: predicate)
    }

    /// The sum of `value` (an integer) over the rows where `predicate` holds, as `name`.
    public static func sum(_ name: String, _ value: Expr, where predicate: Expr? = nil) -> Observation {
        Observation(name: name, value: value, predicate: predicate)
    }

    /// The sum of `value` (an integer) as `name`, those rows moved from passed to apart in
    /// each row's source: `copies - 1` after grouping exact duplicates, say.
    public static func apart(_ name: String, _ value: Expr) -> Observation {
        var observation = Observation(name: name, value: value, predicate: nil)
        observation.setsApart = true
        return observation
    }

    /// A figure the caller computes over each batch flowing past (Spark's custom observed
    /// metric), for what a sum of one expression cannot say: the records a group folded away,
    /// listed and set apart in each one's own source, say. `body` gets the batch (with at least
    /// `columns`) and the run's reject sink (``RejectSink/count(source:read:passed:rejected:apart:blank:)``
    /// moves rows between a source's counts) and returns the batch's share of the figure.
    /// - Important: partitions call `body` concurrently; whatever it keeps must be locked.
    public static func custom(_ name: String, columns: [String],
                              _ body: @escaping @Sendable (RecordBatch, RejectSink) throws(SluiceError) -> Int64) -> Observation {
        var observation = Observation(name: name, value: nil, predicate: nil)
        observation.custom = body
        observation.customColumns = Set(columns)
        return observation
    }

    public var description: String {
        if custom != nil { return "\(name) = custom(\(customColumns.sorted().joined(separator: ", ")))" }
        let what = value.map { "sum(\($0))" } ?? "count(*)"
        return "\(name) = \(what)" + (predicate.map { " where \($0)" } ?? "") + (setsApart ? " (set apart)" : "")
    }

    var referencedColumns: Set<String> {
        let used = (value?.referencedColumns ?? []).union(predicate?.referencedColumns ?? []).union(customColumns)
        return setsApart ? used.union([Provenance.sourceColumn]) : used
    }
}
