import ArgumentParser
import Foundation
import Logging
import SluiceCore
import SluicePostgres
import Synchronization

/// `sluice`: the command-line front of the engine.
struct Sluice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Parallel, memory-bounded batch ETL: partitioned map / shuffle / reduce over CSV, JSON and nested ZIP.",
        subcommands: [RunCommand.self, GenerateCommand.self, ExplainCommand.self, ScanCommand.self, RunsCommand.self, TestCommand.self, ServeCommand.self, TokenCommand.self, DatabaseCommand.self]
    )
}

/// Exit codes (DESIGN §7): 0 ok; 1 the job failed (bad data past the limits, a failed
/// run); 2 usage or configuration error; 128 + N when signal N cancelled the run (130 for
/// SIGINT, 143 for SIGTERM).
enum ExitStatus {
    static func code(for error: SluiceError) -> Int32 {
        let signal = RunSession.receivedSignal.load(ordering: .relaxed)
        if error.kind == .cancelled, signal != 0 { return 128 + signal }
        switch error.kind {
        case .configuration, .plan: return 2
        default: return 1
        }
    }
}

@main
enum Main {
    static func main() {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        do {
            var command = try Sluice.parseAsRoot()
            try command.run()
        } catch let error as SluiceError {
            Terminal.printError(error)
            exit(ExitStatus.code(for: error))
        } catch let error as PostgresError {
            // A connection refused after every retry is the job failing (exit 1); a wrong
            // password or unknown database is configuration (exit 2).
            let converted = error.sluiceError
            Terminal.printError(converted)
            exit(ExitStatus.code(for: converted))
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

/// Sizes glibc's allocator to the memory budget.
///
/// glibc serves large allocations with their own `mmap` (returned to the system on free)
/// and smaller ones from per-thread heaps that keep freed memory for reuse. Reuse is fast —
/// a batch's buffers are not faulted in and zeroed again — but what a heap keeps counts as
/// resident memory that the budget does not see. So the `mmap` threshold follows the budget:
/// a 64th of it, between 256 KB and 4 MB. Batch-sized buffers (a few MB) stay on the heap and
/// are reused; hash tables, shuffle buffers and sort runs, which are larger, go back to the
/// system as soon as they are freed. Each time a heap grows it also takes a 128th of the
/// budget more (up to 64 MB, `M_TOP_PAD`), and keeps that much when it shrinks: without it a
/// heap whose batches come and go grows and trims, faulting in fresh zeroed pages, over and
/// over (measured on the 10M-row credits job: a third less system time, about 40 MB more
/// resident).
///
/// A run given no `--memory` promises no bound on resident memory, so it keeps what it frees:
/// no allocation gets an `mmap` of its own (`M_MMAP_MAX` 0; a worker's heap still maps what
/// exceeds its 64 MB) and there is one heap per worker (`M_ARENA_MAX`), so memory one thread
/// frees serves the next allocation of another. A page faulted in and zeroed costs several
/// microseconds on a virtual machine, and the map side's tables, emitted states and shuffle
/// pieces were being faulted in about twice over: on the 20M-row transactions job the faults
/// halve (373k → 177k), the median wall time of 8 alternated runs falls from 3.43 to 2.87 s
/// and about 90 MB more stays resident (658 → 746 MB). An explicit `--memory` keeps the
/// returning behaviour above, since what a heap keeps would count against its bound (a
/// 256 MB run grew from 266 to 332 MB resident with it).
enum AllocatorTuning {
    static func apply(memoryLimit: Int?, bounded: Bool, workers: Int) {
        #if os(Linux)
        if getenv("SLUICE_MALLOC_DEFAULTS") != nil { return }
        let budget = memoryLimit ?? Int(Int32.max)
        let threshold = Int32(min(4 << 20, max(256 << 10, budget / 64)))
        _ = glibcMallopt(-3, threshold)  // M_MMAP_THRESHOLD
        _ = glibcMallopt(-1, threshold * 2)  // M_TRIM_THRESHOLD
        _ = glibcMallopt(-2, Int32(min(64 << 20, max(128 << 10, budget / 128))))  // M_TOP_PAD
        guard !bounded else { return }
        _ = glibcMallopt(-4, 0)  // M_MMAP_MAX
        _ = glibcMallopt(-8, Int32(clamping: max(1, workers)))  // M_ARENA_MAX
        #endif
    }
}

#if os(Linux)
/// glibc's `mallopt` (declared in malloc.h, which the Glibc module does not export).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
