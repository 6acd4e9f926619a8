public import SluiceCore
public import SluiceEngine

/// The date forms a customers file may write `subscription_date` in, and how one form is
/// chosen for a whole column of a whole file: from every value, never row by row.
public enum CustomerDateFormat: String, Sendable, CaseIterable {
    /// `2021-04-23`.
    case iso
    /// `23/04/2021`, `23-04-2021`, `23.04.2021`.
    case dayFirst = "day-first"
    /// `04/23/2021`, `04-23-2021`, `04.23.2021`.
    case monthFirst = "month-first"

    /// The formats parsed (ISO is always accepted too: it reads one way only).
    public var formats: [String] {
        switch self {
        case .iso: ["%Y-%m-%d"]
        case .dayFirst: ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
        case .monthFirst: ["%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y"]
        }
    }

    /// How a reason names the form: `DD/MM/YYYY`.
    public var label: String {
        switch self {
        case .iso: "YYYY-MM-DD"
        case .dayFirst: "DD/MM/YYYY"
        case .monthFirst: "MM/DD/YYYY"
        }
    }

    /// Chooses the column's form from counts over all its non-null values: how many read as
    /// ISO, day-first and month-first (the last two counting the ISO ones too). The form
    /// that reads the most values wins; a column whose values all read both ways (and not
    /// all as ISO) takes `preferred`, or is an error without one — a guess would silently swap
    /// days and months.
    /// - Throws: a `.data` error naming the file and an example value.
    public static func choose(values: Int, iso: Int, dayFirst: Int, monthFirst: Int, preferred: CustomerDateFormat?, file: String,
                              example: String?) throws(SluiceError) -> CustomerDateFormat {
        if let preferred { return preferred }
        if iso >= dayFirst && iso >= monthFirst { return .iso }
        if dayFirst > monthFirst { return .dayFirst }
        if monthFirst > dayFirst { return .monthFirst }
        throw SluiceError(
            .data,
            "subscription_date is ambiguous: all \(dayFirst - iso) non-ISO value(s) read both day-first and month-first" + (example.map { " (e.g. '\($0)')" } ?? ""),
            location: file,
            hint: "give --date-format day-first or --date-format month-first for this file"
        )
    }

    /// Reads the file's `subscription_date` column (as text, trimmed) once and chooses its
    /// form. `source` must be a source of its own, counting into a throwaway reject sink, so
    /// that this read does not count the file's rows twice.
    public static func infer(column: String, source: any TableSource, file: String, preferred: CustomerDateFormat?,
                             config: ExecutionConfig) throws -> CustomerDateFormat {
        if let preferred { return preferred }
        let text = col("date_text")
        let one = { (condition: Expr) in Agg.sum(when([WhenThen(condition, lit(1))], otherwise: lit(0))) }
        let counts = DataFrame(source)
            .select(col(column).trim().nullIfEmpty().alias("date_text"), lit(1).alias("all"))
            .groupBy("all")
            .agg(Agg.count(text).as("values"),
                 one(text.parseDate(CustomerDateFormat.iso.formats).isNotNull()).as("iso"),
                 one(text.parseDate(CustomerDateFormat.dayFirst.formats).isNotNull()).as("day_first"),
                 one(text.parseDate(CustomerDateFormat.monthFirst.formats).isNotNull()).as("month_first"),
                 Agg.min(when([WhenThen(text.parseDate(CustomerDateFormat.iso.formats).isNull(), text)])).as("example"))
        let runtime = ExecutionRuntime(config: config, rejects: RejectSink())
        let batch = try counts.collectBatch(runtime: runtime)
        guard batch.rowCount > 0 else { return .iso }
        func number(_ index: Int) -> Int {
            if case .int64(let value) = batch.columns[index].value(at: 0) { return Int(value) }
            return 0
        }
        let example: String? = batch.columns[5].isNull(0) ? nil : batch.columns[5].value(at: 0).description
        return try choose(values: number(1), iso: number(2), dayFirst: number(3), monthFirst: number(4), preferred: nil, file: file,
                          example: example)
    }
}
