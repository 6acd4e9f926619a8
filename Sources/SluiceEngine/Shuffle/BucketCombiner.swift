import SluiceCore

/// Folds the rows a map task passed through its partial aggregate, bucket by bucket, when
/// the task ends, so the shuffle carries one state row per group and task instead of one per
/// input row.
///
/// The rows come as keys and arguments (``HashAggregateExec/projectedSchema``), not as
/// one-row states: at 100M rows that is 34 bytes a row held until the task ends instead of
/// 46 (no sum carry, no list offsets for the day), less to cut by bucket, and the fold adds
/// values rather than merging states. Rows a fold does not take are made states then.
///
/// A map-side aggregate whose first rows are nearly all new groups stops grouping and passes
/// every row on (``HashAggregateStream``): its probe sees a hundred thousand rows, too few to
/// show the repeats a whole split holds (at 100M rows over 6M customer–product pairs, a
/// split's 11M rows hold 3.6M groups). The shuffle cuts those rows by key hash anyway, so each
/// bucket holds a slice of the key space, and merging a slice needs a table a sixty-fourth
/// the size of one over the whole split — DuckDB's radix-partitioned aggregation, with the
/// shuffle as the partitioning pass. What the shuffle holds, and what the reduce side merges
/// again, shrinks by the split's own reduction.
///
/// Buckets are hash slices, so each is a fair sample of the task's keys: the first bucket
/// merged with at least ``probeRows`` rows is the probe, and a merge that keeps more than
/// ``poorReduction`` of its rows (keys that do not repeat) stops the task merging any more,
/// leaving the rest as they were.
struct BucketCombiner {
    let plan: HashAggregateExec
    private var stopped = false

    static let poorReduction = 0.5
    /// The fewest rows a merge must read for its reduction to decide the task's.
    static let probeRows = 4_096

    /// A combiner when `input` is a map-side aggregate with keys and the shuffle has buckets
    /// to keep apart; nil otherwise (a global aggregate leaves one row per task already).
    init?(input: any ExecutionPlan, bucketCount: Int) {
        guard bucketCount > 1, let aggregate = input as? HashAggregateExec, aggregate.mode == .partial, !aggregate.keys.isEmpty else {
            return nil
        }
        plan = aggregate
    }

    /// Whether merging still goes on (no merge has shown the rows barely repeat).
    var merging: Bool { !stopped }

    /// Folds one bucket's `states` (what the aggregate's table handed on before it passed rows
    /// through) and then its `projected` rows, each in arrival order, into one state row per
    /// group; the groups keep the order they first appear in.
    mutating func merge(states: [RecordBatch], projected pieces: [RecordBatch], context: TaskContext) throws(SluiceError) -> [RecordBatch] {
        let input = (states + pieces).reduce(0) { $0 + $1.rowCount }
        let stream = HashAggregateStream(
            plan: plan, input: MemoryBatchStream(pieces), context: context, readsStates: false, emitsStates: true, level: 1,
            // Merging goes on only while it halves the rows, and a table made for a third of
            // the input has slots for at least two thirds (a power of two) and grows at three
            // quarters of them: half the input fits, so it never regrows, the cost that made
            // merges dearer than the rows they save (micro benchmark "bucket merge": 1262 →
            // 875 ms at p50). Sized for half, it had twice the slots it needs at the 100M
            // file's 0.32 groups a row.
            expectedGroups: input / 3, expectedRows: input, readsProjected: true
        )
        for batch in states { try stream.push(states: batch) }
        var merged: [RecordBatch] = []
        while let batch = try stream.next() { merged.append(batch) }
        let output = merged.reduce(0) { $0 + $1.rowCount }
        // A handful of rows (a bucket refilled after a spill) is too small a sample to judge by.
        if input >= Self.probeRows, Double(output) > Double(input) * Self.poorReduction { stopped = true }
        return merged
    }
}
