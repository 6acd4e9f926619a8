import CSluiceHints
import SluiceCore

/// The bytes around the values of one top-level object, to read the next object of the same
/// layout without parsing its keys again.
///
/// Exported and pretty-printed JSON repeats one layout object after object: the same keys in
/// the same order, with the same spacing and indent; only the values differ. Once an object
/// has been read member by member, the pieces between its values (`{`, line break, indent,
/// `"customer_id": `, `,` …) are kept with the column each value went to. The next object is
/// read by comparing each piece with the bytes where it falls and reading only the values.
/// When every piece is equal and no value starts with whitespace (which the member-by-member
/// reader would skip, so the piece would have ended too soon), that reader would have seen
/// the same keys in the same places and made the same choices, so the rows are the same; at
/// the first piece that differs, or a value that opens an object (which may be flattened into
/// columns), the object is dropped and read member by member, and its layout is kept.
struct JSONObjectShape {
    /// The pieces, one after another: piece `i` ends at `ends[i]`; there is one more piece
    /// than values (the last runs from the last value through `}`).
    var bytes: [UInt8] = []
    var ends: [Int] = []
    /// The column of each value, or -1 for a value skipped (a key no column names, or a repeat).
    var columns: [Int] = []
    var isValid = false
    /// Objects of the current document this layout read.
    var hits = 0

    /// Keeps the layout of the object at `document[start..<end]`, whose values are `recorded`.
    mutating func record(_ document: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, values recorded: [(start: Int, end: Int, column: Int)]) {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        columns.removeAll(keepingCapacity: true)
        var pieceStart = start
        for value in recorded {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: document[pieceStart..<value.start]))
            ends.append(bytes.count)
            columns.append(value.column)
            pieceStart = value.end
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: document[pieceStart..<end]))
        ends.append(bytes.count)
        isValid = true
        hits = 0
    }
}

/// The two layouts last kept, the one that read more objects first: event files mix a common
/// layout with a rarer one (a purchase has a `quantity` a view does not), and with one layout
/// kept each rare object would replace it twice, reading two objects member by member.
struct JSONObjectShapes {
    var first = JSONObjectShape()
    var second = JSONObjectShape()
    /// Objects of the current document no layout fitted: past 64, and once over a quarter of
    /// those read by a layout, layouts are neither tried nor kept in the document (its layouts
    /// vary, and comparing would only add work).
    var misses = 0
    var hits = 0
    /// The values of the object being read member by member (where each starts and ends, and
    /// its column), and whether its layout can be kept.
    var recorded: [(start: Int, end: Int, column: Int)] = []
    var recordable = false

    var isEnabled: Bool { misses < 64 || misses * 4 < hits }

    mutating func startDocument() {
        (misses, hits, first.hits, second.hits) = (0, 0, 0, 0)
    }

    /// Counts a hit of `second`, which goes first once it has read more objects.
    mutating func secondHit() {
        second.hits += 1
        if second.hits > first.hits { swap(&first, &second) }
    }

    /// Keeps the layout of the object just read, in place of the one that read fewer objects.
    mutating func record(_ document: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) {
        if !first.isValid {
            first.record(document, from: start, to: end, values: recorded)
        } else {
            second.record(document, from: start, to: end, values: recorded)
        }
    }
}

extension JSONRecordDecoder {
    /// Reads one top-level object into the builders; returns the failure that rejects it.
    func object(_ scanner: inout JSONScanner) throws(JSONSyntaxError) -> Failure? {
        let start = scanner.position
        for index in seen.indices { seen[index] = false }
        var failure: Failure?
        var read = false
        if shapes.isEnabled, shapes.first.isValid {
            if let result = try objectByShape(&scanner, shapes.first) {
                (failure, read) = (result, true)
                shapes.first.hits += 1
            } else if shapes.second.isValid, let result = try objectByShape(&scanner, shapes.second) {
                (failure, read) = (result, true)
                shapes.secondHit()
            }
            if read { shapes.hits += 1 } else { shapes.misses += 1 }
        }
        if !read {
            pathLength = 0
            shapes.recorded.removeAll(keepingCapacity: true)
            shapes.recordable = shapes.isEnabled
            guard scanner.consume(UInt8(ascii: "{")) else { throw JSONSyntaxError(position: scanner.position, message: "expected an object") }
            try members(&scanner, failure: &failure)
            if failure == nil, shapes.recordable { shapes.record(scanner.bytes, from: start, to: scanner.position) }
        }
        if failure != nil {
            truncateRow()
            return failure
        }
        for index in seen.indices where !seen[index] { appendNull(column: index) }
        if recordsLines { rowLines.append(line(at: start, in: scanner.bytes)) }
        rows += 1
        return nil
    }

    /// Reads the object at the scanner by `shape`; returns `.some(failure or nil)` when every
    /// piece matched, or nil with nothing appended, `seen` cleared and the position unchanged
    /// when one did not.
    /// - Throws: a value's syntax error, which the member-by-member reader, reaching the same
    ///   value through the same bytes, would throw too.
    private func objectByShape(_ scanner: inout JSONScanner, _ shape: borrowing JSONObjectShape) throws(JSONSyntaxError) -> Failure?? {
        let start = scanner.position
        let document = scanner.bytes
        guard let base = document.baseAddress else { return nil }
        let count = document.count
        let steps = shape.columns.count
        var failure: Failure?
        var position = start
        var pieceStart = 0
        let matched = try shape.bytes.withUnsafeBufferPointer { (pieces) throws(JSONSyntaxError) -> Bool in
            guard let pieceBase = pieces.baseAddress else { return false }
            for step in 0...steps {
                let pieceEnd = shape.ends[step]
                let length = pieceEnd - pieceStart
                guard length <= count - position, sluice_equal_bytes(base + position, pieceBase + pieceStart, length) != 0 else { return false }
                position += length
                pieceStart = pieceEnd
                guard step < steps else { return true }
                // The reader skips whitespace before a value, so a piece that ends before some
                // (`{"a":` of `{"a": 1}`) has not matched; an object may be flattened into
                // columns, or skipped: `members` decides.
                guard position < count, !JSONScanner.isWhitespace(base[position]), base[position] != UInt8(ascii: "{") else { return false }
                scanner.position = position
                let column = shape.columns[step]
                if column >= 0 {
                    seen[column] = true
                    if let problem = try value(&scanner, column: column), failure == nil { failure = problem }
                } else {
                    try scanner.skipValue()
                }
                position = scanner.position
            }
            return true
        }
        guard matched else {
            truncateRow()
            for index in seen.indices { seen[index] = false }
            scanner.position = start
            return nil
        }
        scanner.position = position
        return .some(failure)
    }

    /// Reads members after `{` up to and including `}`, with `path` as the key prefix. At the
    /// top level it notes each value for ``JSONObjectShape``; an object flattened into
    /// columns keeps the layout from being kept.
    func members(_ scanner: inout JSONScanner, failure: inout Failure?) throws(JSONSyntaxError) {
        if scanner.consume(UInt8(ascii: "}")) { return }
        let prefixLength = pathLength
        while true {
            scanner.skipWhitespace()
            let key = try scanner.string()
            truncatePath(to: prefixLength)
            // A plain key at the top level (most keys) is matched where it lies; a nested or
            // escaped one is matched on the path built for it.
            let direct = prefixLength == 0 && !key.escaped
            if key.escaped {
                try scanner.decode(key, into: &scratch)
                scratch.withUnsafeBufferPointer { appendPath($0) }
            } else if !direct {
                appendPath(UnsafeBufferPointer(rebasing: scanner.bytes[key.range]))
            }
            guard scanner.consume(UInt8(ascii: ":")) else { throw JSONSyntaxError(position: scanner.position, message: "expected ':'") }
            scanner.skipWhitespace()
            let valueStart = scanner.position
            var valueColumn = -1
            let column = direct
                ? columnIndex(UnsafeBufferPointer(rebasing: scanner.bytes[key.range]))
                : path.withUnsafeBufferPointer { columnIndex(UnsafeBufferPointer(rebasing: $0[0..<pathLength])) }
            if scanner.peek() == UInt8(ascii: "{"), column.map({ !stringColumns[$0] }) ?? true {
                shapes.recordable = false
                if direct { appendPath(UnsafeBufferPointer(rebasing: scanner.bytes[key.range])) }
                Self.dot.withUnsafeBufferPointer { appendPath($0) }
                if objectPrefixes.contains(Array(path[0..<pathLength])) {
                    scanner.position += 1
                    try members(&scanner, failure: &failure)
                } else {
                    try scanner.skipValue()
                }
            } else if let column, !seen[column] {
                seen[column] = true
                valueColumn = column
                if let problem = try value(&scanner, column: column), failure == nil { failure = problem }
            } else {
                try scanner.skipValue()
            }
            if prefixLength == 0, shapes.recordable { shapes.recorded.append((valueStart, scanner.position, valueColumn)) }
            if scanner.consume(UInt8(ascii: ",")) { continue }
            if scanner.consume(UInt8(ascii: "}")) {
                truncatePath(to: prefixLength)
                return
            }
            throw JSONSyntaxError(position: scanner.position, message: "expected ',' or '}'")
        }
    }
}
