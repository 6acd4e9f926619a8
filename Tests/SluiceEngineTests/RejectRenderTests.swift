import SluiceCore
@testable import SluiceEngine
import Testing

@Suite("a reject's raw line")
struct RejectRenderTests {
    @Test("text quoted from its bytes when it holds a comma, quote or line break; nulls empty; numbers as text")
    func render() throws {
        let schema = Schema([Field("a", .string), Field("b", .string), Field("n", .int64), Field("c", .string)])
        let batch = try RecordBatch(schema: schema, columns: [
            .string(["plain", "a,b", "say \"hi\"", "two\r\nlines", "zoë"]),
            try Column.from([.string("x"), .null, .string(""), .string("y"), .string("é,")], type: .string),
            .int64([1, -2, 3, 4, 5]),
            .string(["", "", "", "", ""]),
        ])
        let lines = (0..<5).map { RejectExec.render(batch, row: $0, columns: [0, 1, 2, 3]) }
        #expect(lines == ["plain,x,1,", "\"a,b\",,-2,", "\"say \"\"hi\"\"\",,3,", "\"two\r\nlines\",y,4,", "zoë,\"é,\",5,"])
    }
}
