public import SluiceCore
public import SluiceEngine

/// A compiled plan node: the temporary view that holds its rows, their schema, and the order
/// the rows are in when that order is the plan's (a sort below projections and filters),
/// which the step's output query then asks for.
public struct SparkRelation: Sendable {
    public var view: String
    public var schema: Schema
    public var order: [SortKey]

    public init(view: String, schema: Schema, order: [SortKey] = []) {
        self.view = view
        self.schema = schema
        self.order = order
    }
}

/// What one query of a script writes, and how Sluice reads it back.
public struct SparkOutput: Sendable {
    /// What the rows are.
    public enum Kind: Sendable, Equatable {
        /// A step's result, in the step's schema (``SparkTransport`` encoding).
        case result(step: String)
        /// The rejects of every source and rule: ``SparkRejects/columns``.
        case rejects
        /// Per source: rows read, blank lines, rows set apart (`source, read, blank, apart`).
        case counts
        /// Observed figures: `name, value`.
        case observations
        /// Build-side keys on more than one row of a join that does not allow them.
        case duplicateKeys(source: String, keys: [String])
    }

    public var kind: Kind
    /// The folder under the run's staging directory the rows are written to.
    public var name: String
    /// The `SELECT` whose rows are written.
    public var query: String
    /// The Sluice schema of the rows (for results: before the transport encoding).
    public var schema: Schema

    public init(kind: Kind, name: String, query: String, schema: Schema) {
        self.kind = kind
        self.name = name
        self.query = query
        self.schema = schema
    }
}

/// How a value crosses from Spark's CSV output to Sluice's CSV reader unchanged: text and
/// integers as they are, decimals as their unscaled integer (no exponent notation, ever),
/// dates as days and timestamps as microseconds since 1970 (every year Sluice holds, none of
/// Spark's formatting), floats as Java writes them (which reads back to the same double).
public enum SparkTransport {
    /// The type Sluice reads the column as from Spark's files.
    public static func carrier(_ type: DataType) -> DataType {
        switch type {
        case .decimal, .date, .timestamp: .int64
        default: type
        }
    }

    /// SQL turning a value of `type` into its transport form.
    /// - Throws: a plan error for a list column (no CSV form).
    public static func encode(_ sql: String, type: DataType) throws(SluiceError) -> String {
        switch type {
        case .string, .int64, .bool: return sql
        case .float64: return "CAST(\(sql) AS STRING)"
        case .decimal(_, let scale): return "CAST(CAST(\(sql) * \(SparkCasts.powerOfTen(scale)) AS DECIMAL(38,0)) AS STRING)"
        case .date: return "CAST(unix_date(\(sql)) AS BIGINT)"
        case .timestamp: return "unix_micros(\(sql))"
        case .list:
            throw SluiceError.plan("a list column cannot be written by Spark as CSV", hint: "aggregate the list to a value before the output")
        }
    }
}
