public import SluiceCore
public import SluiceEngine
import SluiceIO

/// One step of a job as the Spark compiler takes it: its name, its logical plan, the schema
/// its result is written with (nil: the plan's), and the held results it feeds to later steps.
public struct SparkStep {
    public var name: String
    public var plan: LogicalPlan
    public var schema: Schema?
    public var feeds: [any TableSource]
    /// False for a step whose result only feeds later steps: Spark computes it as their
    /// input, and writes nothing for it.
    public var writes: Bool

    public init(name: String, plan: LogicalPlan, schema: Schema? = nil, feeds: [any TableSource] = [], writes: Bool = true) {
        self.name = name
        self.plan = plan
        self.schema = schema
        self.feeds = feeds
        self.writes = writes
    }
}

/// Compiles a job's steps into one ``SparkScript``: each plan after the engine's own logical
/// rules (``LogicalPlan/optimized()``), each CSV file it scans read by Spark (``SparkCSV``),
/// any other source staged by `stage` as a file under the staging folder.
public enum SparkJobCompiler {
    /// - Parameter stage: writes a source Spark cannot read to the given file path and
    ///   returns the schema of what it wrote.
    /// - Parameter rejects: the run's reject sink; a CSV source that reports to another (a
    ///   second read of a file whose rows were counted by the first) adds no counts or rejects.
    public static func compile(_ steps: [SparkStep], staging: String, rejects: RejectSink? = nil,
                               stage: (any TableSource, String) throws -> Schema) throws -> SparkScript {
        var compiler = SparkPlanCompiler()
        var registered = Set<ObjectIdentifier>()
        let fed = Set(steps.flatMap { $0.feeds.map(ObjectIdentifier.init) })
        let plans = steps.map { $0.plan.optimized() }
        // The columns each source is read for, over all its scans: a CSV file's other columns
        // are not checked, as Sluice's reader parses only the columns a plan reads.
        var read: [ObjectIdentifier: Set<String>] = [:]
        for plan in plans {
            for (source, projection) in plan.scans {
                read[ObjectIdentifier(source), default: []].formUnion(projection ?? source.schema.names)
            }
        }
        for (step, plan) in zip(steps, plans) {
            for source in plan.scannedSources where !fed.contains(ObjectIdentifier(source)) {
                guard registered.insert(ObjectIdentifier(source)).inserted else { continue }
                if let csv = source as? CSVSource {
                    try SparkCSV.register(csv, reading: read[ObjectIdentifier(source)], reports: rejects.map { csv.rejects === $0 } ?? true,
                                          into: &compiler)
                    continue
                }
                let name = compiler.name("staged")
                let folder = staging.hasSuffix("/") ? staging + "inputs/" + name : staging + "/inputs/" + name
                let schema = try stage(source, folder + "/part-00000.csv")
                let (statements, relation) = try SparkStagedInput.view(folder: folder, schema: schema, name: name)
                compiler.add(statements: statements)
                compiler.register(source, as: relation)
            }
            try compiler.compile(step: step.name, plan: plan, schema: step.schema, feeds: step.feeds, writes: step.writes)
        }
        compiler.finish()
        return SparkScript(compiler)
    }
}

extension LogicalPlan {
    /// Every source the plan scans, each once, in the order first met.
    public var scannedSources: [any TableSource] {
        var found: [any TableSource] = []
        var seen = Set<ObjectIdentifier>()
        for (source, _) in scans where seen.insert(ObjectIdentifier(source)).inserted { found.append(source) }
        return found
    }

    /// Every scan of the plan with its projection, in plan order.
    var scans: [(source: any TableSource, projection: [String]?)] {
        var found: [(source: any TableSource, projection: [String]?)] = []
        func walk(_ plan: LogicalPlan) {
            switch plan {
            case .scan(let source, let projection):
                found.append((source, projection))
            case .filter(_, let input), .project(_, let input), .extend(_, let input), .aggregate(_, _, let input), .sort(_, let input),
                 .distinct(let input), .reject(_, let input), .observe(_, let input), .explode(_, let input):
                walk(input)
            case .join(let left, let right, _, _, _):
                walk(left)
                walk(right)
            case .union(let inputs):
                inputs.forEach(walk)
            }
        }
        walk(self)
        return found
    }
}
