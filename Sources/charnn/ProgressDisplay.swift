// Shows training progress: a live one-line bar when stderr is a terminal, plain log lines
// otherwise; mirrors every log line as JSON into the --metrics file.

import CharRNN
import Foundation

/// Appends JSON lines to a file, creating it if needed.
final class MetricsFile {
    let path: String
    private let handle: FileHandle

    /// Opened for appending (O_APPEND), so a pipe or terminal works too. With `startFresh` (a new
    /// run's own log, which the output checks have found to be a charnn metrics log if anything) an
    /// earlier log there is emptied first: one log per run.
    init(path: String, startFresh: Bool = false) throws {
        self.path = path
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (startFresh ? O_TRUNC : 0), 0o644)
        guard fd >= 0 else { throw RuntimeError("cannot create metrics file \(path): \(String(cString: strerror(errno)))") }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    func append(_ fields: [(key: String, value: JSONValue)]) {
        handle.write(Data((JSONValue.object(fields).text + "\n").utf8))
    }
}

final class ProgressDisplay {
    let live: Bool
    let config: ModelConfig
    let metrics: MetricsFile?
    /// What the run trains in and why: "bf16 (AVX-512 BF16)".
    let precision: String
    private var lastStep: StepReport?
    private var lineOpen = false
    private var validationLoss: Double?

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
            line("charnn: warning: \(message)")
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
                let bar = r.completion.map { progressBar($0) + " " } ?? ""
                Console.writeStderr("\r\u{1B}[2K" + bar + text)
                lineOpen = true
            } else {
                line(text)
            }
            metrics?.append([("iteration", JSONValue(r.iteration)), ("epoch", JSONValue(r.epoch)),
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
            metrics?.append(fields)
        case .saved(let path):
            if !live { line("saved \(path)") }
        }
    }

    private func progressBar(_ fraction: Double) -> String {
        let width = 24
        let filled = Int((fraction * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            + String(format: "%3d%%", Int(fraction * 100))
    }

    func finish(_ summary: TrainingSummary, output: String, bestOutput: String, patience: Int?) {
        if let best = summary.stoppedEarlyWithBestAt, let loss = summary.bestValidationLoss {
            line("stopped early: the validation loss has not improved for \(patience ?? 0) validations; the best checkpoint, "
                 + "val \(fmt(loss)) at iteration \(best), is kept as \(bestOutput)")
        }
        var text = summary.interrupted ? "interrupted at iteration \(summary.iterations)" : "done: \(summary.iterations) iterations"
        if let v = summary.validationLoss { text += ", val loss \(fmt(v))" }
        if let b = summary.bestValidationLoss { text += " (best \(fmt(b)))" }
        line(text + "; checkpoint \(output)")
    }
}
