public import SluicePostgres

/// A table or view a pipeline loads and `sluice serve` publishes at `/api/<route>/`, with the
/// fields a client may filter, search and order on.
///
/// The pipeline declares it next to what it loads, so the API follows the pipeline: a new
/// pipeline's tables are served by adding them to ``Pipeline/served``, not by editing the
/// server. Column types are read from the database when the server first uses the relation;
/// only names are declared here.
public struct ServedTable: Sendable, Hashable {
    /// The path segment: `/api/<route>/`.
    public var route: String
    /// The table or view read.
    public var relation: QualifiedName
    /// Columns whose values identify a row. They end every ordering so that an order is
    /// total (cursor pagination needs that), and a one-column key gives `/api/<route>/<key>/`.
    public var key: [String]
    /// Columns accepted as filters: `field=`, `field__gte=`, `field__lte=`, `field__in=a,b`.
    public var filters: [String]
    /// Columns that `search=` matches, case-insensitively, as substrings.
    public var search: [String]
    /// Columns accepted in `ordering=` (each may be prefixed by `-` for descending).
    public var ordering: [String]
    /// Column lists the pipeline's load keeps an index on (created when missing), chosen for
    /// the filters and orderings clients use most, so that those pages are index scans.
    public var indexes: [[String]]
    /// The pipeline that loads it, for messages (`run sluice run customers first`).
    public var pipeline: String
    /// The database the pipeline loads into on the private cluster (``Pipeline/privateDatabase``).
    public var privateDatabase: String

    public init(route: String, relation: QualifiedName, key: [String], filters: [String] = [], search: [String] = [],
                ordering: [String] = [], indexes: [[String]] = [], pipeline: String, privateDatabase: String) {
        self.route = route
        self.relation = relation
        self.key = key
        self.filters = filters
        self.search = search
        self.ordering = ordering
        self.indexes = indexes
        self.pipeline = pipeline
        self.privateDatabase = privateDatabase
    }

    /// The indexes to keep on `table` (the relation this declaration names, under the name a
    /// run loads it by).
    public func indexDefinitions(on table: QualifiedName) -> [IndexDefinition] {
        indexes.map { IndexDefinition(table: table, columns: $0) }
    }

    /// True when a row can be fetched by one key value at `/api/<route>/<key>/`.
    public var hasDetailRoute: Bool { key.count == 1 }
}

extension Pipeline {
    /// What `sluice serve` publishes of this pipeline's tables; none unless it says.
    public static var served: [ServedTable] { [] }
}

extension PipelineCatalog {
    /// Every served table of every pipeline, in catalogue order.
    public static var served: [ServedTable] { all.flatMap { $0.served } }
}
