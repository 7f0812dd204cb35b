// What a training run is told: data layout, optimizer, clipping, schedule, when to validate and
// when to stop. Saved in every checkpoint so `--resume` continues with the same settings.

public struct TrainingOptions: Sendable, Equatable, Codable {
    public var batchSize = 50            // B parallel streams
    public var seqLength = 50            // T steps of truncated BPTT
    public var optimizer = OptimizerKind.adam
    public var learningRate: Float = 2e-3
    /// Multiply the learning rate by this every `lrDecayEvery` epochs (1 = constant).
    public var lrDecay: Float = 1
    public var lrDecayEvery = 1
    /// Element-wise gradient clamp (0 = off), as char-rnn's and torch-rnn's grad_clip.
    public var gradClip: Float = 5
    /// Maximum global gradient norm (nil = off), applied after the element-wise clamp.
    public var clipNorm: Float?
    public var validationFraction = 0.05
    /// Validate and write the checkpoint every this many iterations (and at the end).
    public var evalEvery = 1000
    /// Report progress every this many iterations.
    public var printEvery = 10
    public var seed = SplitMix64.defaultSeed
    /// Of the training passes' large products; validation, sampling and eval are always fp32.
    public var precision = Precision.fp32
    /// Nil: step decay by `lrDecay` (a constant rate at its default of 1), as in files without it.
    public var lrSchedule: LearningRateSchedule?
    /// End the run after this many validations without a new best (nil: never).
    public var patience: Int?
    /// Automatic mode's --time: the training seconds of the whole run, over all resumes.
    public var budgetSeconds: Double?
    /// What automatic mode chose and why, one line.
    public var sizing: String?
    /// The run's metrics log: a path relative to the checkpoint's directory, or absolute.
    public var metricsLog: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case batchSize = "batch_size", seqLength = "seq_length", optimizer, learningRate = "lr"
        case lrDecay = "lr_decay", lrDecayEvery = "lr_decay_every", gradClip = "grad_clip"
        case clipNorm = "clip_norm", validationFraction = "val_frac", evalEvery = "eval_every"
        case printEvery = "print_every", seed, precision
        case lrSchedule = "lr_schedule", patience, budgetSeconds = "budget_seconds", sizing, metricsLog = "metrics_log"
    }

    /// Every field as saved; a checkpoint from before `precision` existed trained in fp32.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        seqLength = try c.decode(Int.self, forKey: .seqLength)
        optimizer = try c.decode(OptimizerKind.self, forKey: .optimizer)
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        lrDecay = try c.decode(Float.self, forKey: .lrDecay)
        lrDecayEvery = try c.decode(Int.self, forKey: .lrDecayEvery)
        gradClip = try c.decode(Float.self, forKey: .gradClip)
        clipNorm = try c.decodeIfPresent(Float.self, forKey: .clipNorm)
        validationFraction = try c.decode(Double.self, forKey: .validationFraction)
        evalEvery = try c.decode(Int.self, forKey: .evalEvery)
        printEvery = try c.decode(Int.self, forKey: .printEvery)
        seed = try c.decode(UInt64.self, forKey: .seed)
        precision = try c.decodeIfPresent(Precision.self, forKey: .precision) ?? .fp32
        lrSchedule = try c.decodeIfPresent(LearningRateSchedule.self, forKey: .lrSchedule)
        patience = try c.decodeIfPresent(Int.self, forKey: .patience)
        budgetSeconds = try c.decodeIfPresent(Double.self, forKey: .budgetSeconds)
        sizing = try c.decodeIfPresent(String.self, forKey: .sizing)
        metricsLog = try c.decodeIfPresent(String.self, forKey: .metricsLog)
    }
}

/// When to stop: whichever limit is reached first. Iteration and epoch limits count from the
/// start of training (a resumed run continues towards them); `seconds` is for this run, and
/// `totalSeconds` counts the training time of every run of the model (automatic mode's budget).
public struct StopCondition: Sendable, Equatable {
    public var iterations: Int?
    public var epochs: Double?
    public var seconds: Double?
    public var totalSeconds: Double?

    public init(iterations: Int? = nil, epochs: Double? = nil, seconds: Double? = nil, totalSeconds: Double? = nil) {
        self.iterations = iterations
        self.epochs = epochs
        self.seconds = seconds
        self.totalSeconds = totalSeconds
    }
}

/// The counters that, with the parameters, optimizer moments and carried state, let a run be
/// resumed exactly where it stopped.
public struct TrainingProgress: Sendable, Equatable, Codable {
    public var iteration = 0                 // updates done
    public var learningRate: Float
    public var optimizerSteps = 0
    public var rngState: UInt64              // dropout's generator
    public var bestValidationLoss: Double?
    public var lastValidationLoss: Double?
    public var trainingSeconds = 0.0         // wall time over all runs
    public var bestIteration: Int?           // where bestValidationLoss was measured
    public var validationsSinceBest: Int?    // for early stopping

    public init(learningRate: Float, rngState: UInt64) {
        self.learningRate = learningRate
        self.rngState = rngState
    }

    enum CodingKeys: String, CodingKey {
        case iteration, learningRate = "lr", optimizerSteps = "optimizer_steps", rngState = "rng_state"
        case bestValidationLoss = "best_val_loss", lastValidationLoss = "val_loss", trainingSeconds = "training_seconds"
        case bestIteration = "best_iteration", validationsSinceBest = "validations_since_best"
    }
}

// Checkpoints are untrusted input: values the command line could never give are refused on load
// rather than reaching the trainer (a batch size of 0 or a NaN learning rate would trap or poison it).
extension TrainingOptions {
    /// What is out of range, or nil if a trainer can use these options.
    public var problem: String? {
        if !(1...100_000).contains(batchSize) { return "batch_size \(batchSize) is not in 1...100000" }
        if !(1...100_000).contains(seqLength) { return "seq_length \(seqLength) is not in 1...100000" }
        if !(learningRate.isFinite && learningRate > 0) { return "lr \(learningRate) is not a positive number" }
        if !(lrDecay > 0 && lrDecay <= 1) { return "lr_decay \(lrDecay) is not in (0, 1]" }
        if lrDecayEvery < 1 { return "lr_decay_every \(lrDecayEvery) is below 1" }
        if !(gradClip >= 0) { return "grad_clip \(gradClip) is negative" }
        if let clipNorm, !(clipNorm > 0) { return "clip_norm \(clipNorm) is not positive" }
        if !(validationFraction >= 0 && validationFraction < 1) { return "val_frac \(validationFraction) is not in [0, 1)" }
        if evalEvery < 1 || printEvery < 1 { return "eval_every and print_every must be at least 1" }
        if let patience, patience < 1 { return "patience \(patience) is below 1" }
        if let b = budgetSeconds, !(b.isFinite && b > 0) { return "budget_seconds is not a positive duration" }
        if let s = lrSchedule {
            if s.warmupIterations < 0 || (s.horizonIterations ?? 0) < 0 { return "lr_schedule has a negative warmup or horizon" }
            if let h = s.horizonSeconds, !(h.isFinite && h >= 0) { return "lr_schedule horizon_seconds is not a duration" }
            if !(s.finalFraction >= 0 && s.finalFraction <= 1) { return "lr_schedule final_fraction is not in [0, 1]" }
        }
        return nil
    }
}

extension TrainingProgress {
    /// What is out of range, or nil if training can continue from here.
    public var problem: String? {
        if iteration < 0 || optimizerSteps < 0 { return "iteration \(iteration) or optimizer_steps \(optimizerSteps) is negative" }
        if !(learningRate.isFinite && learningRate > 0) { return "lr \(learningRate) is not a positive number" }
        if !(trainingSeconds.isFinite && trainingSeconds >= 0) { return "training_seconds is not a duration" }
        return nil
    }
}
