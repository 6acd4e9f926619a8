public import SluiceCore
public import SluicePostgres

/// The sales pipeline's tables and the SQL that maintains staging and facts inside the load
/// transaction, after the engine has COPYed the run's valid rows into `raw.sales` and its
/// de-duplicated rows (one per `sale_id`: the latest `sale_ts`, then the later file, then the
/// later line) into staging.
///
/// - `raw.sales`: every valid row ever loaded, append-only, with `run_id`, `source_file`,
///   `source_line` and `file_ordinal` (the file's place in its run, for ties).
/// - `raw.sales_files`: one row per loaded file by sha-256, so a file is never appended twice.
/// - `staging.stg_sales`: one row per `sale_id` over everything loaded; a new row replaces the
///   staged one when its `sale_ts` is later or equal (a later load wins a tie) and it differs.
/// - `marts.fct_daily_sales_metrics`, grain `(sale_date, store_id, product_id, currency)`:
///   the dates a run touches (its new rows' dates and the old dates of the rows they
///   superseded) are recomputed from staging and replaced; every other date's rows are left
///   as they are (their `xmin` does not move).
///
/// Why the merge is SQL and not a second engine pass: the state it merges with (every sale so
/// far) lives in PostgreSQL, and moving only the run's new rows there is what makes a daily
/// run cheap; a first load, into empty staging, is COPYed straight into it instead.
public struct SalesWarehouse: Sendable {
    public var raw = QualifiedName(schema: "raw", name: "sales")
    public var files = QualifiedName(schema: "raw", name: "sales_files")
    public var staging = QualifiedName(schema: "staging", name: "stg_sales")
    /// The run's de-duplicated new rows when staging already holds sales; dropped after the merge.
    public var incoming = QualifiedName(schema: "staging", name: "stg_sales_new")
    public var facts = QualifiedName(schema: "marts", name: "fct_daily_sales_metrics")
    /// The facts of a load into empty staging, as the engine computed them; dropped once in place.
    public var newFacts = QualifiedName(schema: "staging", name: "fct_daily_sales_metrics_new")
    public var stores = QualifiedName(schema: "marts", name: "dim_stores")
    public var products = QualifiedName(schema: "marts", name: "dim_products")

    public init() {}

    /// PostgreSQL types of the engine's columns where the default would differ.
    static let columnTypes = ["sale_ts": "timestamp with time zone"]
    /// The staged columns that make a sale what it is (not its lineage).
    static let saleColumns = ["sale_ts", "store_id", "product_id", "quantity", "unit_price", "currency", "total_amount"]
    /// Every staging column, in table order.
    static let stagingColumns = ["sale_id", "sale_ts", "sale_date", "store_id", "product_id", "quantity", "unit_price", "currency",
                                 "total_amount", "source_file", "source_line", "run_id"]

    /// What the SQL part of a run did, for the summary and the ledger.
    public struct Applied: Sendable, Equatable {
        /// How the new rows reached staging.
        public var arrival = Arrival.none
        /// Sales new to staging, and staged sales a later row replaced.
        public var inserted = 0, superseded = 0
        /// New rows that lost to the staged row (older, or the same sale again).
        public var kept = 0
        /// The dates whose facts were replaced, sorted (`YYYY-MM-DD`).
        public var dates: [String] = []
        /// Fact rows written for those dates.
        public var factRows = 0
        /// Rows in each table after the run.
        public var rawRows = 0, stagingRows = 0, totalFactRows = 0
        /// A few of the replaced facts, as lines.
        public var sample: [String] = []
    }

    // MARK: state before a run

    /// The sha-256 of every file already in `raw.sales_files`, with the run that loaded it.
    public func loadedFiles(on connection: PostgresConnection) throws -> [String: String] {
        guard try exists(files, on: connection) else { return [:] }
        let rows = try connection.execute("SELECT sha256, run_id FROM \(files.quoted)").rows
        return Dictionary(rows.compactMap { row in row[0].map { ($0, row[1] ?? "") } }, uniquingKeysWith: { first, _ in first })
    }

    /// True when staging holds no sale (missing or empty): the run's rows can be COPYed
    /// straight into it.
    public func stagingIsEmpty(on connection: PostgresConnection) throws -> Bool {
        guard try exists(staging, on: connection) else { return true }
        return try connection.execute("SELECT NOT EXISTS (SELECT 1 FROM \(staging.quoted))").rows.first?[0] == "t"
    }

    /// Throws when staging holds sales: a run planned as a direct load (staging was empty when
    /// it looked, before it took the lock) finds that another run loaded meanwhile. Called
    /// under the pipeline's lock, in the load transaction, before the COPY into staging, so
    /// the rows COPYed are then the only ones (and no scan of them is needed afterwards).
    public func requireEmptyStaging(on connection: PostgresConnection) throws {
        guard try !stagingIsEmpty(on: connection) else { return }
        throw SluiceError(.data, "staging gained sales from another run while this one waited", location: "\(staging)",
                          hint: "run again: the run then merges into staging")
    }

    func exists(_ table: QualifiedName, on connection: PostgresConnection) throws -> Bool {
        try connection.execute("SELECT to_regclass($1) IS NOT NULL", [.text(table.quoted)]).rows.first?[0] == "t"
    }

    // MARK: the run's SQL

    /// How the run's new rows reached staging.
    public enum Arrival: Sendable, Equatable {
        /// COPYed straight into empty staging (`run`: the run's id).
        case direct
        /// Into ``incoming``, merged here.
        case merged
        /// No new rows.
        case none
        /// Staging and facts rebuilt from all of `raw.sales`.
        case fullRefresh
    }

    /// Brings staging and the facts up to date with the run's rows, in the caller's transaction.
    /// - Throws: a `.data` error when staging changed under a direct load (another run loaded
    ///   sales meanwhile: nothing commits, and running again merges instead).
    /// - Parameter staged: rows the run COPYed into staging (or ``incoming``).
    public func apply(_ arrival: Arrival, runID: String, staged: Int, on connection: PostgresConnection) throws -> Applied {
        try createTables(on: connection)
        var applied = Applied()
        try connection.execute("CREATE TEMPORARY TABLE sluice_sales_dates (sale_date date PRIMARY KEY) ON COMMIT DROP")
        switch arrival {
        case .none:
            break
        case .direct:
            // ``requireEmptyStaging(on:)`` saw staging empty under the pipeline's lock, before the COPY.
            applied.inserted = staged
            try connection.execute("INSERT INTO sluice_sales_dates SELECT DISTINCT sale_date FROM \(newFacts.quoted)")
        case .merged:
            applied = try merge(on: connection)
        case .fullRefresh:
            try rebuildStaging(on: connection)
            applied.inserted = try count("SELECT count(*) FROM \(staging.quoted)", on: connection)
            try connection.execute("INSERT INTO sluice_sales_dates SELECT DISTINCT sale_date FROM \(staging.quoted)")
            // Dates no sale has any more go too: a full refresh leaves only what staging says.
            try connection.execute("DELETE FROM \(facts.quoted)")
        }
        applied.arrival = arrival
        applied.dates = try connection.execute("SELECT sale_date::text FROM sluice_sales_dates ORDER BY 1").rows.compactMap { $0[0] }
        if !applied.dates.isEmpty {
            applied.factRows = try replaceFacts(applied.dates, runID: runID, computed: arrival == .direct, on: connection)
        }
        // raw.sales is appended to only with a file's record, so its rows are the records' sum.
        applied.rawRows = try count("SELECT coalesce(sum(rows_loaded), 0) FROM \(files.quoted)", on: connection, ifExists: files)
        applied.stagingRows = arrival == .direct ? staged : try count("SELECT count(*) FROM \(staging.quoted)", on: connection)
        applied.totalFactRows = try count("SELECT count(*) FROM \(facts.quoted)", on: connection)
        applied.sample = try connection.execute("""
            SELECT concat_ws(' ', sale_date, store_id, product_id, currency, transactions, units_sold, revenue, avg_unit_price)
            FROM \(facts.quoted) WHERE sale_date IN (SELECT sale_date FROM sluice_sales_dates)
            ORDER BY sale_date DESC, revenue DESC, store_id, product_id, currency LIMIT 5
            """).rows.compactMap { $0[0] }
        return applied
    }

    func count(_ sql: String, on connection: PostgresConnection, ifExists table: QualifiedName? = nil) throws -> Int {
        if let table, try !exists(table, on: connection) { return 0 }
        return Int(try connection.execute(sql).rows.first?[0] ?? "0") ?? 0
    }

    /// Staging and facts, created when missing (with the types the engine's loads give them).
    /// Staging is indexed on `sale_date`, so a daily run aggregates its dates' sales, not a
    /// scan of every sale; after a first load the index is built once, over the COPYed rows.
    func createTables(on connection: PostgresConnection) throws {
        try connection.executeScript("""
            CREATE SCHEMA IF NOT EXISTS \(staging.schema?.quoted ?? "staging");
            CREATE SCHEMA IF NOT EXISTS \(facts.schema?.quoted ?? "marts");
            CREATE TABLE IF NOT EXISTS \(staging.quoted) (
                sale_id text NOT NULL PRIMARY KEY, sale_ts timestamptz, sale_date date, store_id text, product_id text, quantity bigint,
                unit_price numeric(12,2), currency text, total_amount numeric(14,2), source_file text, source_line bigint, run_id text
            );
            CREATE INDEX IF NOT EXISTS stg_sales_sale_date_idx ON \(staging.quoted) (sale_date);
            CREATE TABLE IF NOT EXISTS \(facts.quoted) (
                sale_date date, store_id text, product_id text, currency text, transactions bigint, units_sold bigint,
                revenue numeric(18,2), avg_unit_price numeric(16,4), updated_at timestamptz, run_id text
            );
            CREATE INDEX IF NOT EXISTS fct_daily_sales_metrics_sale_date_idx ON \(facts.quoted) (sale_date);
            """)
    }

    /// Merges ``incoming`` into staging, noting the dates it touches, then drops it.
    func merge(on connection: PostgresConnection) throws -> Applied {
        let columns = Self.stagingColumns.map(Identifier.quote).joined(separator: ", ")
        let set = Self.stagingColumns.dropFirst().map { "\(Identifier.quote($0)) = EXCLUDED.\(Identifier.quote($0))" }.joined(separator: ", ")
        let sale = Self.saleColumns.map(Identifier.quote)
        let differs = { (new: String, old: String) in
            "(\(sale.map { "\(new).\($0)" }.joined(separator: ", "))) IS DISTINCT FROM (\(sale.map { "\(old).\($0)" }.joined(separator: ", ")))"
        }
        // A row replaces the staged one when it is as late or later (ties go to the later
        // load) and is not the same sale again.
        let wins = { (new: String, old: String) in "\(new).sale_ts >= \(old).sale_ts AND \(differs(new, old))" }
        try connection.execute("ANALYZE \(incoming.quoted)")
        // The old dates of the staged sales the new rows replace, before the merge moves them.
        try connection.execute("""
            INSERT INTO sluice_sales_dates
            SELECT DISTINCT s.sale_date FROM \(staging.quoted) AS s JOIN \(incoming.quoted) AS n USING (sale_id)
            WHERE \(wins("n", "s"))
            ON CONFLICT DO NOTHING
            """)
        // The dates of the rows that went in; a new row that lost to the staged one changes no date.
        let merged = try connection.execute("""
            WITH merged AS (
                INSERT INTO \(staging.quoted) AS s (\(columns)) SELECT \(columns) FROM \(incoming.quoted)
                ON CONFLICT (sale_id) DO UPDATE SET \(set) WHERE \(wins("EXCLUDED", "s"))
                RETURNING (xmax = 0) AS inserted, sale_date
            ), dates AS (
                INSERT INTO sluice_sales_dates SELECT DISTINCT sale_date FROM merged WHERE sale_date IS NOT NULL ON CONFLICT DO NOTHING
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted), (SELECT count(*) FROM \(incoming.quoted))
            FROM merged
            """)
        var applied = Applied()
        let row = merged.rows.first
        applied.inserted = Int(row?[0] ?? "0") ?? 0
        applied.superseded = Int(row?[1] ?? "0") ?? 0
        applied.kept = (Int(row?[2] ?? "0") ?? 0) - applied.inserted - applied.superseded
        try connection.execute("DROP TABLE \(incoming.quoted)")
        return applied
    }

    /// Staging from all of `raw.sales`: per `sale_id` the latest `sale_ts`, then the latest
    /// run, file and line.
    func rebuildStaging(on connection: PostgresConnection) throws {
        try connection.execute("TRUNCATE \(staging.quoted)")
        guard try exists(raw, on: connection) else { return }
        try connection.execute("""
            INSERT INTO \(staging.quoted) (\(Self.stagingColumns.map(Identifier.quote).joined(separator: ", ")))
            SELECT DISTINCT ON (sale_id) sale_id, sale_ts, (sale_ts AT TIME ZONE 'UTC')::date, store_id, product_id, quantity,
                   unit_price, currency, total_amount, source_file, source_line, run_id
            FROM \(raw.quoted)
            ORDER BY sale_id, sale_ts DESC, run_id DESC, file_ordinal DESC, source_line DESC
            """)
    }

    /// Replaces the facts of `dates` (those in `sluice_sales_dates`) with their aggregate over
    /// staging (or, `computed`, with ``newFacts``, the engine's aggregate of a load into empty
    /// staging); returns the rows written. Revenue is exact (`numeric`), per currency;
    /// `avg_unit_price` is revenue / units (weighted by units), rounded to 4 places.
    ///
    /// The aggregate is made by a `CREATE TABLE … AS` over the dates as one array parameter:
    /// PostgreSQL runs an `INSERT … SELECT` on one core and cannot scan a temporary table from
    /// parallel workers, while this form aggregates with every worker it has (a correction
    /// touching all 35 dates of 10M staged sales: 28 s → see the sales benchmark).
    func replaceFacts(_ dates: [String], runID: String, computed: Bool, on connection: PostgresConnection) throws -> Int {
        try connection.execute("DELETE FROM \(facts.quoted) WHERE sale_date IN (SELECT sale_date FROM sluice_sales_dates)")
        let columns = "sale_date, store_id, product_id, currency, transactions, units_sold, revenue, avg_unit_price, updated_at, run_id"
        if computed {
            let inserted = try connection.execute("""
                INSERT INTO \(facts.quoted) (\(columns))
                SELECT sale_date, store_id, product_id, currency, transactions, units_sold, revenue,
                       round(revenue / nullif(units_sold, 0), 4), now(), $1
                FROM \(newFacts.quoted)
                """, [.text(runID)])
            try connection.execute("DROP TABLE \(newFacts.quoted)")
            return inserted.rowsAffected ?? 0
        }
        try connection.execute("""
            CREATE TEMPORARY TABLE sluice_sales_facts ON COMMIT DROP AS
            SELECT sale_date, store_id, product_id, currency, count(*) AS transactions, sum(quantity) AS units_sold,
                   sum(quantity * unit_price) AS revenue
            FROM \(staging.quoted) WHERE sale_date = ANY ($1::date[])
            GROUP BY sale_date, store_id, product_id, currency
            """, [.text("{" + dates.joined(separator: ",") + "}")])
        let inserted = try connection.execute("""
            INSERT INTO \(facts.quoted) (\(columns))
            SELECT sale_date, store_id, product_id, currency, transactions, units_sold, revenue,
                   round(revenue / nullif(units_sold, 0), 4), now(), $1
            FROM sluice_sales_facts
            """, [.text(runID)])
        return inserted.rowsAffected ?? 0
    }

    // MARK: bookkeeping

    /// One loaded file for `raw.sales_files`.
    public struct LoadedFile: Sendable {
        public var path: String, size: Int, sha256: String
        public var read = 0, loaded = 0, rejected = 0
    }

    /// Records the run's files in `raw.sales_files`.
    /// - Throws: a `.data` error when one of them was recorded meanwhile by another run
    ///   (nothing commits; running again skips it).
    public func record(_ loaded: [LoadedFile], runID: String, on connection: PostgresConnection) throws {
        try connection.executeScript("""
            CREATE SCHEMA IF NOT EXISTS \(files.schema?.quoted ?? "raw");
            CREATE TABLE IF NOT EXISTS \(files.quoted) (
                sha256 text PRIMARY KEY, file text NOT NULL, size_bytes bigint NOT NULL, run_id text NOT NULL, rows_read bigint NOT NULL,
                rows_loaded bigint NOT NULL, rows_rejected bigint NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now()
            );
            """)
        for file in loaded {
            let inserted = try connection.execute("""
                INSERT INTO \(files.quoted) (sha256, file, size_bytes, run_id, rows_read, rows_loaded, rows_rejected)
                VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING
                """, [.text(file.sha256), .text(file.path), .int(Int64(file.size)), .text(runID), .int(Int64(file.read)),
                      .int(Int64(file.loaded)), .int(Int64(file.rejected))])
            guard inserted.rowsAffected == 1 else {
                throw SluiceError(.data, "another run loaded the same file (sha-256 \(file.sha256.prefix(12))…) while this one ran",
                                  location: file.path, hint: "run again: the file is then skipped")
            }
        }
    }
}
