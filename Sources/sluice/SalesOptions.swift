import ArgumentParser
import SluiceCore
import SluicePipelines

/// `sluice generate sales --rows N --days D --start DATE --seed S --out FILE`: the input of the
/// sales warehouse pipeline (issue 14), in the original task's shape, made before the pipeline
/// itself can run it so that its loads and the original stack can be measured on the same files.
struct SalesSampleOptions: SampleOptions {
    static let name = "sales"
    static let abstract = "Sales in the warehouse task's shape (sale_id,sale_ts,store_id,product_id,quantity,unit_price,currency[,total_amount])."
    static let discussion = """
        Stores S001–S020, products P0001–P0200, quantity 1–5, unit price 1.00–250.00, currency USD/EUR/GBP, sale_ts in ISO 8601 \
        with or without a zone (Z, +00:00, +02:00 or none, which means UTC) over --days days from --start. sale_id is text that \
        counts up from --first-id: a second file with --first-id past the first's ids and a --start inside its days overlaps \
        its dates without reusing its sales. --mess 1 (or 2) puts one of the original's problems in about 1 (or 2) rows in \
        100: late duplicates of a sale_id with a later sale_ts, missing fields, quantity 0, negative prices, JPY, and with \
        --total-amount a total that is not quantity × unit_price.
        """

    @Option(help: "Rows to write (suffixes k, M accepted: 10M).")
    var rows: String = "1M"

    @Option(help: "Days the sales spread over.")
    var days: Int = 30

    @Option(help: "The first day, YYYY-MM-DD (a fixed default, so a file depends only on its options).")
    var start: String = "2026-11-01"

    @Option(name: .customLong("first-id"), help: "The first sale_id.")
    var firstID: Int = 1

    @Flag(name: .customLong("total-amount"), help: "Write the optional total_amount column.")
    var totalAmount = false

    @Option(help: "0: clean; 1 or 2: about 1 or 2 rows in 100 with one of the original's problems.")
    var mess: Int = 0

    @Option(help: "Random seed; the same seed gives the same file.")
    var seed: UInt64 = 42

    func validate() throws {
        guard RowCount.parse(rows) != nil else { throw ValidationError("--rows '\(rows)' is not a count like 10M") }
        guard days >= 1 else { throw ValidationError("--days must be at least 1") }
        guard DateEncoding.parseDate(start) != nil else { throw ValidationError("--start '\(start)' is not a date like 2026-11-01") }
        guard firstID >= 0 else { throw ValidationError("--first-id must not be negative") }
        guard (0...2).contains(mess) else { throw ValidationError("--mess must be 0, 1 or 2") }
    }

    func sample() -> SalesGenerator {
        SalesGenerator(rows: RowCount.parse(rows) ?? 0, days: days, startDay: DateEncoding.parseDate(start), seed: seed,
                       firstID: firstID, totalAmount: totalAmount, mess: mess)
    }

    static func generate(_ sample: SalesGenerator, to destination: String, workers: Int) throws -> GeneratedSample {
        try sample.writeFile(to: destination, workers: workers)
    }
}
