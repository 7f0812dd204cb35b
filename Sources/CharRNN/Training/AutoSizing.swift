// Automatic sizing: the model and training settings for a time budget, from the throughput measured
// at the start of the run and the corpus size. A pure rule, so it can be tested at any budget.

import Foundation

/// What the rule is given: the measurement, the corpus and the request, whose settings are kept.
public struct SizingRequest: Sendable, Equatable {
    public var budgetSeconds: Double
    /// The model whose training throughput was measured, and that throughput (chars/s).
    public var measured: ModelConfig
    public var measuredCharsPerSecond: Double
    public var trainCharacters: Int
    public var validationCharacters: Int
    /// The run's request: its model, batch, sequence, learning rate and validation interval, where
    /// given, are kept; the rest is chosen.
    public var given = TrainingRequest()
    /// The precision the throughput was measured in, which the run trains in.
    public var precision = Precision.fp32

    public init(budgetSeconds: Double, measured: ModelConfig, measuredCharsPerSecond: Double,
                trainCharacters: Int, validationCharacters: Int) {
        self.budgetSeconds = budgetSeconds
        self.measured = measured
        self.measuredCharsPerSecond = measuredCharsPerSecond
        self.trainCharacters = trainCharacters
        self.validationCharacters = validationCharacters
    }
}

/// What the rule chose, with the predictions that justify it.
public struct SizingChoice: Sendable, Equatable {
    public var config: ModelConfig
    public var batchSize: Int
    public var seqLength: Int
    public var learningRate: Float
    public var evalEvery: Int
    public var predictedCharsPerSecond: Double
    /// Characters the budget can train on at that rate, and that many passes over the corpus.
    public var budgetCharacters: Double
    public var epochs: Double
    /// One line for the user: what was chosen and why.
    public var reason: String
}

/// An automatic run's model and options, and one line saying what was chosen and why.
public struct SizingPlan: Sendable {
    public let config: ModelConfig
    public let options: TrainingOptions
    public let reason: String
}

public enum AutoSizing {
    /// Hidden sizes tried, smallest first; multiples of 16 keep the SIMD kernels' tiles full.
    public static let candidateHidden = [16, 32, 48, 64, 96, 128, 192, 256, 320, 384, 448, 512, 640, 768, 1024]

    /// Time: the budget must let the model see at least this many characters per parameter. An
    /// LSTM learns far more per character than it can in a single pass (char-rnn's models reach
    /// their best after tens of epochs), so the transformers' ~20 tokens per parameter
    /// (Chinchilla) is too strict here: on Tiny Shakespeare, 2×512 at ~1.1 characters per
    /// parameter (10 min) beat 2×128 at ~70 (5 min, overfitting from epoch 15). 2 takes the
    /// largest model that still gets about two looks per parameter, so it is near convergence when
    /// the cosine schedule ends rather than cut off while still falling fast.
    public static let charactersPerParameter = 2.0

    /// Updates: the budget must also give the model this many optimizer steps, growing as the square
    /// root of the budget: compute-optimal training grows the model and the data it sees about equally
    /// (Hoffmann et al. 2022), and at a fixed batch the data seen is the number of updates; never
    /// under 3,000. A bigger model learns more per update, but below this many the updates count for
    /// more than the size: on the complete works in 4 min, 2×192 reached 1.466 nats/char in 9,000
    /// updates where 2×256 reached 1.496 in 5,000, and on Tiny Shakespeare in 5 min 2×192 reached
    /// 1.449 in 10,500 where 2×256 reached 1.468 in 6,000. The floor sits just above those: a higher
    /// one drops a slower machine to a size that loses more than the updates gain (2×128 reached
    /// 1.518 in 18,000 on the complete works, and 1.507 in 16,900 on Tiny Shakespeare in 5 min of
    /// fp32 on a CPU that measured 2×192 at 8,400 updates).
    public static func minimumIterations(budgetSeconds: Double) -> Double {
        max(3000, iterationsAtFourMinutes * (max(0, budgetSeconds) / 240).squareRoot())
    }

    public static let iterationsAtFourMinutes = 6000.0

    /// Data: at most this many parameters per training character. char-rnn's advice is about as
    /// many parameters as characters; with the dropout this rule adds, up to about three times
    /// (its 2×512 models on the 1 M-character Tiny Shakespeare) still generalise.
    public static let parametersPerCharacter = 3.0

    /// Predicted training throughput of `config`: the measured rate scaled by the FLOPs per
    /// character (`TrainingThroughput.flopsPerCharacter`), and by how much better the kernels use the CPU
    /// on larger products: two runs of `make bench-compare` here measured 137-152 GFLOP/s at
    /// H = 128 and 169-173 at H = 512 for the LSTM in fp32, about (H/128)^0.1 to ^0.15 (more for
    /// the GRU, 107-140 → 166-167), taken as ^0.15 and flat outside 64…512.
    public static func predictedCharsPerSecond(_ config: ModelConfig, measured: ModelConfig, rate: Double) -> Double {
        func efficiency(_ h: Int) -> Double { pow(Double(min(max(h, 64), 512)) / 128, 0.15) }
        let ratio = TrainingThroughput.flopsPerCharacter(measured).charnn / TrainingThroughput.flopsPerCharacter(config).charnn
        return rate * ratio * efficiency(config.hidden) / efficiency(measured.hidden)
    }

    /// The part of the budget validation may take: `evalEvery` plans about 20 passes within it
    /// (at least 4, which exceed it only when the validation split is large for the budget).
    public static let validationShare = 0.05

    /// The part of the budget left for training steps. The same share whatever the corpus, so more
    /// data never leaves less time to train.
    public static func trainingSeconds(budget: Double) -> Double { budget * (1 - validationShare) }

    /// The largest candidate hidden size that the time (characters per parameter and updates) and
    /// the data can feed; the smallest when none can. More time or more data never gives a smaller one.
    public static func hiddenSize(cell: CellKind, layers: Int, request r: SizingRequest) -> Int {
        let perIteration = (r.given.batchSize ?? defaultOptions.batchSize) * (r.given.seqLength ?? defaultOptions.seqLength)
        let leastUpdates = minimumIterations(budgetSeconds: r.budgetSeconds)
        var chosen = candidateHidden[0]
        for h in candidateHidden {
            let config = ModelConfig(cell: cell, layers: layers, hidden: h, vocabularySize: r.measured.vocabularySize)
            let p = Double(config.parameterCount)
            let rate = predictedCharsPerSecond(config, measured: r.measured, rate: r.measuredCharsPerSecond)
            let characters = rate * trainingSeconds(budget: r.budgetSeconds)
            let updates = characters / Double(perIteration)
            if characters >= charactersPerParameter * p && updates >= leastUpdates
                && p <= parametersPerCharacter * Double(r.trainCharacters) { chosen = h }
        }
        return chosen
    }

    /// Dropout from the risk of overfitting: none while the run sees the corpus fewer than 8 times
    /// (dropout slows learning, and the best checkpoint is kept, so overfitting late in a run costs
    /// time, not quality), then 0.1 for 8 epochs and 0.1 more for each doubling (char-rnn's 2×128
    /// without dropout overfits Tiny Shakespeare from about epoch 15), 0.1 more when the parameters
    /// outnumber the characters, at most 0.5 (char-rnn's advice for large models on small data);
    /// 0.1 less beside weight drop, which does part of its work (see `weightDrop`).
    public static func dropout(epochs: Double, parametersPerCharacter ratio: Double, layers: Int, weightDrop: Float = 0) -> Float {
        guard layers > 1, epochs >= 8 else { return 0 }
        let fromEpochs = 0.1 * min(4, floor(log2(epochs)) - 2)
        return Float(max(0, min(0.5, fromEpochs + (ratio > 1 ? 0.1 : 0)) - (weightDrop > 0 ? 0.1 : 0)))
    }

    /// Weight drop (DropConnect on W_hh) where dropout starts, from 8 epochs: dropout between layers
    /// leaves the recurrent connections free to memorise the corpus, and on Tiny Shakespeare in
    /// 5 min of bf16 (2×192, 10,500 updates, 26 epochs) weight drop 0.2 beside dropout 0.1 reached
    /// 1.449 nats/char, beside dropout 0.2 1.460, where dropout 0.2 alone reached 1.507, dropout 0.35
    /// alone 1.485, and 2×256 with dropout 0.3 in 6,000 updates 1.468.
    public static func weightDrop(epochs: Double) -> Float {
        epochs >= 8 ? 0.2 : 0
    }

    /// The cosine schedule's peak: twice Adam's constant 2e-3 (char-rnn's and torch-rnn's default),
    /// since a cosine's mean rate is about half its peak, up to H = 256; wider layers sum more terms
    /// per unit, so the rate falls as 1/√H beyond (2.8e-3 at 512, 2e-3 at 1024). Measured on the
    /// complete works, 4 min, 2×128 on a loaded machine: cosine from 4e-3 reached 1.641 nats/char in
    /// 3,980 updates, constant 2e-3 1.640 in 4,021, cosine from 2e-3 only 1.679 in 6,097.
    public static func learningRate(hidden: Int) -> Float {
        Float(4e-3 * min(1, (256.0 / Double(hidden)).squareRoot()))
    }

    /// About 20 validations a run, fewer when each would take more than its part of
    /// `validationShare` (a validation pass is forward only: about a third of a training step's
    /// work per character), never fewer than 4 so early stopping has something to go on.
    public static func evalEvery(iterations: Double, validationCharacters: Int, charsPerSecond: Double, budgetSeconds: Double) -> Int {
        let validationSeconds = Double(validationCharacters) / (3 * charsPerSecond)
        let affordable = validationSeconds > 0 ? validationShare * budgetSeconds / validationSeconds : 20
        let count = min(20, max(4, affordable))
        return max(1, Int(min(1e15, (iterations / count).rounded(.down))))  // an endless --time is no trap
    }

    /// What a request leaves open starts from the library's defaults.
    static let defaultModel = ModelConfig(vocabularySize: 1), defaultOptions = TrainingOptions()

    /// The configuration for the request (see the constants above for the reasons).
    public static func choose(_ r: SizingRequest) -> SizingChoice {
        let cell = r.given.cell ?? defaultModel.cell, layers = r.given.layers ?? defaultModel.layers
        let hidden = r.given.hidden ?? hiddenSize(cell: cell, layers: layers, request: r)
        var config = ModelConfig(cell: cell, layers: layers, hidden: hidden, vocabularySize: r.measured.vocabularySize)
        let rate = predictedCharsPerSecond(config, measured: r.measured, rate: r.measuredCharsPerSecond)
        let characters = rate * trainingSeconds(budget: r.budgetSeconds)
        let epochs = characters / Double(max(1, r.trainCharacters))
        let ratio = Double(config.parameterCount) / Double(max(1, r.trainCharacters))
        config.weightDrop = r.given.weightDrop ?? weightDrop(epochs: epochs)
        config.dropout = r.given.dropout ?? dropout(epochs: epochs, parametersPerCharacter: ratio, layers: layers, weightDrop: config.weightDrop)
        let batch = r.given.batchSize ?? defaultOptions.batchSize, steps = r.given.seqLength ?? defaultOptions.seqLength
        let iterations = characters / Double(batch * steps)
        var choice = SizingChoice(
            config: config, batchSize: batch, seqLength: steps, learningRate: r.given.learningRate ?? learningRate(hidden: hidden),
            evalEvery: r.given.evalEvery ?? evalEvery(iterations: iterations, validationCharacters: r.validationCharacters,
                                                charsPerSecond: rate, budgetSeconds: r.budgetSeconds),
            predictedCharsPerSecond: rate, budgetCharacters: characters, epochs: epochs, reason: "")
        choice.reason = reason(choice, request: r)
        return choice
    }

    /// How much faster than the measured model the message may call a chosen one. Smaller products
    /// are bound by per-step overheads the FLOP count leaves out: a 2×32 model predicted at 4.3 M
    /// chars/s from a 2×128 probe ran at 0.8 M, so beyond this the message says what was measured.
    static let maximumSpokenSpeedup = 2.0

    /// "chose LSTM 2×384, dropout 0.2, lr 1.6e-3: ~14 M characters (13 epochs) in 10 min at 23k chars/s
    /// on a 1.0 M-character corpus (measured 85k chars/s at 2×128)"; options given are marked.
    static func reason(_ c: SizingChoice, request r: SizingRequest) -> String {
        let given = { (explicit: Bool) in explicit ? " (given)" : "" }
        let model = "\(c.config.cell.rawValue.uppercased()) \(c.config.layers)×\(c.config.hidden)"
            + given(r.given.hidden != nil || r.given.layers != nil || r.given.cell != nil)
        let dropout = "dropout \(String(format: "%.2g", c.config.dropout))" + given(r.given.dropout != nil)
            + (c.config.weightDrop > 0 ? ", weight drop \(String(format: "%.2g", c.config.weightDrop))" + given(r.given.weightDrop != nil) : "")
        let lr = "lr \(String(format: "%.2g", c.learningRate))" + given(r.given.learningRate != nil)
        let batch = "batch \(c.batchSize)×\(c.seqLength)" + given(r.given.batchSize != nil || r.given.seqLength != nil)
        let measured = "measured \(compact(r.measuredCharsPerSecond)) chars/s at \(r.measured.layers)×\(r.measured.hidden) "
            + "in \(r.precision.rawValue)"
        guard c.predictedCharsPerSecond <= r.measuredCharsPerSecond * maximumSpokenSpeedup else {
            return "chose \(model), \(dropout), \(lr), \(batch) for \(spoken(seconds: r.budgetSeconds)) on a "
                + "\(compact(Double(r.trainCharacters)))-character corpus (\(measured); a model this much smaller runs faster "
                + "by less than its arithmetic says, so no speed is promised)"
        }
        return "chose \(model), \(dropout), \(lr), \(batch): ~\(compact(c.budgetCharacters)) characters "
            + "(\(String(format: "%.1f", c.epochs)) epochs, \(String(format: "%.1f", c.budgetCharacters / Double(c.config.parameterCount))) "
            + "per parameter) in \(spoken(seconds: r.budgetSeconds)) at \(compact(c.predictedCharsPerSecond)) chars/s "
            + "on a \(compact(Double(r.trainCharacters)))-character corpus (\(measured))"
    }

    /// 14.2 M, 23k, 512
    static func compact(_ x: Double) -> String {
        if x >= 1e6 { return String(format: "%.1f M", x / 1e6) }
        if x >= 1e4 { return String(format: "%.0fk", x / 1e3) }
        return String(format: "%.0f", x)
    }

    /// "45 s", "10 min", "2.5 h"
    static func spoken(seconds s: Double) -> String {
        if s >= 7200 { return String(format: "%.3g h", s / 3600) }
        if s >= 120 { return String(format: "%.3g min", s / 60) }
        return String(format: "%.3g s", s)
    }
}

extension AutoSizing {
    /// Training characters per second of `config` at `batch`×`steps` and `precision` on this corpus and machine: the
    /// median of the iterations after a warm-up one that fit in `seconds` (the warm-up itself when
    /// it alone takes that long, as on a slow machine or a debug build).
    public static func measureThroughput(_ config: ModelConfig, batch: Int, steps: Int, precision: Precision = .fp32,
                                         corpus: Corpus, seed: UInt64, seconds: Double) throws -> Double {
        var options = TrainingOptions()
        options.batchSize = batch
        options.seqLength = steps
        options.precision = precision
        options.validationFraction = 0
        let timing = try TrainingThroughput.iterationSeconds(model: Model(config: config, seed: seed), corpus: corpus, options: options,
                                                    warmup: 1, iterations: 50, timeLimit: seconds)
        let typical = TrainingThroughput.median(timing.seconds) ?? TrainingThroughput.median(timing.warmupSeconds) ?? .infinity
        return Double(timing.charactersPerIteration) / typical
    }

    /// A new run's model and options for `request`'s `seconds` budget on `corpus`: measures the training
    /// speed of the model given over the defaults, chooses what the request leaves open within what is
    /// left of the budget, and gives the request's training settings over that. `claimOutputs` runs
    /// once the corpus is known to be long enough, before the measurement.
    public static func plan(request: TrainingRequest, corpus: Corpus, claimOutputs: () throws -> Void) throws -> SizingPlan {
        guard let budget = request.seconds else { preconditionFailure("automatic sizing needs a budget") }
        let measured = request.newModel(vocabularySize: corpus.vocabulary.count), options = request.newRunOptions
        let split = try Trainer.trainableSplit(of: corpus, validationFraction: options.validationFraction)
        var r = SizingRequest(budgetSeconds: budget, measured: measured, measuredCharsPerSecond: 0, trainCharacters: split.train.count,
                              validationCharacters: split.validation.count)
        (r.given, r.precision) = (request, options.precision)
        try claimOutputs()
        let clock = ContinuousClock(), start = clock.now
        r.measuredCharsPerSecond = try measureThroughput(
            measured, batch: request.batchSize ?? options.batchSize, steps: request.seqLength ?? options.seqLength,
            precision: options.precision, corpus: corpus, seed: options.seed, seconds: measurementSeconds(budget: budget))
        let (s, atto) = (clock.now - start).components
        r.budgetSeconds = max(1, budget - (Double(s) + Double(atto) * 1e-18))
        let choice = choose(r)
        return SizingPlan(config: choice.config, options: request.overriding(choice.options(from: options, budgetSeconds: r.budgetSeconds)),
                          reason: choice.reason)
    }

    /// A short measurement: 1 % of the budget, between half a second and five.
    public static func measurementSeconds(budget: Double) -> Double { min(5, max(0.5, 0.01 * budget)) }
}

extension SizingChoice {
    /// `base` with this choice's batch, sequence, rate and validation interval, a warmup-and-cosine
    /// schedule over `budgetSeconds` of training and early stopping (each unless `base` already has
    /// one), and the budget and the reason recorded for resuming and reporting.
    public func options(from base: TrainingOptions, budgetSeconds: Double) -> TrainingOptions {
        var o = base
        o.batchSize = batchSize
        o.seqLength = seqLength
        o.learningRate = learningRate
        o.evalEvery = evalEvery
        if o.lrSchedule == nil {
            let iterations = Int(min(1e15, budgetCharacters / Double(batchSize * seqLength)))
            o.lrSchedule = LearningRateSchedule(kind: .cosine, warmupIterations: LearningRateSchedule.defaultWarmup(horizonIterations: iterations),
                                                horizonSeconds: budgetSeconds)
        }
        if o.patience == nil { o.patience = EarlyStopping.automaticPatience }
        o.budgetSeconds = budgetSeconds
        o.sizing = reason
        return o
    }
}
