// The training loop: truncated BPTT over B parallel streams with the hidden state carried
// between batches, clipping, the optimizer step, periodic validation and checkpoints. It reports
// through a callback and never prints.

import Foundation

/// Everything besides the model that a checkpoint keeps so training resumes exactly.
public struct TrainingSnapshot: @unchecked Sendable {
    public var options: TrainingOptions
    public var progress: TrainingProgress
    public var optimizer: Optimizer
    /// The state carried into the next batch: (L, B, H).
    public var state: RecurrentState
}

public final class Trainer {
    public let model: Model
    public let vocabulary: Vocabulary
    public private(set) var options: TrainingOptions
    public private(set) var progress: TrainingProgress
    public let optimizer: Optimizer
    public let state: RecurrentState
    /// Where the latest checkpoint goes, and the best-by-validation one (nil: not written).
    public var checkpointPath: String?
    public var bestCheckpointPath: String?
    /// The run's metrics log as its checkpoints name it (TrainingOptions.metricsLog).
    public var metricsLog: String? {
        get { options.metricsLog }
        set { options.metricsLog = newValue }
    }
    /// How the corpus was normalised, recorded in the checkpoints.
    public var textNormalization = TextNormalization.exact
    /// The files of the corpus, recorded in the checkpoints.
    public var corpusInputs: [CorpusInput]?

    private let tokens: TokenSequence
    private let trainStreams: BatchStreams
    private let validationStreams: BatchStreams?
    private let workspace: Workspace
    /// Validation runs between training iterations, when nothing in the training workspace is
    /// needed any more (the carried state lives in `state`), so it reuses that workspace when the
    /// batch fits: half the activation memory of a run.
    private lazy var validationWorkspace: Workspace? = validationStreams.map {
        Trainer.validationReusesTrainingWorkspace(validation: ($0.batch, $0.steps), training: (workspace.batch, workspace.steps))
            ? workspace : Workspace(config: model.config, steps: $0.steps, batch: $0.batch, training: false)
    }
    private let validationState: RecurrentState?
    /// On a non-finite loss, gradient, parameter or validation loss: how many times to go back to the
    /// state of the last checkpoint (or the start) with half the learning rate before giving up.
    public var maxRollbacks = 0
    public private(set) var rollbacksUsed = 0
    private var warnings: [String] = []
    private let resumedAt: Int?

    /// - Parameters:
    ///   - snapshot: a checkpoint's training state to resume from; its options are used as given
    ///     in `options` (the caller decides what may change).
    public init(model: Model, vocabulary: Vocabulary, corpus: Corpus, options: TrainingOptions,
                resuming snapshot: TrainingSnapshot? = nil) throws {
        self.model = model
        self.vocabulary = vocabulary
        tokens = corpus.tokens
        var options = options
        // bf16 where the CPU has it, else fp32 and one line saying so; the checkpoint records what ran.
        let (precision, notice) = options.precision.resolved
        if let notice { warnings.append(notice) }
        options.precision = precision
        let split = corpus.split(validationFraction: options.validationFraction)
        guard split.train.count >= 2 else { throw TrainingError.corpusTooShort(characters: split.train.count) }

        // A text too short for B streams of T steps gets fewer streams, then shorter ones.
        if BatchStreams(range: split.train, batch: options.batchSize, steps: options.seqLength) == nil {
            let (b, t) = Trainer.fit(characters: split.train.count, batch: options.batchSize, steps: options.seqLength)
            warnings.append("the training text (\(split.train.count) characters) is shorter than one batch of "
                + "\(options.batchSize)×\(options.seqLength); using --batch-size \(b) --seq-length \(t)")
            options.batchSize = b
            options.seqLength = t
        }
        trainStreams = BatchStreams(range: split.train, batch: options.batchSize, steps: options.seqLength)!
        if split.validation.count >= 2 {
            let (b, t) = Trainer.fit(characters: split.validation.count, batch: options.batchSize, steps: options.seqLength)
            validationStreams = BatchStreams(range: split.validation, batch: b, steps: t)
            validationState = RecurrentState(config: model.config, batch: b)
        } else {
            validationStreams = nil
            validationState = nil
            if options.validationFraction > 0 {
                warnings.append("the validation split is too small to measure; validation loss is not reported")
            }
        }
        self.options = options
        workspace = Workspace(config: model.config, steps: options.seqLength, batch: options.batchSize, training: true)

        if let snapshot, snapshot.state.batch == options.batchSize, snapshot.optimizer.kind == options.optimizer {
            progress = snapshot.progress
            optimizer = snapshot.optimizer
            state = snapshot.state
        } else {
            if let snapshot {
                warnings.append("batch size or optimizer changed on resume: the carried state and optimizer moments start afresh")
                progress = snapshot.progress
            } else {
                progress = TrainingProgress(learningRate: options.learningRate, rngState: options.seed ^ 0xD1B5_4A32_D192_ED03)
            }
            optimizer = Optimizer(kind: options.optimizer, learningRate: progress.learningRate, parameterCount: model.parameters.count)
            state = RecurrentState(config: model.config, batch: options.batchSize)
        }
        optimizer.learningRate = progress.learningRate
        resumedAt = snapshot.map { $0.progress.iteration }
    }

    /// Bytes a training run of this model on `characters` characters of text allocates: parameters,
    /// gradients and optimizer state, and the training and validation workspaces (after the same
    /// batch adaptation `init` makes).
    public static func estimatedBytes(config: ModelConfig, options: TrainingOptions, characters: Int) -> Int {
        let nVal = Int(Double(characters) * options.validationFraction)
        let (b, t) = characters - nVal >= 2
            ? fit(characters: characters - nVal, batch: options.batchSize, steps: options.seqLength)
            : (1, 1)
        let parameterBytes = config.parameterCount * MemoryLayout<Float>.stride * (2 + options.optimizer.slotNames.count)
        let (vb, vt) = nVal >= 2 ? fit(characters: nVal, batch: options.batchSize, steps: options.seqLength) : (b, t)
        let validationBytes = validationReusesTrainingWorkspace(validation: (vb, vt), training: (b, t))
            ? 0 : Workspace.byteCount(config: config, steps: vt, batch: vb, training: false)
        return parameterBytes + Workspace.byteCount(config: config, steps: t, batch: b, training: true) + validationBytes
    }

    /// A forward pass needs the state's batch to be the workspace's, and at most its steps.
    static func validationReusesTrainingWorkspace(validation: (batch: Int, steps: Int), training: (batch: Int, steps: Int)) -> Bool {
        validation.batch == training.batch && validation.steps <= training.steps
    }

    /// The largest (B ≤ batch, T ≤ steps) that `characters` can fill at least once.
    static func fit(characters n: Int, batch: Int, steps: Int) -> (Int, Int) {
        let t = min(steps, n - 1)
        return (max(1, min(batch, (n - 1) / t)), t)
    }

    public var batchesPerEpoch: Int { trainStreams.batchesPerEpoch }
    public var epoch: Double { Double(progress.iteration) / Double(batchesPerEpoch) }

    fileprivate func restore(_ saved: TrainingProgress) { progress = saved }

    public var snapshot: TrainingSnapshot {
        progress.optimizerSteps = optimizer.stepCount
        return TrainingSnapshot(options: options, progress: progress, optimizer: optimizer, state: state)
    }

    /// Mean loss (nats/char) over the validation split: its own streams and state, from zeros,
    /// so the training state is untouched. Nil without a validation split, or when `abandonIf`
    /// turns true between two of its batches (a stop request during a long pass).
    public func validationLoss(abandonIf stop: () -> Bool = { false }) -> Double? {
        guard let streams = validationStreams, let ws = validationWorkspace, let vstate = validationState else { return nil }
        vstate.reset()
        var total = 0.0, rng = SplitMix64(seed: 0)
        for k in 0..<streams.batchesPerEpoch {
            if stop() { return nil }
            streams.fill(ws, batch: k, from: tokens)
            total += model.forward(ws, steps: streams.steps, state: vstate, mode: .evaluation, rng: &rng)
        }
        return total / Double(streams.batchesPerEpoch * streams.batch * streams.steps)
    }

    /// Whether there is a validation split to measure.
    public var validates: Bool { validationStreams != nil }

    /// Trains until `stop` is met or `shouldStop` returns true (checked between iterations),
    /// validating and writing checkpoints every `evalEvery` iterations and at the end.
    public func run(until stop: StopCondition, shouldStop: () -> Bool = { false },
                    report: (TrainingEvent) -> Void) throws -> TrainingSummary {
        for w in warnings { report(.warning(w)) }
        warnings.removeAll()
        // A killed earlier run may have left a temporary of either checkpoint; each write clears only its own.
        for path in [checkpointPath, bestCheckpointPath].compactMap({ $0 }) { AtomicFile.removeStaleTemporaries(for: path) }
        report(.started(TrainingStart(parameterCount: model.parameters.count, trainCharacters: trainStreams.range.count,
                                      validationCharacters: validationStreams?.range.count ?? 0,
                                      batchesPerEpoch: batchesPerEpoch, resumedAt: resumedAt)))
        let B = options.batchSize, T = options.seqLength
        let clock = ContinuousClock(), start = clock.now
        var rng = SplitMix64(seed: progress.rngState)
        var lastGood = maxRollbacks > 0 ? GoodState(self) : nil
        var lossSum = 0.0, lossCount = 0, lastLoss: Double?, lastNorm = 0.0
        var windowStart = clock.now, windowIterations = 0, busySeconds = 0.0, busyIterations = 0
        let startIteration = progress.iteration
        let secondsBefore = progress.trainingSeconds
        var interrupted = false
        var validationAbandoned = false
        var stoppedEarly = false
        options.lrSchedule = options.lrSchedule?.filled(from: stop, batchesPerEpoch: batchesPerEpoch, secondsSoFar: secondsBefore)
        let schedule = options.effectiveSchedule
        let earlyStopping = options.patience.map(EarlyStopping.init)

        func elapsed() -> Double { (clock.now - start).seconds }
        func finished() -> Bool {
            if let n = stop.iterations, progress.iteration >= n { return true }
            if let e = stop.epochs, epoch >= e { return true }
            if let s = stop.seconds, elapsed() >= s { return true }
            if let s = stop.totalSeconds, secondsBefore + elapsed() >= s { return true }
            return false
        }
        func completionAndETA() -> (Double?, Double?) {
            let perIteration = busyIterations > 0 ? busySeconds / Double(busyIterations) : nil
            var fractions: [Double] = [], etas: [Double] = []
            var targets: [Int] = []
            if let n = stop.iterations { targets.append(n) }
            if let e = stop.epochs {  // --epochs 1e300 is a valid (endless) limit: clamp, never trap
                targets.append(Int(exactly: (e * Double(batchesPerEpoch)).rounded(.up)) ?? Int.max)
            }
            if let n = targets.min() {
                let total = max(1, n - startIteration)
                fractions.append(Double(progress.iteration - startIteration) / Double(total))
                if let perIteration { etas.append(Double(max(0, n - progress.iteration)) * perIteration) }
            }
            for s in [stop.seconds, stop.totalSeconds.map { $0 - secondsBefore }].compactMap({ $0 }) {
                fractions.append(elapsed() / s)
                etas.append(max(0, s - elapsed()))
            }
            return (fractions.max().map { min(1, $0) }, etas.min())
        }
        func checkpoint() throws {
            // Never write NaN or inf: a step can overflow the parameters (or the optimizer's moments)
            // while its own loss and gradient were finite; the last good checkpoint is kept instead.
            guard allFinite(model.parameters.values) && optimizer.slots.allSatisfy(allFinite) else {
                throw TrainingError.nonFinite(iteration: progress.iteration, what: "the parameters")
            }
            // A stop requested during a validation pass (up to minutes on a large corpus) abandons it: the
            // latest checkpoint is written without it and the run ends. A stop requested before
            // still gets its final validation, as it always has.
            let stopRequestedBefore = shouldStop()
            let valLoss = validationLoss(abandonIf: { !stopRequestedBefore && shouldStop() })
            let abandoned = validates && valLoss == nil
            if abandoned {
                validationAbandoned = true
                interrupted = true
                report(.warning("validation interrupted at iteration \(progress.iteration); "
                                + "the latest checkpoint is written without it, the best one is kept"))
            }
            if let valLoss, !valLoss.isFinite {
                throw TrainingError.nonFinite(iteration: progress.iteration, what: "the validation loss")
            }
            if !abandoned { progress.lastValidationLoss = valLoss }
            var isBest = false
            if let valLoss {
                isBest = progress.recordValidation(valLoss)
                report(.validated(ValidationReport(iteration: progress.iteration, epoch: epoch, loss: valLoss, isBest: isBest)))
            }
            progress.rngState = rng.state
            progress.trainingSeconds = secondsBefore + elapsed()
            if maxRollbacks > 0 { lastGood = GoodState(self) }
            // Without a validation split, the latest is the best we know of.
            let paths = [checkpointPath, isBest || !validates ? bestCheckpointPath : nil].compactMap { $0 }
            guard !paths.isEmpty else { return }
            let file = Checkpoint(model: model, vocabulary: vocabulary, training: snapshot, text: textNormalization,
                                  inputs: corpusInputs).writer
            for path in paths {
                try file.write(to: path)
                report(.saved(path: path))
            }
        }

        while true {  // once, unless a rollback sends training back to the last good state
            do {
                while !finished() {
                    if shouldStop() { interrupted = true; break }
                    let stepStart = clock.now
                    let k = progress.iteration % batchesPerEpoch
                    if k == 0 { state.reset() }  // each epoch starts every stream from a zero state
                    progress.learningRate = schedule.rate(
                        base: options.learningRate, current: progress.learningRate, decay: options.lrDecay, decayEvery: options.lrDecayEvery,
                        at: ScheduleClock(iteration: progress.iteration, batchesPerEpoch: batchesPerEpoch, seconds: secondsBefore + elapsed()))
                    optimizer.learningRate = progress.learningRate
                    trainStreams.fill(workspace, batch: k, from: tokens)
                    model.parameters.zeroGradients()
                    let loss = model.forward(workspace, steps: T, state: state, mode: .training, precision: options.precision,
                                             rng: &rng) / Double(B * T)
                    guard loss.isFinite else { throw TrainingError.nonFinite(iteration: progress.iteration + 1, what: "the training loss") }
                    model.backward(workspace, steps: T, precision: options.precision)
                    if options.gradClip > 0 { clipGradients(model.parameters, toValue: options.gradClip) }
                    lastNorm = options.clipNorm.map { clipGradients(model.parameters, toNorm: $0) } ?? gradientNorm(model.parameters)
                    guard lastNorm.isFinite else { throw TrainingError.nonFinite(iteration: progress.iteration + 1, what: "the gradient") }
                    optimizer.step(model.parameters)
                    progress.iteration += 1
                    progress.optimizerSteps = optimizer.stepCount
                    lossSum += loss; lossCount += 1; lastLoss = loss
                    windowIterations += 1
                    busySeconds += (clock.now - stepStart).seconds
                    busyIterations += 1

                    let last = finished()
                    // A report also precedes every validation, so each validation log line has fresh figures.
                    let validating = progress.iteration % max(1, options.evalEvery) == 0
                    if progress.iteration % max(1, options.printEvery) == 0 || validating || last || shouldStop() {
                        let window = (clock.now - windowStart).seconds
                        let (completion, eta) = completionAndETA()
                        report(.step(StepReport(iteration: progress.iteration, epoch: epoch, trainLoss: lossSum / Double(lossCount),
                                                learningRate: progress.learningRate, gradientNorm: lastNorm,
                                                charsPerSecond: window > 0 ? Double(windowIterations * B * T) / window : 0,
                                                elapsedSeconds: elapsed(), trainingSeconds: secondsBefore + elapsed(),
                                                etaSeconds: eta, completion: completion)))
                        lossSum = 0; lossCount = 0
                        windowStart = clock.now; windowIterations = 0
                    }
                    if validating && !last {
                        try checkpoint()
                        if validationAbandoned { break }
                        if earlyStopping?.shouldStop(progress) ?? false { stoppedEarly = true; break }
                        windowStart = clock.now; windowIterations = 0
                    }
                }
                if !validationAbandoned && !stoppedEarly { try checkpoint() }
                break
            } catch TrainingError.nonFinite(let iteration, let what) where rollbacksUsed < maxRollbacks && lastGood != nil {
                rollbacksUsed += 1
                lastGood?.restore(into: self)
                progress.learningRate *= 0.5
                if schedule.kind == .cosine { options.learningRate *= 0.5 }  // the cosine's rates come from its base
                optimizer.learningRate = progress.learningRate
                rng = SplitMix64(seed: progress.rngState)
                report(.warning("\(what) became non-finite at iteration \(iteration); back to iteration \(progress.iteration) "
                                + "with learning rate \(progress.learningRate) (rollback \(rollbacksUsed) of \(maxRollbacks))"))
            }
        }
        return TrainingSummary(iterations: progress.iteration, lastTrainLoss: lastLoss,
                               validationLoss: progress.lastValidationLoss,
                               bestValidationLoss: progress.bestValidationLoss, interrupted: interrupted,
                               stoppedEarlyWithBestAt: stoppedEarly ? progress.bestIteration : nil)
    }
}

/// A copy of everything a training step changes, taken at each checkpoint, to roll back to.
private struct GoodState {
    let parameters: [Float]
    let slots: [[Float]]
    let h: [Float], c: [Float]
    let progress: TrainingProgress
    let optimizerSteps: Int

    init(_ t: Trainer) {
        parameters = t.model.parameters.values.array
        slots = t.optimizer.slots.map(\.array)
        h = t.state.h.array
        c = t.state.c.array
        progress = t.progress
        optimizerSteps = t.optimizer.stepCount
    }

    func restore(into t: Trainer) {
        func copy(_ values: [Float], to buffer: FloatBuffer) {
            values.withUnsafeBufferPointer { if let base = $0.baseAddress { buffer.base.update(from: base, count: buffer.count) } }
        }
        copy(parameters, to: t.model.parameters.values)
        for (values, slot) in zip(slots, t.optimizer.slots) { copy(values, to: slot) }
        copy(h, to: t.state.h)
        copy(c, to: t.state.c)
        t.optimizer.stepCount = optimizerSteps
        t.restore(progress)
    }
}

/// True when no element is NaN or ±inf.
func allFinite(_ buffer: FloatBuffer) -> Bool {
    UnsafeBufferPointer(start: buffer.base, count: buffer.count).allSatisfy(\.isFinite)
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}
