import SluiceCore

/// Tells every scan which columns the plan above it reads, so a CSV reader parses only
/// those fields and nothing carries unused columns through a shuffle; aggregates whose
/// result nothing reads are dropped on the way down.
enum ProjectionPushdown {
    /// - Parameter required: the columns the parent reads, or nil for all of them.
    static func apply(_ plan: LogicalPlan, required: Set<String>? = nil) -> LogicalPlan {
        switch plan {
        case .scan(let source, _):
            var names = source.schema.names.filter { required?.contains($0) ?? true }
            if names.isEmpty, let first = source.schema.names.first { names = [first] }
            return .scan(source, projection: names)
        case .filter(let predicate, let input):
            return .filter(predicate, apply(input, required: required.map { $0.union(predicate.referencedColumns) }))
        case .project(let expressions, let input):
            let kept = required.map { names in expressions.filter { names.contains($0.outputName) } } ?? expressions
            let used = (kept.isEmpty ? expressions : kept).reduce(into: Set<String>()) { $0.formUnion($1.referencedColumns) }
            return .project(kept.isEmpty ? expressions : kept, apply(input, required: used))
        case .extend(let expressions, let input):
            guard let required else { return .extend(expressions, apply(input, required: nil)) }
            let newNames = Set(expressions.map(\.outputName))
            let used = expressions.reduce(into: required.subtracting(newNames)) { $0.formUnion($1.referencedColumns) }
            return .extend(expressions, apply(input, required: used))
        case .aggregate(let keys, var aggregates, let input):
            // An aggregate nobody above reads is not computed (a de-duplication's first line
            // when only its counts are wanted). The keys stay: they define the groups.
            if let required {
                let read = aggregates.filter { required.contains($0.name) }
                aggregates = read.isEmpty && keys.isEmpty ? Array(aggregates.prefix(1)) : read
            }
            var used = keys.reduce(into: Set<String>()) { $0.formUnion($1.referencedColumns) }
            for aggregate in aggregates {
                for argument in aggregate.arguments { used.formUnion(argument.referencedColumns) }
            }
            return .aggregate(keys: keys, aggregates: aggregates, apply(input, required: used))
        case .sort(let keys, let input):
            return .sort(keys, apply(input, required: required.map { $0.union(keys.map(\.column)) }))
        case .distinct(let input):
            return .distinct(apply(input, required: nil))
        case .join(let left, let right, let on, let type, let duplicates):
            guard let required, let leftSchema = try? left.schema(), let rightSchema = try? right.schema() else {
                return .join(apply(left, required: nil), apply(right, required: nil), on: on, type: type, duplicates: duplicates)
            }
            let unsuffixed = Set(required.map { $0.hasSuffix("_right") ? String($0.dropLast(6)) : $0 })
            let leftNeeds = Set(leftSchema.names).intersection(required).union(on.map(\.left))
            var rightNeeds = Set(rightSchema.names).intersection(required.union(unsuffixed)).union(on.map(\.right))
            // A checked key names the rows that share it by their file and line.
            if duplicates != .allow { rightNeeds.formUnion(rightSchema.names.filter(Provenance.isProvenance)) }
            return .join(apply(left, required: leftNeeds), apply(right, required: rightNeeds), on: on, type: type, duplicates: duplicates)
        case .union(let inputs):
            return .union(inputs.map { apply($0, required: nil) })
        case .reject(let rule, let input):
            // A reject keeps the whole row as its raw text, so everything below is read.
            return .reject(rule, apply(input, required: nil))
        case .observe(let observations, let input):
            let used = observations.reduce(into: Set<String>()) { $0.formUnion($1.referencedColumns) }
            return .observe(observations, apply(input, required: required.map { $0.union(used) }))
        case .explode(let column, let input):
            return .explode(column, apply(input, required: required.map { $0.union([column]) }))
        }
    }
}
