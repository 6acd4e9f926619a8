import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluiceSpark
import SluiceTestSupport
import Testing

/// Every expression, aggregate and CSV corner the compiler handles, on both engines over the
/// same fixtures, compared byte for byte: values, rejects (kind, column, message, raw, line,
/// byte offset) and each file's counts. One Spark script per test.
@Suite("Spark parity: the same plans on Spark and on the local engine", .serialized,
       .enabled(if: SparkTestEnvironment.available, SparkTestEnvironment.skipReason))
struct SparkParityTests {
    static let fixture = """
        id,txt,num,dec,day,ts,flag,when,amount
        0001,"  Hello, World  ",12,12.50,2024-01-31,2024-01-31 23:59:59,true,12/31/2024 11:59 PM,12.345
        002,ünïcödé ß,-7,-0.05,2024-02-29,2024-02-29T12:00:00.5Z,false,31-12-2024,12.340
        3,,0,0,2023-12-31,2023-12-31 00:00:00+02:00,,1700000000,-0.5
        4,"a""b",9223372036854775807,999999.99,1970-01-01,1970-01-01T00:00,t,2024-13-01,.5
        5,tab\tinside,-9223372036854775808,-1.005,2000-02-29,2000-02-29 12:34:56.123456,no,02/30/2024 01:00 AM,5.
        6,"",42,3.14159,,,yes,2024-01-01T10:00:00+0530,1e5
        7,e-mail@example.com,1,1,2024-12-31,2024-12-31 23:00:00-05:00,1,12/01/2024 12:00 AM,
        8,http://User@Example.COM:8080/p?q#f,2,2,2025-01-01,2025-01-01 01:02:03,0,1/2/2024 1:02 pm,0000012.5
        9,http://-bad.example.com,-1,-2.5,2024-03-01,2024-03-01 00:00:00Z,N,2024-02-29,-00.10

        """

    static func source(path: String, types: [String: DataType], rejects: RejectSink, notNull: [String] = []) throws -> CSVSource {
        var options = CSVOptions(columnTypes: types)
        options.provenance = true
        options.notNullColumns = notNull
        return try CSVSource(path: path, options: options, rejects: rejects)
    }

    static let types: [String: DataType] = [
        "id": .string, "txt": .string, "num": .int64, "dec": .decimal(precision: 12, scale: 2), "day": .date, "ts": .timestamp,
        "flag": .bool, "when": .string, "amount": .string,
    ]

    /// One case per group of expressions, each expression a column, the rows in line order.
    static func cases(_ groups: [String: [Expr]]) -> [SparkParity.Case] {
        let path = (try? TestSupport.writeTemporaryFile(fixture, name: "parity.csv")) ?? ""
        return groups.keys.sorted().map { name in
            SparkParity.Case(name: name, ordered: true) { rejects in
                var options = CSVOptions(columnTypes: types)
                options.provenance = true
                let source = try CSVSource(path: path, options: options, rejects: rejects)
                let columns = (groups[name] ?? []).enumerated().map { $0.element.alias("c\($0.offset)") }
                return DataFrame(source).select([col(Provenance.lineColumn)] + columns).sort(.asc(Provenance.lineColumn))
            }
        }
    }

    static func compare(_ cases: [SparkParity.Case]) throws {
        let local = try SparkParity.local(cases), spark = try SparkParity.spark(cases)
        for item in cases {
            #expect(spark.texts[item.name] == local.texts[item.name], "\(item.name):\nlocal:\n\(local.texts[item.name] ?? "-")\nspark:\n\(spark.texts[item.name] ?? "-")")
        }
        #expect(spark.rejects == local.rejects, "rejects:\nlocal: \(local.rejects)\nspark: \(spark.rejects)")
        #expect(spark.counts == local.counts, "counts:\nlocal: \(local.counts)\nspark: \(spark.counts)")
        #expect(spark.observations == local.observations)
    }

    @Test("expressions: text, numbers, logic, casts, dates and times, parsing with several formats")
    func expressions() throws {
        let text = col("txt"), number = col("num"), decimal = col("dec")
        try Self.compare(Self.cases([
            "text": [
                text.trim(), text.upper(), text.lower(), text.length(), text.trim().nullIfEmpty(), text.replace("l", with: "L"),
                text.regexMatch("[0-9]+"), text.regexExtract("([a-z]+)@", group: 1), text.splitPart(",", 2), text.splitPart("l", 3),
                text.substring(2, 3), concat(col("id"), lit("-"), text), concatNonNull("|", [col("id"), text.nullIfEmpty()]), text.jsonQuote(),
                text.isEmailAddress(), text.isHTTPURL(),
            ],
            "numbers": [
                number % lit(1000) + lit(1), decimal + decimal, decimal * decimal, decimal * lit(.decimal(3, scale: 0)),
                tryMultiply(number, number), tryMultiply(decimal, decimal), number / lit(3), number % lit(4), decimal / lit(2),
                decimal - lit(.decimal(5, scale: 1)), decimal.gt(lit(1)), number.eq(lit(0)).or(col("flag")), col("flag").and(number.gt(0)),
                number.isNull(), coalesce(text.nullIfEmpty(), col("id")), when([WhenThen(number.lt(0), lit("negative")), WhenThen(number.eq(0), lit("zero"))]),
            ],
            "casts": [
                col("id").cast(.int64), text.cast(.int64), decimal.cast(.int64), decimal.cast(.float64), number.cast(.decimal(precision: 18, scale: 2)),
                col("day").cast(.timestamp), col("ts").cast(.date), number.cast(.string), decimal.cast(.string), col("day").cast(.string),
                col("ts").cast(.string), col("flag").cast(.int64), col("amount").cast(.decimal(precision: 12, scale: 1)), col("amount").cast(.int64),
                col("when").cast(.date), col("when").cast(.timestamp), col("id").cast(.bool), col("amount").cast(.float64),
                decimal.cast(.decimal(precision: 12, scale: 1)),
            ],
            "dates": [
                col("ts").toDate(), col("day").addDays(lit(30)), col("day").daysSince(lit(.date(19_723))), col("day").year(), col("day").month(),
                col("day").day(), col("when").parseDate(["%m/%d/%Y %I:%M %p", "%d-%m-%Y", "epoch"]),
                col("when").parseTimestamp(["%m/%d/%Y %I:%M %p", "%d-%m-%Y", "%Y-%m-%dT%H:%M:%S%z", "epoch"]),
                col("when").matchedFormat(["%m/%d/%Y %I:%M %p", "%d-%m-%Y", "epoch"]), col("amount").parseDecimal(precision: 6, scale: 2),
                col("ts").gt(lit(.timestamp(1_700_000_000_000_000))), col("day").eq(lit("2024-02-29")),
            ],
        ]))
    }

    @Test("aggregates over the transactions seed: counts, sums, min/max, averages, sets, streaks, argMax with its tie rule")
    func aggregates() throws {
        let path = TestSupport.seedFile("transaction.csv")
        let read = { (rejects: RejectSink) throws -> DataFrame in
            var options = CSVOptions(delimiter: UInt8(ascii: "|"), columnTypes: ["custId": .string, "transactionDate": .date, "productSold": .string,
                                                                               "unitsSold": .int64, "transactionId": .string])
            options.provenance = true
            return DataFrame(try CSVSource(path: path, options: options, rejects: rejects))
        }
        try Self.compare([
            SparkParity.Case(name: "per_customer", ordered: true) { rejects in
                try read(rejects).groupBy("custId").agg(
                    Agg.count(), Agg.countDistinct(col("productSold")).as("products"), Agg.sum(col("unitsSold")).as("units"),
                    Agg.min(col("transactionDate")).as("first"), Agg.max(col("transactionDate")).as("last"),
                    Agg.avg(col("unitsSold")).as("mean"), Agg.avg(col("unitsSold").cast(.decimal(precision: 12, scale: 2))).as("mean_exact"),
                    Agg.longestConsecutiveDays(col("transactionDate")).as("streak"),
                    Agg.argMax(col("productSold"), by: col("unitsSold")).as("biggest"),
                    Agg.argMin(col("productSold"), by: col("transactionDate")).as("first_product"),
                    Agg.argMax(col("transactionId"), by: [col("transactionDate"), col(Provenance.lineColumn)]).as("last_id"),
                    Agg.argMax(col("unitsSold"), by: col("productSold")).as("units_of_last_product"),
                    Agg.argMin(col("transactionId"), by: col("productSold")).as("first_product_id")
                ).sort(.asc("custId"))
            },
            SparkParity.Case(name: "transactions", ordered: true) { rejects in
                try read(rejects)
                    .groupBy("custId", "productSold")
                    .agg(Agg.sum(col("unitsSold")).as("units"), Agg.collectSet(col("transactionDate")).as("days"))
                    .groupBy("custId")
                    .agg(Agg.argMax(col("productSold"), by: col("units")).as("favourite_product"),
                         Agg.longestConsecutiveDays(col("days")).as("longest_streak"))
                    .sort(.asc("custId"))
            },
            SparkParity.Case(name: "exploded", ordered: true) { rejects in
                try read(rejects).groupBy("custId").agg(Agg.collectSet(col("productSold")).as("products"), Agg.count().as("n"))
                    .explode("products").sort(.asc("custId"), .asc("products"))
            },
            SparkParity.Case(name: "global", ordered: true) { rejects in
                try read(rejects).filter(col("unitsSold").gt(lit(1_000_000))).groupBy([]).agg(Agg.count(), Agg.sum(col("unitsSold")).as("units"))
            },
        ])
    }

    @Test("CSV corners: field counts, empty required fields, bad numbers and dates, quotes, CRLF, blank lines, a BOM")
    func csvCorners() throws {
        let text = "\u{FEFF}id;qty;day;note\r\n"
            + "001;5;2024-01-01;plain\r\n"
            + "002;x;2024-01-02;bad qty\r\n"
            + "003;99999999999999999999;2024-01-03;too big\r\n"
            + "004;1.5;2024-01-04;a point\r\n"
            + "005;1;2024-02-30;no such day\r\n"
            + "\r\n"
            + ";2;2024-01-06;empty id\r\n"
            + "007;3;2024-01-07\r\n"
            + "008;4;2024-01-08;\"quoted; with \"\"quotes\"\"\"\r\n"
            + "010;6;2024-01-10;\"text\"after\r\n"
            + "011; 7 ;2024-01-11;FO\"OD\r\n"
            + "012;8;2024-01-12;\"\"\r\n"
            // Last: a quote that never closes (Sluice looks for its close on the next lines; there are none).
            + "009;5;2024-01-09;\"unclosed\r\n"
        let types: [String: DataType] = ["id": .string, "qty": .int64, "day": .date, "note": .string]
        let path = try TestSupport.writeTemporaryFile(text, name: "corners.csv")
        try Self.compare([
            SparkParity.Case(name: "rows", ordered: true) { rejects in
                DataFrame(try Self.source(path: path, types: types, rejects: rejects, notNull: ["id"]))
                    .rejectWhen(col("qty").gt(lit(5)), kind: .invalidValue, reason: concat(lit("qty "), col("qty").cast(.string), lit(" over 5")), column: "qty")
                    .observe(.count("notes", where: col("note").isNotNull()))
                    .sort(.asc(Provenance.lineColumn))
            },
        ])
    }
}
