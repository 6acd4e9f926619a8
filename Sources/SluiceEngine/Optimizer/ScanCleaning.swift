import SluiceCore

/// Pushes `nullIfEmpty(trim(c))` from a projection into the scan below it when the source can
/// trim while it parses (``TrimmingTableSource``): the field is cut to its trimmed bytes before
/// it is copied into the column, instead of copying it, then copying it again trimmed.
///
/// A column is pushed only when every use of it in the projection is that cleaned form, so no
/// expression ever sees the trimmed value where it asked for the raw one.
enum ScanCleaning {
    /// The projection with the pushed uses read as plain columns, and the columns pushed.
    static func push(_ expressions: [Expr], over schema: Schema) -> (expressions: [Expr], trimmed: Set<String>) {
        var cleaned = Set<String>(), raw = Set<String>()
        for expression in expressions { collect(expression, cleaned: &cleaned, raw: &raw) }
        let pushed = cleaned.subtracting(raw).filter { schema.index(of: $0).map { schema[$0].type == .string } ?? false }
        guard !pushed.isEmpty else { return (expressions, []) }
        let rewritten = expressions.map { (expression: Expr) -> Expr in
            // Keep the output name the cleaned expression had.
            let output = expression.outputName
            let plain = replace(expression, pushed: pushed)
            if case .alias(.column(let name), let alias) = plain, name == alias { return .column(name) }
            return plain.outputName == output ? plain : .alias(plain, output)
        }
        return (rewritten, pushed)
    }

    /// The column `expression` cleans, when it is exactly `nullIfEmpty(trim(column))`.
    static func cleanedColumn(_ expression: Expr) -> String? {
        guard case .call(.nullIfEmpty, let outer) = expression, outer.count == 1,
              case .call(.trim, let inner) = outer[0], inner.count == 1,
              case .column(let name) = inner[0] else { return nil }
        return name
    }

    private static func collect(_ expression: Expr, cleaned: inout Set<String>, raw: inout Set<String>) {
        if let name = cleanedColumn(expression) {
            cleaned.insert(name)
            return
        }
        switch expression {
        case .column(let name): raw.insert(name)
        case .literal: break
        case .binary(_, let left, let right):
            collect(left, cleaned: &cleaned, raw: &raw)
            collect(right, cleaned: &cleaned, raw: &raw)
        case .unary(_, let input), .cast(let input, _), .alias(let input, _):
            collect(input, cleaned: &cleaned, raw: &raw)
        case .coalesce(let inputs), .call(_, let inputs):
            for input in inputs { collect(input, cleaned: &cleaned, raw: &raw) }
        case .caseWhen(let branches, let otherwise):
            for branch in branches {
                collect(branch.condition, cleaned: &cleaned, raw: &raw)
                collect(branch.value, cleaned: &cleaned, raw: &raw)
            }
            if let otherwise { collect(otherwise, cleaned: &cleaned, raw: &raw) }
        }
    }

    private static func replace(_ expression: Expr, pushed: Set<String>) -> Expr {
        if let name = cleanedColumn(expression), pushed.contains(name) { return .column(name) }
        switch expression {
        case .column, .literal: return expression
        case .binary(let op, let left, let right): return .binary(op, replace(left, pushed: pushed), replace(right, pushed: pushed))
        case .unary(let op, let input): return .unary(op, replace(input, pushed: pushed))
        case .cast(let input, let type): return .cast(replace(input, pushed: pushed), type)
        case .alias(let input, let name): return .alias(replace(input, pushed: pushed), name)
        case .coalesce(let inputs): return .coalesce(inputs.map { replace($0, pushed: pushed) })
        case .call(let function, let inputs): return .call(function, inputs.map { replace($0, pushed: pushed) })
        case .caseWhen(let branches, let otherwise):
            return .caseWhen(branches.map { WhenThen(replace($0.condition, pushed: pushed), replace($0.value, pushed: pushed)) },
                             otherwise: otherwise.map { replace($0, pushed: pushed) })
        }
    }
}
