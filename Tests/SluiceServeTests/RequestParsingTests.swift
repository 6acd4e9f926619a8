import Foundation
import SluicePipelines
import SluicePostgres
@testable import SluiceServe
import Testing

/// The parts of a request that need no server: the query string, cursors, checks of values
/// and the listing request built from them.
@Suite struct RequestParsingTests {
    static let table = ServedTable(route: "people", relation: QualifiedName(name: "people"), key: ["id"],
                                   filters: ["country", "joined", "score"], search: ["name", "country"],
                                   ordering: ["joined", "name", "score"], pipeline: "test", privateDatabase: "sluice")
    static let schema: RelationSchema = {
        let columns = [
            ServedColumn(name: "id", sqlType: "text", kind: .text, nullable: false),
            ServedColumn(name: "name", sqlType: "text", kind: .text),
            ServedColumn(name: "country", sqlType: "text", kind: .text),
            ServedColumn(name: "joined", sqlType: "date", kind: .date),
            ServedColumn(name: "score", sqlType: "numeric(12,2)", kind: .decimal),
        ]
        do { return try RelationSchema(table: table, columns: columns) } catch { preconditionFailure("\(error)") }
    }()

    func request(_ query: String) throws -> ListRequest {
        try ListRequest(try QueryParameters(query: Substring(query)), schema: Self.schema)
    }

    @Test func queryStringDecoding() throws {
        let query = try QueryParameters(query: "search=alice+b%C3%A9&x=%25_%27%5C&empty=")
        #expect(query["search"] == "alice bé")
        #expect(query["x"] == "%_'\\")
        #expect(query["empty"] == "")
        #expect(query.replacing("cursor", with: "a/b") == "search=alice%20b%C3%A9&x=%25_%27%5C&empty=&cursor=a%2Fb")
        #expect(throws: APIError.self) { try QueryParameters(query: "a=%2") }
        #expect(throws: APIError.self) { try QueryParameters(query: "a=%zz") }
        #expect(throws: APIError.self) { try QueryParameters(query: "a=%00") }
        #expect(throws: APIError.self) { try QueryParameters(query: "a=%FF") }
        #expect(throws: APIError.badRequest("the parameter 'a' is given more than once; give it once (lists are comma-separated: a__in=a,b)")) {
            try QueryParameters(query: "a=1&a=2")
        }
    }

    @Test func filtersAndLookups() throws {
        let parsed = try request("country__in=Chile,Fiji&joined__gte=2021-01-01&joined__lte=2021-12-31&score=1.50&name=")
        #expect(parsed.filters.map { "\($0.column.name) \($0.lookup) \($0.values)" }
            == ["country in [\"Chile\", \"Fiji\"]", "joined gte [\"2021-01-01\"]", "joined lte [\"2021-12-31\"]", "score exact [\"1.50\"]"])
        #expect(throws: APIError.self) { try request("name=Alice") }      // not a declared filter
        #expect(throws: APIError.self) { try request("country__like=x") }  // not a lookup
        #expect(throws: APIError.badRequest("'2021-02-29' is not a valid date (YYYY-MM-DD) for joined__gte")) {
            try request("joined__gte=2021-02-29")
        }
        #expect(throws: APIError.self) { try request("score=abc") }
        #expect(throws: APIError.self) { try request("joined__in=2021-01-01,nope") }
    }

    @Test func orderingIsMadeTotalByTheKey() throws {
        #expect(try request("").orderingText == "id")
        #expect(try request("ordering=-joined,name").orderingText == "-joined,name,id")
        #expect(try request("ordering=name,-name, score").orderingText == "name,score,id")
        #expect(throws: APIError.self) { try request("ordering=country") }
        #expect(throws: APIError.self) { try request("ordering=-") }
    }

    @Test func pageSizeAndSearch() throws {
        #expect(try request("").pageSize == 50)
        #expect(try request("page_size=1000").pageSize == 1000)
        for bad in ["0", "1001", "-1", "ten", "1.5"] {
            #expect(throws: APIError.self) { try request("page_size=\(bad)") }
        }
        #expect(try request("search=%20alice%20%20smith%20").words == ["alice", "smith"])
    }

    @Test func cursorsRoundTripAndAreBoundToTheirOrdering() throws {
        let cursor = Cursor(ordering: "-joined,name,id", values: ["2021-01-01", nil, "a\"b"], backwards: true)
        let read = try Cursor(token: cursor.token, ordering: "-joined,name,id", terms: 3)
        #expect(read == cursor)
        #expect(!cursor.token.contains("=") && !cursor.token.contains("+") && !cursor.token.contains("/"))
        #expect(throws: APIError.self) { try Cursor(token: cursor.token, ordering: "joined,name,id", terms: 3) }
        #expect(throws: APIError.self) { try Cursor(token: cursor.token, ordering: "-joined,name,id", terms: 2) }
        #expect(throws: APIError.badRequest("Invalid cursor.")) { try Cursor(token: "not a cursor", ordering: "id", terms: 1) }
        #expect(throws: APIError.self) { try request("ordering=name&cursor=" + Cursor(ordering: "id", values: ["x"], backwards: false).token) }
    }

    @Test func base64URLMatchesFoundationsBase64() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 73 + 250) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == expected)
            #expect(Base64URL.decode(expected) == bytes)
        }
        #expect(Base64URL.decode("a") == nil && Base64URL.decode("ab=c") == nil && Base64URL.decode("a+b") == nil)
    }

    @Test func valueChecks() {
        #expect(ValueCheck.isDate(Array("2024-02-29".utf8)[...]))
        #expect(!ValueCheck.isDate(Array("2023-02-29".utf8)[...]))
        #expect(!ValueCheck.isDate(Array("2023-1-01".utf8)[...]))
        for good in ["2024-01-01", "2024-01-01T10:30", "2024-01-01 10:30:00", "2024-01-01T10:30:00.123Z", "2024-01-01T10:30:00+02:00", "2024-01-01T10:30:00-0500"] {
            #expect(ValueCheck.isTimestamp(Array(good.utf8)), "\(good)")
        }
        for bad in ["2024-01-01T25:00", "2024-01-01T10", "2024-01-01X10:30", "2024-01-01T10:30:00.", "2024-01-01T10:30+1"] {
            #expect(!ValueCheck.isTimestamp(Array(bad.utf8)), "\(bad)")
        }
        #expect(ValueCheck.accepts("-12.50", kind: .decimal) && ValueCheck.accepts(".5", kind: .decimal))
        #expect(!ValueCheck.accepts("1.2.3", kind: .decimal) && !ValueCheck.accepts("", kind: .decimal) && !ValueCheck.accepts("1e5", kind: .decimal))
        #expect(ValueCheck.accepts("9223372036854775807", kind: .integer) && !ValueCheck.accepts("9223372036854775808", kind: .integer))
    }

    @Test func declaredFieldsMustExist() {
        #expect(throws: APIError.self) {
            try RelationSchema(table: Self.table, columns: [ServedColumn(name: "id", sqlType: "text", kind: .text)])
        }
    }
}
