import SluiceCore
import Foundation

/// What the ledger stores to tell whether a re-run read the same input.
public enum InputFingerprint {
    /// A fingerprint of input files: path, size and modification time, plus a hash of their
    /// first and last 64 KB — cheap on a 10 GB file, and different whenever the input changes
    /// in any way a re-run should notice.
    public static func of(_ paths: [String]) -> String {
        var parts: [String] = []
        for path in paths {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes?[.size] as? Int) ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            var hash: UInt64 = 0
            if let handle = FileHandle(forReadingAtPath: path) {
                let head = handle.readData(ofLength: 65_536)
                if size > 131_072 { handle.seek(toFileOffset: UInt64(size - 65_536)) }
                let tail = size > 131_072 ? handle.readData(ofLength: 65_536) : Data()
                try? handle.close()
                hash = (head + tail).withUnsafeBytes { Hash64.bytes($0) }
            }
            parts.append("\(path):\(size):\(Int(modified)):\(String(hash, radix: 16))")
        }
        return parts.joined(separator: ";")
    }
}
