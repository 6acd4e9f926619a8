import Foundation
import SluiceCore
import SluicePostgres
import SluiceTestSupport
import Testing

@Suite("Private cluster lifecycle", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct LocalClusterTests {
    @Test("status goes notInitialized → running → stopped, the port is kept, and a failed start shows the log")
    func lifecycle() throws {
        let root = try TestSupport.temporaryDirectory("sluice-pg-life")
        defer { try? FileManager.default.removeItem(at: root) }
        let cluster = LocalCluster(directory: root.appendingPathComponent("cluster").path)
        #expect(cluster.status() == .notInitialized)
        #expect(cluster.url == nil)

        let url = try cluster.start()
        defer { try? cluster.stop() }
        guard case .running(let port) = cluster.status() else {
            Issue.record("not running after start")
            return
        }
        #expect(url == "postgresql://sluice@127.0.0.1:\(port)/postgres")
        #expect(try PostgresConnection(url).execute("SELECT 1").rows == [["1"]])

        try cluster.stop()
        #expect(cluster.status() == .stopped)
        #expect(cluster.url == url)
        try cluster.stop()

        try "this is not a setting\n".write(
            toFile: cluster.dataDirectory + "/postgresql.auto.conf", atomically: false, encoding: .utf8
        )
        do {
            try cluster.start()
            Issue.record("expected the start to fail")
        } catch {
            #expect(error.kind == .execution)
            #expect(error.message.hasPrefix("pg_ctl could not start the private PostgreSQL cluster"))
            #expect(error.message.contains("last lines of \(cluster.logFile)"))
            #expect(error.message.contains("syntax error"))
        }
    }

    @Test("missing server programs are a configuration error that says what to install")
    func missingBinaries() throws {
        let root = try TestSupport.temporaryDirectory("sluice-pg-nobin")
        defer { try? FileManager.default.removeItem(at: root) }
        let cluster = LocalCluster(directory: root.appendingPathComponent("c").path, binDirectory: root.appendingPathComponent("nowhere").path)
        #expect(throws: SluiceError.self) { try cluster.start() }
        #expect(cluster.status() == .notInitialized)
    }
}
