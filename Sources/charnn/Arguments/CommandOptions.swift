// The options of sample, eval, report, bench and inspect-cells, declared once like train's in
// Options.swift: name, value, range, help, and defaults read from the library's own types.

import CharRNN

extension Options {
    /// `charnn sample`.
    enum Sample {
        private static let defaults = SamplingOptions()

        /// A number of characters, or nil for `inf`.
        static let length: Option<Int?> = {
            let whole = Option<Int>.integer("--length", "N", help: "characters to generate; inf: until a stop text or Ctrl-C",
                                            default: "\(defaults.length!)", in: 1...)
            return Option(spec: whole.spec) { $0.lowercased() == "inf" ? nil : try whole.read($0) }
        }()
        static let temperature: Option<Float> = {
            let real = Option<Float>.real("--temperature", "T", help: "softmax temperature > 0: lower is safer, higher wilder",
                                          default: defaultText(defaults.temperature), above: 0, max: 1000)
            return Option(spec: real.spec) { text in
                let t = try real.read(text)
                guard t.isNormal else { throw InvalidValue(what: "is too small to represent") }
                return t
            }
        }()
        static let prime = Option<String>.text("--prime", "TEXT", help: "text the model reads first; printed before the sample")
        static let primeFile = Option<String>.text("--prime-file", "FILE", help: "the same, the whole text of FILE (newlines included)")
        static let stop = Option<String>.text("--stop", "TEXT", help: "end right after TEXT first appears in the generated text",
                                              repeatable: true)
        static let topK = Option<Int>.integer("--top-k", "K", help: "draw only among the K most likely characters", in: 1...)
        static let argmax = Option<Bool>.flag("--argmax", help: "always take the most likely character")
        static let beam = Option<Int>.integer("--beam", "N", help: "beam search of width N: the most likely text it finds (deterministic)",
                                              in: 1...1000)
        static let beamScore = Option<BeamScore>.choice(
            "--beam-score", "sum|mean", help: "with --beam and --stop: rank texts by their total log-probability (sum) or per "
                + "character (mean)", default: .sum)
        static let interactive = Option<Bool>.flag("--interactive", help: "read a prime per line from stdin and continue each")
        static let seed = Options.seed.with(help: "random seed; the same seed gives the same text", default: "\(defaults.seed)")
        static let threads = Options.threads.with(help: "threads for large layers' products (H ≥ 512 or so)")
    }

    /// `charnn eval` (and bench's table or JSON).
    static let json = Option<Bool>.flag("--json", help: "print one JSON object: loss, bpc, perplexity, chars")

    /// `charnn report`.
    static let reportOutput = Option<String>.text("--output", "FILE", help: "where to write the page",
                                                  default: "<checkpoint stem>.html beside it")

    /// `charnn bench` and its worker.
    enum Bench {
        private static let setup = BenchmarkSetup()
        static let json = Options.json.with(help: "print one JSON object instead of the table")
        static let corpus = Option<String>.text("--corpus", "FILE", help: "text to train on",
                                                default: "corpora/shakespeare.txt, else generated text")
        static let models = Option<[CellKind]>.list("--models", help: "cells to measure, comma-separated",
                                                    default: CellKind.listed.map(\.rawValue).joined(separator: ","),
                                                    choices: CellKind.allCases.map(\.rawValue)) { CellKind(rawValue: $0) }
        static let hidden = Option<[Int]>.list("--hidden", help: "hidden sizes to measure, comma-separated", default: "128,512") {
            try? Options.hidden.read($0)
        }
        static let precision = Option<[Precision]>.list("--precision", help: "training products' precisions to measure, "
                                                        + "comma-separated (fp32, bf16)", default: "fp32",
                                                        choices: Precision.allCases.map(\.rawValue)) { Precision(rawValue: $0) }
        static let layers = Options.layers.with(default: "\(setup.layers)")
        static let batchSize = Options.batchSize.with(default: "\(setup.batch)")
        static let seqLength = Options.seqLength.with(help: "time steps per batch", default: "\(setup.seqLength)")
        static let warmup = Option<Int>.integer("--warmup", "N", help: "iterations run before timing starts",
                                                default: "\(setup.warmupIterations)", in: 0...1_000_000)
        static let iterations = Option<Int>.integer("--iterations", "N", help: "iterations timed one by one (the median is reported)",
                                                    default: "\(setup.iterations)", in: 1...1_000_000)
        static let sampleLength = Option<Int>.integer("--sample-length", "N", help: "characters per sampling run (median of 3 runs)",
                                                      default: "\(setup.sampleLength)", in: 1...100_000_000)
        static let threads = Options.threads.with(help: "threads for training's matrix products")
        static let sampleThreads = Options.threads.renamed("--sample-threads", help: "threads while sampling",
                                                           default: "all cores, as charnn sample")
        static let seed = Options.seed.with(help: "seed for the model, the data and the generated text", default: "\(setup.seed)")

        // The worker's single values.
        static let workerCorpus = Option<String>.text("--corpus", "FILE", help: "text to train on (default: generated text)")
        static let generated = Option<Int>.integer("--generated", "N", help: "characters of generated text", default: "200000", in: 2...)
        static let cell = Options.cell.withoutDefault()
        static let workerHidden = Options.hidden.withoutDefault()
        /// One precision exactly: the worker measures what it is told.
        static let workerPrecision = Option<Precision>.choice("--precision", "fp32|bf16", help: "training products' precision")
    }

    /// `charnn inspect-cells`.
    enum Inspect {
        /// A layer number, or nil for `all`.
        static let layer = Option<Int?>(spec: OptionSpec(name: "--layer", value: "L|all", help: "layer(s) to record", defaultText: "all")) {
            if $0 == "all" { return nil }
            guard let n = Int($0), n >= 0 else { throw InvalidValue(what: "needs a layer number or 'all'") }
            return n
        }
        static let state = Option<StateSelection>.choice("--state", "h|c|gates|all", help: "h, \(cellStateHolders) cell state c, gates "
                                                         + "(\(CellKind.gateLetters(named: true).joined(separator: ", "))), or all",
                                                         default: .h)
        /// "LSTM": the cells that carry a cell state, for help text.
        static let cellStateHolders = CellKind.listed.filter(\.hasCellState).map(\.displayName).joined(separator: "/")
        static let units = Option<[String]>(spec: OptionSpec(name: "--units", value: "LIST",
                                                             help: "unit indices (3,17,40) or names (l1.c.3); default every unit")) {
            let items = $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if items.contains(where: \.isEmpty) { throw InvalidValue(what: "needs a comma-separated list such as 3,17,40") }
            return items
        }
        static let top = Option<Int>.integer("--top", "N", help: "only the N units most correlated with a text feature", in: 1...)
        static let format = Option<InspectCellsCommand.Format>.choice("--format", "FORMAT", help: "tsv, jsonl, npy, html or ansi")
            .with(default: "from --output's extension, else tsv")
        static let output = Option<String>.text("--output", "FILE", help: "write the dump to FILE (atomically) instead of stdout")
        static let explain = Option<Bool>.flag("--explain", help: "rank units by correlation with text features")
        static let saturation = Option<Bool>.flag("--saturation", help: "how often each gate is < 0.1 or > 0.9")
        static let maxChars = Option<Int>.integer("--max-chars", "N", help: "use only the first N characters",
                                                  default: "all; \(InspectCellsCommand.defaultViewCharacters) for html and ansi", in: 1...)
        // The neuron viewer.
        static let contexts = Option<Int>.integer("--contexts", "K", help: "show each unit's K highest and K lowest characters in their "
                                                  + "text (as text, jsonl or html)", in: 1...10_000)
        static let window = Option<Int>.integer("--window", "N", help: "characters shown each side of a context, which is the unit's "
                                                + "extreme within ±N", default: "30", in: 0...10_000)
        static let pattern = Option<String>.text("--pattern", "REGEX", help: "rank units by how well they separate the characters the "
                                                 + "regular expression covers from the rest (point-biserial r)", repeatable: true)
        static let patternMode = Option<PatternMode>.choice("--pattern-mode", "MODE", help: "the characters of a match --pattern marks: "
                                                            + "whole, start, inside (all but the first and last) or end", default: .whole)
    }
}

extension Option {
    /// A comma-separated list, each item read by `parse` (nil: not valid).
    static func list<Item>(_ name: String, help: String, default d: String, choices: [String]? = nil,
                           _ parse: @escaping (String) -> Item?) -> Option<[Item]> {
        Option<[Item]>(spec: OptionSpec(name: name, value: "LIST", help: help, defaultText: d, choices: choices)) { text in
            let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            return try items.map { item in
                guard let v = parse(item) else { throw InvalidValue(message: "\(name): '\(item)' is not valid in '\(text)'") }
                return v
            }
        }
    }
}
