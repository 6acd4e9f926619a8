import Foundation
import SluiceCore

/// Printing to the terminal: errors, numbers and sizes the way the summary shows them.
enum Terminal {
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// One readable line first, then the location and hint on their own lines.
    static func printError(_ error: SluiceError) {
        var text = "error: \(error.message)\n"
        if let location = error.location { text += "  at: \(location)\n" }
        if let hint = error.hint { text += "  hint: \(hint)\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// `20,000,000`
    static func count(_ value: Int) -> String { CountText.grouped(value) }

    /// `1.234 s`
    static func seconds(_ nanos: UInt64) -> String {
        let value = Double(nanos) / 1e9
        return value < 10 ? String(format: "%.3f s", value) : String(format: "%.1f s", value)
    }

    static func bytes(_ value: Int) -> String { ByteCount.format(value) }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
