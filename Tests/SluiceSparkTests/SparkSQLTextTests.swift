import SluiceCore
import SluiceEngine
@testable import SluiceSpark
import Testing

/// The compiler's text, checked without Spark: quoting, literals, the shapes each rule accepts.
@Suite("Spark SQL text")
struct SparkSQLTextTests {
    @Test("identifiers and strings cannot break out of their quotes")
    func quoting() {
        #expect(SparkSQL.identifier("a`b") == "`a``b`")
        #expect(SparkSQL.string("it's") == "'it\\'s'")
        #expect(SparkSQL.string("a\\b") == "'a\\\\b'")
        #expect(SparkSQL.string("line\nbreak\t\u{1}") == "'line\\nbreak\\t\\u0001'")
        #expect(SparkSQL.string("ünï") == "'ünï'")
    }

    @Test("types: decimals as 18 digits at their scale, lists as arrays")
    func types() {
        #expect(SparkSQL.type(.decimal(precision: 12, scale: 2)) == "DECIMAL(18,2)")
        #expect(SparkSQL.type(.list(.date)) == "ARRAY<DATE>")
        #expect(SparkSQL.literal(.decimal(-1250, scale: 2), as: .decimal(precision: 12, scale: 2)) == "CAST('-12.50' AS DECIMAL(18,2))")
        #expect(SparkSQL.literal(.int64(.min), as: .int64) == "CAST('-9223372036854775808' AS BIGINT)")
        #expect(SparkSQL.literal(.null, as: .string) == "CAST(NULL AS STRING)")
        #expect(SparkSQL.literal(.date(0), as: .date) == "DATE '1970-01-01'")
    }

    @Test("expressions keep the engine's null and zero rules", arguments: [
        (col("a") / col("b"), "try_divide("),
        (col("a") % col("b"), "try_mod("),
        (col("s").trim(), "trim(BOTH ' \\t\\n\\r' FROM `s`)"),
        (col("s").regexExtract("([0-9]+)", group: 1), "CASE WHEN `s` RLIKE '([0-9]+)' THEN regexp_extract("),
        (col("s").splitPart(",", 2), "split_part(`s`, ',', 2)"),
        (col("s").nullIfEmpty(), "nullif(`s`, '')"),
    ] as [(Expr, String)])
    func expressions(expression: Expr, contains: String) throws {
        let schema = Schema([Field("a", .int64), Field("b", .int64), Field("s", .string)])
        let sql = try SparkExpressions.compile(expression, over: schema)
        #expect(sql.contains(contains), "\(sql)")
    }

    @Test("what has no exact Spark form is refused at compile time, naming it")
    func refusals() throws {
        let schema = Schema([Field("a", .int64), Field("f", .float64), Field("s", .string)])
        #expect(throws: SluiceError.self) { try SparkExpressions.compile(hash(col("a")), over: schema) }
        #expect(throws: SluiceError.self) { try SparkExpressions.compile(col("f").cast(.string), over: schema) }
        let error = #expect(throws: SluiceError.self) {
            try SparkAggregates.compile([Agg.udaf(Total(), col("a")).as("x")], over: schema)
        }
        #expect(error?.message.contains("total") == true)
    }

    @Test("strftime formats become the engine's grammar: possessive numbers, literals escaped, AM/PM required with %I")
    func formats() throws {
        let sql = try SparkDateFormats.timestamp("t", pattern: "%m/%d/%Y %I:%M %p")
        #expect(sql.contains("([0-9]{1,2}+)/([0-9]{1,2}+)/([0-9]{1,4}+) "))
        #expect(sql.contains("[AaPp][Mm]"))
        let noAMPM = try SparkDateFormats.timestamp("t", pattern: "%I:%M")
        #expect(noAMPM == "CAST(NULL AS TIMESTAMP)")
        #expect(try SparkDateFormats.timestamp("t", pattern: "epoch").contains("BETWEEN -9223372036854 AND 9223372036854"))
        #expect(throws: SluiceError.self) { try SparkDateFormats.timestamp("t", pattern: "%Q") }
    }

    @Test("argMax calls over one integer ordering share one struct, so they take one row's values")
    func sharedOrdering() throws {
        let schema = Schema([Field("k", .string), Field("a", .string), Field("b", .int64), Field("t", .timestamp), Field("l", .int64)])
        let by = [col("t"), col("l")]
        let compiled = try SparkAggregates.compile([Agg.argMax(col("a"), by: by).as("a"), Agg.argMax(col("b"), by: by).as("b")], over: schema)
        #expect(compiled.count == 2)
        #expect(compiled[0].hasSuffix(".v0") && compiled[1].hasSuffix(".v1"))
        #expect(compiled[0].dropLast(3) == compiled[1].dropLast(3) && compiled[0].hasPrefix("(min(named_struct("))
        #expect(compiled[0].contains("~unix_micros(`t`)") && compiled[0].contains("FILTER (WHERE `t` IS NOT NULL AND `l` IS NOT NULL)"))
    }

    @Test("the e-mail and URL patterns are the validators' rules", arguments: [
        ("a.b@example.com", true), ("a..b@example.com", false), (".a@example.com", false), ("a@example", false),
        ("a@exa-mple.com", true), ("a@-example.com", false), ("a@example.123", false), ("a@b@example.com", false),
    ])
    func email(text: String, valid: Bool) throws {
        let regex = try Regex(SparkPatterns.email)
        #expect((text.firstMatch(of: regex) != nil) == valid, "\(text)")
    }

    @Test("Spark's console progress is read as stage and tasks; other lines are not")
    func progress() {
        #expect(LineCollector.progress(in: "[Stage 3:=====>          (12 + 2) / 40]") == SparkRunner.Progress(stage: 3, done: 12, running: 2, total: 40))
        #expect(LineCollector.progress(in: "[Stage 11:>                (0 + 2) / 2]")?.total == 2)
        #expect(LineCollector.progress(in: "ERROR Executor: Exception in task 0.0 in stage 11.0 (TID 4)") == nil)
    }

    @Test("--spark-conf pairs are key=value")
    func conf() throws {
        #expect(try SparkSettings.parseConf(["spark.executor.memory=4g", "a=b=c"]).map { "\($0.0)|\($0.1)" } == ["spark.executor.memory|4g", "a|b=c"])
        #expect(throws: SluiceError.self) { try SparkSettings.parseConf(["novalue"]) }
        #expect(throws: SluiceError.self) { try SparkSettings.parseConf(["=x"]) }
    }

    /// A user-defined aggregate: Swift code, with no Spark form.
    struct Total: UserDefinedAggregate {
        var name: String { "total" }
        func returnType(_ inputs: [DataType]) throws(SluiceError) -> DataType { .int64 }
        func initialState() -> Int64 { 0 }
        func update(_ state: inout Int64, _ inputs: [Column], rows: [Int32]) throws(SluiceError) {}
        func merge(_ state: inout Int64, _ other: Int64) throws(SluiceError) {}
        func finish(_ state: Int64) throws(SluiceError) -> Value { .int64(state) }
        func encode(_ state: Int64) -> [UInt8] { [] }
        func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(SluiceError) -> Int64 { 0 }
    }
}
