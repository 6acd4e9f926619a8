import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines
import SluiceTestSupport
import Testing

@Suite("ecommerce pipeline")
struct EcommercePipelineTests {
    /// Integer ids, as our first generator wrote them: they must keep working.
    static let products = "product_id,product_name,category,price\n1,Phone,Electronics,10.50\n2,Novel,Books,3.25\n"
    static let customers = "customer_id,join_date,segment\n1,2022-01-08,VIP\n2,2022-04-18,New\n"

    static func event(_ customer: Int, _ product: Int, _ type: String, _ quantity: String? = nil, extra: String = "") -> String {
        let quantityField = quantity.map { ", \"quantity\": \($0)" } ?? ""
        return #"{"timestamp": "2023-10-23T10:00:00Z", "customer_id": \#(customer), "event_type": "\#(type)", "product_id": \#(product)\#(quantityField)\#(extra)}"#
    }

    /// week zip → day zips → part files, built with the project's own ZipWriter.
    static func archive(in directory: URL, days: [String: [String: String]], name: String = "events_week_43.zip") throws -> String {
        let week = try ZipWriter(path: directory.appendingPathComponent(name).path)
        for (day, parts) in days.sorted(by: { $0.key < $1.key }) {
            let inner = try ZipWriter.inMemory()
            for (part, text) in parts.sorted(by: { $0.key < $1.key }) { try inner.add(name: part, bytes: Array(text.utf8)) }
            try week.add(name: "events_\(day).zip", bytes: try inner.finishInMemory(), level: 0)
        }
        try week.finish()
        return directory.appendingPathComponent(name).path
    }

    /// Runs the job over `events` (a folder, archive or glob) with the dimension tables as CSV
    /// text; returns the report rows (no header) and the outcome.
    static func run(_ events: String, workers: Int = 2, onError: OnError = .fail, limits: ZipLimits = ZipLimits(),
                    products: String = products, customers: String = customers,
                    memory: Int? = nil, batchRows: Int = 3) throws -> (String, JobOutcome) {
        let productsFile = try TestSupport.writeTemporaryFile(products)
        let customersFile = try TestSupport.writeTemporaryFile(customers)
        var parameters = EcommercePipeline.Parameters(events: events, productsFile: productsFile, customersFile: customersFile)
        parameters.onError = onError
        parameters.limits = limits
        let runtime = TestSupport.runtime(workers: workers, memory: memory, batchRows: batchRows, shufflePartitions: 4)
        let run = try PipelineRun.run(EcommercePipeline.self, parameters, runtime: runtime)
        return (run.rows("sales_report.csv"), run.outcome)
    }

    /// A dimension table as CSV text.
    static func csv(_ batch: RecordBatch) -> String {
        var bytes: [UInt8] = []
        CSVWriter().appendHeader(batch.schema, to: &bytes)
        CSVWriter().appendRows(batch, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("a hand-built nested archive gives an exactly known report", arguments: [1, 2, 4])
    func handBuilt(workers: Int) throws {
        let directory = try TestSupport.temporaryDirectory()
        let day1 = "[" + [
            Self.event(1, 1, "purchase", "2"), Self.event(1, 1, "purchase", "1"), Self.event(1, 2, "view_product"),
            Self.event(2, 1, "purchase", nil, extra: #", "device": {"os": "ios", "screen": {"w": 1}}"#),
        ].joined(separator: ",\n") + "]"
        let day1b = "[" + [Self.event(2, 2, "purchase", "3"), Self.event(9, 1, "purchase", "1"), Self.event(1, 2, "add_to_cart")].joined(separator: ",") + "]"
        let day2 = [Self.event(1, 9, "purchase", "1"), Self.event(2, 2, "purchase", "\"two\"")].joined(separator: "\n")
        let path = try Self.archive(in: directory, days: [
            "2023-10-23": ["part-000.json": day1, "part-001.json": day1b],
            "2023-10-24": ["part-000.json": day2],
        ])
        let (report, result) = try Self.run(path, workers: workers)
        #expect(report == """
        Books,New,9.75,3,1
        Electronics,New,10.50,1,1
        Electronics,VIP,31.50,3,1

        """)
        #expect(result.observed("purchases") == 6)
        #expect(result.observed("unknown_customer") == 1)
        #expect(result.observed("unknown_product") == 1)
        #expect(result.rowsRead == 9 + 4)
        #expect(result.rowsRejected == 1)
        #expect(try result.rejects.allRejects().first?.source.hasSuffix("events_week_43.zip!/events_2023-10-24.zip!/part-000.json") == true)
        #expect(try result.rejects.allRejects().first?.column == "quantity")
    }

    @Test("a text quantity in the events the schema is sampled from is that row's reject, not a failed plan", arguments: [1, 2])
    func textQuantitySampled(workers: Int) throws {
        let directory = try TestSupport.temporaryDirectory()
        let part = "[\r\n" + [
            Self.event(1, 1, "purchase", "\"three\""), Self.event(1, 1, "purchase", "2"), Self.event(2, 2, "purchase", "3"),
        ].joined(separator: ",\r\n") + "\r\n]"
        let path = try Self.archive(in: directory, days: ["2023-10-23": ["part-001.json": part]])
        let (report, result) = try Self.run(path, workers: workers)
        #expect(report == """
        Books,New,9.75,3,1
        Electronics,VIP,21.00,2,1

        """)
        #expect(result.rowsRead == 3 + 4)
        #expect(result.rowsRejected == 1)
        let rejects = try result.rejects.allRejects()
        #expect(rejects.map(\.column) == ["quantity"])
        #expect(rejects.map(\.kind) == [.typeConflict])
    }

    @Test("a corrupt inner archive stops the run, or is a reject with its full path under --on-error skip")
    func corruptInner() throws {
        let directory = try TestSupport.temporaryDirectory()
        let week = try ZipWriter(path: directory.appendingPathComponent("events_week_44.zip").path)
        let good = try ZipWriter.inMemory()
        try good.add(name: "part-000.json", bytes: Array(("[" + Self.event(1, 1, "purchase", "1") + "]").utf8))
        try week.add(name: "events_2023-10-30.zip", bytes: try good.finishInMemory(), level: 0)
        try week.add(name: "events_2023-10-31.zip", bytes: Array("PK\u{3}\u{4} this is not really a zip".utf8), level: 0)
        try week.finish()
        let path = directory.appendingPathComponent("events_week_44.zip").path
        #expect(performing: { _ = try Self.run(path) },
                throws: { ($0 as? SluiceError)?.location?.contains("events_week_44.zip!/events_2023-10-31.zip") == true })
        let (report, result) = try Self.run(path, onError: .skip)
        #expect(report == "Electronics,VIP,10.50,1,1\n")
        #expect(try result.rejects.allRejects().map(\.kind) == [.corruptEntry])
        #expect(try result.rejects.allRejects().first?.source.contains("events_2023-10-31.zip") == true)
    }

    @Test("a zip bomb is stopped by the ratio limit; an escaping entry name is never read")
    func hostileArchives() throws {
        let directory = try TestSupport.temporaryDirectory()
        let bomb = try ZipWriter(path: directory.appendingPathComponent("events_bomb.zip").path)
        try bomb.add(name: "part-000.json", bytes: [UInt8](repeating: 0x20, count: 40 << 20), level: 9)
        try bomb.finish()
        #expect(performing: { _ = try Self.run(directory.appendingPathComponent("events_bomb.zip").path) },
                throws: { ($0 as? SluiceError)?.message.contains("ratio") == true })
        let slip = try ZipWriter(path: directory.appendingPathComponent("events_slip.zip").path)
        try slip.add(name: "../../etc/x.json", bytes: Array(("[" + Self.event(1, 1, "purchase", "1") + "]").utf8))
        try slip.add(name: "part-000.json", bytes: Array(("[" + Self.event(2, 2, "purchase", "1") + "]").utf8))
        try slip.finish()
        let slipPath = directory.appendingPathComponent("events_slip.zip").path
        #expect(performing: { _ = try Self.run(slipPath) }, throws: { ($0 as? SluiceError)?.message.contains("zip slip") == true })
        let (report, result) = try Self.run(slipPath, onError: .skip)
        #expect(report == "Books,New,3.25,1,1\n")
        #expect(try result.rejects.allRejects().map(\.kind) == [.corruptEntry])
        #expect(!FileManager.default.fileExists(atPath: directory.deletingLastPathComponent().appendingPathComponent("etc/x.json").path))
    }

    @Test("generated archives: the original shape, the same report with 1, 2 and 4 workers, byte-identical regeneration")
    func generated() throws {
        let directory = try TestSupport.temporaryDirectory()
        var generator = EcommerceGenerator(weeks: 2, partsPerDay: 3, eventsPerPart: 400, seed: 5)
        generator.unknownPermille = 20
        let (paths, events) = try generator.write(to: directory.path, workers: 2)
        #expect(events == 2 * 7 * 3 * 400)
        #expect(paths.map { URL(fileURLWithPath: $0).lastPathComponent } == ["events_week_43.zip", "events_week_44.zip"])
        let products = Self.csv(generator.productTable()), customers = Self.csv(generator.customerTable())
        let (first, result) = try Self.run(directory.path, workers: 1, products: products, customers: customers)
        #expect(result.rowsRead == events + 150)
        #expect(result.rowsRejected == 0)
        #expect(result.rows(of: "report") == 20)
        #expect(result.observed("unknown_customer") > 0)
        #expect(result.observed("unknown_product") > 0)
        for workers in [2, 4] {
            let (report, _) = try Self.run(directory.path, workers: workers, products: products, customers: customers)
            #expect(report == first)
        }
        let again = try TestSupport.temporaryDirectory()
        _ = try generator.write(to: again.path, workers: 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: paths[1])) == Data(contentsOf: again.appendingPathComponent("events_week_44.zip")))
    }

    @Test("under a tiny budget the distinct-customer sets spill and the report is the same", arguments: [1, 2])
    func spilling(workers: Int) throws {
        let directory = try TestSupport.temporaryDirectory()
        var generator = EcommerceGenerator(weeks: 1, partsPerDay: 2, eventsPerPart: 10_000, seed: 9)
        generator.customers = 4_000
        generator.purchasePercent = 100
        let (paths, _) = try generator.write(to: directory.path, workers: 2)
        _ = paths
        let products = Self.csv(generator.productTable()), customers = Self.csv(generator.customerTable())
        let (reference, _) = try Self.run(directory.path, workers: workers, products: products, customers: customers, batchRows: 4_096)
        let (bounded, result) = try Self.run(directory.path, workers: workers, products: products, customers: customers,
                                             memory: 3 << 20, batchRows: 512)
        #expect(bounded == reference)
        #expect(result.stages.reduce(0) { $0 + $1.spillBytes } > 0)
    }
}
