// `charnn bench`: training and sampling speed, and peak memory, for each cell and hidden size.
// Every configuration runs in a child process (this binary's hidden `bench-worker` command) so
// that its peak memory is its own; the parent collects their JSON and prints a table or JSON.

import CharRNN
import Foundation

enum BenchCommand: Command {
    typealias O = Options.Bench

    /// Options shared by `bench` and its worker; the worker takes single values for the lists.
    static let modelOptions: [any OptionDeclaration] = [
        O.layers, O.batchSize, O.seqLength, O.warmup, O.iterations, O.sampleLength, O.threads, O.sampleThreads, O.seed,
    ]

    static let spec = CommandSpec(
        name: "bench",
        brief: "measure training and sampling speed and memory",
        summary: "Measure training chars/s (median over warm iterations), achieved GFLOP/s, step-by-step\n"
            + "sampling chars/s and peak memory for each model, each in its own process.",
        positionals: [],
        options: [O.json, O.corpus, O.models, O.hidden, O.precision] + modelOptions,
        notes: [
            "GFLOP/s counts the products charnn does (forward + backward, 2 FLOPs per multiply-add); the",
            "PyTorch-equivalent figure adds layer 0's dense one-hot products, which PyTorch does and charnn skips.",
        ])

    /// Default corpora, in order of preference (`make corpora` writes this one; --corpus names any other).
    static let defaultCorpora = ["corpora/shakespeare.txt"]

    struct Validated {
        let cells: [CellKind], sizes: [Int], precisions: [Precision]
        let setup: BenchmarkSetup
        let threads: Int
        let corpus: String?, json: Bool
        /// The model options as given, passed on to each worker.
        let passed: [String]
    }

    static func validate(_ args: ParsedArguments) throws -> Validated {
        var passed: [String] = []
        for o in modelOptions where o.spec.name != O.threads.name {
            if let v = args.text(o) { passed += [o.spec.name, v] }
        }
        return Validated(cells: try args.value(O.models) ?? O.models.defaultValue(),
                         sizes: try args.value(O.hidden) ?? O.hidden.defaultValue(),
                         precisions: try args.value(O.precision) ?? O.precision.defaultValue(),
                         setup: try parseSetup(args), threads: try args.threads(O.threads), corpus: try args.value(O.corpus),
                         json: args.flag(O.json), passed: passed)
    }

    static func run(_ v: Validated) throws -> Int32 {
        let setup = v.setup, threads = v.threads
        let precisions = resolved(v.precisions)

        // The corpus: as given, else the first default present, else generated text.
        let corpusPath = v.corpus ?? defaultCorpora.first { FileManager.default.fileExists(atPath: $0) }
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
        for cell in v.cells {
            for hidden in v.sizes {
                for precision in precisions {
                    var words = ["bench-worker", "--cell", cell.rawValue, "--hidden", "\(hidden)", "--threads", "\(threads)",
                                 "--precision", precision.rawValue]
                    if let corpusPath { words += ["--corpus", corpusPath] } else { words += ["--generated", "\(generated!)"] }
                    results.append(try runWorker(words + v.passed))
                }
            }
        }

        if v.json {
            print(try json(results: results, corpus: corpusDescription, characters: corpusCharacters, threads: threads))
        } else {
            printTable(results, corpus: corpusDescription, characters: corpusCharacters, setup: setup, threads: threads)
        }
        return ExitCode.success
    }

    static func parseSetup(_ args: ParsedArguments) throws -> BenchmarkSetup {
        var setup = BenchmarkSetup()
        setup.layers = try args.value(O.layers, default: setup.layers)
        setup.batch = try args.value(O.batchSize, default: setup.batch)
        setup.seqLength = try args.value(O.seqLength, default: setup.seqLength)
        setup.warmupIterations = try args.value(O.warmup, default: setup.warmupIterations)
        setup.iterations = try args.value(O.iterations, default: setup.iterations)
        setup.sampleLength = try args.value(O.sampleLength, default: setup.sampleLength)
        setup.sampleThreads = try args.threads(O.sampleThreads)
        setup.seed = try args.value(O.seed, default: setup.seed)
        return setup
    }

    /// The precisions this CPU can run, in the order asked, each once; bf16 where it cannot runs as fp32,
    /// which the one notice says.
    private static func resolved(_ asked: [Precision]) -> [Precision] {
        var out: [Precision] = [], warned = false
        for precision in asked {
            let (ran, notice) = precision.resolved
            if let notice, !warned { Console.warning(notice.text(naming: \.option)); warned = true }
            if !out.contains(ran) { out.append(ran) }
        }
        return out
    }

    /// This executable, to start the workers with.
    private static var executable: URL {
        let proc = URL(fileURLWithPath: "/proc/self/exe")
        if FileManager.default.fileExists(atPath: proc.path) { return proc.resolvingSymlinksInPath() }
        return Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    }

    static func runWorker(_ words: [String]) throws -> BenchmarkResult {
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

/// The hidden `bench-worker` command: one configuration in this process, its result as one JSON line.
enum BenchWorker: Command {
    typealias O = Options.Bench

    static let spec = CommandSpec(
        name: "bench-worker",
        brief: "(internal) one configuration of charnn bench",
        summary: "(internal) one configuration of charnn bench; prints its result as JSON.",
        positionals: [],
        options: [O.workerCorpus, O.generated, O.cell, O.workerHidden, O.workerPrecision] + BenchCommand.modelOptions)

    static func validate(_ args: ParsedArguments) throws -> (setup: BenchmarkSetup, threads: Int, corpus: String?, generated: Int) {
        var setup = try BenchCommand.parseSetup(args)
        setup.cell = try args.value(O.cell, default: setup.cell)
        setup.hidden = try args.value(O.workerHidden, default: setup.hidden)
        setup.precision = try args.value(O.workerPrecision, default: setup.precision)
        return (setup, try args.threads(O.threads), try args.value(O.workerCorpus), try args.value(O.generated, default: 200_000))
    }

    static func run(_ v: (setup: BenchmarkSetup, threads: Int, corpus: String?, generated: Int)) throws -> Int32 {
        Parallelism.threads = v.threads
        let corpus: Corpus
        if let path = v.corpus {
            corpus = try loadCorpus(path, normalization: .exact)
        } else {
            corpus = try Corpus(bytes: Array(Benchmark.generatedText(characters: v.generated, seed: v.setup.seed).utf8))
        }
        let result = try Benchmark.run(v.setup, corpus: corpus)
        print(try JSONValueEncoder.encode(result).text)
        return ExitCode.success
    }
}
