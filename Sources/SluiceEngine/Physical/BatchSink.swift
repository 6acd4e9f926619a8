public import SluiceCore

/// Where a job's result batches go as the final stage produces them: a CSV file, one file
/// per key value, a COPY into a staging table.
///
/// `write` is called for every batch, in the result's order, on the thread that runs the
/// job (never concurrently), so a sink may use a file or a connection that is not
/// thread-safe. Nothing is visible to readers until `commit`; a sink dropped without a
/// commit (an error, a cancellation) leaves no trace of its output.
public protocol BatchSink: AnyObject {
    func write(_ batch: RecordBatch) throws
    /// Makes everything written visible (renames files into place); called once, at the end.
    func commit() throws
}
