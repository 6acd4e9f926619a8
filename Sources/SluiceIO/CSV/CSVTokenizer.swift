import CSluiceHints
import SluiceCore

/// Where one field of a record lies in the read buffer, and what its bytes need.
struct FieldSpan {
    var start: Int
    var end: Int
    var flags: UInt8

    static let quoted: UInt8 = 1
    /// The field has doubled quotes or escape bytes to remove.
    static let escaped: UInt8 = 2
    /// The field has bytes ≥ 0x80 (UTF-8 must be validated).
    static let nonASCII: UInt8 = 4
    /// Text follows the closing quote (`"ab"c`).
    static let malformed: UInt8 = 8
}

/// The outcome of scanning one record.
enum RecordScan {
    /// The record ends before `next` (the start of the following record).
    case complete(fields: Int, next: Int, newlines: Int)
    /// The buffer ends inside the record; read more and scan again from its start.
    case needMore
    /// A quoted value is still open at `at`: at its `maxQuotedNewlines`-th newline, or at the
    /// end of the input. The record cannot be trusted past its first line.
    case unterminated(at: Int)
}

/// Splits bytes into records and fields for one dialect: the innermost loop of CSV reading.
///
/// A record ends at a `\n` outside quotes (a `\r` before it is dropped); a lone `\r` is
/// data. Inside quotes, newlines and delimiters are data and a quote is escaped by doubling
/// it (or by the escape byte). Unquoted fields stop only at the delimiter and `\n`: their
/// ends come from masks of those two bytes over 64 bytes at a time.
struct CSVTokenizer {
    let delimiter: UInt8
    let quote: UInt8
    let hasQuote: Bool
    let escape: UInt8
    let hasEscape: Bool

    init(_ dialect: CSVDialect) {
        delimiter = dialect.delimiter
        quote = dialect.quote ?? 0
        hasQuote = dialect.quote != nil
        escape = dialect.escape ?? 0
        hasEscape = dialect.escape != nil && dialect.escape != dialect.quote
    }

    /// Scans the record starting at `start` of `bytes`, writing at most `spans.count` field
    /// spans (fields past that are counted but not stored).
    /// - Parameters:
    ///   - atEnd: true when `bytes` ends at the end of the input, so a record without a final
    ///     newline is complete.
    ///   - maxQuotedNewlines: the newlines quoted values of one record may hold; the next one
    ///     makes the record ``RecordScan/unterminated(at:)``.
    @inline(__always)
    func scan(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, atEnd: Bool, spans: UnsafeMutableBufferPointer<FieldSpan>,
              maxQuotedNewlines: Int = .max) -> RecordScan {
        let end = bytes.count
        let newline = UInt8(ascii: "\n")
        let carriage = UInt8(ascii: "\r")
        var position = start
        var fields = 0
        var newlines = 0
        let capacity = spans.count
        // The 64-byte block whose masks the unquoted fields read, and where it starts (none yet).
        var block = sluice_byte_masks()
        var blockStart = Int.min / 2
        while true {
            let fieldStart = position
            var flags: UInt8 = 0
            var fieldEnd: Int
            if hasQuote, position < end, bytes[position] == quote {
                flags = FieldSpan.quoted
                position += 1
                var closed = false
                while position < end {
                    let byte = bytes[position]
                    if byte == quote {
                        if position + 1 < end, bytes[position + 1] == quote, !hasEscape {
                            flags |= FieldSpan.escaped
                            position += 2
                            continue
                        }
                        if position + 1 >= end, !atEnd, !hasEscape { return .needMore }
                        closed = true
                        break
                    }
                    if hasEscape, byte == escape {
                        flags |= FieldSpan.escaped
                        if position + 1 < end, bytes[position + 1] == newline {
                            if newlines >= maxQuotedNewlines { return .unterminated(at: position + 1) }
                            newlines += 1
                        }
                        position += 2
                        continue
                    }
                    if byte == newline {
                        if newlines >= maxQuotedNewlines { return .unterminated(at: position) }
                        newlines += 1
                    }
                    if byte >= 0x80 { flags |= FieldSpan.nonASCII }
                    position += 1
                }
                guard closed else { return atEnd ? .unterminated(at: end) : .needMore }
                fieldEnd = position
                position += 1
                // After the closing quote: a delimiter, a line end (CRLF included), or stray text.
                if position < end {
                    let next = bytes[position]
                    if next == carriage, position + 1 < end, bytes[position + 1] == newline {
                        position += 1
                    } else if next == carriage, position + 1 >= end {
                        if !atEnd { return .needMore }
                        position += 1
                    } else if next != delimiter, next != newline {
                        flags |= FieldSpan.malformed
                        while position < end, bytes[position] != delimiter, bytes[position] != newline { position += 1 }
                    }
                }
                if fields < capacity { spans[fields] = FieldSpan(start: fieldStart + 1, end: fieldEnd, flags: flags) }
            } else {
                // From masks of 64 bytes while they are in the buffer: the first delimiter or
                // newline after the field's start is a trailing-zero count, and one block
                // usually serves every field of a record. Only the buffer's last 63 bytes are
                // read one at a time.
                var found = false
                var highBits: UInt64 = 0
                if let base = bytes.baseAddress {
                    while true {
                        let offset = position - blockStart
                        if offset >= 64 || offset < 0 {
                            guard position + 64 <= end else { break }
                            blockStart = position
                            block = sluice_match_mask64(base + position, delimiter, newline)
                            continue
                        }
                        let ahead = block.matches >> UInt64(offset)
                        if ahead != 0 {
                            let length = ahead.trailingZeroBitCount
                            highBits |= (block.high >> UInt64(offset)) & ((1 << UInt64(length)) &- 1)
                            position += length
                            found = true
                            break
                        }
                        highBits |= block.high >> UInt64(offset)
                        position = blockStart + 64
                    }
                }
                while !found, position < end {
                    let byte = bytes[position]
                    if byte == delimiter || byte == newline { break }
                    highBits |= UInt64(byte >> 7)
                    position += 1
                }
                fieldEnd = position
                if highBits != 0 { flags |= FieldSpan.nonASCII }
                if fields < capacity { spans[fields] = FieldSpan(start: fieldStart, end: fieldEnd, flags: flags) }
            }
            fields += 1
            if position >= end {
                guard atEnd else { return .needMore }
                if fields <= capacity { trimCarriage(bytes, spans, fields - 1) }
                return .complete(fields: fields, next: end, newlines: newlines)
            }
            let byte = bytes[position]
            position += 1
            if byte == newline {
                if fields <= capacity { trimCarriage(bytes, spans, fields - 1) }
                return .complete(fields: fields, next: position, newlines: newlines + 1)
            }
            // A delimiter: the next field starts here (possibly empty at the end of the line).
        }
    }

    /// Drops the `\r` of a CRLF line end from the last field.
    @inline(__always)
    private func trimCarriage(_ bytes: UnsafeBufferPointer<UInt8>, _ spans: UnsafeMutableBufferPointer<FieldSpan>, _ index: Int) {
        let span = spans[index]
        if span.flags & FieldSpan.quoted == 0 {
            if span.end > span.start, bytes[span.end - 1] == UInt8(ascii: "\r") { spans[index].end -= 1 }
        }
    }

    /// The position just after the first `\n` outside quotes at or after `from`, given the
    /// quote state at `from`; nil when the buffer ends first.
    func nextRecordStart(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, inQuotes: Bool) -> Int? {
        var quoted = inQuotes
        var position = from
        while position < bytes.count {
            let byte = bytes[position]
            if hasQuote, byte == quote {
                quoted.toggle()
            } else if byte == UInt8(ascii: "\n"), !quoted {
                return position + 1
            }
            position += 1
        }
        return nil
    }

    /// The field's bytes with quotes unescaped, appended to `out`.
    func unescape(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if hasEscape, byte == escape, index + 1 < bytes.count {
                out.append(bytes[index + 1])
                index += 2
            } else if !hasEscape, hasQuote, byte == quote, index + 1 < bytes.count, bytes[index + 1] == quote {
                out.append(quote)
                index += 2
            } else {
                out.append(byte)
                index += 1
            }
        }
    }
}
