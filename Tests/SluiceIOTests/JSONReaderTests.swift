import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluiceTestSupport
import Testing

@Suite("JSON reader")
struct JSONReaderTests {
    static let schema = Schema([
        Field("timestamp", .timestamp), Field("customer_id", .int64), Field("event_type", .string),
        Field("product_id", .int64), Field("quantity", .int64), Field("device.os", .string), Field("tags", .string),
        Field("price", .decimal(precision: 10, scale: 2)),
    ])

    static func decode(_ text: String, schema: Schema = schema) throws -> (RecordBatch, [Reject], Int) {
        let decoder = JSONRecordDecoder(schema: schema)
        var rejects: [Reject] = []
        var bytes = Array(text.utf8)
        let read = try bytes.withUnsafeMutableBufferPointer { buffer in
            try decoder.decode(UnsafeBufferPointer(buffer), source: "events.json", rejects: &rejects)
        }
        return (decoder.takeBatch(), rejects, read)
    }

    @Test("an array of objects: nested objects flattened, arrays kept as text, missing keys null, exact decimals")
    func array() throws {
        let text = """
        [
          {"timestamp": "2023-10-23T08:15:00Z", "customer_id": 7, "event_type": "purchase", "product_id": 3, "quantity": 2,
           "device": {"os": "ios", "model": {"name": "x"}}, "tags": ["a", "b"], "price": 19.99},
          {"event_type": "view_product", "customer_id": 8, "product_id": 4, "timestamp": "2023-10-23 09:00:00", "extra": {"k": 1}},
          {"timestamp": "2023-10-23T10:00:00+02:00", "customer_id": 9, "event_type": "caf\\u00e9 \\"q\\"", "product_id": 5, "quantity": null}
        ]
        """
        let (batch, rejects, read) = try Self.decode(text)
        #expect(read == 3)
        #expect(rejects.isEmpty)
        #expect(batch.rows == [
            [.timestamp(DateEncoding.parseTimestamp("2023-10-23 08:15:00") ?? 0), .int64(7), .string("purchase"), .int64(3), .int64(2),
             .string("ios"), .string("[\"a\", \"b\"]"), .decimal(1999, scale: 2)],
            [.timestamp(DateEncoding.parseTimestamp("2023-10-23 09:00:00") ?? 0), .int64(8), .string("view_product"), .int64(4), .null,
             .null, .null, .null],
            [.timestamp(DateEncoding.parseTimestamp("2023-10-23 08:00:00") ?? 0), .int64(9), .string("café \"q\""), .int64(5), .null,
             .null, .null, .null],
        ])
    }

    @Test("NDJSON: a string where a number belongs and a broken line are rejects with positions")
    func ndjson() throws {
        let text = """
        {"timestamp": "2023-10-23T08:15:00Z", "customer_id": 1, "event_type": "purchase", "product_id": 3, "quantity": 1}
        {"timestamp": "2023-10-23T08:16:00Z", "customer_id": "two", "event_type": "purchase", "product_id": 3}
        {"timestamp": "2023-10-23T08:17:00Z", "customer_id": 3, "event_type": "purchase", "product_id": 3.5}
        {"timestamp": "2023-10-23T08:18:00Z", "customer_id": 4, "event_type"
        {"timestamp": "2023-10-23T08:19:00Z", "customer_id": 5, "event_type": "view_product", "product_id": 9}

        """
        let (batch, rejects, read) = try Self.decode(text)
        #expect(read == 5)
        #expect(batch.rows.map { $0[1] } == [.int64(1), .int64(5)])
        #expect(rejects.map(\.line) == [2, 3, 4])
        #expect(rejects.map(\.kind) == [.typeConflict, .typeConflict, .typeConflict])
        #expect(rejects[0].column == "customer_id")
        #expect(rejects[0].message == "customer_id is the string 'two', expected int64")
        #expect(rejects[1].column == "product_id")
        #expect(rejects[2].message.hasPrefix("malformed JSON"))
    }

    @Test("malformed JSON inside an array is an error naming the position")
    func malformedArray() throws {
        #expect(performing: { _ = try Self.decode("[{\"customer_id\": 1}, {\"customer_id\": ]") },
                throws: { ($0 as? SluiceError)?.location?.contains("events.json at byte") == true })
    }

    @Test("schema inference flattens and types the sample")
    func inference() throws {
        let text = #"[{"a": 1, "b": {"c": "2023-01-02", "d": 1.5}, "e": [1], "f": true, "g": "x"}, {"a": 2, "b": {"c": "2023-01-03", "d": 2}, "g": 3}]"#
        var bytes = Array(text.utf8)
        let schema = bytes.withUnsafeMutableBufferPointer { JSONSchemaInference.infer(UnsafeBufferPointer($0)) }
        #expect(schema.names == ["a", "b.c", "b.d", "e", "f", "g"])
        #expect(schema.fields.map(\.type) == [.int64, .date, .float64, .string, .bool, .string])
    }

    @Test("a JSON file source reads files as partitions with the same result for any workers", arguments: [1, 2])
    func source(workers: Int) throws {
        let directory = try TestSupport.temporaryDirectory()
        for part in 0..<3 {
            let lines = (0..<50).map { #"{"id": \#(part * 50 + $0), "name": "n\#($0)"}"# }
            try Data(lines.joined(separator: "\n").utf8).write(to: directory.appendingPathComponent("part-\(part).json"))
        }
        let paths = (0..<3).map { directory.appendingPathComponent("part-\($0).json").path }
        let source = try JSONSource(paths: paths)
        let result = try DataFrame(source).groupBy([]).agg(Agg.count().as("n"), Agg.sum(col("id")).as("s"))
            .collectBatch(runtime: TestSupport.runtime(workers: workers, batchRows: 16))
        #expect(result.rows == [[.int64(150), .int64(11_175)]])
        #expect(source.schema.names == ["id", "name"])
    }
}
