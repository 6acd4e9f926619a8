/// The columns a source adds, when asked, to say where each row came from: the source's
/// name (the file path, or the full `a.zip!/b.zip!/part-001.json` path of an archive entry) and
/// the physical line the record starts on. A stage that rejects rows in the middle of a plan
/// reads them to name the row in the reject and to keep the per-source counts exact.
public enum Provenance {
    /// The source's name, as its ``SourceCounts`` know it (string).
    public static let sourceColumn = "_source_file"
    /// The 1-based physical line the record starts on (int64).
    public static let lineColumn = "_source_line"

    /// The two fields, in the order sources append them after their own columns.
    public static let fields = [Field(sourceColumn, .string), Field(lineColumn, .int64)]

    /// True for the names of the provenance columns.
    public static func isProvenance(_ name: String) -> Bool {
        name == sourceColumn || name == lineColumn
    }
}
