// What a training run is asked for (TrainingRequest: each setting given, or nil), and the rules that
// turn it into the model, the options and the stop condition of a new or a resumed run.

/// The settings a command line gives; nil means not given.
public struct TrainingRequest: Sendable, Equatable {
    public var cell: CellKind?
    public var layers: Int?
    public var hidden: Int?
    public var dropout: Float?
    public var weightDrop: Float?
    /// Train on the text's bytes as they are (no CRLF → LF, BOM kept).
    public var keepLineEndings = false

    public var seqLength: Int?
    public var batchSize: Int?
    public var optimizer: OptimizerKind?
    public var learningRate: Float?
    public var lrDecay: Float?
    public var lrDecayEvery: Int?
    public var schedule: LearningRateScheduleKind?
    public var gradClip: Float?
    public var clipNorm: Float?
    public var validationFraction: Double?
    public var evalEvery: Int?
    public var printEvery: Int?
    public var seed: UInt64?
    /// nil: a new run's is `auto`, a resumed run's its checkpoint's.
    public var precision: PrecisionChoice?
    /// Validations without a new best before stopping; 0 turns early stopping off.
    public var patience: Int?

    public var iterations: Int?
    public var epochs: Double?
    public var seconds: Double?

    public init() {}

    /// A run with no limit given trains for this many epochs.
    public static let defaultEpochs = 50.0

    /// The model of a new run: the settings given over ModelConfig's defaults.
    public func newModel(vocabularySize: Int) -> ModelConfig {
        var config = ModelConfig(vocabularySize: vocabularySize)
        if let cell { config.cell = cell }
        if let layers { config.layers = layers }
        if let hidden { config.hidden = hidden }
        if let dropout { config.dropout = dropout }
        if let weightDrop { config.weightDrop = weightDrop }
        return config
    }

    /// The options a new run starts from (before automatic sizing and `overriding`): TrainingOptions'
    /// defaults with the seed, the validation split and the precision, which the sizing needs first.
    public var newRunOptions: TrainingOptions {
        var options = TrainingOptions()
        if let seed { options.seed = seed }
        if let validationFraction { options.validationFraction = validationFraction }
        options.precision = trainingPrecision(resuming: nil).precision
        return options
    }

    /// The precision the run trains with here, and why: the one asked for; else, resuming, the
    /// checkpoint's (fp32 where this CPU cannot run its bf16); else `auto`.
    public func trainingPrecision(resuming saved: Precision?) -> (precision: Precision, reason: String) {
        if let precision { return precision.resolved }
        if let saved { return PrecisionChoice.resuming(saved) }
        return PrecisionChoice.auto.resolved
    }

    /// `base` (a checkpoint's options, or a new run's) with every training setting given here.
    public func overriding(_ base: TrainingOptions) -> TrainingOptions {
        var o = base
        if let schedule { o.lrSchedule = LearningRateSchedule(kind: schedule) }
        if let patience { o.patience = patience > 0 ? patience : nil }
        if let seqLength { o.seqLength = seqLength }
        if let batchSize { o.batchSize = batchSize }
        if let optimizer { o.optimizer = optimizer }
        if let learningRate { o.learningRate = learningRate }
        if let lrDecay { o.lrDecay = lrDecay }
        if let lrDecayEvery { o.lrDecayEvery = lrDecayEvery }
        if let gradClip { o.gradClip = gradClip }
        if let clipNorm { o.clipNorm = clipNorm }
        if let validationFraction { o.validationFraction = validationFraction }
        if let evalEvery { o.evalEvery = evalEvery }
        if let printEvery { o.printEvery = printEvery }
        if let precision { o.precision = precision.resolved.precision }
        return o
    }

    /// When the run ends. A run with a budget (automatic mode's --time, recorded in `options`) trains
    /// towards the whole run's budget when it is automatic now or no limit is given; otherwise the
    /// limits given, or `defaultEpochs` when there are none.
    public func stopCondition(options: TrainingOptions, automatic: Bool) -> StopCondition {
        if let budget = options.budgetSeconds, automatic || (iterations == nil && epochs == nil && seconds == nil) {
            return StopCondition(iterations: iterations, epochs: epochs, totalSeconds: budget)
        }
        return StopCondition(iterations: iterations, epochs: epochs ?? ((iterations == nil && seconds == nil) ? Self.defaultEpochs : nil),
                             seconds: seconds)
    }
}

/// A setting of the model or its text that a resumed run cannot change.
public enum FixedSetting: String, Sendable, CaseIterable {
    case cell, layers, hidden, dropout, weightDrop, keepLineEndings
}

/// A fixed setting given on resume with a value other than the checkpoint's.
public struct ResumeConflict: Error, Sendable, Equatable {
    public let setting: FixedSetting
    /// The values as a command line writes them (nil for a flag).
    public let given: String?
    public let saved: String?
}

/// What a resumed run keeps of its checkpoint and what the request changes: the architecture and the
/// text's line endings are the checkpoint's (giving another is a conflict); every training setting is
/// the checkpoint's unless given again; an explicit learning rate also replaces the decayed rate the
/// run had reached; the schedule, patience and budget continue as saved unless given.
public enum ResumePolicy {
    /// The first fixed setting the request gives differently from the checkpoint, if any.
    public static func conflict(_ request: TrainingRequest, config: ModelConfig, text: TextNormalization) -> ResumeConflict? {
        let fixed: [(FixedSetting, String?, String)] = [
            (.cell, request.cell?.rawValue, config.cell.rawValue),
            (.layers, request.layers.map(String.init), String(config.layers)),
            (.hidden, request.hidden.map(String.init), String(config.hidden)),
            // As written: 0.10 and 0.1 agree, and so do the values a Float cannot tell apart.
            (.dropout, request.dropout.map { "\($0)" }, "\(config.dropout)"),
            (.weightDrop, request.weightDrop.map { "\($0)" }, "\(config.weightDrop)"),
        ]
        for (setting, given, saved) in fixed where given != nil && given != saved {
            return ResumeConflict(setting: setting, given: given, saved: saved)
        }
        if request.keepLineEndings && text != .exact { return ResumeConflict(setting: .keepLineEndings, given: nil, saved: nil) }
        return nil
    }

    /// The checkpoint's training state with the request's settings; throws the first conflict.
    public static func resume(_ snapshot: TrainingSnapshot, config: ModelConfig, text: TextNormalization,
                              request: TrainingRequest) throws -> TrainingSnapshot {
        if let conflict = conflict(request, config: config, text: text) { throw conflict }
        var resumed = snapshot
        resumed.options = request.overriding(snapshot.options)
        resumed.options.precision = request.trainingPrecision(resuming: snapshot.options.precision).precision
        if let lr = request.learningRate { resumed.progress.learningRate = lr }
        return resumed
    }

    /// What a run starts training from: a new run's fresh progress, optimizer and state; a resumed
    /// run's saved ones, except that a changed batch size or optimizer starts the carried state and
    /// the optimizer's moments afresh (the progress is kept) and says so in `warning`.
    public static func start(resuming snapshot: TrainingSnapshot?, options: TrainingOptions, config: ModelConfig, parameterCount: Int)
        -> (progress: TrainingProgress, optimizer: Optimizer, state: RecurrentState, warning: String?) {
        if let snapshot, snapshot.state.batch == options.batchSize, snapshot.optimizer.kind == options.optimizer {
            return (snapshot.progress, snapshot.optimizer, snapshot.state, nil)
        }
        let progress = snapshot?.progress
            ?? TrainingProgress(learningRate: options.learningRate, rngState: options.seed ^ 0xD1B5_4A32_D192_ED03)
        return (progress, Optimizer(kind: options.optimizer, learningRate: progress.learningRate, parameterCount: parameterCount),
                RecurrentState(config: config, batch: options.batchSize),
                snapshot == nil ? nil : "batch size or optimizer changed on resume: the carried state and optimizer moments start afresh")
    }
}
