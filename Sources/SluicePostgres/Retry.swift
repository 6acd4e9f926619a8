import Foundation

/// How often and how patiently to retry an operation that failed for a transient reason:
/// exponential backoff with full jitter, bounded by an attempt count and a total deadline.
///
/// After failed attempt *n* (1-based) the wait is a random duration between zero and
/// `min(maxDelay, baseDelay × 2^(n-1))` ("full jitter", so that many clients retrying
/// together spread out). No attempt starts once `deadline` has passed since the first one,
/// and no wait is begun that would end after it.
///
/// ```swift
/// let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(200), maxDelay: .seconds(2))
/// let connection = try PostgresConnection.connect(url, retry: policy)
/// ```
public struct RetryPolicy: Sendable, Hashable {
    /// How the wait is drawn from `0...cap`.
    public enum Jitter: Sendable, Hashable {
        /// Uniformly random in `0...cap` (the default).
        case full
        /// Exactly `cap`; deterministic, for tests and for a single client.
        case none
    }

    /// Attempts in all, the first included (at least 1).
    public var maxAttempts: Int
    /// The cap of the first wait.
    public var baseDelay: Duration
    /// The largest cap any wait can have.
    public var maxDelay: Duration
    /// The longest the whole operation may take, waits included; nil for no limit.
    public var deadline: Duration?
    /// How each wait is drawn from its cap.
    public var jitter: Jitter

    /// A policy; `maxAttempts` below 1 counts as 1.
    public init(
        maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(4),
        deadline: Duration? = .seconds(60), jitter: Jitter = .full
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.deadline = deadline
        self.jitter = jitter
    }

    /// Five attempts, waits capped at 0.25, 0.5, 1 and 2 s, within a minute.
    public static let `default` = RetryPolicy()
    /// One attempt: fail at once.
    public static let never = RetryPolicy(maxAttempts: 1)

    /// The largest wait after failed attempt `attempt` (1-based): `min(maxDelay, baseDelay × 2^(attempt-1))`.
    public func backoffCap(afterAttempt attempt: Int) -> Duration {
        let doublings = min(max(attempt - 1, 0), 62)
        let scaled = baseDelay * Double(UInt64(1) << UInt64(doublings))
        return min(scaled, maxDelay)
    }

    /// The wait after failed attempt `attempt`, with `fraction` in 0...1 drawn for the jitter.
    public func delay(afterAttempt attempt: Int, fraction: Double) -> Duration {
        let cap = backoffCap(afterAttempt: attempt)
        switch jitter {
        case .none: return cap
        case .full: return cap * min(max(fraction, 0), 1)
        }
    }
}

/// The time source of ``retrying(_:describe:clock:onRetry:_:)``, injectable so tests never sleep.
public protocol RetryClock {
    /// Monotonic time since an arbitrary origin.
    func now() -> Duration
    /// Blocks the calling thread for `duration`.
    func sleep(for duration: Duration)
    /// A random number in 0...1 for the jitter.
    func randomFraction() -> Double
}

/// The real clock: `ContinuousClock`, `Thread.sleep` (which blocks the thread; call retries off
/// the Swift concurrency pool, as all of libpq is), and the system random generator.
public struct SystemRetryClock: RetryClock, Sendable {
    private let origin = ContinuousClock.now

    /// A clock whose origin is now.
    public init() {}

    /// Time since this clock was made (`ContinuousClock`).
    public func now() -> Duration { ContinuousClock.now - origin }

    /// Blocks the calling thread (`Thread.sleep`).
    public func sleep(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let interval = Double(seconds) + Double(attoseconds) / 1e18
        if interval > 0 { Thread.sleep(forTimeInterval: interval) }
    }

    /// Uniform in 0...1 from the system random generator.
    public func randomFraction() -> Double { Double.random(in: 0...1) }
}

/// One retry about to happen, reported to `onRetry` (for logging).
public struct RetryAttempt: Sendable {
    /// The attempt that just failed (1-based).
    public var attempt: Int
    /// Why it failed.
    public var error: PostgresError
    /// How long the loop will wait before the next attempt.
    public var delay: Duration
}

/// Runs `operation`, retrying it under `policy` while it throws a transient ``PostgresError``
/// (see ``PostgresError/isTransient``); any other error is rethrown at once, unchanged.
///
/// When the attempts or the deadline run out, the last error is thrown with ``PostgresError/attempts``
/// set and a ``PostgresError/summary`` that says what was tried, such as
/// `could not connect to 127.0.0.1:5432 after 5 attempts over 7.3 s: connection refused`
/// for `describe` = `"connect to 127.0.0.1:5432"`.
///
/// Blocking: waits with `clock.sleep`, so call it from a thread of your own. `operation` must be
/// safe to repeat (connecting, or a whole transaction).
/// - Parameters:
///   - policy: attempts, backoff and deadline.
///   - describe: what is being tried, as a verb phrase (`"connect to db.example.com:5432"`).
///   - clock: time, sleep and randomness; inject a fake in tests.
///   - onRetry: called before each wait.
///   - operation: the work to try.
public func retrying<T>(
    _ policy: RetryPolicy = .default,
    describe: String,
    clock: any RetryClock = SystemRetryClock(),
    onRetry: (RetryAttempt) -> Void = { _ in },
    _ operation: () throws -> T
) throws -> T {
    let started = clock.now()
    var attempt = 0
    while true {
        attempt += 1
        let failure: PostgresError
        do {
            return try operation()
        } catch let error as PostgresError where error.isTransient {
            failure = error
        }
        let elapsed = clock.now() - started
        let delay = policy.delay(afterAttempt: attempt, fraction: clock.randomFraction())
        let outOfTime = policy.deadline.map { elapsed + delay >= $0 } ?? false
        if attempt >= policy.maxAttempts || outOfTime {
            var final = failure
            final.attempts = attempt
            let plural = attempt == 1 ? "attempt" : "attempts"
            final.summary = "could not \(describe) after \(attempt) \(plural) over \(formatSeconds(elapsed)) s: \(failure.message)"
            throw final
        }
        onRetry(RetryAttempt(attempt: attempt, error: failure, delay: delay))
        clock.sleep(for: delay)
    }
}

/// Seconds with one decimal (`7.3`).
func formatSeconds(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let tenths = max(0, Int64((Double(seconds) * 10 + Double(attoseconds) / 1e17).rounded()))
    return "\(tenths / 10).\(tenths % 10)"
}
