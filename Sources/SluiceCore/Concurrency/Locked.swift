import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a lock: Swift's `Mutex`, plus the hand-offs ThreadSanitizer needs to see.
///
/// On Linux `Mutex` locks with raw futex calls, which ThreadSanitizer does not recognise as
/// synchronisation, so every access made under the lock is reported as a race and real races
/// drown among them. `Locked` tells the sanitizer about each critical section
/// (`__tsan_acquire` / `__tsan_release`, looked up once; absent, and never called, outside a
/// sanitized build), so a ThreadSanitizer run reports only what is really unsynchronised.
///
/// ```swift
/// private let state = Locked(State())
/// state.withLock { $0.count += 1 }
/// ```
public final class Locked<Value: ~Copyable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: consuming sending Value) {
        mutex = Mutex(value)
    }

    /// Runs `body` with the value, holding the lock; the calling thread blocks until it is free.
    public func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        let address = Unmanaged.passUnretained(self).toOpaque()
        return try mutex.withLock { (value: inout sending Value) throws(E) -> sending Result in
            ThreadSanitizerHooks.acquire?(address)
            defer { ThreadSanitizerHooks.release?(address) }
            return try body(&value)
        }
    }
}

/// ThreadSanitizer's annotation entry points, present only in a sanitized process.
enum ThreadSanitizerHooks {
    typealias Hook = @convention(c) (UnsafeMutableRawPointer?) -> Void

    static let acquire: Hook? = lookUp("__tsan_acquire")
    static let release: Hook? = lookUp("__tsan_release")

    private static func lookUp(_ name: String) -> Hook? {
        // RTLD_DEFAULT: the process's global symbols (the sanitizer runtime is linked in).
        #if os(Linux)
        let everywhere = UnsafeMutableRawPointer(bitPattern: 0)
        #else
        let everywhere = UnsafeMutableRawPointer(bitPattern: -2)
        #endif
        return dlsym(everywhere, name).map { unsafeBitCast($0, to: Hook.self) }
    }
}
