public import SluiceCore

/// Splits a batch into per-bucket batches by the hash of its key columns, so that rows with
/// equal keys always land in the same bucket (the same bucket number in every map task).
public struct HashPartitioner: Sendable {
    public let keyIndices: [Int]
    public let bucketCount: Int

    public init(keyIndices: [Int], bucketCount: Int) {
        self.keyIndices = keyIndices
        self.bucketCount = max(1, bucketCount)
    }

    /// The rows of `batch` grouped by bucket: `result[b]` holds the indices of bucket `b`'s
    /// rows, in their original order.
    public func bucketRows(_ batch: RecordBatch) -> [[Int32]] {
        var hashes = [UInt64](repeating: 0, count: batch.rowCount)
        for index in keyIndices { batch.columns[index].combineHashes(into: &hashes) }
        var counts = [Int](repeating: 0, count: bucketCount)
        var buckets = [Int32](repeating: 0, count: batch.rowCount)
        let bucketCount = UInt64(self.bucketCount)
        for row in 0..<hashes.count {
            // The high bits pick the bucket; hash tables downstream use the low bits.
            let bucket = Int((hashes[row] >> 32) % bucketCount)
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
