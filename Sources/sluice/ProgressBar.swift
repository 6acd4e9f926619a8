import Foundation
import SluiceCore
import SluiceEngine
import Synchronization

/// Draws `[#####-----] stage 1/3  45%  412 MB / 860 MB  8.2M rows/s  ETA 2s` on standard
/// error while the input is read, then the later stages' tasks (`stage 2/3  12 / 32 tasks`)
/// and the result rows written or loaded, when standard error is a terminal; otherwise logs
/// a line at each stage boundary instead.
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
            Terminal.err("\r\u{1B}[2K" + "[\(Self.bar(Double(done) / Double(tasks)))] Spark stage \(stage): \(done) / \(tasks) tasks")
            return
        }
        let read = progress.bytesRead.load(ordering: .relaxed)
        let total = progress.bytesTotal.load(ordering: .relaxed)
        let rows = progress.rowsRead.load(ordering: .relaxed)
        let elapsed = Double(SystemInfo.monotonicNanos() - started) / 1e9
        guard total > 0, elapsed > 0 else { return }
        let stage = progress.stage.load(ordering: .relaxed), stages = progress.stageCount.load(ordering: .relaxed)
        let stageText = stages > 1 ? "stage \(stage)/\(stages)  " : ""
        if read < total || stage <= 1 {
            // Reading the input: the bytes read set the pace.
            let fraction = min(1, Double(read) / Double(total))
            let rate = Double(rows) / elapsed
            let eta = fraction > 0.01 ? elapsed / fraction - elapsed : 0
            let line = String(format: "[%@] %@%3d%%  %@ / %@  %@ rows/s  ETA %ds", Self.bar(fraction), stageText, Int(fraction * 100),
                              ByteCount.format(read), ByteCount.format(total), Self.short(rate), Int(eta.rounded()))
            Terminal.err("\r\u{1B}[2K" + line)
            return
        }
        // The input is read: the later stages (reduce, sort, write or load) follow their tasks.
        let line: String
        if stage == stages {
            let out = progress.rowsOut.load(ordering: .relaxed)
            line = "[\(Self.bar(1))] \(stageText)writing results: \(Terminal.count(out)) rows  \(Terminal.count(rows)) read  \(Int(elapsed))s"
        } else {
            let done = progress.stageTasksDone.load(ordering: .relaxed), tasks = max(1, progress.stageTasksTotal.load(ordering: .relaxed))
            line = "[\(Self.bar(Double(done) / Double(tasks)))] \(stageText)\(done) / \(tasks) tasks  \(Terminal.count(rows)) rows read  \(Int(elapsed))s"
        }
        Terminal.err("\r\u{1B}[2K" + line)
    }

    /// A 24-character bar filled to `fraction`.
    static func bar(_ fraction: Double) -> String {
        let width = 24
        let filled = max(0, min(width, Int(fraction * Double(width))))
        return String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
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
