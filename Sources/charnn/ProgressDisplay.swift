// Shows training progress: a live one-line bar when stderr is a terminal, plain log lines
// otherwise; mirrors every log line as JSON into the --metrics file.

import CharRNN
import Foundation

/// The run's metrics log: JSON lines appended whole or not at all (CharRNN's AppendLog).
final class MetricsFile {
    let log: AppendLog
    var path: String { log.path }

    /// Opened for appending, so a pipe or terminal works too. With `startFresh` (a new run's own log,
    /// which the output checks have found to be a charnn metrics log if anything) an earlier log there
    /// is emptied first: one log per run.
    init(path: String, startFresh: Bool = false) throws {
        do {
            log = try AppendLog(path: path, truncate: startFresh)
        } catch FileWriteError.failed(_, let reason) {
            throw RuntimeError("cannot write the metrics log \(path): \(reason)")
        }
    }

    /// Starts a fork's log with the lines of the log it continues, up to the resumed iteration.
    func copyHistory(from source: String, through iteration: Int) throws {
        for line in MetricsLog.history(ofLogAt: source, through: iteration) where !log.append(line) {
            throw RuntimeError("cannot write the metrics log \(path): \(StreamWriter.reason(log.failure ?? EIO))")
        }
    }

    /// False once a write has failed (nothing more is written).
    @discardableResult
    func append(_ fields: [(key: String, value: JSONValue)]) -> Bool {
        log.append(JSONValue.object(fields).text)
    }
}

final class ProgressDisplay {
    let live: Bool
    let config: ModelConfig
    let metrics: MetricsFile?
    /// What the run trains in and why: "fp32 (bf16 products run at 0.66× fp32's speed on this CPU)".
    let precision: String
    private var lastStep: StepReport?
    private var lineOpen = false
    private var validationLoss: Double?
    /// Why the metrics log could not be written (not a closed pipe, which only ends the log): the
    /// run stops, saves and fails with this.
    private(set) var metricsFailure: String?

    init(live: Bool, config: ModelConfig, metrics: MetricsFile?, precision: String) {
        self.live = live
        self.config = config
        self.metrics = metrics
        self.precision = precision
    }

    private func line(_ text: String) {
        if lineOpen { Console.writeStderr("\r\u{1B}[2K") }
        lineOpen = false
        Console.writeStderr(text + "\n")
    }

    private func fmt(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", x) }

    func handle(_ event: TrainingEvent) {
        switch event {
        case .warning(let message):
            line("charnn: warning: \(message.text(naming: \.option))")
        case .started(let s):
            let c = config
            let what = "\(c.cell.rawValue.uppercased()) \(c.layers)×\(c.hidden), vocabulary \(c.vocabularySize), "
                + "\(Console.grouped(Double(s.parameterCount))) parameters in \(precision)"
            let data = "train \(Console.grouped(Double(s.trainCharacters))) chars (\(s.batchesPerEpoch) batches/epoch), "
                + "validation \(Console.grouped(Double(s.validationCharacters))) chars"
            line("charnn: \(what); \(data)" + (s.resumedAt.map { "; resuming at iteration \($0)" } ?? ""))
        case .step(let r):
            lastStep = r
            let eta = r.etaSeconds.map { "  ETA \(Console.duration($0))" } ?? ""
            let val = validationLoss.map { "  val \(fmt($0))" } ?? ""
            let text = "iter \(r.iteration)  epoch \(fmt(r.epoch, 2))  train \(fmt(r.trainLoss))\(val)  "
                + "\(Console.grouped(r.charsPerSecond)) chars/s\(eta)"
            if live {
                let percent = r.completion.map { String(format: "%3d%%", Int($0 * 100)) }
                let shown = TerminalLine.fit(bar: r.completion.map(progressBar), percent: percent, text: text,
                                             columns: ProgressDisplay.terminalColumns())
                Console.writeStderr("\r\u{1B}[2K" + shown)
                lineOpen = true
            } else {
                line(text)
            }
            record([("iteration", JSONValue(r.iteration)), ("epoch", JSONValue(r.epoch)),
                             ("train_loss", JSONValue(r.trainLoss)), ("elapsed_s", JSONValue(r.elapsedSeconds)),
                             ("time_s", JSONValue(r.trainingSeconds)), ("chars_per_s", JSONValue(r.charsPerSecond)),
                             ("lr", JSONValue(Double(r.learningRate))), ("grad_norm", JSONValue(r.gradientNorm))])
        case .validated(let v):
            validationLoss = v.loss
            line("iter \(v.iteration)  epoch \(fmt(v.epoch, 2))  val \(fmt(v.loss)) nats/char "
                 + "(\(fmt(v.loss / log(2.0), 3)) bits/char)" + (v.isBest ? "  best so far" : ""))
            var fields: [(key: String, value: JSONValue)] = [("iteration", JSONValue(v.iteration)), ("epoch", JSONValue(v.epoch))]
            if let s = lastStep {
                fields += [("train_loss", JSONValue(s.trainLoss)), ("elapsed_s", JSONValue(s.elapsedSeconds)),
                           ("time_s", JSONValue(s.trainingSeconds)), ("chars_per_s", JSONValue(s.charsPerSecond))]
            }
            fields.append(("val_loss", JSONValue(v.loss)))
            record(fields)
        case .saved(let path):
            if !live { line("saved \(path)") }
        }
    }

    /// One metrics line; a reader of the log that exited ends the log with one warning, any other
    /// failure (a full disk) stops the run.
    private func record(_ fields: [(key: String, value: JSONValue)]) {
        guard let metrics, metricsFailure == nil, metrics.log.failure == nil else { return }
        guard !metrics.append(fields), let code = metrics.log.failure else { return }
        let reason = StreamWriter.reason(code)
        if code == EPIPE {
            line("charnn: warning: the metrics log \(metrics.path) was closed (\(reason)); training goes on without it")
        } else {
            metricsFailure = "cannot write the metrics log \(metrics.path): \(reason)"
        }
    }

    private func progressBar(_ fraction: Double) -> String {
        let width = 24
        let filled = Int((fraction * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    /// The terminal's width (asked each time, so a resized window is followed), else $COLUMNS, else 80.
    static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } ?? 80
    }

    /// The last line; `bestHolder` is the file with the best state (TrainingFiles.bestHolder), named
    /// when it is not `bestOutput`.
    func finish(_ summary: TrainingSummary, output: String, bestOutput: String, bestHolder: String?, patience: Int?) {
        if let best = summary.stoppedEarlyWithBestAt, let loss = summary.bestValidationLoss {
            line("stopped early: the validation loss has not improved for \(patience ?? 0) validations; the best checkpoint, "
                 + "val \(fmt(loss)) at iteration \(best), is kept as \(bestHolder ?? bestOutput)")
        }
        var text = summary.interrupted ? "interrupted at iteration \(summary.iterations)" : "done: \(summary.iterations) iterations"
        if let v = summary.validationLoss { text += ", val loss \(fmt(v))" }
        if let b = summary.bestValidationLoss {
            text += " (best \(fmt(b))" + (bestHolder == bestOutput ? ")" : bestHolder.map { ", in \($0))" } ?? ", not saved)")
        }
        line(text + "; checkpoint \(output)")
    }
}
