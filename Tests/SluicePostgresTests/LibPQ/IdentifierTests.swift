import SluiceCore
import SluicePostgres
import Testing

@Suite("Identifier quoting")
struct IdentifierTests {
    @Test("names are wrapped in double quotes and embedded quotes are doubled", arguments: [
        ("customers", "\"customers\""),
        ("Customers", "\"Customers\""),
        ("My \"odd\" Table", "\"My \"\"odd\"\" Table\""),
        ("select", "\"select\""),
        ("a\"; DROP TABLE x; --", "\"a\"\"; DROP TABLE x; --\""),
        ("", "\"\""),
        ("naïve ☃", "\"naïve ☃\""),
        ("\"", "\"\"\"\""),
    ])
    func quote(name: String, expected: String) {
        #expect(Identifier.quote(name) == expected)
        #expect(Identifier(name).quoted == expected)
    }

    @Test("qualified names quote each part")
    func qualified() {
        #expect(QualifiedName(schema: "sales", name: "Daily Metrics").quoted == "\"sales\".\"Daily Metrics\"")
        #expect(QualifiedName(name: "t").quoted == "\"t\"")
        #expect(QualifiedName(schema: "we\"ird", name: "x.y").quoted == "\"we\"\"ird\".\"x.y\"")
    }

    @Test("parsing folds unquoted parts to lower case and keeps quoted ones exact")
    func parsing() throws {
        #expect(try QualifiedName(parsing: "public.Customers") == QualifiedName(schema: "public", name: "customers"))
        #expect(try QualifiedName(parsing: "Orders") == QualifiedName(name: "orders"))
        #expect(try QualifiedName(parsing: "\"My Schema\".\"Odd.Name\"") == QualifiedName(schema: "My Schema", name: "Odd.Name"))
        #expect(try QualifiedName(parsing: "\"say \"\"hi\"\"\"") == QualifiedName(name: "say \"hi\""))
    }

    @Test("unparsable or unstorable names are configuration errors", arguments: [
        "a.b.c", "\"unclosed", "schema.", "", String(repeating: "x", count: 64),
    ])
    func parsingErrors(text: String) {
        #expect(throws: SluiceError.self) { try QualifiedName(parsing: text) }
        do {
            _ = try QualifiedName(parsing: text)
        } catch {
            #expect(error.kind == .configuration)
        }
    }

    @Test("validation accepts 63 bytes and rejects 64, NUL and empty")
    func validation() throws {
        try Identifier(String(repeating: "é", count: 31) + "x").validate()
        #expect(throws: SluiceError.self) { try Identifier(String(repeating: "é", count: 32)).validate() }
        #expect(throws: SluiceError.self) { try Identifier("a\u{0}b").validate() }
        #expect(throws: SluiceError.self) { try Identifier("").validate() }
    }
}
