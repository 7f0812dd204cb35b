// `charnn report`'s page: one self-contained HTML file (inline CSS and SVG, no scripts, nothing
// fetched) with the run's loss curves against iterations and time, its learning rate, the
// configuration and why it was chosen, and a short sample. Well-formed XML, so a parser can check it.

import Foundation

public struct ReportPage {
    public let checkpoint: Checkpoint
    /// The checkpoint's path as the user gave it (shown in the title).
    public let checkpointName: String
    public let log: MetricsLog?
    /// Why there are no curves, when there are none (no log named, or the log unreadable).
    public let logNote: String?
    public let sample: String

    public init(checkpoint: Checkpoint, checkpointName: String, log: MetricsLog?, logNote: String?, sample: String) {
        self.checkpoint = checkpoint
        self.checkpointName = checkpointName
        self.log = log
        self.logNote = logNote
        self.sample = sample
    }

    /// A short sample for the page: `length` characters at temperature 0.8 from a fixed seed, so
    /// the same checkpoint always shows the same text.
    public static func sample(_ checkpoint: Checkpoint, length: Int = 400) throws -> String {
        var options = SamplingOptions()
        options.length = length
        options.temperature = 0.8
        var text = ""
        try Sampler(model: checkpoint.model, vocabulary: checkpoint.vocabulary).generate(options) { text.unicodeScalars.append($0) }
        return text
    }

    static let style = """
    body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 60em; color: #222; background: #fff; }
    h1 { font-size: 1.25em; } h2 { font-size: 1em; margin: 1.6em 0 0.5em; }
    table { border-collapse: collapse; font-size: 0.9em; } td, th { text-align: left; padding: 0.15em 1.2em 0.15em 0; vertical-align: top; }
    th { font-weight: 600; color: #444; } .why, .note { color: #444; font-size: 0.9em; }
    pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; background: #f6f6f6; padding: 0.7em; white-space: pre-wrap; }
    svg { display: block; margin: 0.4em 0 1em; } svg text { font-size: 11px; fill: #444; }
    .frame { fill: none; stroke: #bbb; } .grid { stroke: #eee; }
    path { fill: none; stroke-width: 1.6; } path.train, line.train { stroke: #3b6fb6; } path.validation, line.validation { stroke: #d9622b; }
    path.lr, line.lr { stroke: #4a9a5b; } circle.validation { fill: #d9622b; } line { stroke-width: 2; }
    """

    public var html: String {
        let name = Escaping.html(checkpointName)
        return FileKinds.reportOpening + """
        \(name)</title>
        <style>\n\(ReportPage.style)</style></head>
        <body>
        <h1>charnn report: \(name)</h1>
        \(summaryParagraph)
        <h2>Loss</h2>
        \(charts)
        <h2>Configuration</h2>
        \(configuration)
        <h2>Sample</h2>
        <p class="note">\(sample.unicodeScalars.count) characters at temperature 0.8, seed \(SamplingOptions().seed) (<code>charnn sample \(name) --temperature 0.8</code> draws more).</p>
        <pre>\(ReportPage.displayable(sample))</pre>
        </body></html>\n
        """
    }

    var summaryParagraph: String {
        guard let t = checkpoint.training else { return "<p class=\"note\">A weights-only checkpoint: no training record.</p>" }
        var parts = ["\(t.progress.iteration) iterations", "\(ReportPage.minutes(t.progress.trainingSeconds)) of training"]
        if let best = t.progress.bestValidationLoss {
            parts.append(String(format: "best validation loss %.4f nats/char", best) + (t.progress.bestIteration.map { " at iteration \($0)" } ?? ""))
        }
        return "<p>" + parts.joined(separator: ", ") + ".</p>"
    }

    var charts: String {
        guard let log, !(log.train.isEmpty && log.validation.isEmpty) else {
            return "<p class=\"note\">\(Escaping.html(logNote ?? "The metrics log has no entries."))</p>"
        }
        func series(_ x: (MetricsPoint) -> Double) -> [ChartSeries] {
            [ChartSeries(name: "train", cssClass: "train", points: log.train.map { (x($0), $0.value) }),
             ChartSeries(name: "validation", cssClass: "validation", points: log.validation.map { (x($0), $0.value) }, markers: true)]
        }
        let minutes = (log.train + log.validation).map(\.seconds).max().map { $0 >= 120 } ?? false
        var byIterations = SVGChart(title: "loss against iterations", xLabel: "iteration", yLabel: "loss (nats/char)",
                                    series: series { Double($0.iteration) })
        var byTime = SVGChart(title: "loss against training time", xLabel: minutes ? "training time (min)" : "training time (s)",
                              yLabel: "loss (nats/char)", series: series { minutes ? $0.seconds / 60 : $0.seconds })
        byIterations.yRange = ReportPage.lossRange(log)
        byTime.yRange = byIterations.yRange
        var out = byIterations.svg + "\n" + byTime.svg
        out += "\n<h2>Learning rate</h2>\n" + SVGChart(title: "learning rate", xLabel: "iteration", yLabel: "learning rate",
            series: [ChartSeries(name: "learning rate", cssClass: "lr", points: log.learningRate.map { (Double($0.iteration), $0.value) })]).svg
        if log.skippedLines > 0 {
            out += "\n<p class=\"note\">\(log.skippedLines) line\(log.skippedLines == 1 ? "" : "s") of the metrics log could not be read and were skipped.</p>"
        }
        return out
    }

    /// The losses worth seeing: the first tenth of the training points (the fall from ln V) is cut
    /// off at the top, so the part where runs differ fills the chart.
    static func lossRange(_ log: MetricsLog) -> (Double, Double)? {
        let shown = log.train.dropFirst(log.train.count / 10).map(\.value) + log.validation.map(\.value)
        guard let lo = shown.min(), let hi = shown.max(), hi - lo > 1e-9 else { return nil }
        return (lo - 0.02 * (hi - lo), hi + 0.02 * (hi - lo))
    }

    var configuration: String {
        let c = checkpoint.model.config
        var rows: [(String, String)] = [
            ("model", "\(c.cell.rawValue.uppercased()) \(c.layers)×\(c.hidden), dropout \(c.dropout)"
                + (c.weightDrop > 0 ? ", weight drop \(c.weightDrop)" : "")),
            ("parameters", "\(c.parameterCount)"), ("vocabulary", "\(c.vocabularySize) characters"),
        ]
        var why = "The options given on the command line (no automatic sizing)."
        if let o = checkpoint.training?.options {
            let s = o.effectiveSchedule
            // A step schedule that never decays (the default) keeps the rate constant.
            var schedule = s.kind == .step && o.lrDecay == 1 ? LearningRateScheduleKind.constant.rawValue : s.kind.rawValue
            if s.kind == .cosine {
                schedule += ", warmup \(s.warmupIterations) iterations, to a tenth by "
                    + [s.horizonIterations.map { "iteration \($0)" }, s.horizonSeconds.map { ReportPage.minutes($0) + " of training" }]
                    .compactMap { $0 }.joined(separator: " or ")
            } else if s.kind == .step && o.lrDecay != 1 {
                schedule += ", ×\(o.lrDecay) every \(o.lrDecayEvery) epochs"
            }
            rows += [("batch", "\(o.batchSize) streams × \(o.seqLength) steps"), ("optimizer", "\(o.optimizer.rawValue), learning rate \(o.learningRate)"),
                     ("schedule", schedule), ("early stopping", o.patience.map { "after \($0) validations without a new best" } ?? "off"),
                     ("validation", "last \(o.validationFraction) of the text, every \(o.evalEvery) iterations"),
                     ("time budget", o.budgetSeconds.map { ReportPage.minutes($0) + " of training over all runs" } ?? "none"),
                     ("seed", "\(o.seed)")]
            if let sizing = o.sizing { why = "Automatic sizing " + sizing + "." }
        }
        let table = rows.map { "<tr><th>\(Escaping.html($0.0))</th><td>\(Escaping.html($0.1))</td></tr>" }.joined(separator: "\n")
        return "<table>\n\(table)\n</table>\n<p class=\"why\">\(Escaping.html(why))</p>"
    }

    /// Text for a `<pre>`: escaped, with control characters other than newline and tab spelled out
    /// (XML allows no others, even as references).
    static func displayable(_ text: String) -> String {
        var out = ""
        for s in text.unicodeScalars {
            let control = s.properties.generalCategory == .control && s != "\n" && s != "\t"
            if control { out += Escaping.readable(s) } else { out.unicodeScalars.append(s) }
        }
        return Escaping.html(out).replacingOccurrences(of: "&#10;", with: "\n")
    }

    /// "4m 05s", "38.2 s", "2h 10m"
    static func minutes(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 1e9 else { return "∞" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h " + String(format: "%02dm", (s % 3600) / 60) }
        return "\(s / 60)m " + String(format: "%02ds", s % 60)
    }
}
