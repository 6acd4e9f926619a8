import SluiceCore

/// Renders a physical plan as its stages, each with its operators and what it writes.
///
/// ```
/// Stage 1 — 4 tasks, shuffles by hash(custId) × 16
///   HashAggregate(partial) keys=[custId, productSold] …
///     CSVScan transaction.csv columns=[…] partitions=4
/// ```
public enum Explain {
    public static func text(_ root: any ExecutionPlan) -> String {
        let stages = StagePlanner.stages(of: root)
        var stageOfBoundary: [ObjectIdentifier: Int] = [:]
        for stage in stages { if let boundary = stage.boundary { stageOfBoundary[ObjectIdentifier(boundary)] = stage.id } }
        var lines: [String] = []
        let exchanges = stages.filter { $0.boundary is ExchangeExec }.count
        lines.append("\(stages.count) stage(s), \(exchanges) shuffle(s)")
        for stage in stages {
            let writes = stage.boundary.map(\.boundaryDescription) ?? "returns the result"
            lines.append("Stage \(stage.id) — \(stage.taskCount) task(s), \(writes)")
            func walk(_ node: any ExecutionPlan, depth: Int) {
                let indent = String(repeating: "  ", count: depth + 1)
                if let boundary = node as? any StageBoundary {
                    let from = stageOfBoundary[ObjectIdentifier(boundary)].map { " (from stage \($0))" } ?? ""
                    lines.append("\(indent)\(node.name) \(node.details)\(from)")
                    return
                }
                lines.append("\(indent)\(node.name) \(node.details)")
                for child in node.children { walk(child, depth: depth + 1) }
            }
            walk(stage.root, depth: 0)
        }
        return lines.joined(separator: "\n")
    }
}
