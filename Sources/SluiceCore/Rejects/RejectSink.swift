

/// Why a row was rejected: a short machine-readable kind (`field_count`, `invalid_value`,
/// `unknown_action`, …) that groups rejects in reports. Sources use the kinds below; any
/// stage of a plan can name its own (``init(_:)``), so the set is open, like an error code.
public struct RejectKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    public static let fieldCount: RejectKind = "field_count"
    public static let castFailure: RejectKind = "cast_failure"
    public static let invalidUTF8: RejectKind = "invalid_utf8"
    public static let lineTooLong: RejectKind = "line_too_long"
    public static let typeConflict: RejectKind = "type_conflict"
    public static let invalidValue: RejectKind = "invalid_value"
    public static let corruptEntry: RejectKind = "corrupt_entry"
    /// A number too large for its column's type (or a value a job declares impossible, such
    /// as a negative quantity, is ``invalidValue``).
    public static let overflow: RejectKind = "overflow"
    /// A quoted value that does not close within the allowed number of lines, or by the end
    /// of the input; the record is its first line and reading goes on at the next.
    public static let unterminatedQuote: RejectKind = "unterminated_quote"
    /// Bytes after the end of a JSON document that are not another document.
    public static let trailingData: RejectKind = "trailing_data"
    /// A dimension row whose key another row already has.
    public static let duplicateKey: RejectKind = "duplicate_key"
}

/// One rejected input row: where it was, what was wrong, and the raw text.
public struct Reject: Sendable, Equatable {
    public var source: String
    public var line: Int
    public var byteOffset: Int
    public var column: String?
    public var kind: RejectKind
    public var raw: String
    public var message: String

    public init(source: String, line: Int, byteOffset: Int, column: String?, kind: RejectKind, raw: String, message: String) {
        self.source = source
        self.line = line
        self.byteOffset = byteOffset
        self.column = column
        self.kind = kind
        self.raw = raw
        self.message = message
    }
}

/// Per-file counts that prove no row was lost: `read == passed + rejected + apart`.
public struct SourceCounts: Sendable, Equatable {
    public var source: String
    public var read = 0
    public var passed = 0
    public var rejected = 0
    /// Rows a pipeline counts apart from passed and rejected (exact duplicates, say).
    public var apart = 0
    /// Of the rows apart, the blank lines (counted only where the source is asked to).
    public var blank = 0

    public init(source: String) {
        self.source = source
    }
}

/// Collects rejects from every task, keeps every one of them with its raw text, and
/// enforces the run's reject limit.
///
/// Up to `retain` rejects are held in memory; past that the held ones are sorted and written
/// to a run file under the temporary directory (``RejectRun``), so a file with millions of
/// bad rows keeps them all in bounded memory. ``forEachSorted(batchRows:_:)`` merges the runs
/// and what is still held, in source and line order.
public final class RejectSink: Sendable {
    /// The most rejects held in memory before they are written to a run file.
    public let retain: Int
    /// Fail the run once more than this many rows are rejected (nil: no count limit).
    public let maxRejects: Int?
    /// Fail the run when rejected / read exceeds this ratio at the end (nil: no ratio limit).
    public let maxRejectRatio: Double?
    /// Where run files go once more than `retain` rejects are held.
    public let temporaryDirectory: String
    private let state = Locked(State())

    private struct State {
        var held: [Reject] = []
        var runs: [RejectRun] = []
        var total = 0
        var byKind: [RejectKind: Int] = [:]
        var counts: [String: SourceCounts] = [:]
        var order: [String] = []
    }

    public init(retain: Int = 50_000, maxRejects: Int? = nil, maxRejectRatio: Double? = nil, temporaryDirectory: String = "/tmp") {
        self.retain = max(1, retain)
        self.maxRejects = maxRejects
        self.maxRejectRatio = maxRejectRatio
        self.temporaryDirectory = temporaryDirectory
    }

    static func ordered(_ a: Reject, _ b: Reject) -> Bool {
        (a.source, a.line, a.byteOffset) < (b.source, b.line, b.byteOffset)
    }

    /// Records rejects and throws a data error once the count limit is passed.
    public func add(_ rejects: [Reject]) throws(SluiceError) {
        guard !rejects.isEmpty else { return }
        let directory = temporaryDirectory, retain = self.retain
        let total = try state.withLock { (state: inout State) throws(SluiceError) -> Int in
            state.held += rejects
            for reject in rejects { state.byKind[reject.kind, default: 0] += 1 }
            state.total += rejects.count
            if state.held.count >= retain {
                state.held.sort(by: Self.ordered)
                state.runs.append(try RejectRun(state.held, directory: directory))
                state.held.removeAll(keepingCapacity: true)
            }
            return state.total
        }
        if let maxRejects, total > maxRejects {
            let first = rejects[0]
            throw SluiceError(
                .data, "more than \(maxRejects) rows rejected; first in this batch: \(first.kind.rawValue) — \(first.message)",
                location: "\(first.source) line \(first.line)",
                hint: "fix the input, or raise --max-rejects"
            )
        }
    }

    /// Every reject in source, line and byte order, `batchRows` at a time: the run files
    /// merged with what is held in memory. Call once the run has stopped adding.
    /// Stops after `limit` rejects.
    public func forEachSorted(batchRows: Int = 10_000, limit: Int = .max, _ body: ([Reject]) throws -> Void) throws {
        let (held, runs) = state.withLock { state in (state.held.sorted(by: Self.ordered), state.runs) }
        var readers = runs.map { $0.reader() }
        var heads: [Reject?] = []
        for index in readers.indices { heads.append(try readers[index].next()) }
        var heldPosition = 0, produced = 0
        var batch: [Reject] = []
        batch.reserveCapacity(min(batchRows, limit))
        while produced < limit {
            var best: (index: Int, reject: Reject)?
            for (index, head) in heads.enumerated() {
                guard let head else { continue }
                if best.map({ Self.ordered(head, $0.reject) }) ?? true { best = (index, head) }
            }
            let next: Reject
            if heldPosition < held.count, best.map({ !Self.ordered($0.reject, held[heldPosition]) }) ?? true {
                next = held[heldPosition]
                heldPosition += 1
            } else if let (index, head) = best {
                next = head
                heads[index] = try readers[index].next()
            } else {
                break
            }
            batch.append(next)
            produced += 1
            if batch.count >= batchRows {
                try body(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try body(batch) }
    }

    /// Adds to the per-source counts; `apart` counts rows a pipeline sets aside (duplicates).
    public func count(source: String, read: Int, passed: Int, rejected: Int, apart: Int = 0, blank: Int = 0) {
        state.withLock { state in
            if state.counts[source] == nil {
                state.counts[source] = SourceCounts(source: source)
                state.order.append(source)
            }
            state.counts[source]?.read += read
            state.counts[source]?.passed += passed
            state.counts[source]?.rejected += rejected
            state.counts[source]?.apart += apart
            state.counts[source]?.blank += blank
        }
    }

    /// Moves `rows` rows of `source` from passed to rejected: a stage of the plan rejected
    /// rows that the source had passed on, so `read == passed + rejected` still holds.
    public func movePassedToRejected(source: String, rows: Int) {
        count(source: source, read: 0, passed: -rows, rejected: rows)
    }

    /// Every reject, sorted by source, then line (all in memory: for tests and small runs;
    /// outputs stream them with ``forEachSorted(batchRows:_:)``).
    public func allRejects() throws -> [Reject] {
        try firstRejects(.max)
    }

    /// The first `count` rejects in source and line order.
    public func firstRejects(_ count: Int) throws -> [Reject] {
        var all: [Reject] = []
        try forEachSorted(limit: count) { all += $0 }
        return all
    }

    public var totalRejected: Int { state.withLock { $0.total } }

    /// Every reject counted by kind (kept or not), for a run's data-quality figures.
    public var totalsByKind: [RejectKind: Int] { state.withLock { $0.byKind } }

    /// Per-source counts, in the order sources were first seen.
    public var sourceCounts: [SourceCounts] {
        state.withLock { state in state.order.compactMap { state.counts[$0] } }
    }

    /// Throws a data error when the rejected share of all rows read passes the ratio limit.
    public func checkRatio() throws(SluiceError) {
        guard let maxRejectRatio else { return }
        let counts = sourceCounts
        let read = counts.reduce(0) { $0 + $1.read }
        let rejected = counts.reduce(0) { $0 + $1.rejected }
        guard read > 0 else { return }
        let ratio = Double(rejected) / Double(read)
        if ratio > maxRejectRatio {
            throw SluiceError(
                .data, "\(rejected) of \(read) rows rejected (\(Self.percent(ratio))), over the limit of \(Self.percent(maxRejectRatio))",
                hint: "inspect the rejects, or raise --max-reject-ratio"
            )
        }
    }

    static func percent(_ ratio: Double) -> String {
        let value = (ratio * 10_000).rounded() / 100
        return "\(value)%"
    }
}
