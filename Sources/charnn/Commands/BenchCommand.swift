// `charnn bench`: training and sampling speed, and peak memory, for each cell and hidden size.
// Every configuration runs in a child process (this binary's hidden `bench-worker` command) so
// that its peak memory is its own; the parent collects their JSON and prints a table or JSON.

import CharRNN
import Foundation

enum BenchCommand {
    /// Options shared by `bench` and its worker; the worker takes single values for the lists.
    static let modelOptions: [OptionSpec] = [
        layers.spec, batchSize.spec, seqLength.spec,
        OptionSpec(name: "--warmup", value: "N", help: "iterations run before timing starts", defaultText: "3"),
        OptionSpec(name: "--iterations", value: "N", help: "iterations timed one by one (the median is reported)", defaultText: "20"),
        OptionSpec(name: "--sample-length", value: "N", help: "characters per sampling run (median of 3 runs)", defaultText: "2000"),
        threads.spec, sampleThreads.spec, seed.spec,
    ]
    private static let setup = BenchmarkSetup()
    static let layers = Options.layers.with(default: "\(setup.layers)")
    static let batchSize = Options.batchSize.with(default: "\(setup.batch)")
    static let seqLength = Options.seqLength.with(help: "time steps per batch", default: "\(setup.seqLength)")
    static let threads = Options.threads.with(help: "threads for training's matrix products")
    static let sampleThreads = Options.threads.renamed("--sample-threads", help: "threads while sampling", default: "all cores, as charnn sample")
    static let seed = Options.seed.with(help: "seed for the model, the data and the generated text", default: "\(setup.seed)")

    static let spec = CommandSpec(
        name: "bench",
        brief: "measure training and sampling speed and memory",
        summary: "Measure training chars/s (median over warm iterations), achieved GFLOP/s, step-by-step\n"
            + "sampling chars/s and peak memory for each model, each in its own process.",
        positionals: [],
        options: [
            OptionSpec(name: "--json", value: nil, help: "print one JSON object instead of the table"),
            OptionSpec(name: "--corpus", value: "FILE", help: "text to train on",
                       defaultText: "corpora/shakespeare.txt, else ../shared/corpora/tinyshakespeare.txt, else generated text"),
            OptionSpec(name: "--models", value: "LIST", help: "cells to measure, comma-separated", defaultText: "lstm,gru,rnn"),
            OptionSpec(name: "--hidden", value: "LIST", help: "hidden sizes to measure, comma-separated", defaultText: "128,512"),
            OptionSpec(name: "--precision", value: "LIST", help: "training products' precisions to measure, comma-separated "
                       + "(fp32, bf16)", defaultText: "fp32"),
        ] + modelOptions,
        notes: [
            "GFLOP/s counts the products charnn does (forward + backward, 2 FLOPs per multiply-add); the",
            "PyTorch-equivalent figure adds layer 0's dense one-hot products, which PyTorch does and charnn skips.",
        ])

    static let workerSpec = CommandSpec(
        name: "bench-worker",
        brief: "(internal) one configuration of charnn bench",
        summary: "(internal) one configuration of charnn bench; prints its result as JSON.",
        positionals: [],
        options: [
            OptionSpec(name: "--corpus", value: "FILE", help: "text to train on (default: generated text)"),
            OptionSpec(name: "--generated", value: "N", help: "characters of generated text"),
            Options.cell.withoutDefault(), Options.hidden.withoutDefault(),
            Options.productPrecision,
        ] + modelOptions)

    /// Default corpora, in order of preference: the user's, then the development one.
    static let defaultCorpora = ["corpora/shakespeare.txt", "../shared/corpora/tinyshakespeare.txt"]

    static func run(_ args: ParsedArguments) throws -> Int32 {
        let cells: [CellKind] = try list(args, "--models", default: "lstm,gru,rnn") { CellKind(rawValue: $0) }
        let sizes: [Int] = try list(args, "--hidden", default: "128,512") { try? Options.hidden.read($0) }
        let setup = try parseSetup(args)
        let threads = try args.threads(threads)
        let precisions = try resolved(list(args, "--precision", default: "fp32") { Precision(rawValue: $0) })

        // The corpus: as given, else the first default present, else generated text.
        let corpusPath = args.string("--corpus") ?? defaultCorpora.first { FileManager.default.fileExists(atPath: $0) }
        let corpusDescription: String, corpusCharacters: Int, generated: Int?
        if let corpusPath {
            let corpus = try loadCorpus(corpusPath, normalization: .exact)  // as the PyTorch reference reads it
            corpusCharacters = corpus.tokens.count
            corpusDescription = corpusPath
            generated = nil
            let needed = Benchmark.minimumCorpusCharacters(setup)
            guard corpusCharacters >= needed else {
                throw RuntimeError("\(corpusPath): \(BenchmarkError.corpusTooShort(characters: corpusCharacters, needed: needed))")
            }
        } else {
            // Enough for every iteration to read new text, and at least as long as a small corpus.
            let needed = setup.batch * setup.seqLength * (setup.warmupIterations + setup.iterations + 1)
            generated = max(50_000, Benchmark.minimumCorpusCharacters(setup), needed * 21 / 20)
            corpusCharacters = generated!
            corpusDescription = "generated English-like text (seed \(setup.seed))"
        }

        var results: [BenchmarkResult] = []
        for cell in cells {
            for hidden in sizes {
                for precision in precisions {
                    var words = ["bench-worker", "--cell", cell.rawValue, "--hidden", "\(hidden)", "--threads", "\(threads)",
                                 "--precision", precision.rawValue]
                    if let corpusPath { words += ["--corpus", corpusPath] } else { words += ["--generated", "\(generated!)"] }
                    for o in modelOptions where o.name != BenchCommand.threads.name {
                        if let v = args.string(o.name) { words += [o.name, v] }
                    }
                    results.append(try runWorker(words))
                }
            }
        }

        if args.flag("--json") {
            print(try json(results: results, corpus: corpusDescription, characters: corpusCharacters, threads: threads))
        } else {
            printTable(results, corpus: corpusDescription, characters: corpusCharacters, setup: setup, threads: threads)
        }
        return ExitCode.success
    }

    /// The hidden worker: one configuration in this process, its result as one JSON line.
    static func runWorker(_ args: ParsedArguments) throws -> Int32 {
        var setup = try parseSetup(args)
        setup.cell = try args.value(Options.cell, default: setup.cell)
        setup.hidden = try args.value(Options.hidden, default: setup.hidden)
        setup.precision = try args.value(Options.productPrecision, default: setup.precision)
        Parallelism.threads = try args.threads(threads)
        let corpus: Corpus
        if let path = args.string("--corpus") {
            corpus = try loadCorpus(path, normalization: .exact)
        } else {
            let n = try args.int("--generated", default: 200_000, min: 2)!
            corpus = try Corpus(bytes: Array(Benchmark.generatedText(characters: n, seed: setup.seed).utf8))
        }
        let result = try Benchmark.run(setup, corpus: corpus)
        print(try JSONValueEncoder.encode(result).text)
        return ExitCode.success
    }

    private static func parseSetup(_ args: ParsedArguments) throws -> BenchmarkSetup {
        var setup = BenchmarkSetup()
        setup.layers = try args.value(layers, default: setup.layers)
        setup.batch = try args.value(batchSize, default: setup.batch)
        setup.seqLength = try args.value(seqLength, default: setup.seqLength)
        setup.warmupIterations = try args.int("--warmup", default: setup.warmupIterations, min: 0, max: 1_000_000)!
        setup.iterations = try args.int("--iterations", default: setup.iterations, min: 1, max: 1_000_000)!
        setup.sampleLength = try args.int("--sample-length", default: setup.sampleLength, min: 1, max: 100_000_000)!
        setup.sampleThreads = try args.threads(sampleThreads)
        setup.seed = try args.value(seed, default: setup.seed)
        return setup
    }

    /// The precisions this CPU can run, in the order asked, each once; bf16 where it cannot runs as fp32,
    /// which the one notice says.
    private static func resolved(_ asked: [Precision]) -> [Precision] {
        var out: [Precision] = [], warned = false
        for precision in asked {
            let (ran, notice) = precision.resolved
            if let notice, !warned { Console.warning(notice); warned = true }
            if !out.contains(ran) { out.append(ran) }
        }
        return out
    }

    /// A comma-separated list option, each item checked by `parse`.
    private static func list<T>(_ args: ParsedArguments, _ name: String, default d: String,
                                _ parse: (String) -> T?) throws -> [T] {
        let text = args.string(name) ?? d
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var out: [T] = []
        for item in items {
            guard let v = parse(item) else {
                throw UsageError(message: "\(name): '\(item)' is not valid in '\(text)'", command: spec)
            }
            out.append(v)
        }
        return out
    }

    /// This executable, to start the workers with.
    private static var executable: URL {
        let proc = URL(fileURLWithPath: "/proc/self/exe")
        if FileManager.default.fileExists(atPath: proc.path) { return proc.resolvingSymlinksInPath() }
        return Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    }

    private static func runWorker(_ words: [String]) throws -> BenchmarkResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = words
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw RuntimeError("cannot start a benchmark process (\(executable.path)): \(error.localizedDescription)")
        }
        // Read stderr on another thread so neither pipe can fill and block the worker.
        nonisolated(unsafe) var errData = Data()
        let reader = DispatchGroup()
        DispatchQueue.global().async(group: reader) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        reader.wait()
        process.waitUntilExit()
        let errText = String(decoding: errData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let cause = errText.isEmpty ? "exit status \(process.terminationStatus)" : errText.replacingOccurrences(of: "charnn: error: ", with: "")
            throw RuntimeError("benchmark of \(words[2]) \(words[4]) failed: \(cause)")
        }
        do {
            return try JSONDecoder().decode(BenchmarkResult.self, from: outData)
        } catch {
            throw RuntimeError("benchmark of \(words[2]) \(words[4]) printed no result")
        }
    }

    private static func json(results: [BenchmarkResult], corpus: String, characters: Int, threads: Int) throws -> String {
        struct Report: Encodable {
            let charnn: String, corpus: String, corpusCharacters: Int, threads: Int, cpu: String?, results: [BenchmarkResult]
            enum CodingKeys: String, CodingKey {
                case charnn, corpus, corpusCharacters = "corpus_chars", threads, cpu, results
            }
        }
        let report = Report(charnn: CharRNNVersion.string, corpus: corpus, corpusCharacters: characters,
                            threads: threads, cpu: cpuName, results: results)
        return try JSONValueEncoder.encode(report).text
    }

    /// The processor's name from /proc/cpuinfo (Linux), for the record.
    private static var cpuName: String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line.flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    private static func printTable(_ results: [BenchmarkResult], corpus: String, characters: Int,
                                   setup: BenchmarkSetup, threads: Int) {
        print("charnn \(CharRNNVersion.string) bench on \(corpus) (\(Console.grouped(Double(characters))) characters), "
              + "\(threads) thread\(threads == 1 ? "" : "s")\(cpuName.map { ", \($0)" } ?? "")")
        print("\(setup.layers) layers, batch \(setup.batch), seq \(setup.seqLength), Adam, clip 5: "
              + "median of \(setup.iterations) timed iterations after \(setup.warmupIterations) warm-up; "
              + "sampling: median of \(setup.sampleRuns) runs of \(setup.sampleLength) characters, one at a time, "
              + "\(setup.sampleThreads) thread\(setup.sampleThreads == 1 ? "" : "s")")
        let header = ["model", "hidden", "train chars/s", "precision", "ms/iter", "GFLOP/s", "PyTorch-eq GFLOP/s", "sample chars/s", "peak RSS"]
        var rows = [header]
        func gflops(_ x: Double) -> String { String(format: x >= 100 ? "%.0f" : x >= 10 ? "%.1f" : "%.2f", x) }
        for r in results {
            rows.append([
                r.setup.cell.rawValue, "\(r.setup.hidden)", Console.grouped(r.trainCharsPerSecond), r.setup.precision.rawValue,
                String(format: "%.2f", r.medianIterationSeconds * 1000), gflops(r.gflops),
                gflops(r.pytorchEquivalentGflops), Console.grouped(r.sampleCharsPerSecond),
                r.peakResidentBytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "?",
            ])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max()! }
        for row in rows {
            let gap = { (c: Int) in String(repeating: " ", count: widths[c] - row[c].count) }
            let cells = row.indices.map { c in c == 0 ? row[c] + gap(c) : gap(c) + row[c] }
            print(cells.joined(separator: "  "))
        }
    }
}
