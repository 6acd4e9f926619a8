public import SluiceCore
import Foundation

/// What one load did to its target table.
public struct LoadResult: Sendable, Equatable {
    public var staged = 0
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0
    public var deleted = 0

    public init() {}

    /// Rows the load changed (inserted, updated or deleted).
    public var changed: Int { inserted + updated + deleted }
}

/// Loads rows into a target table idempotently: COPY into a temporary staging table, then
/// one merge statement per step, all inside the caller's transaction. A second load of the
/// same rows changes nothing and reports 0 rows changed; a crash before the caller commits
/// leaves the table as it was.
public enum StagedLoader {
    /// Stages `batches` and merges them into `target`.
    /// - Precondition: runs inside a transaction on `connection` (the staging table is
    ///   dropped at commit).
    public static func load(_ batches: [RecordBatch], into target: TargetTable, on connection: PostgresConnection) throws -> LoadResult {
        let load = try StagedLoad(into: target, on: connection)
        try load.copy { write in for batch in batches { try write(batch) } }
        return try load.merge()
    }

    /// Test hook (debug builds only): `SLUICE_TEST_PAUSE_BEFORE_MERGE=seconds` pauses after
    /// the rows are copied and before the merge commits, so a test can kill the process in the
    /// middle of a load. Release builds never read the variable.
    static func pauseForTests() {
        #if DEBUG
        if let seconds = ProcessInfo.processInfo.environment["SLUICE_TEST_PAUSE_BEFORE_MERGE"].flatMap(Double.init) {
            Thread.sleep(forTimeInterval: seconds)
        }
        #endif
    }

    static func upsert(_ stage: QualifiedName, into target: TargetTable, on connection: PostgresConnection, result: inout LoadResult) throws {
        guard !target.key.isEmpty else {
            throw SluiceError(.plan, "an upsert into \(target.name) needs a key", hint: "give the target table its natural key")
        }
        let columns = target.quotedColumns
        let nonKey = target.storedColumns.map(\.name).filter { !target.key.contains($0) }
        let compared = target.comparedColumns
        let conflict = target.key.map(Identifier.quote).joined(separator: ", ")
        let action: String
        if nonKey.isEmpty {
            action = "DO NOTHING"
        } else {
            let set = (nonKey.map { "\(Identifier.quote($0)) = EXCLUDED.\(Identifier.quote($0))" }
                + (target.changeStamp.map { ["\(Identifier.quote($0)) = now()"] } ?? [])).joined(separator: ", ")
            let condition = compared.isEmpty ? "" : " WHERE " + distinct(compared, "t", "EXCLUDED")
            action = "DO UPDATE SET \(set)\(condition)"
        }
        // Rows identical to the target's are dropped first with a hash join on the key, so
        // an unchanged re-run probes no index and writes nothing.
        let joinOn = target.key.map { "t.\(Identifier.quote($0)) = s.\(Identifier.quote($0))" }.joined(separator: " AND ")
        let stageColumns = target.storedColumns.map { "s.\(Identifier.quote($0.name))" }.joined(separator: ", ")
        let differs = compared.isEmpty ? "FALSE" : distinct(compared, "t", "s")
        let firstKey = Identifier.quote(target.key[0])
        let merged = try connection.execute("""
            WITH changed AS (
                SELECT \(stageColumns) FROM \(stage.quoted) AS s LEFT JOIN \(target.name.quoted) AS t ON \(joinOn)
                WHERE t.\(firstKey) IS NULL OR \(differs)
            ), merged AS (
                INSERT INTO \(target.name.quoted) AS t (\(columns)) SELECT \(columns) FROM changed
                ON CONFLICT (\(conflict)) \(action)
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM merged
            """)
        result.inserted = Int(merged.rows.first?[0] ?? "0") ?? 0
        result.updated = Int(merged.rows.first?[1] ?? "0") ?? 0
        result.unchanged = result.staged - result.inserted - result.updated
    }

    /// `(a.x, a.y) IS DISTINCT FROM (b.x, b.y)` over `columns`.
    private static func distinct(_ columns: [String], _ left: String, _ right: String) -> String {
        "(\(columns.map { "\(left).\(Identifier.quote($0))" }.joined(separator: ", "))) IS DISTINCT FROM (\(columns.map { "\(right).\(Identifier.quote($0))" }.joined(separator: ", ")))"
    }

    /// Makes the rows of the partitions the staged rows cover exactly the staged rows. With a
    /// key, rows of those partitions whose key is gone are deleted (a hash anti-join on the
    /// key) and the rest are upserted, so unchanged rows stay untouched; without one, rows are
    /// compared whole.
    static func replace(
        _ stage: QualifiedName, into target: TargetTable, partitions: [String], on connection: PostgresConnection, result: inout LoadResult
    ) throws {
        let covered: String
        if partitions.isEmpty {
            covered = "TRUE"
        } else {
            let list = partitions.map(Identifier.quote).joined(separator: ", ")
            covered = "(\(partitions.map { "t.\(Identifier.quote($0))" }.joined(separator: ", "))) IN (SELECT DISTINCT \(list) FROM \(stage.quoted))"
        }
        if !target.key.isEmpty {
            let sameKey = target.key.map { "s.\(Identifier.quote($0)) = t.\(Identifier.quote($0))" }.joined(separator: " AND ")
            let deleted = try connection.execute("""
                DELETE FROM \(target.name.quoted) AS t WHERE \(covered)
                AND NOT EXISTS (SELECT 1 FROM \(stage.quoted) AS s WHERE \(sameKey))
                """)
            try upsert(stage, into: target, on: connection, result: &result)
            result.deleted = deleted.rowsAffected ?? 0
            return
        }
        let columns = target.quotedColumns
        let same = target.columns.map { "s.\(Identifier.quote($0.name)) IS NOT DISTINCT FROM t.\(Identifier.quote($0.name))" }.joined(separator: " AND ")
        let deleted = try connection.execute("""
            DELETE FROM \(target.name.quoted) AS t WHERE \(covered)
            AND NOT EXISTS (SELECT 1 FROM \(stage.quoted) AS s WHERE \(same))
            """)
        result.deleted = deleted.rowsAffected ?? 0
        let inserted = try connection.execute("""
            INSERT INTO \(target.name.quoted) (\(columns))
            SELECT \(columns) FROM \(stage.quoted) AS s
            WHERE NOT EXISTS (SELECT 1 FROM \(target.name.quoted) AS t WHERE \(same))
            """)
        result.inserted = inserted.rowsAffected ?? 0
        result.unchanged = result.staged - result.inserted
    }
}

/// One load in progress, in three steps so the rows can stream in while the job produces
/// them: ``init(into:on:)`` checks or creates the table and the staging table, ``write(_:)``
/// COPYs the rows as they come (the COPY starts with the first batch), ``merge()`` merges
/// them into the target.
///
/// An empty target skips the staging table: the rows are copied straight into it (still
/// inside the caller's transaction, so a failure or a kill leaves it empty).
/// - Precondition: everything runs inside one transaction on `connection`.
public final class StagedLoad {
    public let target: TargetTable
    private let connection: PostgresConnection
    private let direct: Bool
    /// The table was created by this load without its primary key, added after the COPY.
    private let addsKeyAfterCopy: Bool
    private let stage: QualifiedName
    private var result = LoadResult()
    private var writer: CopyInWriter?
    /// The server types of the stored columns when every one of them has a binary form,
    /// else nil (the rows go as text).
    private let binaryTypes: [BinaryCopyType]?

    public init(into target: TargetTable, on connection: PostgresConnection) throws {
        self.target = target
        self.connection = connection
        addsKeyAfterCopy = try target.ensure(on: connection, deferKey: true) && !target.key.isEmpty
        let empty = addsKeyAfterCopy ? true : try connection.execute("SELECT NOT EXISTS (SELECT 1 FROM \(target.name.quoted))").rows.first?[0] == "t"
        direct = empty || target.mode == .append
        stage = direct ? target.name : QualifiedName(schema: nil, name: "sluice_stage_\(UInt32.random(in: 0...UInt32.max))")
        if !direct {
            try connection.execute("CREATE TEMPORARY TABLE \(stage.quoted) (LIKE \(target.name.quoted) INCLUDING DEFAULTS) ON COMMIT DROP")
        }
        binaryTypes = try target.binaryCopyTypes(on: connection)
    }

    /// COPYs every batch `produce` hands to its `write` argument (columns in the order of the
    /// target's columns). `produce` runs while the COPY is open, on this thread.
    /// - Throws: `produce`'s error (the COPY is aborted: none of its rows stay), or a
    ///   ``PostgresError``.
    public func copy(_ produce: ((RecordBatch) throws -> Void) throws -> Void) throws {
        try produce { batch in try write(batch) }
        try finishCopy()
    }

    /// Copies one batch; the COPY statement starts with the first one.
    public func write(_ batch: RecordBatch) throws {
        if writer == nil {
            let sql = PostgresConnection.copySQL(table: stage, columns: target.storedColumns.map(\.name),
                                                 direction: binaryTypes == nil ? "FROM STDIN" : "FROM STDIN (FORMAT binary)")
            writer = try connection.startCopyIn(sql: sql, binary: binaryTypes)
        }
        try writer?.write(stamped(batch))
    }

    /// The batch with the run stamp's column added, when the target has one.
    private func stamped(_ batch: RecordBatch) -> RecordBatch {
        guard let stamp = target.runStamp else { return batch }
        var builder = ColumnBuilder(type: .string, capacity: batch.rowCount)
        let id = Array(stamp.runID.utf8)
        id.withUnsafeBufferPointer { bytes in for _ in 0..<batch.rowCount { builder.append(bytes: bytes) } }
        return RecordBatch(unchecked: Schema(batch.schema.fields + [Field(stamp.column, .string)]), columns: batch.columns + [builder.finish()],
                           rowCount: batch.rowCount)
    }

    /// Ends the COPY (when one was started); call once after the last ``write(_:)``.
    public func finishCopy() throws {
        guard let writer else { return }
        self.writer = nil
        result.staged += try writer.finish()
    }

    /// Ends an unfinished COPY with an error, so the connection can roll the transaction back.
    public func abort() {
        writer?.abort()
        writer = nil
    }

    /// Merges the staged rows into the target; returns what changed.
    /// - Throws: a ``PostgresError`` from the merge statements.
    public func merge() throws -> LoadResult {
        try finishCopy()
        StagedLoader.pauseForTests()
        if direct {
            if addsKeyAfterCopy {
                try connection.execute("ALTER TABLE \(target.name.quoted) ADD \(target.primaryKeyClause)")
            }
            result.inserted = result.staged
            return result
        }
        try connection.execute("ANALYZE \(stage.quoted)")
        switch target.mode {
        case .upsert: try StagedLoader.upsert(stage, into: target, on: connection, result: &result)
        case .replacePartitions(let columns): try StagedLoader.replace(stage, into: target, partitions: columns, on: connection, result: &result)
        case .append: result.inserted = result.staged
        }
        return result
    }
}
