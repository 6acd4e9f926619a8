public import SluiceCore
public import SluiceEngine

/// Compiles the logical plans of a job's steps into one Spark SQL script: each plan node a
/// temporary view over its input's view, each step's result, the rejects, the per-source
/// counts and the observed figures an `INSERT OVERWRITE DIRECTORY` query (``SparkOutput``).
///
/// The sources a plan scans must be registered first (``register(_:as:)``): a CSV file as the
/// view ``SparkSources`` makes for it, anything Spark cannot read as a view over files Sluice
/// staged for it. A step's result that feeds a later step (a ``SpooledResult``) is that step's
/// view. Anything without an exact Spark form — a user-defined aggregate, a custom observation,
/// the engine's hash — is a plan error naming it, before anything runs.
public struct SparkPlanCompiler {
    /// `CREATE OR REPLACE TEMPORARY VIEW` statements, in the order Spark must run them.
    public internal(set) var statements: [String] = []
    /// The queries whose rows Sluice reads back.
    public internal(set) var outputs: [SparkOutput] = []
    /// The columns of each rule's rejected rows, by the `rule` number of a reject row.
    public internal(set) var rejectSchemas: [Schema] = []
    private var relations: [ObjectIdentifier: SparkRelation] = [:]
    private var rejectQueries: [String] = []
    private var countQueries: [String] = []
    private var observationQueries: [String] = []
    private var serial = 0

    public init() {}

    /// Makes `source` scan as `relation` (its view, schema with provenance columns, order).
    public mutating func register(_ source: any TableSource, as relation: SparkRelation) {
        relations[ObjectIdentifier(source)] = relation
    }

    /// Adds view statements the caller made (a source's views).
    public mutating func add(statements more: [String]) { statements += more }

    /// Adds a query whose rows are rejects (``SparkRejects/columns``), such as a CSV source's.
    public mutating func addRejects(_ query: String) { rejectQueries.append(query) }

    /// Adds a query of per-source counts (`source, read, blank, apart`).
    public mutating func addCounts(_ query: String) { countQueries.append(query) }

    /// A fresh view name.
    public mutating func name(_ what: String) -> String {
        serial += 1
        return "sluice_\(serial)_\(what)"
    }

    /// Compiles one step: its result becomes an output, and, when it feeds later steps, the
    /// relation those steps' scans of `feeds` read.
    /// - Parameter writes: false when the result only feeds later steps (no output of its own).
    public mutating func compile(step: String, plan: LogicalPlan, schema: Schema? = nil, feeds: [any TableSource] = [],
                                 writes: Bool = true) throws(SluiceError) {
        let relation = try compile(plan)
        for source in feeds { relations[ObjectIdentifier(source)] = SparkRelation(view: relation.view, schema: relation.schema) }
        guard writes else { return }
        let target = schema ?? relation.schema
        var columns: [String] = []
        for (field, name) in zip(relation.schema.fields, target.names) {
            columns.append("\(try SparkTransport.encode(SparkSQL.identifier(field.name), type: field.type)) AS \(SparkSQL.identifier(name))")
        }
        var query = "SELECT \(columns.joined(separator: ", ")) FROM \(relation.view)"
        if !relation.order.isEmpty { query += " ORDER BY " + relation.order.map(Self.orderTerm).joined(separator: ", ") }
        outputs.append(SparkOutput(kind: .result(step: step), name: "result-\(outputs.count + 1)", query: query, schema: target))
    }

    /// Adds the rejects, counts and observations outputs once every step is compiled.
    public mutating func finish() {
        if !rejectQueries.isEmpty {
            outputs.append(SparkOutput(kind: .rejects, name: "rejects", query: rejectQueries.joined(separator: "\nUNION ALL\n"), schema: SparkRejects.schema))
        }
        if !countQueries.isEmpty {
            outputs.append(SparkOutput(kind: .counts, name: "counts", query: countQueries.joined(separator: "\nUNION ALL\n"), schema: SparkCounts.schema))
        }
        if !observationQueries.isEmpty {
            let schema = Schema([Field("name", .string), Field("value", .int64)])
            outputs.append(SparkOutput(kind: .observations, name: "observations", query: observationQueries.joined(separator: "\nUNION ALL\n"), schema: schema))
        }
    }

    /// The schema's columns, quoted and listed (a view may have hidden order columns besides).
    static func columns(_ schema: Schema) -> String {
        schema.names.map(SparkSQL.identifier).joined(separator: ", ")
    }

    static func orderTerm(_ key: SortKey) -> String {
        "\(SparkSQL.identifier(key.column)) \(key.ascending ? "ASC" : "DESC") NULLS \(key.nullsFirst ? "FIRST" : "LAST")"
    }

    // MARK: plan nodes

    mutating func compile(_ plan: LogicalPlan) throws(SluiceError) -> SparkRelation {
        switch plan {
        case .scan(let source, let projection):
            guard let relation = relations[ObjectIdentifier(source)] else {
                throw SluiceError.plan("the source \(source.displayName) (\(source.scanName)) has no Spark form",
                                       hint: "Spark reads CSV files; other sources must be staged as files first")
            }
            guard let projection else { return relation }
            return view("scan", "SELECT \(projection.map(SparkSQL.identifier).joined(separator: ", ")) FROM \(relation.view)",
                        schema: try plan.schema(), order: relation.order)
        case .filter(let predicate, let input):
            let relation = try compile(input)
            let condition = try SparkExpressions.compile(predicate, over: relation.schema)
            return view("filter", "SELECT * FROM \(relation.view) WHERE \(condition)", schema: relation.schema, order: relation.order)
        case .project(let expressions, let input):
            return try project(expressions, over: try compile(input), schema: try plan.schema())
        case .extend(let expressions, let input):
            let relation = try compile(input)
            return try project(Self.extended(expressions, over: relation.schema), over: relation, schema: try plan.schema())
        case .aggregate(let keys, let aggregates, let input):
            let relation = try compile(input)
            let compiler = SparkExpressions(columns: relation.schema.names)
            var columns: [String] = []
            for key in keys { columns.append("\(try compiler.sql(try BoundExpr.bind(key, to: relation.schema))) AS \(SparkSQL.identifier(key.outputName))") }
            let compiled = try SparkAggregates.compile(aggregates, over: relation.schema)
            for (aggregate, text) in zip(aggregates, compiled) { columns.append("\(text) AS \(SparkSQL.identifier(aggregate.name))") }
            let grouping = keys.isEmpty ? "" : " GROUP BY " + (1...keys.count).map(String.init).joined(separator: ", ")
            return view("aggregate", "SELECT \(columns.joined(separator: ", ")) FROM \(relation.view)\(grouping)", schema: try plan.schema())
        case .sort(let keys, let input):
            var relation = try compile(input)
            relation.order = keys
            return relation
        case .distinct(let input):
            let relation = try compile(input)
            return view("distinct", "SELECT DISTINCT \(Self.columns(relation.schema)) FROM \(relation.view)", schema: relation.schema)
        case .union(let inputs):
            // Each input by its columns: a view may carry hidden order columns.
            var parts: [String] = []
            for input in inputs {
                let relation = try compile(input)
                parts.append("SELECT \(Self.columns(relation.schema)) FROM \(relation.view)")
            }
            return view("union", parts.joined(separator: " UNION ALL "), schema: try plan.schema())
        case .join(let left, let right, let on, let type, let duplicates):
            return try join(left, right, on: on, type: type, duplicates: duplicates, schema: try plan.schema())
        case .reject(let rule, let input):
            let relation = try compile(input)
            rejectQueries.append(try SparkRejects.query(rule, over: relation, id: rejectSchemas.count))
            rejectSchemas.append(SparkRejects.valueSchema(relation.schema))
            let predicate = try SparkExpressions.compile(rule.predicate, over: relation.schema)
            return view("passed", "SELECT * FROM \(relation.view) WHERE NOT coalesce(\(predicate), FALSE)", schema: relation.schema, order: relation.order)
        case .observe(let observations, let input):
            let relation = try compile(input)
            for observation in observations { try observe(observation, over: relation) }
            return relation
        case .explode(let column, let input):
            let relation = try compile(input)
            // Spark's explode skips a null or empty array, as the engine's does.
            let columns = relation.schema.names.map { name in
                name == column ? "explode(\(SparkSQL.identifier(name))) AS \(SparkSQL.identifier(name))" : SparkSQL.identifier(name)
            }
            return view("explode", "SELECT \(columns.joined(separator: ", ")) FROM \(relation.view)", schema: try plan.schema())
        }
    }

    private mutating func view(_ what: String, _ query: String, schema: Schema, order: [SortKey] = []) -> SparkRelation {
        let name = name(what)
        statements.append("CREATE OR REPLACE TEMPORARY VIEW \(name) AS \(query)")
        return SparkRelation(view: name, schema: schema, order: order)
    }

    private mutating func project(_ expressions: [Expr], over relation: SparkRelation, schema: Schema) throws(SluiceError) -> SparkRelation {
        let compiler = SparkExpressions(columns: relation.schema.names)
        var columns: [String] = []
        for expression in expressions {
            columns.append("\(try compiler.sql(try BoundExpr.bind(expression, to: relation.schema))) AS \(SparkSQL.identifier(expression.outputName))")
        }
        // The order holds through the projection, as it does in the engine: a sort column the
        // projection drops or renames comes along hidden (the view has it, the schema does not).
        var order: [SortKey] = []
        for (position, key) in relation.order.enumerated() {
            var kept = key
            let passes = expressions.contains { expression in
                if case .column(let name) = expression { return name == key.column }
                if case .alias(.column(let name), let alias) = expression { return name == key.column && alias == key.column }
                return false
            }
            if !passes {
                kept.column = "__sluice_order_\(position)"
                columns.append("\(SparkSQL.identifier(key.column)) AS \(SparkSQL.identifier(kept.column))")
            }
            order.append(kept)
        }
        return view("project", "SELECT \(columns.joined(separator: ", ")) FROM \(relation.view)", schema: schema, order: order)
    }

    /// ``LogicalPlan/extend``'s projection: every input column, replaced in place by a new
    /// expression of its name, then the other new expressions.
    static func extended(_ expressions: [Expr], over schema: Schema) -> [Expr] {
        var byName: [String: Expr] = [:]
        for expression in expressions { byName[expression.outputName] = expression }
        var result: [Expr] = schema.names.map { byName.removeValue(forKey: $0) ?? .column($0) }
        for expression in expressions where byName[expression.outputName] != nil { result.append(expression) }
        return result
    }

    private mutating func observe(_ observation: Observation, over relation: SparkRelation) throws(SluiceError) {
        guard observation.custom == nil else {
            throw SluiceError.plan("the observation \(observation.name) is computed by Swift code and has no Spark SQL form",
                                   hint: "run this pipeline with the local engine")
        }
        let predicate = try observation.predicate.map { (p) throws(SluiceError) in try SparkExpressions.compile(p, over: relation.schema) }
        let value = try observation.value.map { (v) throws(SluiceError) in try SparkExpressions.compile(v, over: relation.schema) }
        let term = { (filter: String?) -> String in
            let counted = value.map { "sum(\($0))" } ?? "count(*)"
            return "CAST(coalesce(\(counted)\(filter.map { " FILTER (WHERE \($0))" } ?? ""), 0) AS BIGINT)"
        }
        observationQueries.append("SELECT \(SparkSQL.string(observation.name)) AS name, \(term(predicate)) AS value FROM \(relation.view)")
        if observation.setsApart {
            let source = SparkSQL.identifier(Provenance.sourceColumn)
            countQueries.append("SELECT \(source) AS source, CAST(0 AS BIGINT) AS read, CAST(0 AS BIGINT) AS blank, \(term(predicate)) AS apart "
                + "FROM \(relation.view) GROUP BY \(source)")
        }
    }
}
