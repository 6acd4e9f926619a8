import Foundation
public import SluiceCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private PostgreSQL cluster in a directory of the project, used when no database URL is
/// configured: created on first use, started on demand, reused while it runs.
///
/// Layout of ``directory``: `data/` (the cluster, made by `initdb --auth=trust
/// --username=sluice --encoding=UTF8 --no-locale`), `socket/` (its Unix socket), `port` (the TCP
/// port, remembered between runs) and `server.log`. The server listens on 127.0.0.1 only, on a
/// free port chosen at the first start; trust authentication is safe there because nothing
/// outside the machine can connect.
///
/// **Root.** PostgreSQL refuses to run as root. When this process is root, the directory is
/// given to the `postgres` OS user (`chown -R postgres:`) and `initdb` and `pg_ctl` run as that
/// user through `runuser -u postgres --` (or `su postgres -c`). Every parent of the directory
/// must then be searchable by `postgres`.
///
/// **Binaries** come from ``binDirectory``, else `pg_config --bindir`, else the highest version
/// in `/usr/lib/postgresql/*/bin`, else `PATH`.
///
/// Every call blocks while the programs run (starting can take seconds); call from a thread of
/// your own. The value holds no state besides paths, so copies may be used from any thread, but
/// two processes starting the same cluster at once race.
///
/// ```swift
/// let cluster = LocalCluster()                 // .sluice/postgres
/// let url = try cluster.start()                // postgresql://sluice@127.0.0.1:PORT/postgres
/// ```
public struct LocalCluster: Sendable {
    /// Whether the cluster exists and runs.
    public enum Status: Sendable, Hashable {
        /// No cluster in the directory yet.
        case notInitialized
        /// The cluster exists and no server runs on it.
        case stopped
        /// A server runs on the cluster and listens on 127.0.0.1:`port`.
        case running(port: Int)
    }

    /// The cluster's folder, as an absolute path.
    public let directory: String
    /// A folder holding `initdb` and `pg_ctl`, or nil to search (see the type's documentation).
    public let binDirectory: String?

    /// A cluster in `directory` (relative paths are taken from the working directory); nothing
    /// is created or started until ``start()``.
    public init(directory: String = ".sluice/postgres", binDirectory: String? = nil) {
        let absolute = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        self.directory = URL(fileURLWithPath: absolute).standardizedFileURL.path
        self.binDirectory = binDirectory
    }

    /// The data directory (`PGDATA`).
    public var dataDirectory: String { directory + "/data" }
    /// The directory of the server's Unix socket.
    public var socketDirectory: String { directory + "/socket" }
    /// The server's log.
    public var logFile: String { directory + "/server.log" }
    private var portFile: String { directory + "/port" }

    /// The URL of the cluster (`postgresql://sluice@127.0.0.1:PORT/postgres`), or nil before its
    /// first start.
    public var url: String? {
        if case .running(let port) = status() { return Self.url(port: port) }
        return rememberedPort().map(Self.url(port:))
    }

    static func url(port: Int) -> String { "postgresql://sluice@127.0.0.1:\(port)/postgres" }

    /// Whether the cluster is initialised and running, from its `postmaster.pid`.
    public func status() -> Status {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") else { return .notInitialized }
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else {
            return .stopped
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let pid = lines.first.flatMap({ Int32($0.trimmingCharacters(in: .whitespaces)) }), pid > 0 else {
            return .stopped
        }
        guard kill(pid, 0) == 0 || errno == EPERM else { return .stopped }
        if lines.count > 3, let port = Int(lines[3].trimmingCharacters(in: .whitespaces)) { return .running(port: port) }
        return rememberedPort().map { .running(port: $0) } ?? .stopped
    }

    /// Creates the cluster if needed, starts it unless it runs already, and returns its URL.
    /// - Throws: a ``SluiceError`` that says which step failed (no binaries: `.configuration`;
    ///   `initdb` or `pg_ctl` failing: `.execution`), with the program's output and the tail of
    ///   the server log.
    @discardableResult
    public func start() throws(SluiceError) -> String {
        if case .running(let port) = status() {
            try? String(port).write(toFile: portFile, atomically: true, encoding: .utf8)
            return Self.url(port: port)
        }
        let bin = try requireBinaries()
        try prepareDirectory()
        if status() == .notInitialized {
            let outcome = try ClusterCommand.run(bin + "/initdb", [
                "-D", dataDirectory, "--auth=trust", "--username=sluice", "--encoding=UTF8", "--no-locale",
            ])
            guard outcome.status == 0 else {
                throw failure("initdb failed (exit status \(outcome.status)) creating the private PostgreSQL cluster", outcome)
            }
        }
        let port = rememberedPort().flatMap { ClusterCommand.isPortFree($0) ? $0 : nil } ?? ClusterCommand.freePort()
        guard let port else {
            throw SluiceError(.execution, "cannot find a free TCP port on 127.0.0.1 for the private PostgreSQL cluster")
        }
        do {
            try String(port).write(toFile: portFile, atomically: true, encoding: .utf8)
        } catch {
            throw SluiceError(.io, "cannot write the cluster's port file: \(error.localizedDescription)", location: portFile)
        }
        // A Unix socket path is limited to 107 bytes; deeper folders get TCP only.
        let socketPath = socketDirectory + "/.s.PGSQL.\(port)"
        let socketOption = socketPath.utf8.count < 100
            ? "-k \(ClusterCommand.shellQuote(socketDirectory))"
            : "-c unix_socket_directories=''"
        let outcome = try ClusterCommand.run(bin + "/pg_ctl", [
            "-D", dataDirectory, "-l", logFile, "-w", "-t", "60",
            "-o", "-p \(port) \(socketOption) -c listen_addresses=127.0.0.1 \(Self.batchSettings)", "start",
        ])
        guard outcome.status == 0 else {
            throw failure("pg_ctl could not start the private PostgreSQL cluster (exit status \(outcome.status))", outcome)
        }
        return Self.url(port: port)
    }

    /// Server settings for a private cluster that exists to take batch loads: larger shared
    /// buffers and work memory, checkpoints spaced out, and `wal_level=minimal` (nothing
    /// replicates from it), which lets a table created in the loading transaction skip WAL.
    /// Durability is untouched: `fsync` and `synchronous_commit` keep their defaults.
    static let batchSettings = [
        "shared_buffers=256MB", "work_mem=64MB", "maintenance_work_mem=256MB", "max_wal_size=4GB",
        "checkpoint_timeout=30min", "wal_level=minimal", "max_wal_senders=0",
    ].map { "-c \($0)" }.joined(separator: " ")

    /// Stops the cluster (`pg_ctl stop -m fast`: sessions are ended, nothing is lost); does
    /// nothing when it is not running.
    /// - Throws: an `.execution` ``SluiceError`` with `pg_ctl`'s output and the server log's tail.
    public func stop() throws(SluiceError) {
        guard case .running = status() else { return }
        let bin = try requireBinaries()
        let outcome = try ClusterCommand.run(bin + "/pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
        guard outcome.status == 0 else {
            throw failure("pg_ctl could not stop the private PostgreSQL cluster (exit status \(outcome.status))", outcome)
        }
    }

    // MARK: Binaries

    /// The folder holding `initdb` and `pg_ctl`: `pg_config --bindir`, else the highest version in
    /// `/usr/lib/postgresql/*/bin`, else `PATH`; nil when PostgreSQL's server programs are not installed.
    public static func findBinaries() -> String? {
        if let pgConfig = ClusterCommand.findExecutable("pg_config"),
           let outcome = try? ClusterCommand.run(pgConfig, ["--bindir"], asServerUser: false), outcome.status == 0 {
            let folder = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if hasServerPrograms(folder) { return folder }
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .sorted { (Double($0) ?? 0) > (Double($1) ?? 0) }
        for version in versions where hasServerPrograms("\(root)/\(version)/bin") {
            return "\(root)/\(version)/bin"
        }
        if let initdb = ClusterCommand.findExecutable("initdb") {
            let folder = URL(fileURLWithPath: initdb).resolvingSymlinksInPath().deletingLastPathComponent().path
            if hasServerPrograms(folder) { return folder }
        }
        return nil
    }

    private static func hasServerPrograms(_ folder: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: folder + "/initdb")
            && FileManager.default.isExecutableFile(atPath: folder + "/pg_ctl")
    }

    private func requireBinaries() throws(SluiceError) -> String {
        if let binDirectory { return binDirectory }
        if let found = Self.findBinaries() { return found }
        throw SluiceError(
            .configuration, "no PostgreSQL server programs (initdb, pg_ctl) found for the private cluster",
            hint: "install PostgreSQL (apt install postgresql), or give a server with --db or SLUICE_DATABASE_URL"
        )
    }

    // MARK: Directory

    private func prepareDirectory() throws(SluiceError) {
        do {
            try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        } catch {
            throw SluiceError(.io, "cannot create the cluster directory: \(error.localizedDescription)", location: directory)
        }
        guard ClusterCommand.isRoot else { return }
        guard let account = getpwnam(ClusterCommand.serverUser) else {
            throw SluiceError(
                .configuration, "running as root, and there is no '\(ClusterCommand.serverUser)' OS user to run PostgreSQL as",
                hint: "PostgreSQL refuses to run as root; run sluice as an ordinary user, or pass --db with a server URL"
            )
        }
        let serverUID = account.pointee.pw_uid
        let ownedByServer = [directory, socketDirectory].allSatisfy { path in
            let owner = (try? FileManager.default.attributesOfItem(atPath: path))?[.ownerAccountID] as? NSNumber
            return owner?.uint32Value == serverUID
        }
        if !ownedByServer { try ClusterCommand.giveToServerUser(directory) }
        if let test = ClusterCommand.findExecutable("test", in: ["/usr/bin", "/bin"]),
           let outcome = try? ClusterCommand.run(test, ["-w", directory]), outcome.status != 0 {
            throw SluiceError(
                .configuration, "the '\(ClusterCommand.serverUser)' OS user cannot reach \(directory)",
                location: directory,
                hint: "PostgreSQL runs as '\(ClusterCommand.serverUser)' when sluice runs as root; every parent folder must be searchable by it (chmod o+x), or choose another folder"
            )
        }
    }

    private func rememberedPort() -> Int? {
        guard let text = try? String(contentsOfFile: portFile, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// An error for a failed step, with the program's output and the last lines of the server log.
    private func failure(_ summary: String, _ outcome: ClusterCommand.Outcome) -> SluiceError {
        var message = summary
        let output = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
        if !output.isEmpty { message += "\n" + output }
        if let log = try? String(contentsOfFile: logFile, encoding: .utf8) {
            let tail = log.split(separator: "\n").suffix(20).joined(separator: "\n")
            if !tail.isEmpty { message += "\nlast lines of \(logFile):\n" + tail }
        }
        return SluiceError(
            .execution, message, location: directory,
            hint: "see \(logFile); delete \(directory) to start over with an empty cluster"
        )
    }
}
