import SluiceCore
import SluicePostgres
import Testing

/// A clock that never sleeps: time moves only when the loop "sleeps" or a test advances it.
final class FakeClock: RetryClock, @unchecked Sendable {
    var time: Duration = .zero
    var sleeps: [Duration] = []
    var fractions: [Double]
    private var next = 0

    init(fractions: [Double] = [1]) { self.fractions = fractions }

    func now() -> Duration { time }
    func sleep(for duration: Duration) {
        sleeps.append(duration)
        time += duration
    }
    func randomFraction() -> Double {
        defer { next += 1 }
        return fractions[next % fractions.count]
    }
}

struct NotPostgres: Error {}

@Suite("Retry policy")
struct RetryTests {
    static let refused = PostgresError(code: .unableToConnect, message: "connection refused", host: "127.0.0.1:5432")

    @Test("backoff caps double from the base delay up to the maximum")
    func caps() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(1))
        let caps = (1...6).map { policy.backoffCap(afterAttempt: $0) }
        #expect(caps == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
        #expect(policy.backoffCap(afterAttempt: 500) == .seconds(1))
    }

    @Test("transient failures are retried until the operation succeeds")
    func succeedsAfterRetries() throws {
        let clock = FakeClock()
        var calls = 0
        var reported: [Int] = []
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .seconds(2), jitter: .none)
        let value = try retrying(policy, describe: "connect to 127.0.0.1:5432", clock: clock, onRetry: { reported.append($0.attempt) }) {
            calls += 1
            if calls < 3 { throw Self.refused }
            return "connected"
        }
        #expect(value == "connected")
        #expect(calls == 3)
        #expect(reported == [1, 2])
        #expect(clock.sleeps == [.milliseconds(100), .milliseconds(200)])
    }

    @Test("after the last attempt one error names the host, the attempts, the time and the cause")
    func givesUp() {
        let clock = FakeClock()
        var calls = 0
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .seconds(10), deadline: nil, jitter: .none)
        do {
            _ = try retrying(policy, describe: "connect to 127.0.0.1:5432", clock: clock) { () throws -> Int in
                calls += 1
                clock.time += .milliseconds(1450)   // each attempt takes 1.45 s
                throw Self.refused
            }
            Issue.record("expected an error")
        } catch let error as PostgresError {
            #expect(calls == 5)
            #expect(clock.sleeps == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
            #expect(error.attempts == 5)
            #expect(error.code == .unableToConnect)
            // 5 × 1.45 s of attempts + 1.5 s of waits = 8.75 s
            #expect(error.description == "could not connect to 127.0.0.1:5432 after 5 attempts over 8.8 s: connection refused")
            #expect(error.sluiceError.message == error.description)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("full jitter keeps every wait between zero and its cap", arguments: [0.0, 0.25, 0.5, 0.999, 1.0])
    func jitterBounds(fraction: Double) {
        let clock = FakeClock(fractions: [fraction])
        let policy = RetryPolicy(maxAttempts: 8, baseDelay: .milliseconds(50), maxDelay: .milliseconds(500), deadline: nil)
        #expect(throws: PostgresError.self) {
            try retrying(policy, describe: "connect", clock: clock) { () throws -> Void in throw Self.refused }
        }
        #expect(clock.sleeps.count == 7)
        for (index, sleep) in clock.sleeps.enumerated() {
            let cap = policy.backoffCap(afterAttempt: index + 1)
            #expect(sleep >= .zero && sleep <= cap)
            #expect(sleep == cap * fraction)
        }
    }

    @Test("random jitter from the system clock stays within the caps")
    func systemJitter() {
        let clock = SystemRetryClock()
        let policy = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(1))
        for attempt in 1...50 {
            let delay = policy.delay(afterAttempt: attempt % 8 + 1, fraction: clock.randomFraction())
            #expect(delay >= .zero && delay <= policy.backoffCap(afterAttempt: attempt % 8 + 1))
        }
    }

    @Test("the deadline stops retrying before a wait would pass it")
    func deadline() {
        let clock = FakeClock()
        var calls = 0
        let policy = RetryPolicy(maxAttempts: 100, baseDelay: .seconds(1), maxDelay: .seconds(1), deadline: .seconds(5), jitter: .none)
        #expect(throws: PostgresError.self) {
            try retrying(policy, describe: "connect", clock: clock) { () throws -> Void in
                calls += 1
                clock.time += .milliseconds(500)
                throw Self.refused
            }
        }
        // Attempts end at 0.5, 2, 3.5 and 5 s; a fifth could only start after the deadline.
        #expect(calls == 4)
        #expect(clock.time <= .seconds(5))
    }

    @Test("non-transient PostgreSQL errors and other errors are thrown at once, unchanged")
    func notRetried() {
        let clock = FakeClock()
        var calls = 0
        let unique = PostgresError(code: .uniqueViolation, message: "duplicate key value")
        do {
            _ = try retrying(.default, describe: "load", clock: clock) { () throws -> Int in
                calls += 1
                throw unique
            }
        } catch let error as PostgresError {
            #expect(error.code == .uniqueViolation)
            #expect(error.summary == nil && error.attempts == nil)
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(throws: NotPostgres.self) {
            try retrying(.default, describe: "load", clock: clock) { () throws -> Void in
                calls += 1
                throw NotPostgres()
            }
        }
        #expect(calls == 2)
        #expect(clock.sleeps.isEmpty)
    }
}
