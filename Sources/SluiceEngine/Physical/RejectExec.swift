public import SluiceCore

/// A validation step inside a plan: rows where the rule's predicate is true leave the plan
/// as rejects (kind, reason, source file and line, the row as text) and the rest pass on.
///
/// The source's counts move each rejected row from passed to rejected, so for every file
/// `read == passed + rejected` holds whichever stage rejected the row. The input must carry
/// the ``Provenance`` columns for that; a plan without them is refused when it is built.
public final class RejectExec: ExecutionPlan {
    public let input: any ExecutionPlan
    /// The rules, in the order they apply: a row goes to the first rule that matches it.
    /// Consecutive `rejectWhen`s are one operator, so a batch is copied once, not per rule.
    public let rules: [RejectRule]
    let bound: [(predicate: BoundExpr, reason: BoundExpr, raw: BoundExpr?)]
    let sourceIndex: Int
    let lineIndex: Int
    /// The columns a reject's `raw` text shows: every input column but the provenance ones.
    let rawColumns: [Int]
    public let metrics = OperatorMetrics()

    public convenience init(input: any ExecutionPlan, rule: RejectRule) throws(SluiceError) {
        try self.init(input: input, rules: [rule])
    }

    public init(input: any ExecutionPlan, rules: [RejectRule]) throws(SluiceError) {
        self.input = input
        self.rules = rules
        var bound: [(predicate: BoundExpr, reason: BoundExpr, raw: BoundExpr?)] = []
        for rule in rules {
            let predicate = try BoundExpr.bind(rule.predicate, to: input.schema)
            guard predicate.type == .bool else {
                throw SluiceError.plan("a reject rule must be bool, got \(predicate.type): \(rule.predicate)")
            }
            let reason = try BoundExpr.bind(rule.reason, to: input.schema)
            guard reason.type == .string else {
                throw SluiceError.plan("a reject reason must be text, got \(reason.type): \(rule.reason)")
            }
            var raw: BoundExpr?
            if let rawRule = rule.raw {
                let expression = try BoundExpr.bind(rawRule, to: input.schema)
                guard expression.type == .string else {
                    throw SluiceError.plan("a reject's raw text must be text, got \(expression.type): \(rawRule)")
                }
                raw = expression
            }
            bound.append((predicate, reason, raw))
        }
        self.bound = bound
        guard let source = input.schema.index(of: Provenance.sourceColumn), let line = input.schema.index(of: Provenance.lineColumn) else {
            throw SluiceError.plan(
                "rejectWhen(\(rules.first?.kind.rawValue ?? "")) needs the source's provenance columns \(Provenance.sourceColumn) and \(Provenance.lineColumn)",
                hint: "read the source with provenance (CSVOptions.provenance = true) so each reject names its file and line"
            )
        }
        sourceIndex = source
        lineIndex = line
        rawColumns = input.schema.fields.indices.filter { !Provenance.isProvenance(input.schema[$0].name) }
    }

    public var name: String { "Reject" }
    public var details: String { rules.map(\.description).joined(separator: "; ") }
    public var schema: Schema { input.schema }
    public var children: [any ExecutionPlan] { [input] }
    public var partitioning: Partitioning { input.partitioning }

    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        RejectStream(plan: self, input: try input.execute(partition: partition, context: context), context: context)
    }

    /// Splits `batch` into the rows that pass and the rejects of the others. Each rule's
    /// predicate is evaluated over the batch; a row is the reject of the first rule it
    /// matches, and the batch is copied once, at the end, when any row left.
    func split(_ batch: RecordBatch, rejects sink: RejectSink) throws(SluiceError) -> RecordBatch {
        var keep: [Bool] = []
        var records: [Reject] = []
        var perSource: [String: Int] = [:]
        var order: [String] = []
        for (rule, expressions) in zip(rules, bound) {
            var selected = try expressions.predicate.selectedRows(batch)
            if !keep.isEmpty { selected.removeAll { !keep[Int($0)] } }
            guard !selected.isEmpty else { continue }
            if keep.isEmpty { keep = [Bool](repeating: true, count: batch.rowCount) }
            for row in selected { keep[Int(row)] = false }
            let matched = batch.take(selected)
            let reasons = try expressions.reason.evaluate(matched)
            let raws = try expressions.raw.map { (raw) throws(SluiceError) in try raw.evaluate(matched) }
            for row in 0..<matched.rowCount {
                let source = matched.columns[sourceIndex].value(at: row).description
                var line = 0
                if case .int64(let value) = matched.columns[lineIndex].value(at: row) { line = Int(value) }
                if perSource[source] == nil { order.append(source) }
                perSource[source, default: 0] += 1
                records.append(Reject(
                    source: source, line: line, byteOffset: 0, column: rule.column, kind: rule.kind,
                    raw: raws.map { $0.isNull(row) ? "" : $0.value(at: row).description } ?? Self.render(matched, row: row, columns: rawColumns),
                    message: reasons.isNull(row) ? rule.kind.rawValue : reasons.value(at: row).description
                ))
            }
        }
        guard !keep.isEmpty else { return batch }
        for source in order { sink.movePassedToRejected(source: source, rows: perSource[source] ?? 0) }
        try sink.add(records)
        var kept: [Int32] = []
        kept.reserveCapacity(batch.rowCount - records.count)
        for row in 0..<batch.rowCount where keep[row] { kept.append(Int32(row)) }
        return batch.take(kept)
    }

    /// ``render(_:row:columns:)`` for a row given as values (a reject another engine found).
    public static func render(_ values: [Value]) -> String {
        var line: [UInt8] = []
        for (position, value) in values.enumerated() {
            if position > 0 { line.append(UInt8(ascii: ",")) }
            if case .null = value { continue }
            var text = value.description
            text.withUTF8 { CSVField.append($0, to: &line) }
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// A row as one CSV line of its values (nulls empty), for the reject's `raw` text. Text
    /// columns are quoted from their bytes; only other types go through their description.
    static func render(_ batch: RecordBatch, row: Int, columns: [Int]) -> String {
        var line: [UInt8] = []
        for (position, index) in columns.enumerated() {
            if position > 0 { line.append(UInt8(ascii: ",")) }
            let column = batch.columns[index]
            if column.isNull(row) { continue }
            if case .string(let storage) = column.storage {
                storage.withBytes(at: row) { CSVField.append($0, to: &line) }
            } else {
                var text = column.value(at: row).description
                text.withUTF8 { CSVField.append($0, to: &line) }
            }
        }
        return String(decoding: line, as: UTF8.self)
    }
}

final class RejectStream: BatchStream {
    let plan: RejectExec
    let input: any BatchStream
    let context: TaskContext

    init(plan: RejectExec, input: any BatchStream, context: TaskContext) {
        self.plan = plan
        self.input = input
        self.context = context
    }

    func next() throws(SluiceError) -> RecordBatch? {
        while let batch = try input.next() {
            try context.checkCancelled()
            let start = SystemInfo.monotonicNanos()
            plan.metrics.recordInput(rows: batch.rowCount)
            let output = try plan.split(batch, rejects: context.runtime.rejects)
            plan.metrics.addTime(since: start)
            if output.rowCount == 0 { continue }
            plan.metrics.recordOutput(rows: output.rowCount, bytes: output.byteSize)
            return output
        }
        return nil
    }
}
