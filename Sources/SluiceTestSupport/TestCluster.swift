public import Foundation
public import SluiceCore
public import SluicePostgres
public import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One private PostgreSQL cluster per test run, in a temporary directory, started on first use
/// and stopped (its directory removed) when the test process exits. Integration suites are skipped (with a message) only
/// when no PostgreSQL server programs are installed; a cluster that fails to start fails them.
public enum TestCluster {
    public static let binaries = LocalCluster.findBinaries()
    public static let available = binaries != nil
    public static let skipReason: Comment = "no PostgreSQL server programs (initdb, pg_ctl) found; integration tests skipped"

    public static let cluster: Result<LocalCluster, SluiceError> = {
        do {
            let directory = try TestSupport.temporaryDirectory("sluice-pg").appendingPathComponent("cluster").path
            return .success(LocalCluster(directory: directory))
        } catch {
            return .failure(SluiceError(.io, "cannot create a temporary directory: \(error)"))
        }
    }()

    /// The cluster's URL; starting it happens once, on first access, whichever test comes first.
    public static let url: Result<String, SluiceError> = {
        do throws(SluiceError) {
            let cluster = try cluster.get()
            let url = try cluster.start()
            atexit { TestCluster.stopAtExit() }
            return .success(url)
        } catch {
            return .failure(error)
        }
    }()

    /// Stops the server and removes its temporary directory.
    static func stopAtExit() {
        guard case .success(let cluster) = cluster else { return }
        try? cluster.stop()
        let parent = URL(fileURLWithPath: cluster.directory).deletingLastPathComponent()
        try? FileManager.default.removeItem(at: parent)
    }

    /// A new connection to the test cluster's `postgres` database.
    public static func connect() throws -> PostgresConnection {
        try PostgresConnection(url.get())
    }

    /// A table name unique to this test process and call.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
    }

    /// A fresh, empty database on the test cluster, for a test that must not see others' tables;
    /// returns its URL.
    public static func newDatabase(_ prefix: String = "test") throws -> String {
        let name = uniqueName(prefix)
        let connection = try connect()
        defer { connection.close() }
        try connection.execute("CREATE DATABASE \(Identifier.quote(name))")
        return DatabaseURL(try url.get()).withDatabase(name).connectionString
    }
}
