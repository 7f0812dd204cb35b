// inspect-cells as a neuron viewer: --contexts (each unit's highest and lowest characters, as text,
// jsonl or an html page) and --pattern (units ranked by how well they separate what a regular
// expression covers): the options' checks, and the calls into the library's UnitSurvey.

import CharRNN
import Foundation

extension InspectCellsCommand {
    /// The viewer's options, checked.
    struct Viewer {
        enum Output { case text, ansi, jsonl, html }
        /// K, when --contexts is given.
        let contexts: Int?
        let window: Int
        let patterns: [TextPattern]
        let mode: PatternMode
        let output: Output
    }

    /// The viewer's options; nil when neither --contexts nor --pattern is given. `format` is the one
    /// --format or --output's extension names, if any.
    static func validateViewer(_ args: ParsedArguments, format: Format?) throws -> Viewer? {
        let contexts = try args.value(O.contexts)
        let patterns = try args.strings(O.pattern).map { source in
            do { return try TextPattern(source) } catch let e as PatternError { throw usage(e.text(naming: \.option)) }
        }
        if contexts == nil && args.has(O.window) { throw usage("--window needs --contexts") }
        if patterns.isEmpty && args.has(O.patternMode) { throw usage("--pattern-mode needs --pattern") }
        guard contexts != nil || !patterns.isEmpty else { return nil }
        if contexts != nil && args.has(O.top) { throw usage("--top cannot be used with --contexts (--units chooses the units)") }
        var output = Viewer.Output.text
        switch format {
        case .tsv?, .npy?:
            if contexts != nil { throw usage("--contexts writes text, jsonl or html, not \(format!.rawValue)") }
        case .jsonl?: output = .jsonl
        case .html?: output = .html
        case .ansi?: output = .ansi
        case nil: break
        }
        return Viewer(contexts: contexts, window: try args.value(O.window, default: 30), patterns: patterns,
                      mode: try args.value(O.patternMode, default: .whole), output: output)
    }

    /// What the analysis pass gathers for the viewer: the contexts and the pattern marks.
    static func surveyRequest(_ viewer: Viewer?, units: [CellUnit], corpus: Corpus, count: Int, vocabulary: Vocabulary,
                              textPath: String) throws -> SurveyRequest? {
        guard let viewer else { return nil }
        if units.isEmpty { throw usage("--units selects no unit") }
        var marks: PatternMarks?
        if !viewer.patterns.isEmpty {
            do {
                marks = try PatternMarks.mark(viewer.patterns, in: corpus.tokens, count: count, vocabulary: vocabulary, mode: viewer.mode)
            } catch let e as PatternError {
                throw RuntimeError("\(displayName(textPath)): \(e.text(naming: \.option))")
            }
        }
        return SurveyRequest(units: units, contexts: viewer.contexts.map { ($0, viewer.window) }, marks: marks)
    }

    /// Writes the contexts to `output` (atomically) or stdout.
    static func writeViews(_ views: UnitViews, as kind: Viewer.Output, output: String?) throws {
        let file = try output.map { try AtomicFileWriter(path: $0) }
        let out = file.map { file in ByteWriter { try file.write($0) } } ?? ByteWriter(fileDescriptor: STDOUT_FILENO)
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        switch kind {
        case .text: try ContextReport.writeText(views, color: output == nil && isatty(STDOUT_FILENO) == 1 && !noColor, to: out)
        case .ansi: try ContextReport.writeText(views, color: !noColor, to: out)
        case .jsonl: try ContextReport.writeJSONLines(views, to: out)
        case .html: try UnitPage.write(views, to: out)
        }
        try file?.commit()
    }

    static func patternTable(_ p: PatternRanking) -> String {
        var lines = ["pattern: point-biserial r of each unit with the characters each pattern marks over "
                     + "\(Console.grouped(Double(p.characters))) characters (\(p.units.count) units; best \(unitsPerFeature) per pattern)"]
        lines.append("pattern (characters marked)".padding(28) + "units (r)")
        for (k, pattern) in p.patterns.enumerated() {
            lines.append(rankingLine("'\(pattern)' (\(Console.grouped(Double(p.marked[k]))))", p.ranking(pattern: k, count: unitsPerFeature)))
        }
        return lines.joined(separator: "\n")
    }
}
