import Foundation
import SluiceCore
import SluiceEngine
import Synchronization

/// Draws `[#####-----]  45%  412 MB / 860 MB  8.2M rows/s  ETA 2s` on standard error
/// while a run goes on, when standard error is a terminal; otherwise logs a line at each
/// stage boundary instead.
final class ProgressBar: Sendable {
    private let progress: ProgressCounters
    private let stopped = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private let started = SystemInfo.monotonicNanos()

    init(progress: ProgressCounters) {
        self.progress = progress
    }

    /// Starts drawing on a background thread when `enabled`.
    func start(enabled: Bool) {
        guard enabled else {
            stopped.store(true, ordering: .relaxed)
            done.signal()
            return
        }
        Thread.detachNewThread { [self] in
            while !stopped.load(ordering: .relaxed) {
                draw()
                usleep(150_000)
            }
            Terminal.err("\r\u{1B}[2K")
            done.signal()
        }
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        done.wait()
    }

    private func draw() {
        let tasks = progress.externalTasksTotal.load(ordering: .relaxed)
        if tasks > 0 {
            // Spark computes the run: its stage and tasks, as its own console shows them.
            let done = progress.externalTasksDone.load(ordering: .relaxed), stage = progress.externalStage.load(ordering: .relaxed)
            let width = 24, filled = min(width, width * done / tasks)
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            Terminal.err("\r\u{1B}[2K" + "[\(bar)] Spark stage \(stage): \(done) / \(tasks) tasks")
            return
        }
        let read = progress.bytesRead.load(ordering: .relaxed)
        let total = progress.bytesTotal.load(ordering: .relaxed)
        let rows = progress.rowsRead.load(ordering: .relaxed)
        let elapsed = Double(SystemInfo.monotonicNanos() - started) / 1e9
        guard total > 0, elapsed > 0 else { return }
        let fraction = min(1, Double(read) / Double(total))
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let rate = Double(rows) / elapsed
        let eta = fraction > 0.01 ? elapsed / fraction - elapsed : 0
        let line = String(format: "[%@] %3d%%  %@ / %@  %@ rows/s  ETA %ds", bar, Int(fraction * 100),
                          ByteCount.format(read), ByteCount.format(total), Self.short(rate), Int(eta.rounded()))
        Terminal.err("\r\u{1B}[2K" + line)
    }

    static func short(_ value: Double) -> String {
        switch value {
        case 1e9...: String(format: "%.1fG", value / 1e9)
        case 1e6...: String(format: "%.1fM", value / 1e6)
        case 1e3...: String(format: "%.1fK", value / 1e3)
        default: String(format: "%.0f", value)
        }
    }
}
