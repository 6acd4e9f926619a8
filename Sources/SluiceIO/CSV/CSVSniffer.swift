public import SluiceCore

/// Reads the start of a file to find its dialect, header and column types, the way DuckDB's
/// and Polars' CSV readers do: try each candidate delimiter, keep the one that splits the
/// sample into the most consistent number of fields, then type each column by the values
/// in the sample.
public enum CSVSniffer {
    public static let candidateDelimiters: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: "|"), UInt8(ascii: ";"), UInt8(ascii: "\t")]

    /// Splits the sample into records of field texts (at most `limit` records), as the
    /// reader would; the last record is dropped when the sample ends inside it.
    static func records(_ sample: UnsafeBufferPointer<UInt8>, dialect: CSVDialect, atEnd: Bool, limit: Int) -> [[String]] {
        let stepper = CSVRecordStepper(dialect: dialect, maxLineBytes: 1 << 20, maxQuotedLines: CSVOptions.defaultMaxQuotedLines)
        let tokenizer = stepper.tokenizer
        let spans = UnsafeMutableBufferPointer<FieldSpan>.allocate(capacity: 4096)
        defer { spans.deallocate() }
        var records: [[String]] = []
        var position = 0
        var scratch: [UInt8] = []
        while position < sample.count, records.count < limit {
            let step = stepper.step(sample, from: position, atEnd: atEnd, spans: spans)
            if case .resync = step, let line = stepper.nextLine(sample, from: position, atEnd: atEnd) {
                position = line
                continue
            }
            guard case .record(let fields, let next, _) = step else { break }
            var texts: [String] = []
            for index in 0..<min(fields, spans.count) {
                let span = spans[index]
                let slice = UnsafeBufferPointer(rebasing: sample[span.start..<max(span.start, span.end)])
                if span.flags & FieldSpan.escaped != 0 {
                    tokenizer.unescape(slice, into: &scratch)
                    texts.append(String(decoding: scratch, as: UTF8.self))
                } else {
                    texts.append(String(decoding: slice, as: UTF8.self))
                }
            }
            let blank = fields == 1 && texts[0].isEmpty
            if !blank { records.append(texts) }
            position = next
        }
        return records
    }

    /// The delimiter among the candidates that gives the most consistent field count (more
    /// fields breaking ties); `,` when nothing splits the sample.
    public static func detectDelimiter(_ sample: UnsafeBufferPointer<UInt8>, quote: UInt8?, atEnd: Bool) -> UInt8 {
        var best: (delimiter: UInt8, consistent: Int, fields: Int) = (UInt8(ascii: ","), 0, 1)
        for delimiter in candidateDelimiters {
            let dialect = CSVDialect(delimiter: delimiter, quote: quote, hasHeader: false)
            let counts = records(sample, dialect: dialect, atEnd: atEnd, limit: 100).map(\.count)
            guard !counts.isEmpty else { continue }
            let modal = Dictionary(grouping: counts, by: { $0 }).max { ($0.value.count, $0.key) < ($1.value.count, $1.key) }
            guard let modal, modal.key > 1 else { continue }
            if (modal.value.count, modal.key) > (best.consistent, best.fields) {
                best = (delimiter, modal.value.count, modal.key)
            }
        }
        return best.delimiter
    }

    /// The narrowest type every non-empty sample value of a column fits: bool, int64
    /// (no leading zeros, so ids like `0023938` stay text), float64, date, timestamp, else
    /// string.
    public static func inferType(_ values: [String]) -> DataType {
        var canBool = true, canInt = true, canFloat = true, canDate = true, canTimestamp = true
        var seen = false
        for value in values where !value.isEmpty {
            seen = true
            let lower = value.lowercased()
            if canBool, !["true", "false"].contains(lower) { canBool = false }
            if canInt, !looksLikeInteger(value) { canInt = false }
            if canFloat, !(looksLikeInteger(value) || (Double(value) != nil && value.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) && !lower.contains("n"))) {
                canFloat = false
            }
            if canDate, DateEncoding.parseDate(value) == nil { canDate = false }
            if canTimestamp, DateEncoding.parseTimestamp(value) == nil {
                canTimestamp = false
            }
        }
        guard seen else { return .string }
        if canBool { return .bool }
        if canInt { return .int64 }
        if canFloat { return .float64 }
        if canDate { return .date }
        if canTimestamp { return .timestamp }
        return .string
    }

    static func looksLikeInteger(_ value: String) -> Bool {
        var digits = Substring(value)
        if digits.first == "-" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        return digits.count == 1 || digits.first != "0"
    }
}
