public import SluiceCore
public import SluicePostgres

/// A data test declared with a pipeline (dbt's schema tests): a query for the rows of a
/// loaded table that break a rule. It runs inside the load transaction, after the tables and
/// the pipeline's own bookkeeping and before the commit: a failing `error` test rolls the
/// whole load back and fails the run (exit 1); a failing `warn` test is only reported. Every
/// result is kept in `sluice_test_results`, a failing run's too (written after the rollback).
public struct DataTest: Sendable, Equatable {
    /// What a failure does.
    public enum Severity: String, Sendable {
        /// Roll the load back and fail the run.
        case error
        /// Report and go on.
        case warn
    }

    /// The rule.
    public enum Rule: Sendable, Equatable {
        /// No row has a null `column`.
        case notNull(String)
        /// No two rows share the values of `columns`.
        case unique([String])
        /// Every non-null `column` is one of `values`.
        case acceptedValues(String, [String])
        /// Every non-null `column` is a `field` of `table`; skipped when `table` does not exist.
        case relationships(String, to: QualifiedName, field: String)
        /// No row meets `condition` (the pipeline's own SQL over the table's columns, never
        /// built from data); `name` names the test.
        case rowsWhere(String, String)
    }

    public var table: QualifiedName
    public var rule: Rule
    public var severity: Severity

    public init(_ rule: Rule, on table: QualifiedName, severity: Severity = .error) {
        self.rule = rule
        self.table = table
        self.severity = severity
    }

    /// `not_null_fct_daily_sales_metrics_sale_date`, as dbt names its tests.
    public var name: String {
        let table = self.table.name.name
        switch rule {
        case .notNull(let column): return "not_null_\(table)_\(column)"
        case .unique(let columns): return "unique_\(table)_\(columns.joined(separator: "__"))"
        case .acceptedValues(let column, _): return "accepted_values_\(table)_\(column)"
        case .relationships(let column, let other, let field): return "relationships_\(table)_\(column)__\(field)__\(other.name.name)"
        case .rowsWhere(let name, _): return "\(name)_\(table)"
        }
    }

    /// The query whose rows are the failures, and its parameters; identifiers quoted, values
    /// as parameters.
    func failingRows() -> (sql: String, parameters: [PostgresValue?]) {
        let from = table.quoted
        switch rule {
        case .notNull(let column):
            return ("SELECT * FROM \(from) WHERE \(Identifier.quote(column)) IS NULL", [])
        case .unique(let columns):
            let list = columns.map(Identifier.quote).joined(separator: ", ")
            return ("SELECT \(list), count(*) AS n FROM \(from) GROUP BY \(list) HAVING count(*) > 1", [])
        case .acceptedValues(let column, let values):
            return ("SELECT \(Identifier.quote(column)), count(*) AS n FROM \(from) WHERE \(Identifier.quote(column)) IS NOT NULL "
                + "AND NOT (\(Identifier.quote(column)) = ANY($1::text[])) GROUP BY 1", [.array(values.map { .text($0) })])
        case .relationships(let column, let other, let field):
            let value = Identifier.quote(column)
            return ("SELECT t.\(value), count(*) AS n FROM \(from) AS t WHERE t.\(value) IS NOT NULL AND NOT EXISTS "
                + "(SELECT 1 FROM \(other.quoted) AS d WHERE d.\(Identifier.quote(field)) = t.\(value)) GROUP BY 1", [])
        case .rowsWhere(_, let condition):
            return ("SELECT * FROM \(from) WHERE \(condition)", [])
        }
    }

    /// The table that must exist for the test to run (a relationship's other table), if any.
    var requiredTable: QualifiedName? {
        if case .relationships(_, let other, _) = rule { other } else { nil }
    }
}

/// What one data test found.
public struct DataTestResult: Sendable, Equatable {
    /// `pass`, `fail` (an error test failed), `warn` (a warn test failed) or `skipped`.
    public enum Status: String, Sendable { case pass, fail, warn, skipped }

    public var test: DataTest
    public var status: Status
    /// Rows the failure query returned (for `unique`, keys held more than once).
    public var failingRows: Int
    /// Up to ``DataTests/sampleRows`` of them, as PostgreSQL prints a row.
    public var sample: [String]
    /// Why a test was skipped.
    public var note: String?

    /// `unique_fct_daily_sales_metrics_…: fail, 3 rows, e.g. (2026-11-02,S001,…)`.
    public var line: String {
        var text = "\(test.name) [\(test.severity.rawValue)]: \(status.rawValue)"
        if failingRows > 0 { text += ", \(failingRows) failing row\(failingRows == 1 ? "" : "s")" }
        if let first = sample.first { text += ", e.g. \(first)" }
        if let note { text += " (\(note))" }
        return text
    }
}

/// Runs data tests and keeps their results.
public enum DataTests {
    public static let resultsTable = QualifiedName(name: "sluice_test_results")
    public static let sampleRows = 5

    /// Runs every test on `connection` (inside the caller's transaction), in order.
    public static func run(_ tests: [DataTest], on connection: PostgresConnection) throws -> [DataTestResult] {
        try tests.map { test in
            for table in [test.table] + (test.requiredTable.map { [$0] } ?? []) {
                let exists = try connection.execute("SELECT to_regclass($1) IS NOT NULL", [.text(table.quoted)])
                guard exists.rows.first?[0] == "t" else {
                    return DataTestResult(test: test, status: .skipped, failingRows: 0, sample: [], note: "no table \(table)")
                }
            }
            let (query, parameters) = test.failingRows()
            let found = try connection.execute("""
                WITH failing AS (\(query))
                SELECT (SELECT count(*) FROM failing),
                       (SELECT string_agg(f::text, E'\\n') FROM (SELECT failing AS f FROM failing LIMIT \(sampleRows)) AS s)
                """, parameters)
            let count = Int(found.rows.first?[0] ?? "0") ?? 0
            let sample = (found.rows.first?[1] ?? nil).map { $0.split(separator: "\n").map(String.init) } ?? []
            let status: DataTestResult.Status = count == 0 ? .pass : (test.severity == .error ? .fail : .warn)
            return DataTestResult(test: test, status: status, failingRows: count, sample: sample)
        }
    }

    /// The error a run fails with when an `error` test failed (exit 1), naming each failing
    /// test with its count and first failing row; nil when none failed.
    public static func failure(_ results: [DataTestResult]) -> SluiceError? {
        let failed = results.filter { $0.status == .fail }
        guard !failed.isEmpty else { return nil }
        return SluiceError(.data, "\(failed.count) data test\(failed.count == 1 ? "" : "s") failed, so nothing was loaded: "
                           + failed.map(\.line).joined(separator: "; "),
                           location: failed[0].test.table.description,
                           hint: "see sluice_test_results for the failing rows; fix the input (or the dimension tables) and run again")
    }

    /// Appends `results` to `sluice_test_results` under `runID` (creating the table when missing).
    public static func record(_ results: [DataTestResult], runID: String, pipeline: String, on connection: PostgresConnection) throws {
        guard !results.isEmpty else { return }
        try connection.executeScript("""
            CREATE TABLE IF NOT EXISTS \(resultsTable.quoted) (
                run_id text NOT NULL, job text NOT NULL, test text NOT NULL, table_name text NOT NULL, severity text NOT NULL,
                status text NOT NULL, failing_rows bigint NOT NULL, sample text, note text, tested_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX IF NOT EXISTS sluice_test_results_run ON \(resultsTable.quoted) (run_id);
            """)
        for result in results {
            try connection.execute("""
                INSERT INTO \(resultsTable.quoted) (run_id, job, test, table_name, severity, status, failing_rows, sample, note)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """, [.text(runID), .text(pipeline), .text(result.test.name), .text(result.test.table.description),
                      .text(result.test.severity.rawValue), .text(result.status.rawValue), .text("\(result.failingRows)"),
                      result.sample.isEmpty ? nil : .text(result.sample.joined(separator: "\n")), result.note.map { .text($0) }])
        }
    }
}
