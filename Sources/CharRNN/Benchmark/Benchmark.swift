// `charnn bench`'s measurements for one configuration: training throughput over warm iterations
// of the real Trainer, the floating-point work that throughput stands for, step-by-step sampling
// speed through the real Sampler, and the process's peak memory. The CLI runs each configuration
// in its own process so that the peak memory belongs to that configuration alone.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One configuration to measure; the defaults are those of the PyTorch reference script
/// (2 layers, batch 50, seq 50, Adam at 2e-3, element-wise clip 5, no dropout).
public struct BenchmarkSetup: Sendable, Codable, Equatable {
    public var cell: CellKind = .lstm
    public var layers = 2
    public var hidden = 128
    public var batch = 50              // B
    public var seqLength = 50          // T
    /// Iterations run first and not timed (allocation, page faults, caches).
    public var warmupIterations = 3
    /// Iterations timed one by one; the median is reported.
    public var iterations = 20
    /// Characters drawn per sampling run; the median of `sampleRuns` runs is reported.
    public var sampleLength = 2000
    public var sampleRuns = 3
    /// Threads while sampling (`charnn sample` uses all cores by default; only large layers split).
    public var sampleThreads = 1
    public var seed = SplitMix64.defaultSeed
    /// Of the training products (sampling is fp32); in a result, the precision that ran.
    public var precision = Precision.fp32

    public init() {}

    enum CodingKeys: String, CodingKey {
        case cell, layers, hidden, batch, seqLength = "seq", warmupIterations = "warmup_iterations"
        case iterations, sampleLength = "sample_length", sampleRuns = "sample_runs", sampleThreads = "sample_threads", seed
        case precision
    }
}

/// What one configuration measured. Rates are medians; FLOPs are per training character.
public struct BenchmarkResult: Sendable, Codable, Equatable {
    public var setup: BenchmarkSetup
    public var vocabularySize: Int             // V
    public var parameterCount: Int
    public var threads: Int
    public var medianIterationSeconds: Double
    public var trainCharsPerSecond: Double     // B·T / median iteration time
    /// Multiply-adds ×2 of the products charnn does per training character (forward + backward).
    public var flopsPerCharacter: Double
    /// The same plus layer 0's dense one-hot products, which PyTorch does and charnn skips.
    public var pytorchFlopsPerCharacter: Double
    public var gflops: Double                  // flopsPerCharacter · trainCharsPerSecond / 1e9
    /// The rate PyTorch would need to report for the same throughput (its FLOP count).
    public var pytorchEquivalentGflops: Double
    public var sampleCharsPerSecond: Double
    /// Peak resident memory of the whole process, bytes (nil where the system does not say).
    public var peakResidentBytes: Int?

    enum CodingKeys: String, CodingKey {
        case setup, vocabularySize = "vocab", parameterCount = "params", threads
        case medianIterationSeconds = "median_iter_s", trainCharsPerSecond = "train_chars_per_s"
        case flopsPerCharacter = "flops_per_char", pytorchFlopsPerCharacter = "pytorch_flops_per_char"
        case gflops = "gflops", pytorchEquivalentGflops = "pytorch_equivalent_gflops"
        case sampleCharsPerSecond = "sample_chars_per_s", peakResidentBytes = "peak_rss_bytes"
    }
}

public enum BenchmarkError: Error, Equatable, CustomStringConvertible {
    case corpusTooShort(characters: Int, needed: Int)

    public var description: String {
        switch self {
        case .corpusTooShort(let n, let needed):
            return "the benchmark corpus has \(n) characters; a batch of this size needs at least \(needed)"
        }
    }
}

public enum Benchmark {
    /// Characters a corpus needs so that the training split (95 %) holds one full (T, B) batch.
    public static func minimumCorpusCharacters(_ setup: BenchmarkSetup) -> Int {
        Int((Double(setup.batch * setup.seqLength + 1) / 0.95).rounded(.up)) + 1
    }

    /// Trains a fresh model on `corpus` with the real Trainer (no checkpoint files), timing each
    /// iteration after the warm-up, then times sampling from the trained model as `charnn sample`
    /// does it. The corpus needs at least B·T + 1 characters of training text.
    public static func run(_ setup: BenchmarkSetup, corpus: Corpus) throws -> BenchmarkResult {
        let config = ModelConfig(cell: setup.cell, layers: setup.layers, hidden: setup.hidden,
                                 vocabularySize: corpus.vocabulary.count)
        var options = TrainingOptions()
        options.batchSize = setup.batch
        options.seqLength = setup.seqLength
        options.seed = setup.seed
        options.precision = setup.precision
        let needed = minimumCorpusCharacters(setup)
        guard corpus.tokens.count >= needed else { throw BenchmarkError.corpusTooShort(characters: corpus.tokens.count, needed: needed) }
        let model = Model(config: config, seed: setup.seed)
        let timing = try TrainingThroughput.iterationSeconds(model: model, corpus: corpus, options: options,
                                          warmup: setup.warmupIterations, iterations: setup.iterations)
        let medianSeconds = TrainingThroughput.median(timing.seconds) ?? .nan
        let trainRate = Double(timing.charactersPerIteration) / medianSeconds

        let sampler = Sampler(model: model, vocabulary: corpus.vocabulary)
        var sampling = SamplingOptions()
        sampling.length = setup.sampleLength
        sampling.seed = setup.seed
        var rates: [Double] = []
        let clock = ContinuousClock()
        let trainingThreads = Parallelism.threads
        Parallelism.threads = setup.sampleThreads
        defer { Parallelism.threads = trainingThreads }
        for _ in 0..<max(1, setup.sampleRuns) {
            var drawn = 0
            let start = clock.now
            try sampler.generate(sampling) { _ in drawn += 1 }
            let elapsed = clock.now - start
            let (s, atto) = elapsed.components
            rates.append(Double(drawn) / (Double(s) + Double(atto) * 1e-18))
        }

        let flops = TrainingThroughput.flopsPerCharacter(config)
        var ran = setup
        ran.precision = timing.precision
        return BenchmarkResult(
            setup: ran, vocabularySize: config.vocabularySize, parameterCount: model.parameters.count,
            threads: trainingThreads, medianIterationSeconds: medianSeconds, trainCharsPerSecond: trainRate,
            flopsPerCharacter: flops.charnn, pytorchFlopsPerCharacter: flops.pytorch,
            gflops: flops.charnn * trainRate / 1e9, pytorchEquivalentGflops: flops.pytorch * trainRate / 1e9,
            sampleCharsPerSecond: TrainingThroughput.median(rates) ?? .nan, peakResidentBytes: peakResidentBytes())
    }

    /// The peak resident set of this process so far, in bytes: Linux's VmHWM, else getrusage.
    public static func peakResidentBytes() -> Int? {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
                let fields = line.split(separator: " ")
                if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
            }
        }
        var usage = rusage()
        #if canImport(Darwin)
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return nil }
        return Int(usage.ru_maxrss)          // bytes on Darwin
        #else
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return nil }
        return Int(usage.ru_maxrss) * 1024   // KiB elsewhere
        #endif
    }
}
