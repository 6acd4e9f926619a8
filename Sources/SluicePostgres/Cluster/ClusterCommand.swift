import Foundation
import SluiceCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the PostgreSQL server programs (`initdb`, `pg_ctl`) for ``LocalCluster``, as the
/// `postgres` OS user when this process is root.
///
/// Children are started with `posix_spawn` and reaped with `waitpid`, which block only the
/// calling thread. (Foundation's `Process` needs a free Dispatch thread to notice that a child
/// exited, and deadlocks when the caller itself occupies one of the few cooperative threads.)
/// Output goes to a temporary file rather than a pipe: `pg_ctl start` leaves a server running
/// that must not hold a pipe of ours open, and a file never fills up and blocks the child.
struct ClusterCommand {
    /// What one run printed and how it ended.
    struct Outcome {
        /// The exit status, or 128 + the signal number when a signal ended the program.
        var status: Int32
        var output: String
    }

    /// The OS user PostgreSQL runs as when we are root.
    static let serverUser = "postgres"

    /// True when this process runs as root, which PostgreSQL refuses to run as.
    static var isRoot: Bool { geteuid() == 0 }

    /// Runs `executable arguments…` and waits; as `postgres` through `runuser -u postgres --`
    /// (or `su postgres -c` when runuser is missing) when we are root and `asServerUser`.
    /// - Throws: a `.configuration` ``SluiceError`` when the program cannot be started.
    static func run(_ executable: String, _ arguments: [String], asServerUser: Bool = true) throws(SluiceError) -> Outcome {
        var program = executable
        var argv = arguments
        if isRoot && asServerUser {
            if let runuser = findExecutable("runuser", in: ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]) {
                program = runuser
                argv = ["-u", serverUser, "--", executable] + arguments
            } else if let su = findExecutable("su", in: ["/usr/bin", "/bin"]) {
                program = su
                argv = [serverUser, "-c", ([executable] + arguments).map(shellQuote).joined(separator: " ")]
            } else {
                throw SluiceError(
                    .configuration, "running as root, but neither runuser nor su is available to run PostgreSQL as '\(serverUser)'",
                    hint: "run sluice as an ordinary user, or pass --db with a server URL"
                )
            }
        }
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-postgres-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out").path
        defer { unlink(outputPath) }
        var environment = ProcessInfo.processInfo.environment
        for key in ["PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGDATABASE"] { environment[key] = nil }
        environment["LC_ALL"] = "C"
        let status = spawnAndWait(program, [program] + argv, environment.map { "\($0.key)=\($0.value)" }, outputPath)
        guard let status else {
            throw SluiceError(
                .configuration, "cannot run \(program): \(String(cString: strerror(errno)))",
                hint: "check the PostgreSQL installation (initdb and pg_ctl)"
            )
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return Outcome(status: status, output: output)
    }

    /// Starts `path` with `argv` and `environment`, standard input from /dev/null and both
    /// output streams into `outputPath`, with default signal handling and an empty signal mask;
    /// waits for it and returns its status, or nil (with `errno` set) when it cannot start.
    private static func spawnAndWait(_ path: String, _ argv: [String], _ environment: [String], _ outputPath: String) -> Int32? {
        #if canImport(Glibc)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of ours may reach the child: `pg_ctl start` leaves a server running,
        // and a descriptor it inherited (the write end of the pipe our own caller reads our
        // output from, say) would stay open as long as the server runs.
        for descriptor in inheritableDescriptors() { posix_spawn_file_actions_addclose(&actions, descriptor) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArguments = argv.map { strdup($0) }
        let cEnvironment = environment.map { strdup($0) }
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid = pid_t()
        let argumentArray = cArguments + [nil]
        let environmentArray = cEnvironment + [nil]
        let result = posix_spawn(&pid, path, &actions, &attributes, argumentArray, environmentArray)
        guard result == 0 else {
            errno = result
            return nil
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { return 255 }
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// This process's open descriptors above 2 that a child would inherit (no close-on-exec).
    private static func inheritableDescriptors() -> [Int32] {
        let listed = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) }
        let candidates = listed ?? Array(3..<1_024)
        return candidates.filter { descriptor in
            guard descriptor > 2 else { return false }
            let flags = fcntl(descriptor, F_GETFD)
            return flags >= 0 && flags & FD_CLOEXEC == 0
        }
    }

    /// Gives `path` and everything under it to the `postgres` user (`chown -R postgres: path`).
    static func giveToServerUser(_ path: String) throws(SluiceError) {
        guard let chown = findExecutable("chown", in: ["/usr/bin", "/bin"]) else {
            throw SluiceError(.configuration, "chown is not available to give \(path) to the '\(serverUser)' user")
        }
        let outcome = try run(chown, ["-R", "\(serverUser):", path], asServerUser: false)
        guard outcome.status == 0 else {
            throw SluiceError(
                .configuration,
                "cannot give \(path) to the '\(serverUser)' user (chown exited with \(outcome.status)): \(outcome.output)",
                hint: "PostgreSQL refuses to run as root, so its files must belong to '\(serverUser)'; check that the user exists"
            )
        }
    }

    /// The first executable called `name` in `directories`, then on `PATH`.
    static func findExecutable(_ name: String, in directories: [String] = []) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = directories + path.split(separator: ":").map(String.init)
        for directory in candidates where !directory.isEmpty {
            let full = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: full) { return full }
        }
        return nil
    }

    /// `text` in single quotes for /bin/sh, with embedded quotes as `'\''`.
    static func shellQuote(_ text: String) -> String {
        var quoted = "'"
        for character in text {
            if character == "'" { quoted += "'\\''" } else { quoted.append(character) }
        }
        return quoted + "'"
    }

    /// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
    static func freePort() -> Int? {
        let descriptor = socket(AF_INET, streamSocket, 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// True when `port` on 127.0.0.1 can be bound (nothing listens there).
    static func isPortFree(_ port: Int) -> Bool {
        guard (1...65_535).contains(port) else { return false }
        let descriptor = socket(AF_INET, streamSocket, 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = loopback(port: UInt16(port))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return bound == 0
    }

    #if canImport(Glibc)
    private static let streamSocket = Int32(SOCK_STREAM.rawValue)
    #else
    private static let streamSocket = SOCK_STREAM
    #endif

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
