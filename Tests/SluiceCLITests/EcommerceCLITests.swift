import Foundation
import SluicePostgres
import SluiceTestSupport
import Testing

/// Issue 9: the original ecommerce task's own data — text ids, indented JSON arrays,
/// `quantity` only on purchases, varchar dimension tables — run by the binary into a live
/// PostgreSQL, with an exactly known report.
@Suite("sluice run ecommerce on the original task's shape (the binary, live server)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct EcommerceCLITests {
    /// The original task's tables, created with its own DDL.
    static let dimensions = """
        CREATE TABLE customers (customer_id varchar(10) PRIMARY KEY, join_date date NOT NULL, segment varchar(50) NOT NULL);
        CREATE TABLE products (product_id varchar(10) PRIMARY KEY, product_name varchar(100) NOT NULL,
                               category varchar(50) NOT NULL, price numeric(10,2) NOT NULL);
        INSERT INTO customers VALUES ('c001', '2023-01-05', 'VIP'), ('c002', '2023-03-10', 'New'), ('c003', '2022-11-20', 'Regular');
        INSERT INTO products VALUES ('p001', 'Laptop', 'Electronics', 999.99), ('p002', 'Novel', 'Books', 12.50),
                                    ('p003', 'Garden hose', 'Home & Garden', 24.00);
        """

    /// `json.dump(events, f, indent=2)` of the given events.
    static func part(_ events: [[(String, String)]]) -> String {
        let objects = events.map { fields in
            "  {\n" + fields.map { "    \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n  }"
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]"
    }

    static func event(_ time: String, _ customer: String, _ type: String, _ product: String, _ quantity: Int? = nil) -> [(String, String)] {
        var fields = [("timestamp", "\"2023-10-23T\(time)\""), ("customer_id", "\"\(customer)\""), ("event_type", "\"\(type)\""), ("product_id", "\"\(product)\"")]
        if let quantity { fields.append(("quantity", "\(quantity)")) }
        return fields
    }

    /// `DIR/events_week_43.zip` → `events_2023-10-23.zip`, `events_2023-10-24.zip` → `part-001.json`…, made with `zip`.
    static func archives(in directory: URL, days: [String: [String]]) throws -> URL {
        let events = directory.appendingPathComponent("events")
        let staging = directory.appendingPathComponent("staging")
        try FileManager.default.createDirectory(at: events, withIntermediateDirectories: true)
        var dayArchives: [String] = []
        for (day, parts) in days.sorted(by: { $0.key < $1.key }) {
            let folder = staging.appendingPathComponent(day)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var names: [String] = []
            for (index, text) in parts.enumerated() {
                let name = "part-00\(index + 1).json"
                try Data(text.utf8).write(to: folder.appendingPathComponent(name))
                names.append(name)
            }
            let archive = "events_\(day).zip"
            try zip(archive: staging.appendingPathComponent(archive).path, files: names, in: folder)
            dayArchives.append(archive)
        }
        try zip(archive: events.appendingPathComponent("events_week_43.zip").path, files: dayArchives, in: staging)
        return events
    }

    static func zip(archive: String, files: [String], in folder: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zip")
        process.arguments = ["-q", "-X", archive] + files
        process.currentDirectoryURL = folder
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "zip failed")
    }

    @Test("text ids, indented arrays, quantity only on purchases, varchar tables: the exact report, loaded and re-run unchanged")
    func originalShape() throws {
        let url = try TestCluster.newDatabase("orig")
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        try connection.executeScript(Self.dimensions)
        let directory = try TestSupport.temporaryDirectory()
        let events = try Self.archives(in: directory, days: [
            "2023-10-23": [
                Self.part([
                    Self.event("00:00:37", "c001", "view_product", "p001"),
                    Self.event("00:01:00", "c001", "purchase", "p001", 2),
                    Self.event("00:02:00", "c002", "add_to_cart", "p002"),
                    Self.event("00:03:00", "c002", "purchase", "p002", 3),
                ]),
                Self.part([Self.event("10:00:00", "c003", "purchase", "p003", 1), Self.event("10:05:00", "c001", "purchase", "p002", 1)]),
            ],
            "2023-10-24": [
                Self.part([
                    Self.event("09:00:00", "c002", "purchase", "p001", 1),
                    Self.event("09:30:00", "c099", "purchase", "p001", 1),
                    Self.event("09:40:00", "c001", "purchase", "p050", 2),
                    Self.event("11:00:00", "c003", "view_product", "p003"),
                ]),
            ],
        ])
        let out = directory.appendingPathComponent("reports").path
        let first = try CLI.run(["run", "ecommerce", "--events", events.path, "--db", url, "--out", out, "--workers", "2"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("7 purchases · 1 with an unknown product · 1 with an unknown customer"), "\(first.stdout)")
        let report = try String(contentsOfFile: out + "/sales_report.csv", encoding: .utf8)
        #expect(report == """
        category,customer_segment,total_revenue,units_sold,unique_customers
        Books,New,37.50,3,1
        Books,VIP,12.50,1,1
        Electronics,New,999.99,1,1
        Electronics,VIP,1999.98,2,1
        Home & Garden,Regular,24.00,1,1

        """)
        let perCategory = try FileManager.default.contentsOfDirectory(atPath: out + "/by_category").sorted()
        #expect(perCategory.count == 3)
        #expect(perCategory.contains("Books.csv") && perCategory.contains("Electronics.csv"))
        #expect(perCategory.contains { $0.hasPrefix("Home___Garden-") })
        let rows = try connection.execute("""
            SELECT category || ',' || customer_segment || ',' || total_revenue || ',' || units_sold || ',' || unique_customers
            FROM sales_report ORDER BY category, customer_segment
            """).rows.map { $0[0] ?? "" }
        #expect(rows == report.split(separator: "\n").dropFirst().map(String.init))
        let again = try CLI.run(["run", "ecommerce", "--events", events.path, "--db", url, "--out", out, "--workers", "1"])
        #expect(again.stdout.contains("0 inserted · 0 updated · 5 unchanged · 0 deleted"), "\(again.stdout)")
        #expect(try String(contentsOfFile: out + "/sales_report.csv", encoding: .utf8) == report)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/by_category").sorted() == perCategory)
    }

    @Test("integer ids in the tables and text ids in the events: one clear error naming both, exit 1, nothing written")
    func mismatchedKeys() throws {
        let url = try TestCluster.newDatabase("mismatch")
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        try connection.executeScript("""
            CREATE TABLE customers (customer_id integer PRIMARY KEY, join_date date, segment varchar(50));
            CREATE TABLE products (product_id integer PRIMARY KEY, product_name text, category text, price numeric(10,2));
            INSERT INTO customers VALUES (1, '2023-01-01', 'VIP');
            INSERT INTO products VALUES (1, 'Laptop', 'Electronics', 10.00);
            """)
        let directory = try TestSupport.temporaryDirectory()
        let events = try Self.archives(in: directory, days: ["2023-10-23": [Self.part([Self.event("00:00:01", "c001", "purchase", "p001", 1)])]])
        let out = directory.appendingPathComponent("reports").path
        let run = try CLI.run(["run", "ecommerce", "--events", events.path, "--db", url, "--out", out])
        #expect(run.status == 1)
        let firstLine = run.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.hasPrefix("error: "))
        #expect(firstLine.contains("the events' customer_id is text") && firstLine.contains("customer_id is an integer"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/sales_report.csv"))
        let table = try connection.execute("SELECT to_regclass('sales_report') IS NULL").rows.first?[0]
        #expect(table == "t")
    }
}
