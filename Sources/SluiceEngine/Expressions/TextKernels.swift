import SluiceCore

/// Byte-level kernels for the text functions that build documents and check shapes:
/// ``ScalarFunction/concatNonNull(separator:)``, ``ScalarFunction/jsonQuote``,
/// ``ScalarFunction/isEmailAddress`` and ``ScalarFunction/isHTTPURL``. They read each value's
/// UTF-8 bytes in place, with no `String` per row.
enum TextKernels {
    static func concatNonNull(_ arguments: [Column], separator: [UInt8], rows: Int) -> Column {
        var builder = ColumnBuilder(type: .string, capacity: rows)
        var scratch: [UInt8] = []
        for row in 0..<rows {
            scratch.removeAll(keepingCapacity: true)
            var pieces = 0
            for argument in arguments where !argument.isNull(row) {
                guard case .string(let storage) = argument.storage else { continue }
                if pieces > 0 { scratch.append(contentsOf: separator) }
                storage.withBytes(at: row) { scratch.append(contentsOf: $0) }
                pieces += 1
            }
            if pieces == 0 { builder.appendNull() } else { scratch.withUnsafeBufferPointer { builder.append(bytes: $0) } }
        }
        return builder.finish()
    }

    static func jsonQuote(_ input: Column, rows: Int) -> Column {
        var builder = ColumnBuilder(type: .string, capacity: rows)
        var scratch: [UInt8] = []
        let null = Array("null".utf8)
        for row in 0..<rows {
            guard !input.isNull(row), case .string(let storage) = input.storage else {
                null.withUnsafeBufferPointer { builder.append(bytes: $0) }
                continue
            }
            scratch.removeAll(keepingCapacity: true)
            storage.withBytes(at: row) { appendJSONString($0, to: &scratch) }
            scratch.withUnsafeBufferPointer { builder.append(bytes: $0) }
        }
        return builder.finish()
    }

    /// Appends `bytes` as a JSON string literal: quotes, backslashes and control characters
    /// escaped; other bytes (UTF-8 included) as they are.
    static func appendJSONString(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func validate(_ input: Column, rows: Int, email: Bool) -> Column {
        var builder = ColumnBuilder(type: .bool, capacity: rows)
        guard case .string(let storage) = input.storage else {
            for _ in 0..<rows { builder.appendNull() }
            return builder.finish()
        }
        for row in 0..<rows {
            if input.isNull(row) {
                builder.appendNull()
                continue
            }
            let valid = storage.withBytes(at: row) { email ? isEmailAddress($0) : isHTTPURL($0) }
            builder.append(bool: valid)
        }
        return builder.finish()
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
    }

    /// A domain: labels of letters, digits and inner hyphens (1–63 bytes each) joined by
    /// dots, at least `minimumLabels`, the last not all digits.
    static func isDomain(_ bytes: UnsafeBufferPointer<UInt8>, minimumLabels: Int) -> Bool {
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        var labels = 0, length = 0, lastAllDigits = true
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: ".") {
                guard length > 0, bytes[index - 1] != UInt8(ascii: "-") else { return false }
                labels += 1
                length = 0
                lastAllDigits = true
                continue
            }
            if byte == UInt8(ascii: "-") {
                guard length > 0 else { return false }
            } else if !isAlphanumeric(byte) {
                return false
            }
            if byte < 0x30 || byte > 0x39 { lastAllDigits = false }
            length += 1
            guard length <= 63 else { return false }
        }
        guard length > 0, bytes[bytes.count - 1] != UInt8(ascii: "-"), !lastAllDigits else { return false }
        return labels + 1 >= minimumLabels
    }

    static func isEmailAddress(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")), at > 0, at <= 64, bytes.count - at - 1 > 0 else { return false }
        let allowed = Set("!#$%&'*+/=?^_`{|}~-".utf8)
        var previousDot = true
        for byte in bytes[0..<at] {
            if byte == UInt8(ascii: ".") {
                guard !previousDot else { return false }
                previousDot = true
                continue
            }
            guard isAlphanumeric(byte) || allowed.contains(byte) else { return false }
            previousDot = false
        }
        guard !previousDot else { return false }
        return isDomain(UnsafeBufferPointer(rebasing: bytes[(at + 1)...]), minimumLabels: 2)
    }

    static func isHTTPURL(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let lower = bytes.prefix(8).map { $0 | 0x20 }
        let scheme: Int
        if lower.starts(with: Array("https://".utf8)) { scheme = 8 } else if lower.starts(with: Array("http://".utf8)) { scheme = 7 } else { return false }
        var end = scheme
        while end < bytes.count, bytes[end] != UInt8(ascii: "/"), bytes[end] != UInt8(ascii: "?"), bytes[end] != UInt8(ascii: "#") { end += 1 }
        var host = scheme..<end
        // user info and port are allowed around the host
        if let at = bytes[host].lastIndex(of: UInt8(ascii: "@")) { host = (at + 1)..<end }
        if let colon = bytes[host].lastIndex(of: UInt8(ascii: ":")) {
            let port = bytes[(colon + 1)..<host.upperBound]
            guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
            host = host.lowerBound..<colon
        }
        guard bytes[end...].allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { return false }
        return isDomain(UnsafeBufferPointer(rebasing: bytes[host]), minimumLabels: 1)
    }
}
