import SluiceCore

/// Finds where a split's records begin without reading the file before it.
///
/// A record spans at most `maxQuotedLines` lines (``CSVRecordStepper``), so the record that
/// first starts at or after a split's first byte starts at one of the next `maxQuotedLines`
/// line starts. The synchronizer follows the chain of records from each of those candidates,
/// always advancing the one furthest behind, until the chains meet: from there on every
/// way of reading the file agrees, so that meeting point is a record start of the real
/// sequential reading, whichever candidate was the true one. The split owns the records
/// from there and its predecessor reads up to it.
///
/// This replaces quote parity, which counted every quote byte and was wrong as soon as a
/// quote stood inside an unquoted field (`FO"OD102`): the records then depended on where
/// splits were cut. Chains that do not meet within the window (pathological text that
/// parses two ways for megabytes) give nil, and the split's bytes are read by its
/// predecessor instead: slower, never different.
enum CSVSynchronizer {
    /// A record start every reading agrees on, and the newlines between the split's first
    /// byte and it.
    struct Point: Equatable {
        var offset: Int
        var newlines: Int
    }

    /// The first agreed record start at or after `from` (> 0), reading at most `window`
    /// bytes; nil when the chains do not meet within them.
    static func sharedRecordStart(in file: ReadableFile, from: Int, stepper: CSVRecordStepper, window: Int) throws(SluiceError) -> Point? {
        let base = from - 1
        var capacity = min(64 << 10, window)
        while true {
            let want = min(capacity, file.size - base)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, want), alignment: 64)
            defer { buffer.deallocate() }
            let got = try file.read(into: buffer, at: base, count: want)
            let atEnd = base + got >= file.size
            let bytes = UnsafeBufferPointer(start: buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), count: got)
            if let meeting = meetingPoint(bytes, atEnd: atEnd, stepper: stepper) {
                let counted = FileSplitter.countBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[min(1, got)..<meeting]),
                                                      UInt8(ascii: "\n"), UInt8(ascii: "\n"))
                return Point(offset: base + meeting, newlines: counted.first)
            }
            if atEnd || capacity >= window { return nil }
            capacity = min(window, capacity * 2)
        }
    }

    /// The index in `bytes` (whose byte 0 is the one before the split) where the chains from
    /// the candidate line starts meet; nil when `bytes` ends first.
    static func meetingPoint(_ bytes: UnsafeBufferPointer<UInt8>, atEnd: Bool, stepper: CSVRecordStepper) -> Int? {
        let wanted = stepper.maxQuotedNewlines + 1
        var active: [Int] = []
        var position = 0
        while active.count < wanted, position < bytes.count {
            if bytes[position] == UInt8(ascii: "\n") { active.append(position + 1) }
            position += 1
        }
        if active.count < wanted {
            guard atEnd else { return nil }
            if active.last != bytes.count { active.append(bytes.count) }
        }
        let spans = UnsafeMutableBufferPointer<FieldSpan>(start: nil, count: 0)
        while active.count > 1 {
            let behind = active.removeFirst()
            let next: Int
            if behind >= bytes.count {
                return nil
            }
            switch stepper.step(bytes, from: behind, atEnd: atEnd, spans: spans) {
            case .record(_, let end, _):
                next = end
            case .resync:
                guard let line = stepper.nextLine(bytes, from: behind, atEnd: atEnd) else { return nil }
                next = line
            case .needMore:
                return nil
            }
            var index = active.endIndex
            while index > active.startIndex, active[index - 1] > next { index -= 1 }
            if index == active.startIndex || active[index - 1] != next { active.insert(next, at: index) }
        }
        return active.first
    }
}
