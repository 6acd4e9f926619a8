public import SluiceCore
public import SluiceEngine

/// The engine's aggregates in Spark SQL, one expression per aggregate of a `GROUP BY`, with
/// the engine's answers: exact integer and decimal sums (an overflow is an error in both),
/// averages rounded as the engine rounds, sorted distinct sets, the longest run of
/// consecutive days, and argMax / argMin with the engine's tie rule.
///
/// argMax / argMin become the minimum of a struct: the ordering columns first (reversed for
/// argMax: `~x` for integers, which never overflows), then each kept value after a flag that
/// sorts a present value before a null — so the greatest ordering wins, and a tie goes to the
/// smallest value, as in the engine. Calls over one integer-stored ordering share one struct
/// holding every kept value, so they take one row's values, as the engine's shared ordering
/// does (``SharedOrdering``); Spark computes an aggregate that appears several times once.
/// Rows whose ordering has a null take no part (`FILTER`).
public enum SparkAggregates {
    /// One SQL expression per aggregate, over the input's columns.
    /// - Throws: a plan error naming an aggregate with no exact Spark form (a user-defined
    ///   aggregate, an argMax ordered by text).
    public static func compile(_ aggregates: [AggregateExpr], over schema: Schema) throws(SluiceError) -> [String] {
        let expressions = SparkExpressions(columns: schema.names)
        var bound: [[BoundExpr]] = []
        for aggregate in aggregates {
            var arguments: [BoundExpr] = []
            for argument in aggregate.arguments { arguments.append(try BoundExpr.bind(argument, to: schema)) }
            bound.append(arguments)
        }
        let groups = orderingGroups(aggregates, bound)
        var result: [String] = []
        for (index, aggregate) in aggregates.enumerated() {
            let arguments = bound[index]
            var sql: [String] = []
            for argument in arguments { sql.append(try expressions.sql(argument)) }
            switch (aggregate.function.name, sql.count) {
            case ("count", 0): result.append("count(*)")
            case ("count", _): result.append("count(\(sql[0]))")
            case ("countDistinct", 1): result.append("count(DISTINCT \(sql[0]))")
            case ("collectSet", 1): result.append(try collectSet(sql[0], type: arguments[0].type))
            case ("longestConsecutiveDays", 1): result.append(longestRun(sql[0], type: arguments[0].type))
            case ("sum", 1): result.append(sum(sql[0], type: arguments[0].type))
            case ("avg", 1): result.append(average(sql[0], type: arguments[0].type))
            case ("min", 1): result.append("min(\(sql[0]))")
            case ("max", 1): result.append("max(\(sql[0]))")
            case ("argMax", 2...), ("argMin", 2...):
                let group = groups[index]
                var values: [(String, DataType)] = []
                for member in group {
                    values.append((try expressions.sql(bound[member][0]), bound[member][0].type))
                }
                let position = group.firstIndex(of: index) ?? 0
                result.append(try extreme(isMax: aggregate.function.name == "argMax", ordering: Array(zip(sql.dropFirst(), arguments.dropFirst().map(\.type))),
                                          values: values, taking: position))
            default:
                throw SluiceError.plan("the aggregate \(aggregate.function.name)(…) AS \(aggregate.name) has no Spark SQL form",
                                       hint: "a user-defined aggregate runs only on the local engine")
            }
        }
        return result
    }

    /// For each aggregate, the argMax / argMin calls whose values one struct keeps: the calls
    /// over the same integer-stored ordering, as ``SharedOrdering`` groups them; a call on its own otherwise.
    static func orderingGroups(_ aggregates: [AggregateExpr], _ bound: [[BoundExpr]]) -> [[Int]] {
        struct Key: Hashable {
            var name: String
            var by: [Expr]
        }
        var members: [Key: [Int]] = [:]
        var keys: [Key?] = []
        for (index, aggregate) in aggregates.enumerated() {
            let name = aggregate.function.name
            guard name == "argMax" || name == "argMin", aggregate.arguments.count >= 2,
                  bound[index].dropFirst().allSatisfy({ integerStored($0.type) }) else {
                keys.append(nil)
                continue
            }
            let key = Key(name: name, by: Array(aggregate.arguments.dropFirst()))
            members[key, default: []].append(index)
            keys.append(key)
        }
        return keys.enumerated().map { index, key in key.flatMap { members[$0] } ?? [index] }
    }

    static func integerStored(_ type: DataType) -> Bool {
        switch type {
        case .int64, .decimal, .date, .timestamp: true
        default: false
        }
    }

    /// `min(struct(ordering…, present₀, v₀, present₁, v₁, …)).v_taking`, over the rows whose
    /// ordering has no null.
    static func extreme(isMax: Bool, ordering: [(String, DataType)], values: [(String, DataType)], taking: Int) throws(SluiceError) -> String {
        var fields: [String] = []
        for (index, (text, type)) in ordering.enumerated() {
            fields.append("'o\(index)', \(try orderKey(text, type: type, reversed: isMax))")
        }
        for (index, (text, _)) in values.enumerated() {
            fields.append("'n\(index)', \(text) IS NULL, 'v\(index)', \(text)")
        }
        let present = ordering.map { "\($0.0) IS NOT NULL" }.joined(separator: " AND ")
        return "(min(named_struct(\(fields.joined(separator: ", ")))) FILTER (WHERE \(present))).v\(taking)"
    }

    /// An ordering column as a key whose ascending order is the engine's order (reversed for
    /// argMax), never overflowing.
    static func orderKey(_ text: String, type: DataType, reversed: Bool) throws(SluiceError) -> String {
        switch type {
        case .int64: return reversed ? "~(\(text))" : text
        case .date: return reversed ? "~CAST(unix_date(\(text)) AS BIGINT)" : text
        case .timestamp: return reversed ? "~unix_micros(\(text))" : text
        case .decimal(_, let scale): return reversed ? "-(CAST(\(text) AS DECIMAL(19,\(scale))))" : text
        case .float64: return reversed ? "-(\(text))" : text
        case .bool: return reversed ? "(NOT \(text))" : text
        case .string:
            // Text in reverse byte order: its UTF-8 bytes as hex with every digit complemented,
            // then 'Z' (above every hex digit), so a prefix now sorts after the longer text.
            return reversed ? "concat(translate(hex(encode(\(text), 'UTF-8')), '0123456789ABCDEF', 'FEDCBA9876543210'), 'Z')" : text
        case .list:
            throw SluiceError.plan("argMax / argMin ordered by a list has no Spark SQL form", hint: "order by a value, not a list")
        }
    }

    /// The engine's exact sum: integers and decimals in the result type (Spark's wider sum
    /// cast back: past the range is an error in both), floats as Spark adds them.
    static func sum(_ x: String, type: DataType) -> String {
        switch type {
        case .decimal: "CAST(sum(\(x)) AS \(SparkSQL.type(type)))"
        default: "sum(\(x))"
        }
    }

    /// Floats: the mean of the exact sum. Decimals: the exact sum over the count, rounded half
    /// away from zero to the input's scale, computed on whole numbers so no digit is rounded twice.
    static func average(_ x: String, type: DataType) -> String {
        switch type {
        case .decimal(_, let scale):
            let total = "CAST(sum(\(x)) * \(SparkCasts.powerOfTen(scale)) AS DECIMAL(38,0))"
            let n = "CAST(count(\(x)) AS DECIMAL(38,0))"
            let magnitude = "abs(\(total))"
            // floor(|S| / n), corrected by one either way for the quotient's own rounding.
            let guess = "CAST(floor(\(magnitude) / \(n)) AS DECIMAL(38,0))"
            let rest = "(\(magnitude) - \(n) * \(guess))"
            let whole = "(\(guess) + CASE WHEN \(rest) < 0 THEN -1 WHEN \(rest) >= \(n) THEN 1 ELSE 0 END)"
            let remainder = "(\(magnitude) - \(n) * \(whole))"
            let rounded = "(\(whole) + CASE WHEN 2 * \(remainder) >= \(n) THEN 1 ELSE 0 END)"
            return "CASE WHEN count(\(x)) > 0 THEN CAST(sign(\(total)) * \(rounded) / \(SparkCasts.powerOfTen(scale)) AS \(SparkSQL.type(type))) END"
        case .float64:
            return "avg(\(x))"
        default:
            return "CAST(sum(CAST(\(x) AS DECIMAL(38,0))) AS DOUBLE) / count(\(x))"
        }
    }

    /// The sorted distinct values (of a column, or of the lists in a list column).
    static func collectSet(_ x: String, type: DataType) throws(SluiceError) -> String {
        if case .list = type { return "array_sort(array_distinct(flatten(collect_list(\(x)))))" }
        return "array_sort(collect_set(\(x)))"
    }

    /// The longest run of consecutive days among the dates (or lists of dates); 0 for none.
    static func longestRun(_ x: String, type: DataType) -> String {
        let days = { () -> String in
            if case .list = type { return "array_sort(array_distinct(flatten(collect_list(\(x)))))" }
            return "array_sort(collect_set(\(x)))"
        }()
        return "CAST(aggregate(\(days), named_struct('previous', CAST(NULL AS DATE), 'run', 0, 'best', 0), "
            + "(state, d) -> named_struct('previous', d, 'run', CASE WHEN date_add(state.previous, 1) = d THEN state.run + 1 ELSE 1 END, "
            + "'best', greatest(state.best, CASE WHEN date_add(state.previous, 1) = d THEN state.run + 1 ELSE 1 END)), "
            + "state -> state.best) AS BIGINT)"
    }
}
