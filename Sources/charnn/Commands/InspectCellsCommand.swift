// `charnn inspect-cells`: record what a checkpoint's hidden units, cell states and gates do on a
// text, dump them (tsv, jsonl, npy) or show them (html, ansi), and find the units that follow
// simple text features (--explain) or saturate (--saturation).

import CharRNN
import Foundation

enum InspectCellsCommand: Command {
    typealias O = Options.Inspect

    enum Format: String, CaseIterable {
        case tsv, jsonl, npy, html, ansi
    }

    /// Units shown by html and ansi when none are chosen: the strongest --explain units.
    static let defaultViewUnits = 8
    /// Characters html and ansi show unless --max-chars says otherwise.
    static let defaultViewCharacters = 2000
    /// Units listed per feature in the --explain table.
    static let unitsPerFeature = 3

    static let spec = CommandSpec(
        name: "inspect-cells",
        brief: "record, view and explain what the hidden units do on a text",
        summary: "Run a checkpoint over TEXTFILE (one stream from a zero state) and record every character's\n"
            + "hidden states h, \(O.cellStateHolders) cell states c and gate values: dump them, view them as a heat map,\n"
            + "or find the units that track text features.",
        positionals: [("CHECKPOINT", "a checkpoint written by charnn train"), ("TEXTFILE", "the text to run over (UTF-8); - reads standard input")],
        options: [O.layer, O.state, O.units, O.top, O.format, O.output, O.explain, O.saturation, O.maxChars,
                  O.contexts, O.window, O.pattern, O.patternMode, Options.skipUnknown, Options.singleThread],
        notes: [
            "Units are named l<layer>.<kind>.<index>: l0.h.17, l1.c.3, l0.i.5 "
                + "(gate letters \(CellKind.gateLetters(named: false).joined(separator: " / "))).",
            "With --explain or --saturation and neither --format nor --output, only the reports are printed.",
            "Reports go to stdout, or to stderr when a tsv, jsonl or html dump is written to stdout.",
            "npy needs --output: FILE.npy gets a float32 [chars, units] array, FILE.json the column names,",
            "characters, and the --explain / --saturation figures per unit. tsv and jsonl add per-unit",
            "saturation after the rows. html and ansi show --top \(defaultViewUnits) units unless told otherwise.",
            "ansi uses 24-bit colour; with NO_COLOR set it draws a ▁▂▃▄▅▆▇█ line under each text line.",
            "With --contexts the output is the contexts instead: text (coloured on a terminal), jsonl, or an html page",
            "of every unit. --pattern uses ICU regular expressions (^ and $ at line ends) over the whole text.",
        ])

    /// A command line checked before the files are read.
    struct Validated {
        let args: ParsedArguments
        let output: String?
        let format: Format
        /// Whether a dump is written (not only the --explain / --saturation reports).
        let dumps: Bool
        let explain: Bool, saturation: Bool
        let state: StateSelection
        let top: Int?
        let maxChars: Int?
        let threads: Int
        let layerIndex: Int?
        let unitItems: [String]?
        let skipUnknown: Bool
        let viewer: Viewer?
    }

    static func usage(_ message: String) -> UsageError { UsageError(message: message, command: spec) }

    /// Everything that can be checked without the files.
    static func validate(_ args: ParsedArguments) throws -> Validated {
        let output = try args.value(O.output)
        if let output, output.isEmpty { throw usage("--output needs a file name") }
        var format = try args.value(O.format)
        if format == nil, let output {
            let ext = (output as NSString).pathExtension.lowercased()
            format = ext == "htm" ? .html : Format(rawValue: ext)
        }
        let explain = args.flag(O.explain), saturation = args.flag(O.saturation)
        let viewer = try validateViewer(args, format: format)
        let reportsOnly = explain || saturation || viewer?.patterns.isEmpty == false
        let dumps = viewer?.contexts == nil && (format != nil || output != nil || !reportsOnly)
        let chosenFormat = format ?? .tsv
        if chosenFormat == .npy && output == nil { throw usage("--format npy needs --output FILE (it also writes a sidecar JSON)") }
        let state = try args.value(O.state, default: .h)
        let top = try args.value(O.top)
        if top != nil && args.has(O.units) { throw usage("--units and --top cannot be used together") }
        var maxChars = try args.value(O.maxChars)
        if maxChars == nil && dumps && (chosenFormat == .html || chosenFormat == .ansi) { maxChars = defaultViewCharacters }
        let threads = try args.value(Options.singleThread, default: 1)
        let layerIndex = try args.value(O.layer) ?? nil
        let unitItems = try args.value(O.units)
        return Validated(args: args, output: output, format: chosenFormat, dumps: dumps, explain: explain, saturation: saturation,
                         state: state, top: top, maxChars: maxChars, threads: threads, layerIndex: layerIndex, unitItems: unitItems,
                         skipUnknown: args.flag(Options.skipUnknown), viewer: viewer)
    }

    /// The units --units names, or every unit of the --state of the chosen layers.
    static func candidates(_ v: Validated, config: ModelConfig, layers: [Int]) throws -> [CellUnit] {
        do {
            guard let unitItems = v.unitItems else { return try CellUnit.select(config: config, layers: layers, state: v.state) }
            var units: [CellUnit] = []
            let indices = unitItems.compactMap { Int($0) }
            if !indices.isEmpty { units += try CellUnit.select(config: config, layers: layers, state: v.state, indices: indices) }
            for name in unitItems where Int(name) == nil { units.append(try CellUnit.parse(name, config: config)) }
            return units
        } catch let e as UnitSelectionError {
            throw usage("\(e)")
        }
    }

    static func run(_ v: Validated) throws -> Int32 {
        Parallelism.threads = v.threads
        Interruption.installRemovingTemporaries()
        let args = v.args, output = v.output, chosenFormat = v.format, dumps = v.dumps
        let explain = v.explain, saturation = v.saturation
        let locks = try output.map { try claimOutputs($0, format: chosenFormat, checkpoint: args.positionals[0], text: args.positionals[1]) }
        defer { for lock in locks ?? [] { lock.release() } }
        let checkpoint = try loadCheckpoint(args.positionals[0])
        let model = checkpoint.model, config = model.config
        let layers = v.layerIndex.map { [$0] } ?? Array(0..<config.layers)
        let candidates = try candidates(v, config: config, layers: layers)

        let textPath = args.positionals[1]
        let corpus = try loadCorpus(textPath, vocabulary: checkpoint.vocabulary, owner: args.positionals[0],
                                    skipUnknown: v.skipUnknown, normalization: checkpoint.text)
        warnSkipped(corpus, textPath)
        let count = min(corpus.count, v.maxChars ?? .max)
        guard count > 0 else { throw RuntimeError("\(displayName(textPath)): no characters to inspect") }

        // Pass 1, when anything needs the whole text first.
        let viewTop = dumps && (chosenFormat == .html || chosenFormat == .ansi) && v.unitItems == nil && v.top == nil
            ? defaultViewUnits : nil
        let topCount = v.top ?? viewTop
        let survey = try surveyRequest(v.viewer, units: candidates, corpus: corpus, count: count, vocabulary: checkpoint.vocabulary,
                                       textPath: textPath)
        var analysis = InspectionAnalysis()
        if explain || saturation || topCount != nil || survey != nil {
            analysis = Inspector.analyse(model: model, tokens: corpus.tokens, count: count, vocabulary: checkpoint.vocabulary,
                                         explain: explain || topCount != nil ? candidates : nil,
                                         saturationLayers: saturation ? layers : nil, survey: survey)
        }
        let columns = topCount.map { analysis.explanation!.strongestUnits($0) } ?? candidates

        var reports: [String] = []
        if explain, let e = analysis.explanation { reports.append(explainTable(e)) }
        if let p = analysis.patterns { reports.append(patternTable(p)) }
        if saturation, let s = analysis.saturation {
            reports.append(s.units.isEmpty ? "saturation: \(config.cell.indefiniteName) has no gates" : saturationTable(s))
        }
        let caption = "\(args.positionals[0]) (\(config.cell.displayName), \(config.layers) × \(config.hidden)) on "
            + "\(textPath): \(count) characters"

        if let viewer = v.viewer, let survey = analysis.survey {
            let views = UnitViews(survey: survey, explanation: explain ? analysis.explanation : nil, patterns: analysis.patterns,
                                  characters: count, limit: viewer.contexts ?? 0, caption: caption)
            try writeViews(views, as: viewer.output, output: output)
        }
        if dumps {
            let context = InspectionContext(columns: columns, characters: count, vocabulary: checkpoint.vocabulary,
                                            explanation: analysis.explanation, saturation: analysis.saturation,
                                            caption: caption)
            try dump(model: model, corpus: corpus, count: count, context: context, format: chosenFormat, output: output)
        }
        if !reports.isEmpty {
            let text = reports.joined(separator: "\n\n") + "\n"
            let viewerOnStdout = v.viewer.map { $0.contexts != nil && output == nil && [.jsonl, .html].contains($0.output) } ?? false
            let reportsToStderr = dumps && output == nil && chosenFormat != .ansi || viewerOnStdout
            if reportsToStderr { Console.writeStderr(text) } else { print(text, terminator: "") }
        }
        return ExitCode.success
    }

    /// Renders the dump to `output` (atomically: temporary files renamed only once complete) or stdout.
    static func dump(model: Model, corpus: Corpus, count: Int, context: InspectionContext, format: Format,
                     output: String?) throws {
        var files: [AtomicFileWriter] = []
        func writer(_ path: String?) throws -> ByteWriter {
            guard let path else { return ByteWriter(fileDescriptor: STDOUT_FILENO) }
            let file = try AtomicFileWriter(path: path)
            files.append(file)
            return ByteWriter { try file.write($0) }
        }
        let out = try writer(output)
        let renderer: ActivationRenderer
        switch format {
        case .tsv: renderer = TSVRenderer(out)
        case .jsonl: renderer = JSONLRenderer(out)
        case .html: renderer = HTMLRenderer(out)
        case .ansi:
            let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
            renderer = ANSIRenderer(out, color: !noColor)
        case .npy:
            renderer = NPYRenderer(out, sidecar: try writer(sidecarPath(for: output!)))
        }
        try Inspector.dump(model: model, tokens: corpus.tokens, count: count, context: context, to: renderer)
        for file in files { try file.commit() }
    }

    /// The dump and its sidecar, checked and locked before any file is read: never over the checkpoint
    /// or the text however they are named, only over inspect-cells output of any format (or an empty
    /// file), in a directory that exists, and by one run at a time (the lock a checkpoint's writer takes).
    static func claimOutputs(_ output: String, format: Format, checkpoint: String, text: String) throws -> [CheckpointLock] {
        var paths = [output]
        var outputs = [PlannedOutput(path: output, kind: .inspection, setting: .output)]
        if format == .npy {
            paths.append(sidecarPath(for: output))
            outputs.append(PlannedOutput(path: paths[1], kind: .inspection, setting: .output, role: "the sidecar"))
        }
        for path in paths {
            outputs.append(PlannedOutput(path: CheckpointLock.path(for: path), kind: .lock, setting: .output, role: "the lock file"))
        }
        let inputs = [ReadInput(path: checkpoint, role: "the checkpoint"), ReadInput(path: text, role: "the text")]
        return try OutputSafety(inputs: inputs, outputs: outputs).claim(locking: paths)
    }

    /// acts.npy → acts.json; other names get .json appended.
    static func sidecarPath(for path: String) -> String {
        path.lowercased().hasSuffix(".npy") ? String(path.dropLast(4)) + ".json" : path + ".json"
    }

    static func explainTable(_ e: Explanation) -> String {
        var lines = ["explain: Pearson r of each unit with text features over \(Console.grouped(Double(e.characters))) characters"
                     + " (\(e.units.count) units; best \(unitsPerFeature) per feature)"]
        lines.append("feature".padding(28) + "units (r)")
        for (f, feature) in e.features.enumerated() {
            lines.append(rankingLine(feature.title, e.ranking(feature: f, count: unitsPerFeature)))
        }
        let strongest = e.strongestUnits(min(5, e.units.count)).compactMap { u -> String? in
            guard let k = e.units.firstIndex(of: u), let b = e.bestFeature(of: k) else { return nil }
            return "\(u.name) \(b.feature.rawValue) \(String(format: "%+.3f", b.r))"
        }
        if !strongest.isEmpty { lines.append("strongest units: " + strongest.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }

    /// One row of a ranking report: what the units follow, then the best units with their r.
    static func rankingLine(_ title: String, _ best: [(unit: CellUnit, r: Double)]) -> String {
        let cells = best.isEmpty ? "(constant in this text)"
            : best.map { ($0.unit.name + " " + String(format: "%+.3f", $0.r)).padding(18) }.joined()
        return title.padding(28) + cells.trimmingCharacters(in: .whitespaces)
    }

    static func saturationTable(_ s: SaturationReport) -> String {
        var lines = ["saturation: fraction of \(Console.grouped(Double(s.steps))) characters on which a gate is < 0.1 (left) or > 0.9 (right)"]
        lines.append("layer  gate  units  mean left  mean right  mostly left  mostly right")
        for g in s.summary {
            lines.append(String(format: "%5d  ", g.layer) + g.gate.padding(4)
                         + String(format: "  %5d  %9.3f  %10.3f  %11d  %12d", g.units, g.meanLeft, g.meanRight,
                                  g.mostlyLeft, g.mostlyRight))
        }
        lines.append("(mostly: saturated on more than half of the characters; per-unit figures are in the dumps)")
        return lines.joined(separator: "\n")
    }
}
