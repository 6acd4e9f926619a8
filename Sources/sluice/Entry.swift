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
