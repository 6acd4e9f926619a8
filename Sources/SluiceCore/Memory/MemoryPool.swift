
/// The run's memory budget. Every operator that keeps data reserves bytes here before it
/// grows and gives them back when done; a refused reservation is the signal to flush or
/// spill, never a crash.
///
/// Thread-safe: reservations are made from every worker at once.
public final class MemoryPool: Sendable {
    /// The budget in bytes, or nil for unbounded.
    public let limit: Int?
    private let state = Locked(State())

    private struct State {
        var reserved = 0
        var peak = 0
        var refusals = 0
        var windowPeak = 0
    }

    /// A pool that refuses reservations past `limit` bytes (nil: never refuses).
    public init(limit: Int?) {
        self.limit = limit
    }

    /// Reserves `bytes` if the budget allows; returns false (and changes nothing) if not.
    public func tryReserve(_ bytes: Int) -> Bool {
        state.withLock { state in
            let wanted = state.reserved + bytes
            if let limit, bytes > 0, wanted > limit {
                state.refusals += 1
                return false
            }
            state.reserved = wanted
            state.peak = max(state.peak, wanted)
            state.windowPeak = max(state.windowPeak, wanted)
            return true
        }
    }

    /// Gives back `bytes` reserved earlier.
    public func release(_ bytes: Int) {
        state.withLock { $0.reserved -= bytes }
    }

    /// Bytes reserved right now.
    public var reserved: Int { state.withLock { $0.reserved } }
    /// The most bytes ever reserved at once during this pool's life.
    public var peak: Int { state.withLock { $0.peak } }
    /// The peak since the last call (or since the start), then starts a new window at the
    /// current level; stages use it to report their own peak.
    public func takeWindowPeak() -> Int {
        state.withLock { state in
            let peak = state.windowPeak
            state.windowPeak = state.reserved
            return peak
        }
    }
    /// How many reservations were refused (each one a flush or spill).
    public var refusals: Int { state.withLock { $0.refusals } }
    /// Bytes still available, or nil when unbounded.
    public var available: Int? { limit.map { max(0, $0 - reserved) } }
}

/// Bytes held against a ``MemoryPool`` by one consumer (an operator's state, a buffer).
///
/// Release happens in `deinit` too, so a failing task never leaks budget.
///
/// ```swift
/// let reservation = MemoryReservation(pool: pool, consumer: "HashAggregate[3]")
/// try reservation.resize(to: table.byteSize)   // throws resourcesExhausted if refused
/// ```
public final class MemoryReservation: @unchecked Sendable {
    public let pool: MemoryPool
    public let consumer: String
    public private(set) var size = 0

    public init(pool: MemoryPool, consumer: String) {
        self.pool = pool
        self.consumer = consumer
    }

    deinit {
        if size > 0 { pool.release(size) }
    }

    /// Tries to grow the reservation to `bytes`; returns false if the pool refuses.
    /// Shrinking always succeeds.
    @discardableResult
    public func tryResize(to bytes: Int) -> Bool {
        let delta = bytes - size
        if delta > 0 {
            guard pool.tryReserve(delta) else { return false }
        } else if delta < 0 {
            pool.release(-delta)
        }
        size = bytes
        return true
    }

    /// Grows or shrinks the reservation to `bytes`, or throws when the pool refuses.
    public func resize(to bytes: Int) throws(SluiceError) {
        guard tryResize(to: bytes) else {
            throw SluiceError(
                .resourcesExhausted,
                "\(consumer) needs \(ByteCount.format(bytes)) but the memory budget of "
                    + "\(ByteCount.format(pool.limit ?? 0)) has only \(ByteCount.format(pool.available ?? 0)) left",
                hint: "raise --memory, or lower --batch-rows"
            )
        }
    }

    /// Grows the reservation by `bytes`, or throws when the pool refuses.
    public func grow(by bytes: Int) throws(SluiceError) {
        try resize(to: size + bytes)
    }

    /// Returns everything to the pool.
    public func free() {
        _ = tryResize(to: 0)
    }
}
