public import SluiceCore
public import SluiceEngine
import SluicePostgres

extension JobOutput {
    /// The names `--select` knows this output by: a CSV file with or without `.csv`, a
    /// folder of CSV files, a table by its name or its qualified name. A feed has none: it
    /// is selected through the step that reads it.
    var selectionNames: [String] {
        switch self {
        case .csv(let file): file.hasSuffix(".csv") ? [file, String(file.dropLast(4))] : [file]
        case .csvPerValue(let folder, _): [folder]
        case .table(let table): [table.name.name.name, table.name.description, table.name.quoted]
        case .feeds, .sample: []
        }
    }
}

/// What the runner does with each step of a job: run it into its outputs, compute it inside
/// the one later step that reads it, or leave it out.
///
/// A step runs when one of its outputs applies to the run: a CSV file with an output folder,
/// a table with a database, and (with `--select`) only the outputs named. A step whose only
/// remaining purpose is to feed one later step is *inlined*: that step's plan reads the
/// producer's plan instead of its held result, so the rows flow through once, nothing is held
/// in between, and a sort that only ordered the producer's files goes (``SortElimination``).
/// A result read by two later steps is held once, as before, so no input is read twice.
enum StepDisposition: Equatable {
    case run
    case inline(into: Int)
    case skip

    /// The disposition of every step, and each step's frame with the inlined producers in it.
    /// - Throws: a configuration error for a selected name that is no output of the job, or
    ///   one that cannot apply to this run (a CSV without an output folder, a table without a
    ///   database).
    static func plan(_ job: Job, outputDirectory: String?, hasDatabase: Bool, selection: Set<String>?) throws(SluiceError)
        -> (dispositions: [StepDisposition], frames: [DataFrame]) {
        if let selection { try check(selection, job: job, outputDirectory: outputDirectory, hasDatabase: hasDatabase) }
        func applies(_ output: JobOutput) -> Bool {
            if case .sample = output { return true }
            if let selection, !output.selectionNames.contains(where: selection.contains) { return false }
            switch output {
            case .csv, .csvPerValue: return outputDirectory != nil
            case .table: return hasDatabase
            case .feeds, .sample: return false
            }
        }
        let steps = job.steps
        // Which later steps read each step's results.
        let readers: [[Int]] = steps.indices.map { producer in
            let results = steps[producer].outputs.compactMap { output -> SpooledResult? in
                if case .feeds(let result) = output { result } else { nil }
            }
            return steps.indices.filter { reader in
                reader > producer && results.contains { steps[reader].frame.plan.scanCount(of: $0) > 0 }
            }
        }
        var direct = steps.map { $0.outputs.contains(where: applies) }
        // A run with no outputs still reads and checks everything: every step that feeds no
        // other is computed, with what it reads.
        if !direct.contains(true) { direct = readers.map(\.isEmpty) }
        var needed = direct
        for producer in steps.indices.reversed() where !needed[producer] {
            needed[producer] = readers[producer].contains { needed[$0] }
        }
        var dispositions = [StepDisposition](repeating: .skip, count: steps.count)
        var frames = steps.map(\.frame)
        for index in steps.indices where needed[index] {
            let neededReaders = readers[index].filter { needed[$0] }
            guard !direct[index], neededReaders.count == 1, let reader = neededReaders.first, inlinable(steps[index], into: steps[reader]) else {
                dispositions[index] = .run
                continue
            }
            dispositions[index] = .inline(into: reader)
            for case .feeds(let result) in steps[index].outputs {
                frames[reader] = DataFrame(frames[reader].plan.inlining(result, with: frames[index].plan))
            }
        }
        return (dispositions, frames)
    }

    /// A producer can be computed inside its reader when the reader scans its result once
    /// (twice would compute it twice) and the result's columns are the plan's own names.
    private static func inlinable(_ producer: JobStep, into reader: JobStep) -> Bool {
        for case .feeds(let result) in producer.outputs where reader.frame.plan.scanCount(of: result) != 1 { return false }
        guard let declared = producer.schema else { return true }
        return (try? producer.frame.schema().names) == declared.names
    }

    private static func check(_ selection: Set<String>, job: Job, outputDirectory: String?, hasDatabase: Bool) throws(SluiceError) {
        let outputs = job.steps.flatMap(\.outputs)
        for name in selection.sorted() {
            guard let output = outputs.first(where: { $0.selectionNames.contains(name) }) else {
                let known = outputs.compactMap(\.selectionNames.first).joined(separator: ", ")
                throw SluiceError(.configuration, "--select \(name): the job has no output of that name", hint: "choose among \(known)")
            }
            switch output {
            case .csv, .csvPerValue:
                guard outputDirectory != nil else {
                    throw SluiceError(.configuration, "--select \(name) is a CSV output, but the run writes no files", hint: "add --out DIR")
                }
            case .table:
                guard hasDatabase else {
                    throw SluiceError(.configuration, "--select \(name) is a table, but the run uses no database", hint: "add --db URL")
                }
            case .feeds, .sample: continue
            }
        }
    }
}

extension Job {
    /// Each step as a run that may write every kind of output would compute it (what
    /// `explain --select` prints): the frame it runs, with any inlined producer inside it, or
    /// nil and the reason when the step does not run by itself.
    public func plannedSteps(selection: Set<String>?) throws(SluiceError) -> [(name: String, frame: DataFrame?, note: String?)] {
        let (dispositions, frames) = try StepDisposition.plan(self, outputDirectory: "", hasDatabase: true, selection: selection)
        return steps.indices.map { index in
            switch dispositions[index] {
            case .run: (steps[index].name, frames[index], nil)
            case .inline(let reader): (steps[index].name, nil, "computed inside \(steps[reader].name), which reads it")
            case .skip: (steps[index].name, nil, "not run: none of its outputs is selected")
            }
        }
    }
}
