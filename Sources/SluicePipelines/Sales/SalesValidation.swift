public import SluiceCore
public import SluiceEngine
public import SluiceIO

/// Step 1 of the sales pipeline (issue 14): the rows of a sales file, trimmed and typed, each
/// either valid or a reject with its reason, so rows read = valid + rejected.
///
/// Input `sale_id,sale_ts,store_id,product_id,quantity,unit_price,currency[,total_amount]`, every
/// field read as text (the rules decide what a value is, not a sniffer). A row is valid when
/// `sale_id`, `sale_ts`, `store_id` and `product_id` are present, `sale_ts` is an ISO 8601 time
/// (``timestampFormats``: with a zone, the instant in UTC; without one, UTC), `quantity` is an
/// integer above 0, `unit_price` an exact non-negative `numeric(12,2)`, `currency` one of the
/// accepted codes (upper-cased first: `usd` is USD), and `total_amount`, when the file has the
/// column and the row a value, exactly quantity × unit_price. The first rule a row breaks is its
/// reason.
public enum SalesValidation {
    public static let requiredColumns = ["sale_id", "sale_ts", "store_id", "product_id", "quantity", "unit_price", "currency"]
    public static let totalColumn = "total_amount"
    public static let defaultCurrencies = ["USD", "EUR", "GBP"]
    public static let priceType = DataType.decimal(precision: 12, scale: 2)
    /// quantity × unit_price of up to 2^31 units fits 22 digits; the original's totals are far smaller.
    public static let amountType = DataType.decimal(precision: 14, scale: 2)

    /// ISO 8601 as loaders write it: `T` or a space, whole or fractional seconds, a zone or none.
    public static let timestampFormats = ["T", " "].flatMap { separator in
        ["%S%z", "%S", "%S.%f%z", "%S.%f"].map { "%Y-%m-%d\(separator)%H:%M:\($0)" }
    }

    /// Every column as text, the seven of the original required, with provenance so rejects
    /// name their file and line.
    public static func csvOptions() -> CSVOptions {
        var types = Dictionary(uniqueKeysWithValues: requiredColumns.map { ($0, DataType.string) })
        types[totalColumn] = .string
        var options = CSVOptions(columnTypes: types, requiredColumns: requiredColumns)
        options.provenance = true
        return options
    }

    /// The valid rows of `source`, typed: `sale_id, sale_ts, sale_date, store_id, product_id,
    /// quantity, unit_price, currency, total_amount` (null when not given) and the provenance
    /// columns; every other row is rejected with its reason.
    /// - Parameter rejecting: false for a second read of rows already judged: failing rows
    ///   are dropped instead of rejected again (they were counted by the first read).
    public static func validated(_ source: any TableSource, currencies: [String] = defaultCurrencies, rejecting: Bool = true) -> DataFrame {
        let text = { (name: String) in col(name).trim().nullIfEmpty() }
        let hasTotal = source.schema.index(of: totalColumn) != nil
        let ts = col("sale_ts_text"), quantity = col("quantity_text"), price = col("unit_price_text")
        let currency = col("currency"), total = col("total_text")
        let parsedTime = ts.parseTimestamp(timestampFormats)
        let parsedPrice = price.parseDecimal(precision: 12, scale: 2)
        let parsedQuantity = quantity.cast(.int64)
        let parsedTotal = total.parseDecimal(precision: 14, scale: 2)
        let accepted = currencies.map { $0.uppercased() }

        let missing = ["sale_id", "sale_ts_text", "store_id", "product_id"].map { name in
            WhenThen(col(name).isNull(), lit("missing \(name == "sale_ts_text" ? "sale_ts" : name)"))
        }
        let anyMissing = missing.dropFirst().reduce(missing[0].condition) { $0.or($1.condition) }
        let rules: [(condition: Expr, kind: String, reason: Expr)] = [
            (anyMissing, "missing_field", when(missing)),
            (parsedTime.isNull(), "invalid_sale_ts", when([
                // A leap second is ISO 8601, but no timestamp holds it: say so rather than move it.
                WhenThen(ts.regexMatch("^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:60([.][0-9]+)?([zZ]|[+-][0-9:]+)?$"),
                         concat(lit("sale_ts '"), ts, lit("' is a leap second (:60), which a timestamp cannot hold: write :59 or the next minute"))),
            ], otherwise: concat(lit("sale_ts '"), ts, lit("' is not an ISO 8601 time")))),
            (parsedQuantity.isNull().or(parsedQuantity.ltEq(lit(0))), "invalid_quantity", when([
                WhenThen(quantity.isNull(), lit("missing quantity")),
                WhenThen(parsedQuantity.isNull(), concat(lit("quantity '"), quantity, lit("' is not an integer"))),
            ], otherwise: concat(lit("quantity "), quantity, lit(" is not above 0")))),
            (parsedPrice.isNull().or(parsedPrice.lt(lit(.decimal(0, scale: 2)))), "invalid_unit_price", when([
                WhenThen(price.isNull(), lit("missing unit_price")),
                WhenThen(price.regexMatch("^[+-]?[0-9]*\\.[0-9]{3,}$"), concat(lit("unit_price '"), price, lit("' has more than 2 decimal places"))),
                WhenThen(parsedPrice.isNotNull(), concat(lit("negative unit_price '"), price, lit("'"))),
                WhenThen(price.regexMatch("^[+-]?[0-9]+(\\.[0-9]*)?$"), concat(lit("unit_price '"), price, lit("' is too large for numeric(12,2)"))),
            ], otherwise: concat(lit("unit_price '"), price, lit("' is not a number")))),
            (currency.isNull().or(currency.isIn(accepted).not()), "unknown_currency", when([
                WhenThen(currency.isNull(), lit("missing currency")),
            ], otherwise: concat(lit("currency '"), currency, lit("' is not one of \(accepted.joined(separator: ", "))")))),
            (total.isNotNull().and(parsedTotal.isNull()), "invalid_total",
             concat(lit("total_amount '"), total, lit("' is not a number with at most 2 decimal places"))),
            (parsedTotal.isNotNull().and(parsedTotal.notEq(parsedQuantity * parsedPrice)), "total_mismatch",
             concat(lit("total_amount "), total, lit(" is not quantity × unit_price = "), (parsedQuantity * parsedPrice).cast(.string))),
        ]
        let trimmed = DataFrame(source)
            .select(
                text("sale_id").alias("sale_id"), text("sale_ts").alias("sale_ts_text"), text("store_id").alias("store_id"),
                text("product_id").alias("product_id"), text("quantity").alias("quantity_text"),
                text("unit_price").alias("unit_price_text"), text("currency").upper().alias("currency"),
                (hasTotal ? text(totalColumn) : lit(.null).cast(.string)).alias("total_text"),
                col(Provenance.sourceColumn), col(Provenance.lineColumn)
            )
        // Each rule sees only the rows the earlier ones passed, so a row's reason is the first it
        // breaks; a rule that is null for a row (it cannot tell) passes it, in both modes.
        let checked = rules.reduce(trimmed) { frame, rule in
            rejecting ? frame.rejectWhen(rule.condition, kind: RejectKind(rawValue: rule.kind), reason: rule.reason)
                : frame.filter(coalesce(rule.condition, lit(false)).not())
        }
        return checked
            .select(
                col("sale_id"), parsedTime.alias("sale_ts"), parsedTime.toDate().alias("sale_date"), col("store_id"), col("product_id"),
                parsedQuantity.alias("quantity"), parsedPrice.alias("unit_price"), currency, parsedTotal.alias("total_amount"),
                col(Provenance.sourceColumn), col(Provenance.lineColumn)
            )
    }
}
