import SluiceCore

/// Turns a logical plan into a physical one, inserting an exchange exactly where an
/// operator needs its input distributed by key and the input is not already.
///
/// The one-shuffle rule: when an aggregate on keys K feeds an aggregate on keys S ⊆ K (for
/// example `groupBy(customer, product)` then `groupBy(customer)`), the first aggregate's
/// shuffle hashes on S only. Every (customer, product) group still lands in one bucket, and
/// the second aggregate finds its input already distributed by customer, so it runs in
/// `single` mode with no second exchange.
public struct PhysicalPlanner: Sendable {
    public let config: ExecutionConfig

    public init(config: ExecutionConfig) {
        self.config = config
    }

    public func plan(_ logical: LogicalPlan) throws -> any ExecutionPlan {
        try build(logical.optimized(), hint: nil)
    }

    /// The scan of `projection`, with the `trimmed` text columns cleaned as they are parsed.
    private func scan(_ source: any TableSource, projection: [String]?, trimmed: Set<String>) throws -> ScanExec {
        var indices: [Int] = []
        for name in projection ?? source.schema.names { indices.append(try source.schema.requireIndex(of: name)) }
        var trimmedIndices = Set<Int>()
        for name in trimmed { trimmedIndices.insert(try source.schema.requireIndex(of: name)) }
        return ScanExec(source: source, projection: indices, trimmed: trimmedIndices, config: config)
    }

    /// - Parameter hint: columns (in this node's output) that the parent would like the data
    ///   hashed on, when this node has to shuffle anyway.
    private func build(_ logical: LogicalPlan, hint: [String]?) throws -> any ExecutionPlan {
        switch logical {
        case .scan(let source, let projection):
            return try scan(source, projection: projection, trimmed: [])
        case .project(let expressions, .scan(let source, let projection)) where source.acceptsTrimPushdown:
            let (cleaned, trimmed) = ScanCleaning.push(expressions, over: source.schema)
            return try ProjectExec(input: try scan(source, projection: projection, trimmed: trimmed), expressions: cleaned)
        case .filter(let predicate, let input):
            return try FilterExec(input: try build(input, hint: hint), predicate: predicate)
        case .project(let expressions, let input):
            return try ProjectExec(input: try build(input, hint: Self.mapHint(hint, through: expressions)), expressions: expressions)
        case .extend(let expressions, let input):
            let full = try LogicalPlan.extendedExpressions(expressions, over: try input.schema())
            return try ProjectExec(input: try build(input, hint: Self.mapHint(hint, through: full)), expressions: full)
        case .aggregate(let keys, let aggregates, let input):
            return try buildAggregate(keys: keys, aggregates: aggregates, input: input, hint: hint)
        case .sort(let keys, let input):
            let child = try build(input, hint: nil)
            let sorted = try SortExec(input: child, keys: keys)
            return child.partitioning.count == 1 ? sorted : try MergeSortedExec(input: sorted, keys: keys)
        case .distinct(let input):
            let names = try input.schema().names
            return try buildAggregate(keys: names.map(Expr.column), aggregates: [], input: input, hint: hint)
        case .join(let left, let right, let on, let type, let duplicates):
            let probe = try build(left, hint: hint)
            let buildSide = try BroadcastExec(input: try build(right, hint: nil), keys: on.map(\.right), duplicates: duplicates,
                                              sourceName: right.sourceName)
            return try HashJoinExec(probe: probe, build: buildSide, probeKeys: on.map(\.left), joinType: type)
        case .union(let inputs):
            var children: [any ExecutionPlan] = []
            for input in inputs { children.append(try build(input, hint: nil)) }
            return try UnionExec(inputs: children)
        case .reject(let outer, let child):
            // Consecutive rules are one operator, applied innermost first.
            var rules = [outer]
            var input = child
            while case .reject(let rule, let inner) = input {
                rules.insert(rule, at: 0)
                input = inner
            }
            let rule = rules[0]
            if let reason = Self.rowsNotOnePerLine(input) {
                let hint = reason == "a join"
                    ? "validate rows before the join, or check the join's key unique (join(…, duplicates: .fail, .first or .reject))"
                    : "validate rows before joining or aggregating them"
                throw SluiceError.plan("rejectWhen(\(rule.kind.rawValue)) comes after \(reason), where a row no longer stands for one input line",
                                       hint: hint)
            }
            return try RejectExec(input: try build(input, hint: hint), rules: rules)
        case .observe(let observations, let input):
            return try ObserveExec(input: try build(input, hint: hint), observations: observations)
        case .explode(let column, let input):
            return try ExplodeExec(input: try build(input, hint: hint), column: column)
        }
    }

    private func buildAggregate(keys: [Expr], aggregates: [AggregateExpr], input: LogicalPlan, hint: [String]?) throws -> any ExecutionPlan {
        let keyNames = keys.map(\.outputName)
        // Keys that are plain input columns, by output name.
        var plainInputColumn: [String: String] = [:]
        for key in keys {
            switch key {
            case .column(let name): plainInputColumn[name] = name
            case .alias(.column(let name), let output): plainInputColumn[output] = name
            default: break
            }
        }
        let plainInputNames = keyNames.compactMap { plainInputColumn[$0] }
        let child = try build(input, hint: plainInputNames.count == keyNames.count && !keyNames.isEmpty ? plainInputNames : nil)
        let namedKeys = zip(keyNames, keys).map { (name: $0.0, expr: $0.1) }

        if !keyNames.isEmpty, plainInputNames.count == keyNames.count, child.partitioning.colocates(plainInputNames) {
            return try HashAggregateExec(input: child, mode: .single, keys: namedKeys, aggregates: aggregates, rawSchema: child.schema)
        }
        let partial = try HashAggregateExec(input: child, mode: .partial, keys: namedKeys, aggregates: aggregates, rawSchema: child.schema)
        let target: Partitioning
        let buckets = config.shufflePartitions(forInputBytes: input.estimatedInputBytes)
        if keyNames.isEmpty {
            target = .single
        } else if let hint, !hint.isEmpty, Set(hint).isSubset(of: Set(keyNames)) {
            target = .hash(keys: hint, count: buckets)
        } else {
            target = .hash(keys: keyNames, count: buckets)
        }
        let exchange = try ExchangeExec(input: partial, partitioning: target)
        return try HashAggregateExec(input: exchange, mode: .final, keys: namedKeys, aggregates: aggregates, rawSchema: child.schema)
    }

    /// The first step below `plan` after which a row may stand for several input lines, or
    /// none (a join fans rows out, an aggregate or union mixes them), so a per-line reject
    /// would be counted wrongly; nil when rows still map one to one onto source lines.
    static func rowsNotOnePerLine(_ plan: LogicalPlan) -> String? {
        switch plan {
        case .scan: nil
        case .filter(_, let input), .project(_, let input), .extend(_, let input), .sort(_, let input),
             .reject(_, let input), .observe(_, let input):
            rowsNotOnePerLine(input)
        case .aggregate: "an aggregation"
        case .distinct: "distinct()"
        // A join on a checked-unique key gives each left row one output row at most.
        case .join(let left, _, _, _, let duplicates): duplicates == .allow ? "a join" : rowsNotOnePerLine(left)
        case .union: "a union"
        case .explode: "explode()"
        }
    }

    /// Translates hint column names from a projection's output to its input; nil when a
    /// hinted column is computed rather than passed through.
    static func mapHint(_ hint: [String]?, through expressions: [Expr]) -> [String]? {
        guard let hint else { return nil }
        var mapped: [String] = []
        for name in hint {
            var source: String?
            for expression in expressions {
                switch expression {
                case .column(let column) where column == name: source = column
                case .alias(.column(let column), let output) where output == name: source = column
                default: continue
                }
                if source != nil { break }
            }
            guard let source else { return nil }
            mapped.append(source)
        }
        return mapped
    }
}
