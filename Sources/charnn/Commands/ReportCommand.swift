// `charnn report`: one self-contained HTML page about a checkpoint's training run, from the
// checkpoint and the metrics log it names.

import CharRNN
import Foundation

enum ReportCommand: Command {
    static let spec = CommandSpec(
        name: "report",
        brief: "write an HTML page about a checkpoint's training run",
        summary: "Write one self-contained HTML page about a checkpoint's training run: train and validation loss\n"
            + "against iterations and time, the learning rate, the configuration and why it was chosen, a sample.",
        positionals: [("CHECKPOINT", "a checkpoint written by charnn train (the best one reports its run)")],
        options: [Options.reportOutput],
        notes: [
            "The curves come from the run's metrics log, which charnn train keeps beside the checkpoint and names in it.",
        ])

    static func validate(_ args: ParsedArguments) throws -> (checkpoint: String, output: String) {
        (args.positionals[0], try args.value(Options.reportOutput) ?? defaultOutput(for: args.positionals[0]))
    }

    static func run(_ v: (checkpoint: String, output: String)) throws -> Int32 {
        let (path, output) = v
        let checkpoint = try loadCheckpoint(path)
        let logPath = checkpoint.training?.options.metricsLog.map { TrainingFiles.resolvedLogPath($0, checkpoint: path) }
        try checkOutput(output, checkpoint: path, log: logPath)
        var log: MetricsLog?, note: String?
        if let logPath {
            do {
                log = try MetricsLog(contentsOf: logPath)
            } catch let e as FileError {
                note = "The metrics log this checkpoint names could not be read (\(e)): no curves."
                Console.warning("\(e); the report has no curves")
            }
        } else {
            note = "This checkpoint names no metrics log (it was written by an older charnn, or not by charnn train): no curves."
        }
        let page = ReportPage(checkpoint: checkpoint, checkpointName: path, log: log, logNote: note,
                              sample: try ReportPage.sample(checkpoint))
        do {
            try AtomicFile.write(Array(page.html.utf8), to: output)
        } catch FileWriteError.failed(_, let reason) {
            throw RuntimeError("cannot write \(output): \(reason)")
        }
        print("wrote \(output)")
        return ExitCode.success
    }

    /// checkpoints/x.ckpt → checkpoints/x.html; x.best.ckpt → x.best.html; m → m.html
    static func defaultOutput(for checkpoint: String) -> String {
        TrainingFiles.splitExtension(checkpoint).stem + ".html"
    }

    /// The page's directory must exist, and the page replaces only an earlier report (or an empty
    /// file), never the checkpoint or the log it reads; it is written whole or not at all.
    static func checkOutput(_ path: String, checkpoint: String, log: String?) throws {
        var inputs = [ReadInput(path: checkpoint, role: "the checkpoint")]
        if let log { inputs.append(ReadInput(path: log, role: "its metrics log")) }
        _ = try OutputSafety(inputs: inputs, outputs: [PlannedOutput(path: path, kind: .report, setting: .output)]).claim()
    }
}
