public import SluiceCore
public import SluiceEngine

/// The customers plan: one file's records normalised, typed and checked (quarantining the
/// failures with every reason), then all files' records folded to one row per customer.
public enum CustomersRecords {
    /// The reject kind of a record that failed one or more rules.
    public static let quarantined: RejectKind = "quarantined"

    /// The rules, in the order a quarantined record lists them.
    public static let rules = ["customer_id", "index", "email", "subscription_date", "website"]

    /// Bits of the ordering key below the file's ordinal: the record's line.
    static let lineBits: Int64 = 1 << 40

    /// One file's records: each target column trimmed (empty → null; a column the file lacks
    /// is null), extras as a JSON object in `attributes` (null when the file has none), the
    /// typed `index` and `subscription_date`, and `ord` (file ordinal, then line) for "last
    /// wins". A record failing a rule leaves as a `quarantined` reject whose reason lists every
    /// failed rule (`email: 'x' is not a valid e-mail address; website: …`) and whose raw text is
    /// the record as the file had it, as a JSON object of its column names.
    public static func validated(_ source: any TableSource, columns: CustomerColumns, format: CustomerDateFormat, ordinal: Int) -> DataFrame {
        let names = source.schema.names.filter { !Provenance.isProvenance($0) }
        var texts: [Expr] = []
        for target in CustomerColumns.target {
            let expression = columns.mapping[target].map { col($0).trim().nullIfEmpty() } ?? lit(.null).cast(.string)
            texts.append(expression.alias(target == "index" ? "index_text" : target == "subscription_date" ? "date_text" : target))
        }
        let attributes = columns.extras.isEmpty
            ? lit(.null).cast(.string)
            : jsonObject(columns.extras.map { ($0.name, col($0.source).trim().nullIfEmpty()) })
        // The file's own columns ride along under private names, so the raw record is built
        // as JSON only for the records that fail, when they fail.
        let carried = names.indices.map { "_raw_\($0)" }
        let raw = jsonObject(zip(names, carried).map { ($0, col($1)) })
        let order = lit(.int64(Int64(ordinal) * lineBits)) + col(Provenance.lineColumn)
        let text = DataFrame(source).select(texts + [attributes.alias("attributes"), order.alias("ord"),
                                                     col(Provenance.sourceColumn), col(Provenance.lineColumn)]
                                                + zip(names, carried).map { col($0).alias($1) })
        let index = col("index_text").cast(.int64)
        let date = col("date_text").parseDate(format.formats)
        let typed = text.select(
            (CustomerColumns.target.map { name -> Expr in
                switch name {
                case "index": index.alias("index")
                case "subscription_date": date.alias("subscription_date")
                default: col(name)
                }
            }) + [col("index_text"), col("date_text"), col("attributes"), col("ord"), col(Provenance.sourceColumn), col(Provenance.lineColumn)]
                + carried.map(col)
        )
        let quote = { (column: String) in concat(lit("'"), col(column), lit("'")) }
        let failures = concatNonNull("; ", [
            when([WhenThen(col("customer_id").isNull(), lit("customer_id: missing"))]),
            when([WhenThen(col("index_text").isNotNull().and(col("index").isNull().or(col("index").gt(lit(Int(Int32.max))))
                .or(col("index").lt(lit(Int(Int32.min))))), concat(lit("index: "), quote("index_text"), lit(" is not an integer")))]),
            when([WhenThen(col("email").isNotNull().and(col("email").isEmailAddress().not()),
                           concat(lit("email: "), quote("email"), lit(" is not a valid e-mail address")))]),
            when([WhenThen(col("date_text").isNotNull().and(col("subscription_date").isNull()),
                           concat(lit("subscription_date: "), quote("date_text"), lit(" is not a real date in the file's form \(format.label)")))]),
            when([WhenThen(col("website").isNotNull().and(col("website").isHTTPURL().not()),
                           concat(lit("website: "), quote("website"), lit(" is not an http(s) URL")))]),
        ])
        return typed
            .withColumn("failures", failures)
            .rejectWhen(col("failures").isNotNull(), kind: quarantined, reason: col("failures"), raw: raw)
            .select((CustomerColumns.target + ["attributes", "ord", Provenance.sourceColumn, Provenance.lineColumn]).map(col))
    }

    /// `{"name": value, …}` as JSON text; a null value is JSON `null`.
    static func jsonObject(_ members: [(String, Expr)]) -> Expr {
        var parts: [Expr] = []
        for (index, member) in members.enumerated() {
            let key = TextJSON.quoted(member.0)
            parts.append(lit((index == 0 ? "{" : ",") + key + ":"))
            parts.append(member.1.jsonQuote())
        }
        parts.append(lit(members.isEmpty ? "{}" : "}"))
        return .call(.concat, parts)
    }

    /// One row per `customer_id`: the record with the greatest `ord` (the last line of the
    /// last file naming it) wins, whole; `ord` is its key and `ords` every record's key.
    public static func grouped(_ records: DataFrame) -> DataFrame {
        let kept = CustomerColumns.target.filter { $0 != "customer_id" } + ["attributes"]
        let ord = col("ord")
        return records
            .groupBy("customer_id")
            .agg([Agg.max(ord).as("ord"), Agg.collectSet(ord).as("ords")]
                + kept.map { Agg.argMax(col($0), by: ord).as($0) }
                + [Agg.argMax(col(Provenance.sourceColumn), by: ord).as("source_file")])
    }

    /// The customers of ``grouped(_:)``, in the file and line order of their winning records.
    public static func customers(_ grouped: DataFrame) -> DataFrame {
        grouped.sort(.asc("ord")).select((CustomerColumns.target + ["attributes", "source_file"]).map(col))
    }

    /// The records the last-wins grouping superseded, each with the record that won it
    /// (`customer_id, file, line, superseded_by_file, superseded_by_line`), in file and line
    /// order: every key of a customer's `ords` but the winner's. Each is set apart in its own
    /// file's counts (`duplicates`), so per file, rows read = loaded + quarantined + duplicates
    /// (+ blank lines). A plan, not Swift code, so it runs on Spark too.
    public static func superseded(_ grouped: DataFrame, paths: [String]) -> DataFrame {
        // A key's file: the ordinal is the key's whole number of 2⁴⁰ (keys are never negative).
        let file = { (key: Expr) -> Expr in
            when(paths.indices.map { WhenThen(key.gtEq(lit(.int64(Int64($0) * lineBits))).and(key.lt(lit(.int64(Int64($0 + 1) * lineBits)))),
                                              lit(paths[$0])) })
        }
        let line = { (key: Expr) -> Expr in key % lit(.int64(lineBits)) }
        return grouped
            .select(col("customer_id"), col("ord").alias("winner"), col("ords"))
            .explode("ords")
            .filter(col("ords").notEq(col("winner")))
            .select(col("customer_id"), file(col("ords")).alias(Provenance.sourceColumn), line(col("ords")).alias("line"),
                    file(col("winner")).alias("superseded_by_file"), line(col("winner")).alias("superseded_by_line"), col("ords"))
            .observe(.apart("duplicates", lit(1)))
            .sort(.asc("ords"))
            .select(col("customer_id"), col(Provenance.sourceColumn).alias("file"), col("line"), col("superseded_by_file"), col("superseded_by_line"))
    }
}

/// JSON text for names known when the plan is built (never for data: the plan's
/// ``SluiceEngine/Expr/jsonQuote()`` quotes values).
enum TextJSON {
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
