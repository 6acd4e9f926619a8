import SluiceCore

/// Named integer figures a run adds up as rows flow (Spark's `Dataset.observe`): purchases
/// with an unknown product, rows of a kind. Tasks add their batch's figure under a lock once
/// per batch; the totals are read when the run is over.
public final class Observations: Sendable {
    private let state = Locked<(order: [String], values: [String: Int64])>(([], [:]))

    public init() {}

    /// Adds `amount` to the figure `name` (created at 0 on first use).
    public func add(_ name: String, _ amount: Int64) {
        state.withLock { state in
            if state.values[name] == nil { state.order.append(name) }
            state.values[name, default: 0] &+= amount
        }
    }

    /// The figure `name`, or 0 when nothing was observed under it.
    public subscript(_ name: String) -> Int64 {
        state.withLock { $0.values[name] ?? 0 }
    }

    /// Every figure, in the order first observed.
    public var all: [(name: String, value: Int64)] {
        state.withLock { state in state.order.map { ($0, state.values[$0] ?? 0) } }
    }
}
