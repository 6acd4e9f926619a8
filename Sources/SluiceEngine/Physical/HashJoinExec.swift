public import SluiceCore

/// How unmatched probe rows are treated.
public enum JoinType: String, Sendable {
    /// Only rows with a match on both sides.
    case inner
    /// Every probe (left) row; build columns are null where nothing matched.
    case left
}

/// What a join does when its build (right) side has a key on more than one row. A
/// dimension table's key is meant to be unique, and a duplicate silently multiplies the
/// facts that join it; every choice but `allow` checks it while the index is built (the
/// build side is hashed anyway, so the check costs nothing) and keeps at most one match per
/// probe row.
public enum DuplicateKeys: String, Sendable, CaseIterable {
    /// Every matching build row joins (SQL's many-to-many join): a probe row fans out.
    case allow
    /// The run fails with a data error naming the source, the key and the lines that share it.
    case fail
    /// The first row of each key (in source order) joins; the others are counted apart.
    case first
    /// The first row of each key joins; the others are `duplicate_key` rejects of their source.
    case reject
}

/// A broadcast hash join: each probe partition looks its rows up in the shared index built
/// by ``BroadcastExec``. Output rows keep the probe order; a probe row's matches come in
/// build-row order. Null keys never match (SQL semantics).
public final class HashJoinExec: ExecutionPlan {
    public let probe: any ExecutionPlan
    public let build: BroadcastExec
    public let probeKeys: [String]
    public let joinType: JoinType
    public let schema: Schema
    /// Build-side columns that appear in the output (the build keys named like their probe
    /// keys are dropped, as in `JOIN … USING`).
    let buildOutput: [Int]
    let probeKeyIndices: [Int]
    public let metrics = OperatorMetrics()

    public init(probe: any ExecutionPlan, build: BroadcastExec, probeKeys: [String], joinType: JoinType) throws(SluiceError) {
        guard probeKeys.count == build.keyNames.count, !probeKeys.isEmpty else {
            throw SluiceError.plan("a join needs the same number of keys on both sides")
        }
        self.probe = probe
        self.build = build
        self.probeKeys = probeKeys
        self.joinType = joinType
        var probeIndices: [Int] = []
        for (probeKey, buildKey) in zip(probeKeys, build.keyNames) {
            let index = try probe.schema.requireIndex(of: probeKey, in: "join probe side")
            let buildType = build.schema[try build.schema.requireIndex(of: buildKey)].type
            guard probe.schema[index].type == buildType else {
                throw SluiceError.plan(
                    "join key \(probeKey) is \(probe.schema[index].type) but \(buildKey) is \(buildType)",
                    hint: "cast one side so both keys have the same type"
                )
            }
            probeIndices.append(index)
        }
        probeKeyIndices = probeIndices
        let dropped = Set(zip(probeKeys, build.keyNames).filter { $0.0 == $0.1 }.map(\.1))
        let probeNames = Set(probe.schema.names)
        var fields = probe.schema.fields
        var output: [Int] = []
        for (index, field) in build.schema.fields.enumerated() where !dropped.contains(field.name) && !Provenance.isProvenance(field.name) {
            var renamed = field
            if probeNames.contains(field.name) { renamed.name += "_right" }
            fields.append(renamed)
            output.append(index)
        }
        buildOutput = output
        schema = Schema(fields)
    }

    public var name: String { "HashJoin(\(joinType.rawValue), broadcast)" }
    public var details: String {
        let keys = zip(probeKeys, build.keyNames).map { "\($0.0) = \($0.1)" }.joined(separator: " AND ")
        return build.duplicates == .allow ? keys : "\(keys), duplicate keys: \(build.duplicates.rawValue)"
    }
    public var children: [any ExecutionPlan] { [probe, build] }
    public var partitioning: Partitioning { probe.partitioning }

    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        JoinStream(plan: self, index: try build.index(), input: try probe.execute(partition: partition, context: context), context: context)
    }
}

final class JoinStream: BatchStream {
    let plan: HashJoinExec
    let index: JoinIndex
    let input: any BatchStream
    let context: TaskContext
    var encoder: GroupKeyEncoder
    var words: [UInt64] = []
    var groups: [Int32] = []

    init(plan: HashJoinExec, index: JoinIndex, input: any BatchStream, context: TaskContext) {
        self.plan = plan
        self.index = index
        self.input = input
        self.context = context
        encoder = index.encoder
    }

    func next() throws(SluiceError) -> RecordBatch? {
        while let batch = try input.next() {
            try context.checkCancelled()
            let start = SystemInfo.monotonicNanos()
            plan.metrics.recordInput(rows: batch.rowCount)
            let keyColumns = plan.probeKeyIndices.map { batch.columns[$0] }
            encoder.encode(keyColumns, rows: batch.rowCount, into: &words)
            index.table.lookup(words, rows: batch.rowCount, into: &groups)
            var probeRows: [Int32] = []
            var buildRows: [Int32] = []
            probeRows.reserveCapacity(batch.rowCount)
            buildRows.reserveCapacity(batch.rowCount)
            for row in 0..<batch.rowCount {
                let group = groups[row]
                var match: Int32 = -1
                if group >= 0, group < index.firstRow.count, !keyColumns.contains(where: { $0.isNull(row) }) {
                    match = index.firstRow[Int(group)]
                }
                if match < 0 {
                    if plan.joinType == .left {
                        probeRows.append(Int32(row))
                        buildRows.append(-1)
                    }
                    continue
                }
                while match >= 0 {
                    probeRows.append(Int32(row))
                    buildRows.append(match)
                    match = index.nextRow[Int(match)]
                }
            }
            plan.metrics.addTime(since: start)
            if probeRows.isEmpty { continue }
            var columns = batch.columns.map { $0.take(probeRows) }
            for column in plan.buildOutput {
                columns.append(index.batch.columns[column].takeOptional(buildRows))
            }
            let output = RecordBatch(unchecked: plan.schema, columns: columns, rowCount: probeRows.count)
            plan.metrics.recordOutput(rows: output.rowCount, bytes: output.byteSize)
            return output
        }
        return nil
    }
}

extension Column {
    /// Like `take`, but index -1 produces a null.
    func takeOptional(_ indices: [Int32]) -> Column {
        guard indices.contains(-1) else { return take(indices) }
        var builder = ColumnBuilder(type: type, capacity: indices.count)
        for index in indices {
            if index < 0 { builder.appendNull() } else { builder.append(from: self, at: Int(index)) }
        }
        return builder.finish()
    }
}
