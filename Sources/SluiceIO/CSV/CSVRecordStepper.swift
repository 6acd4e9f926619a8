import SluiceCore

/// What reading one record from a record start gives.
enum RecordStep {
    /// A record of `fields` fields; the next one starts at `next`.
    case record(fields: Int, next: Int, newlines: Int)
    /// The record cannot be read (too long, or a quote that does not close): it is one
    /// reject of this kind, made of its first line, and reading goes on at the next line.
    case resync(RejectKind)
    /// The buffer ends before the step is decided; read more and step again from the start.
    case needMore
}

/// Where one record ends, decided the same way whichever buffer the bytes sit in.
///
/// Every reader of a CSV file — each split's parser, the search for a split's first record
/// and the sniffer — steps from record to record with these rules, so the records of a file
/// do not depend on how it is split. A record is bounded twice: by `maxLineBytes`, and by
/// the lines its quoted values may span. Either bound broken makes the record its first
/// line, rejected, and the next record starts on the next line; so one stray quote costs
/// one row, never the rows after it.
struct CSVRecordStepper {
    let tokenizer: CSVTokenizer
    let maxLineBytes: Int
    /// Newlines the quoted values of one record may hold: `--max-quoted-lines` − 1.
    let maxQuotedNewlines: Int

    init(dialect: CSVDialect, maxLineBytes: Int, maxQuotedLines: Int) {
        tokenizer = CSVTokenizer(dialect)
        self.maxLineBytes = max(1, maxLineBytes)
        maxQuotedNewlines = max(0, maxQuotedLines - 1)
    }

    /// Steps over the record starting at `start`.
    ///
    /// The decision depends only on the record's own bytes: the extent the tokenizer would
    /// reach with unbounded input is compared with `maxLineBytes`, and a buffer that ends
    /// earlier either already proves the record too long or asks for more.
    @inline(__always)
    func step(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, atEnd: Bool, spans: UnsafeMutableBufferPointer<FieldSpan>) -> RecordStep {
        switch tokenizer.scan(bytes, from: start, atEnd: atEnd, spans: spans, maxQuotedNewlines: maxQuotedNewlines) {
        case .complete(let fields, let next, let newlines):
            return next - start > maxLineBytes ? .resync(.lineTooLong) : .record(fields: fields, next: next, newlines: newlines)
        case .unterminated(let at):
            return at - start > maxLineBytes ? .resync(.lineTooLong) : .resync(.unterminatedQuote)
        case .needMore:
            return bytes.count - start > maxLineBytes ? .resync(.lineTooLong) : .needMore
        }
    }

    /// The position just after the first `\n` at or after `from`, whatever the quotes;
    /// `bytes.count` when the input ends first (`atEnd`), nil when more bytes are needed.
    @inline(__always)
    func nextLine(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, atEnd: Bool) -> Int? {
        var position = from
        while position < bytes.count {
            if bytes[position] == UInt8(ascii: "\n") { return position + 1 }
            position += 1
        }
        return atEnd ? bytes.count : nil
    }

    /// The message of a reject made by ``RecordStep/resync(_:)``.
    func message(for kind: RejectKind) -> String {
        if kind == .unterminatedQuote {
            let lines = maxQuotedNewlines + 1
            return "a quoted value opened on this line does not close within \(lines) line\(lines == 1 ? "" : "s") or before the end of the file; "
                + "the line is rejected and reading goes on at the next (if values really span more lines, raise --max-quoted-lines)"
        }
        return "record longer than \(maxLineBytes) bytes (an unclosed quote?)"
    }
}
