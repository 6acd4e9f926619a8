import SluiceCore

/// One stage: the operators between stage boundaries, run as one task per partition.
public struct Stage {
    public let id: Int
    /// The top operator of the stage's pipeline.
    public let root: any ExecutionPlan
    /// The boundary this stage writes into, or nil for the final stage.
    public let boundary: (any StageBoundary)?

    public var taskCount: Int { root.partitioning.count }

    /// The operators of the stage, top down, stopping at boundaries below.
    public var operators: [any ExecutionPlan] {
        var result: [any ExecutionPlan] = []
        func walk(_ node: any ExecutionPlan) {
            result.append(node)
            if node is any StageBoundary { return }
            node.children.forEach(walk)
        }
        walk(root)
        return result
    }

    /// The boundaries this stage reads from.
    public var inputs: [any StageBoundary] { operators.compactMap { $0 as? any StageBoundary } }

    /// A one-line name built from the operators, bottom up (`CSVScan → HashAggregate(partial)`).
    public var summary: String {
        operators.reversed().map(\.name).joined(separator: " → ")
    }
}

/// Cuts a physical plan into stages at its boundaries (shuffles, broadcasts, merges), in
/// the order they must run: every stage after the stages it reads from.
public enum StagePlanner {
    public static func stages(of root: any ExecutionPlan) -> [Stage] {
        var stages: [Stage] = []
        func visit(_ node: any ExecutionPlan) {
            node.children.forEach(visit)
            if let boundary = node as? any StageBoundary, let child = boundary.children.first {
                stages.append(Stage(id: stages.count + 1, root: child, boundary: boundary))
            }
        }
        visit(root)
        stages.append(Stage(id: stages.count + 1, root: root, boundary: nil))
        return stages
    }
}
