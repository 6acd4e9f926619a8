import SluiceCore

extension LogicalPlan {
    /// The plan with `transform` applied to every input, bottom up: the one tree walk the
    /// rewrites share, so each names only the node it changes.
    func mapInputs(_ transform: (LogicalPlan) -> LogicalPlan) -> LogicalPlan {
        switch self {
        case .scan: self
        case .filter(let predicate, let input): .filter(predicate, transform(input))
        case .project(let expressions, let input): .project(expressions, transform(input))
        case .extend(let expressions, let input): .extend(expressions, transform(input))
        case .aggregate(let keys, let aggregates, let input): .aggregate(keys: keys, aggregates: aggregates, transform(input))
        case .sort(let keys, let input): .sort(keys, transform(input))
        case .distinct(let input): .distinct(transform(input))
        case .join(let left, let right, let on, let type, let duplicates):
            .join(transform(left), transform(right), on: on, type: type, duplicates: duplicates)
        case .union(let inputs): .union(inputs.map(transform))
        case .reject(let rule, let input): .reject(rule, transform(input))
        case .observe(let observations, let input): .observe(observations, transform(input))
        case .explode(let column, let input): .explode(column, transform(input))
        }
    }

    /// The inputs of this node, left to right.
    var inputs: [LogicalPlan] {
        switch self {
        case .scan: []
        case .filter(_, let input), .project(_, let input), .extend(_, let input), .aggregate(_, _, let input), .sort(_, let input),
             .distinct(let input), .reject(_, let input), .observe(_, let input), .explode(_, let input):
            [input]
        case .join(let left, let right, _, _, _): [left, right]
        case .union(let inputs): inputs
        }
    }

    /// How many scans of `source` (the same object) the plan holds.
    public func scanCount(of source: any TableSource) -> Int {
        if case .scan(let scanned, _) = self { return scanned === source ? 1 : 0 }
        return inputs.reduce(0) { $0 + $1.scanCount(of: source) }
    }

    /// The plan with every scan of `source` replaced by `producer`, the plan that would have
    /// filled it: a step that only feeds another is computed inside it, in one pass, with no
    /// result held in between. The scan's columns are selected from the producer's output, so
    /// the schema above does not change.
    public func inlining(_ source: any TableSource, with producer: LogicalPlan) -> LogicalPlan {
        if case .scan(let scanned, let projection) = self, scanned === source {
            return .project((projection ?? source.schema.names).map(Expr.column), producer)
        }
        return mapInputs { $0.inlining(source, with: producer) }
    }
}

extension DataFrame {
    /// The same rows in no particular order: the sorts at the top of the plan (seen through
    /// the operators that work row by row) are dropped. For a result whose every destination
    /// is unordered — a table load — sorting would only cost a merge.
    public var unordered: DataFrame { DataFrame(SortElimination.unsorted(plan)) }
}

/// Drops a sort whose order nothing above it can see: under an aggregate whose functions all
/// ignore the order of their input (sum, count, min, max, …), reached through operators that
/// work row by row. A step that sorts its result for its files and then only feeds a balance
/// sorts nothing once it is inlined (Spark's `EliminateSorts` does the same).
enum SortElimination {
    static func apply(_ plan: LogicalPlan) -> LogicalPlan {
        if case .aggregate(let keys, let aggregates, let input) = plan, aggregates.allSatisfy(\.function.ignoresInputOrder) {
            return .aggregate(keys: keys, aggregates: aggregates, apply(unsorted(input)))
        }
        return plan.mapInputs(apply)
    }

    /// `plan` without the sorts at its top, looking through the row-by-row operators.
    static func unsorted(_ plan: LogicalPlan) -> LogicalPlan {
        switch plan {
        case .sort(_, let input): unsorted(input)
        case .filter, .project, .extend, .reject, .observe, .explode: plan.mapInputs(unsorted)
        default: plan
        }
    }
}

extension LogicalPlan {
    /// The plan after the engine's logical rules — sorts nothing needs dropped
    /// (``SortElimination``), each scan told the columns the plan reads (``ProjectionPushdown``)
    /// — as the physical planner and the Spark compiler both start from it.
    public func optimized() -> LogicalPlan {
        ProjectionPushdown.apply(SortElimination.apply(self))
    }
}
