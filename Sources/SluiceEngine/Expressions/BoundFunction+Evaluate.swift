import SluiceCore

extension BoundFunction {
    /// Evaluates the function over argument columns of `rows` rows; null in, null out.
    func evaluate(_ arguments: [Column], type: DataType, rows: Int) throws(SluiceError) -> Column {
        switch self {
        case .tryMultiply(let operandType):
            return try Kernels.arithmetic(.multiply, arguments[0], arguments[1], operandType: operandType, result: type, overflowIsNull: true)
        case .hash:
            var hashes = [UInt64](repeating: 0, count: rows)
            for argument in arguments { argument.combineHashes(into: &hashes) }
            return .int64(hashes.map { Int64(bitPattern: $0) })
        case .xxhash64:
            var hashes = [UInt64](repeating: XXH64.seed, count: rows)
            for argument in arguments { argument.xxhash64(into: &hashes) }
            return .int64(hashes.map { Int64(bitPattern: $0) })
        case .concatNonNull(let separator):
            return TextKernels.concatNonNull(arguments, separator: separator, rows: rows)
        case .jsonQuote:
            return TextKernels.jsonQuote(arguments[0], rows: rows)
        case .isEmailAddress, .isHTTPURL:
            return TextKernels.validate(arguments[0], rows: rows, email: { if case .isEmailAddress = self { true } else { false } }())
        case .concat:
            var builder = ColumnBuilder(type: .string, capacity: rows)
            var scratch: [UInt8] = []
            for row in 0..<rows {
                if arguments.contains(where: { $0.isNull(row) }) {
                    builder.appendNull()
                    continue
                }
                scratch.removeAll(keepingCapacity: true)
                for argument in arguments {
                    if case .string(let storage) = argument.storage {
                        storage.withBytes(at: row) { scratch.append(contentsOf: $0) }
                    }
                }
                scratch.withUnsafeBufferPointer { builder.append(bytes: $0) }
            }
            return builder.finish()
        case .dateAddDays:
            guard case .int32(let days) = arguments[0].storage, case .int64(let deltas) = arguments[1].storage else {
                throw SluiceError.internal("dateAddDays on \(arguments[0].type), \(arguments[1].type)")
            }
            var out = [Int32](repeating: 0, count: rows)
            for row in 0..<rows {
                out[row] = Int32(clamping: Int64(days[row]) + deltas[row])
            }
            return Column(type: .date, storage: .int32(out), validity: Column.bothValid(arguments[0], arguments[1]))
        case .dateDiffDays:
            guard case .int32(let a) = arguments[0].storage, case .int32(let b) = arguments[1].storage else {
                throw SluiceError.internal("dateDiffDays on \(arguments[0].type), \(arguments[1].type)")
            }
            return Column(type: .int64, storage: .int64((0..<rows).map { Int64(a[$0]) - Int64(b[$0]) }),
                          validity: Column.bothValid(arguments[0], arguments[1]))
        case .toDate:
            guard case .int64(let micros) = arguments[0].storage else { throw SluiceError.internal("toDate on \(arguments[0].type)") }
            let days = micros.map { t in
                Int32(truncatingIfNeeded: t >= 0 ? t / DateEncoding.microsPerDay : (t - DateEncoding.microsPerDay + 1) / DateEncoding.microsPerDay)
            }
            return Column(type: .date, storage: .int32(days), validity: arguments[0].validity)
        case .year, .month, .day:
            guard case .int32(let days) = arguments[0].storage else { throw SluiceError.internal("\(self) on \(arguments[0].type)") }
            let parts = days.map { day -> Int64 in
                let civil = DateEncoding.civil(day)
                switch self {
                case .year: return Int64(civil.year)
                case .month: return Int64(civil.month)
                default: return Int64(civil.day)
                }
            }
            return Column(type: .int64, storage: .int64(parts), validity: arguments[0].validity)
        default:
            return try evaluateString(arguments[0], type: type, rows: rows)
        }
    }

    /// Functions of one string argument.
    private func evaluateString(_ input: Column, type: DataType, rows: Int) throws(SluiceError) -> Column {
        guard case .string(let storage) = input.storage else {
            throw SluiceError.internal("string function on \(input.type)")
        }
        switch self {
        case .trim: return StringColumnKernels.trim(input, storage, rows: rows)
        case .nullIfEmpty: return StringColumnKernels.nullIfEmpty(input, storage, rows: rows)
        case .lower, .upper:
            if let column = StringColumnKernels.changeCaseASCII(input, storage, rows: rows, upper: isUpper) { return column }
        default: break
        }
        var builder = ColumnBuilder(type: type, capacity: rows)
        var scratch: [UInt8] = []
        for row in 0..<rows {
            if input.isNull(row) {
                builder.appendNull()
                continue
            }
            storage.withBytes(at: row) { bytes in
                switch self {
                case .trim:
                    var start = 0, end = bytes.count
                    while start < end, StringKernels.isSpace(bytes[start]) { start += 1 }
                    while end > start, StringKernels.isSpace(bytes[end - 1]) { end -= 1 }
                    builder.append(bytes: UnsafeBufferPointer(rebasing: bytes[start..<end]))
                case .nullIfEmpty:
                    if bytes.isEmpty { builder.appendNull() } else { builder.append(bytes: bytes) }
                case .lower, .upper:
                    StringKernels.changeCase(bytes, upper: self.isUpper, into: &scratch)
                    scratch.withUnsafeBufferPointer { builder.append(bytes: $0) }
                case .length:
                    builder.append(int64: Int64(bytes.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }))
                case .replace(let from, let to):
                    StringKernels.replace(bytes, from, to, into: &scratch)
                    scratch.withUnsafeBufferPointer { builder.append(bytes: $0) }
                case .splitPart(let delimiter, let index):
                    if let range = StringKernels.splitPart(bytes, delimiter, index) {
                        builder.append(bytes: UnsafeBufferPointer(rebasing: bytes[range]))
                    } else {
                        builder.appendNull()
                    }
                case .substring(let start, let length):
                    let text = String(decoding: bytes, as: UTF8.self)
                    let from = max(0, start - 1)
                    builder.append(string: String(text.dropFirst(from).prefix(max(0, length))))
                case .regexMatch(let compiled):
                    let text = String(decoding: bytes, as: UTF8.self)
                    builder.append(bool: (try? compiled.regex.firstMatch(in: text)) != nil)
                case .regexExtract(let compiled, let group):
                    let text = String(decoding: bytes, as: UTF8.self)
                    if let match = try? compiled.regex.firstMatch(in: text), group < match.output.count,
                       let substring = match.output[group].substring {
                        builder.append(string: String(substring))
                    } else {
                        builder.appendNull()
                    }
                case .parseDate(let formats):
                    if let day = DateEncoding.parseISODate(bytes) ?? formats.lazy.compactMap({ $0.parseDate(bytes) }).first {
                        builder.append(date: day)
                    } else {
                        builder.appendNull()
                    }
                case .parseTimestamp(let formats):
                    if let micros = formats.lazy.compactMap({ $0.parseTimestamp(bytes) }).first {
                        builder.append(int64: micros)
                    } else {
                        builder.appendNull()
                    }
                case .matchedFormat(let formats):
                    if let format = formats.first(where: { $0.parseTimestamp(bytes) != nil }) {
                        builder.append(string: format.pattern)
                    } else {
                        builder.appendNull()
                    }
                case .parseDecimal(let precision, let scale):
                    if let value = DecimalMath.parseExact(bytes, precision: precision, scale: scale) {
                        builder.append(int64: value)
                    } else {
                        builder.appendNull()
                    }
                default:
                    builder.appendNull()
                }
            }
        }
        return builder.finish()
    }

    private var isUpper: Bool {
        if case .upper = self { return true }
        return false
    }
}

/// Byte-level string helpers shared by the functions and the CSV reader.
enum StringKernels {
    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool { TextTrim.isSpace(byte) }

    static func changeCase(_ bytes: UnsafeBufferPointer<UInt8>, upper: Bool, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        if bytes.allSatisfy({ $0 < 0x80 }) {
            for byte in bytes {
                if upper, byte >= 97, byte <= 122 { out.append(byte - 32) } else if !upper, byte >= 65, byte <= 90 { out.append(byte + 32) } else { out.append(byte) }
            }
        } else {
            let text = String(decoding: bytes, as: UTF8.self)
            out.append(contentsOf: (upper ? text.uppercased() : text.lowercased()).utf8)
        }
    }

    static func replace(_ bytes: UnsafeBufferPointer<UInt8>, _ from: [UInt8], _ to: [UInt8], into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var index = 0
        while index < bytes.count {
            if index + from.count <= bytes.count, bytes[index] == from[0],
               (0..<from.count).allSatisfy({ bytes[index + $0] == from[$0] }) {
                out.append(contentsOf: to)
                index += from.count
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
    }

    static func splitPart(_ bytes: UnsafeBufferPointer<UInt8>, _ delimiter: [UInt8], _ index: Int) -> Range<Int>? {
        var part = 1
        var start = 0
        var position = 0
        while position + delimiter.count <= bytes.count {
            if (0..<delimiter.count).allSatisfy({ bytes[position + $0] == delimiter[$0] }) {
                if part == index { return start..<position }
                part += 1
                position += delimiter.count
                start = position
            } else {
                position += 1
            }
        }
        return part == index ? start..<bytes.count : nil
    }
}
