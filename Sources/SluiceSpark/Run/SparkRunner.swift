import Foundation
public import SluiceCore
public import SluiceEngine

/// Runs a ``SparkScript`` with `spark-sql -f` and finds what it wrote.
///
/// Spark's log goes to a file under the staging folder; what the user sees is Spark's stage
/// progress (its console progress bar, parsed) and, when the script fails, one line: Spark's
/// error, with the log's path for the rest. A run that is cancelled (Ctrl-C, SIGTERM) stops
/// the Spark process.
public enum SparkRunner {
    /// Stage progress as Spark reports it: `[Stage 3:====>   (12 + 2) / 40]`.
    public struct Progress: Sendable, Equatable {
        public var stage: Int
        public var done: Int
        public var running: Int
        public var total: Int
    }

    /// Runs `script`, writing its outputs under `staging`.
    /// - Parameter progress: called with each progress report (from a background thread).
    /// - Throws: a configuration error when Spark cannot be started; an execution error with
    ///   Spark's message when the script fails; `.cancelled` when the run is.
    public static func run(_ script: SparkScript, settings: SparkSettings, staging: String, runtime: ExecutionRuntime,
                           progress: @escaping @Sendable (Progress) -> Void = { _ in }) throws(SluiceError) {
        let program = try settings.sparkSQL()
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(atPath: staging, withIntermediateDirectories: true)
        } catch {
            throw SluiceError(.io, "cannot create the Spark staging folder: \(error.localizedDescription)", location: staging)
        }
        let scriptPath = (staging as NSString).appendingPathComponent("job.sql")
        let logPath = (staging as NSString).appendingPathComponent("spark.log")
        let logConfig = (staging as NSString).appendingPathComponent("log4j2.properties")
        do {
            try script.text(staging: staging).write(toFile: scriptPath, atomically: true, encoding: .utf8)
            try Self.logConfiguration(logPath).write(toFile: logConfig, atomically: true, encoding: .utf8)
        } catch {
            throw SluiceError(.io, "cannot write the Spark script: \(error.localizedDescription)", location: staging)
        }
        var arguments = ["--master", settings.master, "--driver-java-options", "-Dlog4j.configurationFile=file:\(logConfig)"]
        // The script makes only temporary views: no Hive metastore is needed (it costs a third
        // of spark-sql's start-up, and a derby folder).
        let defaults: [(String, String)] = [
            ("spark.ui.enabled", "false"), ("spark.ui.showConsoleProgress", "true"), ("spark.sql.session.timeZone", "UTC"),
            ("spark.sql.ansi.enabled", "true"), ("spark.sql.catalogImplementation", "in-memory"),
        ]
        for (key, value) in defaults + settings.conf { arguments += ["--conf", "\(key)=\(value)"] }
        arguments += ["-S", "-f", scriptPath]

        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: staging)
        let errors = Pipe(), output = Pipe()
        process.standardError = errors
        process.standardOutput = output
        let lines = LineCollector(progress: progress)
        errors.fileHandleForReading.readabilityHandler = { handle in lines.consume(handle.availableData) }
        output.fileHandleForReading.readabilityHandler = { handle in lines.consume(handle.availableData) }
        do {
            try process.run()
        } catch {
            throw SluiceError(.configuration, "cannot start \(program): \(error.localizedDescription)", hint: "check the Spark install and that Java is installed")
        }
        while process.isRunning {
            if runtime.cancellation.isCancelled {
                process.terminate()
                process.waitUntilExit()
                break
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        process.waitUntilExit()
        errors.fileHandleForReading.readabilityHandler = nil
        output.fileHandleForReading.readabilityHandler = nil
        lines.consume(errors.fileHandleForReading.readDataToEndOfFile())
        lines.consume(output.fileHandleForReading.readDataToEndOfFile())
        try runtime.cancellation.check()
        guard process.terminationStatus == 0 else {
            throw SluiceError(.execution, "Spark failed: \(lines.error ?? "exit status \(process.terminationStatus)")", location: logPath,
                              hint: "the full log is at \(logPath); run with --keep-staging to keep it")
        }
        for output in script.outputs {
            let folder = SparkScript.folder(output, staging: staging)
            guard fileManager.fileExists(atPath: (folder as NSString).appendingPathComponent("_SUCCESS")) else {
                throw SluiceError(.execution, "Spark finished without writing \(output.name) (no _SUCCESS)", location: folder,
                                  hint: "the log is at \(logPath)")
            }
        }
    }

    /// The part files of an output, in order (Spark numbers them in the order of its rows).
    public static func partFiles(_ output: SparkOutput, staging: String) throws(SluiceError) -> [String] {
        let folder = SparkScript.folder(output, staging: staging)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw SluiceError(.io, "cannot list Spark's output: \(error.localizedDescription)", location: folder)
        }
        return names.filter { $0.hasPrefix("part-") }.sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    /// A log4j2 configuration that writes Spark's log to `path` and only errors to the console.
    static func logConfiguration(_ path: String) -> String {
        """
        rootLogger.level = warn
        rootLogger.appenderRef.file.ref = file
        rootLogger.appenderRef.console.ref = console
        appender.file.type = File
        appender.file.name = file
        appender.file.fileName = \(path)
        appender.file.layout.type = PatternLayout
        appender.file.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
        appender.console.type = Console
        appender.console.name = console
        appender.console.target = SYSTEM_ERR
        appender.console.layout.type = PatternLayout
        appender.console.layout.pattern = %p %c{1}: %m%n
        appender.console.filter.threshold.type = ThresholdFilter
        appender.console.filter.threshold.level = error

        """
    }
}

/// Splits Spark's console output into lines and progress reports, keeping the first error.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [UInt8] = []
    private var firstError: String?
    private var fatal = false
    private let progress: @Sendable (SparkRunner.Progress) -> Void

    init(progress: @escaping @Sendable (SparkRunner.Progress) -> Void) {
        self.progress = progress
    }

    var error: String? { lock.withLock { firstError } }

    func consume(_ data: Data) {
        guard !data.isEmpty else { return }
        var reports: [SparkRunner.Progress] = []
        lock.withLock {
            for byte in data {
                if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                    let line = String(decoding: pending, as: UTF8.self)
                    pending.removeAll(keepingCapacity: true)
                    if let report = Self.progress(in: line) { reports.append(report) } else { note(line) }
                } else {
                    pending.append(byte)
                }
            }
        }
        reports.forEach(progress)
    }

    /// Keeps the error Spark ends with: the query's own error (`Error in query`, an error
    /// class in brackets, an exception) over log lines at ERROR level, which Spark also
    /// prints for problems it recovers from (a code generator falling back).
    private func note(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return }
        if trimmed.hasPrefix("Error in query") || trimmed.hasPrefix("[") || trimmed.contains("Exception:") {
            if !fatal { firstError = trimmed }
            fatal = true
        } else if firstError == nil, trimmed.hasPrefix("ERROR") {
            firstError = trimmed
        }
    }

    /// `[Stage 3:====>   (12 + 2) / 40]` → stage 3, 12 done, 2 running, 40 in all.
    static func progress(in line: String) -> SparkRunner.Progress? {
        guard let open = line.range(of: "[Stage "), let colon = line[open.upperBound...].firstIndex(of: ":"),
              let stage = Int(line[open.upperBound..<colon].split(separator: " ").first ?? ""),
              let left = line.lastIndex(of: "("), let close = line.lastIndex(of: ")") else { return nil }
        let inside = line[line.index(after: left)..<close].split(separator: "+").map { $0.trimmingCharacters(in: .whitespaces) }
        let after = line[line.index(after: close)...].split(separator: "/").last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " ]")) }
        guard inside.count == 2, let done = Int(inside[0]), let running = Int(inside[1]), let total = after.flatMap({ Int($0) }) else { return nil }
        return SparkRunner.Progress(stage: stage, done: done, running: running, total: total)
    }
}
