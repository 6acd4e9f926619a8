import SluiceCore
import SluiceEngine

/// The sales run's summary, like the original's validation step: what each table gained and
/// holds, which dates' facts were replaced, a sample of them, and the data tests.
enum SalesReport {
    /// - Parameter files: the sales files the run read (the dimension files' rows are not sales).
    static func report(_ outcome: JobOutcome, applied: SalesWarehouse.Applied, files: Set<String>, skipped: [(path: String, run: String)]) -> JobReport {
        var lines: [String] = []
        let n = CountText.grouped
        let counts = outcome.sourceCounts.filter { files.contains($0.source) }
        let read = counts.reduce(0) { $0 + $1.read }, rejected = counts.reduce(0) { $0 + $1.rejected }
        let kinds = outcome.rejects.totalsByKind.sorted { $0.key.rawValue < $1.key.rawValue }
        let reasons = kinds.map { "\(n($0.value)) \($0.key.rawValue)" }.joined(separator: ", ")
        let raw = outcome.rows(of: "raw")
        lines.append("\(n(read)) sales read = \(n(raw)) valid + \(n(rejected)) rejected" + (reasons.isEmpty ? "" : " (\(reasons))"))
        for (path, run) in skipped { lines.append("skipped \(path): already loaded (run \(run))") }
        lines.append("raw.sales: +\(n(raw)) rows, \(n(applied.rawRows)) in all")
        let staged = outcome.rows(of: "staging")
        if applied.arrival == .fullRefresh {
            lines.append("staging.stg_sales: rebuilt from raw.sales, \(n(applied.stagingRows)) sales")
        } else {
            lines.append("staging.stg_sales: \(n(raw)) new rows are \(n(staged)) sales (\(n(raw - staged)) repeats of a sale_id within the run); "
                + "+\(n(applied.inserted)) new, \(n(applied.superseded)) superseded an older staged row, \(n(applied.kept)) kept the staged one; "
                + "\(n(applied.stagingRows)) in all")
        }
        let dates = applied.dates
        let span = dates.count <= 3 ? dates.joined(separator: ", ") : "\(dates[0]) … \(dates[dates.count - 1])"
        lines.append("marts.fct_daily_sales_metrics: \(dates.count) date\(dates.count == 1 ? "" : "s") replaced"
            + (dates.isEmpty ? "" : " (\(span))") + ", \(n(applied.factRows)) rows; \(n(applied.totalFactRows)) in all; other dates untouched")
        if !applied.sample.isEmpty {
            lines.append("facts sample (sale_date store product currency transactions units revenue avg_unit_price):")
            lines += applied.sample.map { "  " + $0 }
        }
        let results = outcome.testResults
        if !results.isEmpty {
            let counted = Dictionary(grouping: results, by: \.status).mapValues(\.count)
            lines.append("data tests: \(counted[.pass] ?? 0) passed, \(counted[.warn] ?? 0) warned, \(counted[.skipped] ?? 0) skipped")
            lines += results.filter { $0.status != .pass }.map { "  " + $0.line }
        }
        let details: [(String, String)] = [
            ("sales_read", "\(read)"), ("raw_rows", "\(raw)"), ("rejects", "\(outcome.rowsRejected)"), ("files_skipped", "\(skipped.count)"),
            ("staging_repeats", "\(raw - staged)"), ("staging_inserted", "\(applied.inserted)"), ("staging_superseded", "\(applied.superseded)"), ("staging_kept", "\(applied.kept)"),
            ("fact_dates", "\(dates.count)"), ("fact_rows", "\(applied.factRows)"),
        ] + kinds.map { ("rejects.\($0.key.rawValue)", "\($0.value)") }
        return JobReport(lines: lines, details: details)
    }
}
