import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

/// The whole-column cleaning kernels (trim, nullIfEmpty, lower, upper) against the values
/// they must give, on clean columns (handed back as they are) and messy ones.
@Suite("String cleaning kernels")
struct StringKernelTests {
    static func run(_ values: [String?], _ expressions: [(String, Expr)]) throws -> [[Value]] {
        let column = try Column.from(values.map { $0.map(Value.string) ?? .null }, type: .string)
        let batch = try RecordBatch(schema: Schema([Field("s", .string)]), columns: [column])
        let result = try DataFrame(TestSupport.table(batch))
            .select(expressions.map { $0.1.alias($0.0) })
            .collectBatch(runtime: TestSupport.runtime(workers: 1))
        return TestSupport.rows([result])
    }

    static func text(_ value: String?) -> Value { value.map(Value.string) ?? .null }

    @Test("messy values: padding of spaces, tabs and line breaks, blanks, nulls, case, non-ASCII")
    func messy() throws {
        let values: [String?] = ["  Add ", "\tDEDUCT\r\n", "", "   ", nil, "Crème BRÛLÉE", "x", " a b "]
        let rows = try Self.run(values, [
            ("trim", col("s").trim()), ("clean", col("s").trim().nullIfEmpty()), ("lower", col("s").trim().lower()),
            ("upper", col("s").upper()), ("empty", col("s").nullIfEmpty()),
        ])
        #expect(rows.map { $0[0] } == ["Add", "DEDUCT", "", "", nil, "Crème BRÛLÉE", "x", "a b"].map(Self.text))
        #expect(rows.map { $0[1] } == ["Add", "DEDUCT", nil, nil, nil, "Crème BRÛLÉE", "x", "a b"].map(Self.text))
        #expect(rows.map { $0[2] } == ["add", "deduct", "", "", nil, "crème brûlée", "x", "a b"].map(Self.text))
        #expect(rows.map { $0[3] } == ["  ADD ", "\tDEDUCT\r\n", "", "   ", nil, "CRÈME BRÛLÉE", "X", " A B "].map(Self.text))
        #expect(rows.map { $0[4] } == ["  Add ", "\tDEDUCT\r\n", nil, "   ", nil, "Crème BRÛLÉE", "x", " a b "].map(Self.text))
    }

    @Test("clean values come back unchanged")
    func clean() throws {
        let values: [String?] = ["add", "deduct", nil, "org_001"]
        let rows = try Self.run(values, [("trim", col("s").trim()), ("lower", col("s").lower()), ("empty", col("s").nullIfEmpty())])
        for index in 0..<3 { #expect(rows.map { $0[index] } == values.map(Self.text)) }
    }
}
