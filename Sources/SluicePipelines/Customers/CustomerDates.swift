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

    /// What one pass over a file's `subscription_date` column found, counting non-null values:
    /// how many read as ISO, day-first and month-first (the last two counting the ISO ones too:
    /// ISO reads one way only), how many read either way, and the first value (in file order)
    /// that reads only day-first and only month-first.
    public struct Counts: Sendable {
        public var values = 0, iso = 0, dayFirst = 0, monthFirst = 0, either = 0
        public var firstDayOnly: String?, firstMonthOnly: String?
        public var ambiguousExample: String?

        public init(values: Int = 0, iso: Int = 0, dayFirst: Int = 0, monthFirst: Int = 0, either: Int = 0, firstDayOnly: String? = nil,
                    firstMonthOnly: String? = nil, ambiguousExample: String? = nil) {
            (self.values, self.iso, self.dayFirst, self.monthFirst, self.either) = (values, iso, dayFirst, monthFirst, either)
            (self.firstDayOnly, self.firstMonthOnly, self.ambiguousExample) = (firstDayOnly, firstMonthOnly, ambiguousExample)
        }
    }

    /// Chooses the column's one form from what the pass found. Values that read no way at all
    /// (`2021-02-30`, `31/02/2021`) say nothing about the form; they are quarantined later. Of
    /// the others: all ISO → ISO; all readable day-first but not all month-first → day-first
    /// (and the reverse); all readable both ways → `preferred` (`--date-format`), or an error
    /// without one; some only day-first and others only month-first → an error naming the first
    /// of each, since the values that read both ways could then be either. Never a guess.
    /// - Throws: a `.data` error naming the file and the offending values.
    public static func choose(_ counts: Counts, preferred: CustomerDateFormat?, file: String) throws(SluiceError) -> CustomerDateFormat {
        if counts.iso == counts.either { return .iso }
        let dayFits = counts.dayFirst == counts.either, monthFits = counts.monthFirst == counts.either
        switch (dayFits, monthFits) {
        case (true, false): return .dayFirst
        case (false, true): return .monthFirst
        case (true, true):
            if let preferred { return preferred }
            throw SluiceError(
                .data,
                "subscription_date is ambiguous: all \(counts.either - counts.iso) non-ISO value(s) read both day-first and month-first"
                    + (counts.ambiguousExample.map { " (e.g. '\($0)')" } ?? ""),
                location: file,
                hint: "give --date-format day-first or --date-format month-first (it decides only such files)"
            )
        case (false, false):
            throw SluiceError(
                .data,
                "subscription_date mixes forms: '\(counts.firstDayOnly ?? "")' reads only day-first and '\(counts.firstMonthOnly ?? "")' only month-first, "
                    + "so the values that read both ways cannot be told",
                location: file,
                hint: "write the file's dates in one form (ISO YYYY-MM-DD reads one way only)"
            )
        }
    }

    /// Reads the file's `subscription_date` column (as text, trimmed) once and chooses its
    /// form (``choose(_:preferred:file:)``), for every file, whether or not `--date-format` is
    /// given. `source` must be a source of its own, counting into a throwaway reject sink, so
    /// that this read does not count the file's rows twice.
    public static func infer(column: String, source: any TableSource, file: String, preferred: CustomerDateFormat?,
                             config: ExecutionConfig) throws -> CustomerDateFormat {
        let text = col("date_text"), line = col(Provenance.lineColumn)
        let one = { (condition: Expr) in Agg.sum(when([WhenThen(condition, lit(1))], otherwise: lit(0))) }
        let iso = text.parseDate(CustomerDateFormat.iso.formats).isNotNull()
        let day = text.parseDate(CustomerDateFormat.dayFirst.formats).isNotNull()
        let month = text.parseDate(CustomerDateFormat.monthFirst.formats).isNotNull()
        let first = { (condition: Expr) in Agg.argMin(text, by: when([WhenThen(condition, line)])) }
        let counts = DataFrame(source)
            .select(col(column).trim().nullIfEmpty().alias("date_text"), line, lit(1).alias("all"))
            .groupBy("all")
            .agg(Agg.count(text).as("values"), one(iso).as("iso"), one(day).as("day_first"), one(month).as("month_first"),
                 one(day.or(month)).as("either"), first(day.and(month.not())).as("day_only"), first(month.and(day.not())).as("month_only"),
                 first(day.and(month).and(iso.not())).as("ambiguous"))
        let runtime = ExecutionRuntime(config: config, rejects: RejectSink())
        let batch = try counts.collectBatch(runtime: runtime)
        guard batch.rowCount > 0 else { return .iso }
        func number(_ index: Int) -> Int {
            if case .int64(let value) = batch.columns[index].value(at: 0) { return Int(value) }
            return 0
        }
        func example(_ index: Int) -> String? { batch.columns[index].isNull(0) ? nil : batch.columns[index].value(at: 0).description }
        return try choose(Counts(values: number(1), iso: number(2), dayFirst: number(3), monthFirst: number(4), either: number(5),
                                 firstDayOnly: example(6), firstMonthOnly: example(7), ambiguousExample: example(8)),
                          preferred: preferred, file: file)
    }
}
