public import SluiceCore

/// Splits a batch into per-bucket batches by the hash of its key columns, so that rows with
/// equal keys always land in the same bucket (the same bucket number in every map task).
public struct HashPartitioner: Sendable {
    public let keyIndices: [Int]
    public let bucketCount: Int
    /// Which bits of the hash choose the bucket: shuffles use the high half; the grace-hash
    /// partitions of a spilling aggregate use other bits at each level, so rows that share a
    /// shuffle bucket still spread over its spill partitions.
    public let shift: UInt64

    public init(keyIndices: [Int], bucketCount: Int, shift: UInt64 = 32) {
        self.keyIndices = keyIndices
        self.bucketCount = max(1, bucketCount)
        self.shift = shift
    }

    /// The rows of `batch` grouped by bucket: `result[b]` holds the indices of bucket `b`'s
    /// rows, in their original order.
    public func bucketRows(_ batch: RecordBatch) -> [[Int32]] {
        var hashes = [UInt64](repeating: 0, count: batch.rowCount)
        for index in keyIndices { batch.columns[index].combineHashes(into: &hashes) }
        var counts = [Int](repeating: 0, count: bucketCount)
        var buckets = [Int32](repeating: 0, count: batch.rowCount)
        let bucketCount = UInt64(self.bucketCount)
        let shift = self.shift
        for row in 0..<hashes.count {
            let bucket = Int((hashes[row] >> shift) % bucketCount)
            buckets[row] = Int32(bucket)
            counts[bucket] += 1
        }
        var rows = counts.map { count -> [Int32] in
            var indices: [Int32] = []
            indices.reserveCapacity(count)
            return indices
        }
        for row in 0..<buckets.count { rows[Int(buckets[row])].append(Int32(row)) }
        return rows
    }

    /// `batch` split into one (possibly empty) batch per bucket.
    public func partition(_ batch: RecordBatch) -> [RecordBatch?] {
        if bucketCount == 1 { return [batch] }
        return bucketRows(batch).map { $0.isEmpty ? nil : batch.take($0) }
    }
}
