import ArgumentParser
import Foundation
import Logging
import SluiceCore

/// `sluice`: the command-line front of the engine.
struct Sluice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Parallel, memory-bounded batch ETL: partitioned map / shuffle / reduce over CSV, JSON and nested ZIP.",
        subcommands: [RunCommand.self, GenerateCommand.self, ExplainCommand.self, ScanCommand.self]
    )
}

/// Exit codes (DESIGN §7): 0 ok; 1 the job failed (bad data past the limits, a failed
/// run); 2 usage or configuration error.
enum ExitStatus {
    static func code(for error: SluiceError) -> Int32 {
        switch error.kind {
        case .configuration, .plan: 2
        default: 1
        }
    }
}

@main
enum Main {
    static func main() {
        AllocatorTuning.apply()
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        do {
            var command = try Sluice.parseAsRoot()
            try command.run()
        } catch let error as SluiceError {
            Terminal.printError(error)
            exit(ExitStatus.code(for: error))
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            let code = Sluice.exitCode(for: error)
            if code == .success || code == .validationFailure || error is ValidationError || error is CleanExit {
                let message = Sluice.fullMessage(for: error)
                if code == .success {
                    print(message)
                    exit(0)
                }
                FileHandle.standardError.write(Data((message + "\n").utf8))
                exit(2)
            }
            FileHandle.standardError.write(Data(("error: \(error)\n").utf8))
            exit(1)
        }
    }
}

/// glibc serves every allocation above 128 KB (growing to at most 32 MB) with its own
/// `mmap`, and gives it back on free: every batch's column buffers would then be fresh pages
/// the kernel has to fault in and zero. Raising the threshold keeps batch-sized buffers on
/// the heap, where freed ones are reused.
enum AllocatorTuning {
    static func apply() {
        #if os(Linux)
        _ = glibcMallopt(-3, 64 << 20)  // M_MMAP_THRESHOLD
        _ = glibcMallopt(-1, 128 << 20)  // M_TRIM_THRESHOLD
        #endif
    }
}

#if os(Linux)
/// glibc's `mallopt` (declared in malloc.h, which the Glibc module does not export).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
