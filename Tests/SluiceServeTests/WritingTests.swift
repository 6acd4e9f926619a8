import Foundation
import SluicePipelines
import SluicePostgres
@testable import SluiceServe
import Testing

/// JSON as the API writes it, and the SQL a listing becomes.
@Suite struct WritingTests {
    func json(_ body: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter()
        body(&writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    func value(_ text: String?, _ kind: ValueKind) -> String {
        json { writer in
            guard var text else { return writer.value(bytes: nil, kind: kind) }
            text.withUTF8 { writer.value(bytes: $0, kind: kind) }
        }
    }

    @Test func stringsAreEscaped() throws {
        let text = "a\"b\\c\n\t\r\u{01}é😀"
        let written = json { $0.string(text) }
        #expect(written == "\"a\\\"b\\\\c\\n\\t\\r\\u0001é😀\"")
        let decoded = try JSONSerialization.jsonObject(with: Data(("[" + written + "]").utf8)) as? [String]
        #expect(decoded == [text])
    }

    @Test func valuesByKind() {
        #expect(value("42", .integer) == "42")
        #expect(value("-1.5", .float) == "-1.5")
        #expect(value("NaN", .float) == "\"NaN\"" && value("-Infinity", .float) == "\"-Infinity\"")
        #expect(value("12.50", .decimal) == "\"12.50\"")
        #expect(value("t", .boolean) == "true" && value("f", .boolean) == "false")
        #expect(value("2023-12-01", .date) == "\"2023-12-01\"")
        #expect(value("2024-01-01 10:30:00+00", .timestamp) == "\"2024-01-01T10:30:00Z\"")
        #expect(value("2024-01-01 10:30:00.123456+00", .timestamp) == "\"2024-01-01T10:30:00.123456Z\"")
        #expect(value("2024-01-01 10:30:00", .localTimestamp) == "\"2024-01-01T10:30:00Z\"")
        #expect(value("infinity", .timestamp) == "\"infinity\"")
        #expect(value("0044-03-15 00:00:00+00 BC", .timestamp) == "\"0044-03-15 00:00:00+00 BC\"")
        #expect(value("{\"a\": [1, 2]}", .json) == "{\"a\": [1, 2]}")
        #expect(value(nil, .text) == "null")
    }

    @Test func listingStatementsQuoteNamesAndBindValues() throws {
        let parameters = try QueryParameters(query: "country__in=Chile,Fiji&joined__gte=2021-01-01&search=50%25+o'brien&ordering=-joined")
        let request = try ListRequest(parameters, schema: RequestParsingTests.schema)
        let statement = ListSQL(schema: RequestParsingTests.schema, request: request)
        #expect(statement.sql == #"SELECT "id", "name", "country", "joined", "score" FROM "people" WHERE "country" = ANY($1::text[]) AND "joined" >= $2::date AND (strpos(lower("name"), lower($3)) > 0 OR strpos(lower("country"), lower($3)) > 0) AND (strpos(lower("name"), lower($4)) > 0 OR strpos(lower("country"), lower($4)) > 0) ORDER BY "joined" DESC NULLS FIRST, "id" ASC NULLS LAST LIMIT $5"#)
        #expect(statement.parameters == [.array([.text("Chile"), .text("Fiji")]), .text("2021-01-01"), .text("50%"), .text("o'brien"), .int(51)])
    }

    @Test func cursorConditions() throws {
        func condition(_ ordering: String, _ values: [String?], backwards: Bool = false) throws -> String {
            let request = try ListRequest(try QueryParameters(query: Substring("ordering=\(ordering)")), schema: RequestParsingTests.schema)
            var count = 0
            return ListSQL.after(values, terms: request.ordering, backwards: backwards) { _ in
                count += 1
                return "$\(count)"
            }
        }
        // The key alone cannot be NULL: one row comparison, which the primary key's index answers.
        #expect(try condition("", ["k"]) == #"("id") > ($1::text)"#)
        #expect(try condition("", ["k"], backwards: true) == #"("id") < ($1::text)"#)
        // Nullable columns: NULLs last ascending, first descending.
        #expect(try condition("name", ["n", "k"]) == #"((("name" > $1::text OR "name" IS NULL)) OR ("name" = $1::text AND "id" > $2::text))"#)
        #expect(try condition("name", [nil, "k"]) == #"(("name" IS NULL AND "id" > $1::text))"#)
        #expect(try condition("-joined", [nil, "k"]) == #"(("joined" IS NOT NULL) OR ("joined" IS NULL AND "id" > $1::text))"#)
        #expect(try condition("-joined", ["2021-01-01", "k"], backwards: true) == #"((("joined" > $1::date OR "joined" IS NULL)) OR ("joined" = $1::date AND "id" < $2::text))"#)
    }
}
