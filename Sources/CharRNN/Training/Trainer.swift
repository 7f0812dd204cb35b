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

/// Where a run's checkpoints go and what they record besides the model and its training state.
public struct TrainingRecord: Sendable {
    /// The latest checkpoint, and the best by validation (nil: not written).
    public let checkpointPath: String?
    public let bestCheckpointPath: String?
    /// The run's metrics log as its checkpoints name it (TrainingOptions.metricsLog).
    public let metricsLog: String?
    /// How the corpus was normalised.
    public let textNormalization: TextNormalization
    /// The files of the corpus.
    public let corpusInputs: [CorpusInput]?

    public init(checkpointPath: String? = nil, bestCheckpointPath: String? = nil, metricsLog: String? = nil,
                textNormalization: TextNormalization = .exact, corpusInputs: [CorpusInput]? = nil) {
        (self.checkpointPath, self.bestCheckpointPath, self.metricsLog) = (checkpointPath, bestCheckpointPath, metricsLog)
        (self.textNormalization, self.corpusInputs) = (textNormalization, corpusInputs)
    }
}

public final class Trainer {
    public let model: Model
    public let vocabulary: Vocabulary
    public private(set) var options: TrainingOptions
    public private(set) var progress: TrainingProgress
    public let optimizer: Optimizer
    public let state: RecurrentState
    /// Where the run's checkpoints go and what they record besides the model and its training state.
    public let outputs: TrainingRecord

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
    public let maxRollbacks: Int
    public private(set) var rollbacksUsed = 0
    private var warnings: [SettingsMessage] = []
    private let resumedAt: Int?

    /// - Parameters:
    ///   - snapshot: a checkpoint's training state to resume from; its options are used as given
    ///     in `options` (ResumePolicy decides what a command line may change, and what of the
    ///     snapshot's state carries over).
    ///   - outputs: the checkpoint files and what they record; the metrics log replaces `options`'.
    ///   - maxRollbacks: see `maxRollbacks`.
    public init(model: Model, vocabulary: Vocabulary, corpus: Corpus, options: TrainingOptions,
                resuming snapshot: TrainingSnapshot? = nil, outputs: TrainingRecord = TrainingRecord(), maxRollbacks: Int = 0) throws {
        self.model = model
        self.vocabulary = vocabulary
        self.outputs = outputs
        self.maxRollbacks = maxRollbacks
        tokens = corpus.tokens
        var options = options
        options.metricsLog = outputs.metricsLog
        // bf16 where the CPU has it, else fp32 and one line saying so; the checkpoint records what ran.
        let (precision, notice) = options.precision.resolved
        if let notice { warnings.append(notice) }
        options.precision = precision
        let split = try Trainer.trainableSplit(of: corpus, validationFraction: options.validationFraction)

        // A text too short for B streams of T steps gets fewer streams, then shorter ones.
        if BatchStreams(range: split.train, batch: options.batchSize, steps: options.seqLength) == nil {
            let (b, t) = Trainer.largestBatch(fitting: split.train.count, batch: options.batchSize, steps: options.seqLength)
            warnings.append("the training text (\(split.train.count) characters) is shorter than one batch of "
                + "\(options.batchSize)×\(options.seqLength); using \(setting: .batchSize) \(b) \(setting: .seqLength) \(t)")
            options.batchSize = b
            options.seqLength = t
        }
        trainStreams = BatchStreams(range: split.train, batch: options.batchSize, steps: options.seqLength)!
        if split.validation.count >= 2 {
            let (b, t) = Trainer.largestBatch(fitting: split.validation.count, batch: options.batchSize, steps: options.seqLength)
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

        let start = ResumePolicy.start(resuming: snapshot, options: options, config: model.config,
                                       parameterCount: model.parameters.count)
        (progress, optimizer, state) = (start.progress, start.optimizer, start.state)
        if let warning = start.warning { warnings.append(SettingsMessage(warning)) }
        optimizer.learningRate = progress.learningRate
        progress.optimizerSteps = optimizer.stepCount
        resumedAt = snapshot.map { $0.progress.iteration }
    }

    /// `corpus` split for training; throws when the training part is too short to train on.
    public static func trainableSplit(of corpus: Corpus, validationFraction: Double) throws -> (train: Range<Int>, validation: Range<Int>) {
        let split = corpus.split(validationFraction: validationFraction)
        guard split.train.count >= 2 else { throw TrainingError.corpusTooShort(characters: split.train.count) }
        return split
    }

    /// Bytes a training run of this model on `characters` characters of text allocates: parameters,
    /// gradients and optimizer state, and the training and validation workspaces (after the same
    /// batch adaptation `init` makes).
    public static func estimatedBytes(config: ModelConfig, options: TrainingOptions, characters: Int) -> Int {
        let nVal = Int(Double(characters) * options.validationFraction)
        let (b, t) = characters - nVal >= 2
            ? largestBatch(fitting: characters - nVal, batch: options.batchSize, steps: options.seqLength)
            : (1, 1)
        let parameterBytes = config.parameterCount * MemoryLayout<Float>.stride * (2 + options.optimizer.slotNames.count)
        let (vb, vt) = nVal >= 2 ? largestBatch(fitting: nVal, batch: options.batchSize, steps: options.seqLength) : (b, t)
        let validationBytes = validationReusesTrainingWorkspace(validation: (vb, vt), training: (b, t))
            ? 0 : Workspace.byteCount(config: config, steps: vt, batch: vb, training: false)
        return parameterBytes + Workspace.byteCount(config: config, steps: t, batch: b, training: true) + validationBytes
    }

    /// A forward pass needs the state's batch to be the workspace's, and at most its steps.
    static func validationReusesTrainingWorkspace(validation: (batch: Int, steps: Int), training: (batch: Int, steps: Int)) -> Bool {
        validation.batch == training.batch && validation.steps <= training.steps
    }

    /// The largest (B ≤ batch, T ≤ steps) that `characters` can fill at least once.
    static func largestBatch(fitting n: Int, batch: Int, steps: Int) -> (batch: Int, steps: Int) {
        let t = min(steps, n - 1)
        return (max(1, min(batch, (n - 1) / t)), t)
    }

    public var batchesPerEpoch: Int { trainStreams.batchesPerEpoch }
    public var epoch: Double { Double(progress.iteration) / Double(batchesPerEpoch) }

    /// The training state a checkpoint keeps (the optimizer's step count as the optimizer has it).
    public var snapshot: TrainingSnapshot {
        var saved = progress
        saved.optimizerSteps = optimizer.stepCount
        return TrainingSnapshot(options: options, progress: saved, optimizer: optimizer, state: state)
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
        announceStart(report)
        options.lrSchedule = options.lrSchedule?.filled(from: stop, batchesPerEpoch: batchesPerEpoch, secondsSoFar: progress.trainingSeconds)
        var run = TrainingRun(stop: stop, progress: progress, schedule: options.effectiveSchedule, patience: options.patience)
        if maxRollbacks > 0 { run.rollbackPoint = rollbackPoint() }
        while true {  // once, unless a rollback sends training back to the last good state
            do {
                try train(&run, shouldStop: shouldStop, report: report)
                break
            } catch TrainingError.nonFinite(let iteration, let what) where rollbacksUsed < maxRollbacks && run.rollbackPoint != nil {
                rollBack(&run, because: what, at: iteration, report: report)
            }
        }
        return run.summary(progress)
    }

    /// The loop: batch, zero, forward, backward, clip, update, log; validate and save now and then.
    private func train(_ run: inout TrainingRun, shouldStop: () -> Bool, report: (TrainingEvent) -> Void) throws {
        let B = options.batchSize, T = options.seqLength
        while !run.clock.finished(iteration: progress.iteration, epoch: epoch) {
            if shouldStop() { run.interrupted = true; break }
            run.clock.stepStarted()
            nextBatch(&run)
            model.parameters.zeroGradients()
            let loss = model.forward(workspace, steps: T, state: state, mode: .training, precision: options.precision,
                                     rng: &run.rng) / Double(B * T)
            guard loss.isFinite else { throw TrainingError.nonFinite(iteration: progress.iteration + 1, what: "the training loss") }
            model.backward(workspace, steps: T, precision: options.precision)
            let norm = clip()
            guard norm.isFinite else { throw TrainingError.nonFinite(iteration: progress.iteration + 1, what: "the gradient") }
            optimizer.step(model.parameters)
            progress.iteration += 1
            progress.optimizerSteps = optimizer.stepCount
            run.window.record(loss: loss, gradientNorm: norm)
            run.clock.stepEnded()

            let last = run.clock.finished(iteration: progress.iteration, epoch: epoch)
            // A report also precedes every validation, so each validation log line has fresh figures.
            let validating = progress.iteration % max(1, options.evalEvery) == 0
            if progress.iteration % max(1, options.printEvery) == 0 || validating || last || shouldStop() {
                report(.step(stepReport(&run)))
            }
            if validating && !last {
                try validateAndSave(&run, shouldStop: shouldStop, report: report)
                if run.validationAbandoned { break }
                if run.earlyStopping?.shouldStop(progress) ?? false { run.stoppedEarly = true; break }
                run.window.restart(now: run.clock.now, keepingLosses: true)
            }
        }
        if !run.validationAbandoned && !run.stoppedEarly { try validateAndSave(&run, shouldStop: shouldStop, report: report) }
    }

    /// Warnings from `init`, stale temporaries of the checkpoints cleared, and the start event.
    private func announceStart(_ report: (TrainingEvent) -> Void) {
        for w in warnings { report(.warning(w)) }
        warnings.removeAll()
        // A killed earlier run may have left a temporary of either checkpoint; each write clears only its own.
        for path in [outputs.checkpointPath, outputs.bestCheckpointPath].compactMap({ $0 }) { AtomicFile.removeStaleTemporaries(for: path) }
        report(.started(TrainingStart(parameterCount: model.parameters.count, trainCharacters: trainStreams.range.count,
                                      validationCharacters: validationStreams?.range.count ?? 0,
                                      batchesPerEpoch: batchesPerEpoch, resumedAt: resumedAt)))
    }

    /// The next B×T batch of every stream into the workspace, at this iteration's learning rate.
    private func nextBatch(_ run: inout TrainingRun) {
        let k = progress.iteration % batchesPerEpoch
        if k == 0 { state.reset() }  // each epoch starts every stream from a zero state
        progress.learningRate = run.schedule.rate(
            base: options.learningRate, current: progress.learningRate, decay: options.lrDecay, decayEvery: options.lrDecayEvery,
            at: ScheduleClock(iteration: progress.iteration, batchesPerEpoch: batchesPerEpoch, seconds: run.clock.trainingSeconds))
        optimizer.learningRate = progress.learningRate
        trainStreams.fill(workspace, batch: k, from: tokens)
    }

    /// The element-wise clamp, then the norm clip; returns the gradient norm (before the norm clip).
    private func clip() -> Double {
        if options.gradClip > 0 { clipGradients(model.parameters, toValue: options.gradClip) }
        return options.clipNorm.map { clipGradients(model.parameters, toNorm: $0) } ?? gradientNorm(model.parameters)
    }

    /// One log line's figures, and a new window for the next.
    private func stepReport(_ run: inout TrainingRun) -> StepReport {
        let now = run.clock.now
        let (completion, eta) = run.clock.completionAndETA(iteration: progress.iteration, batchesPerEpoch: batchesPerEpoch)
        let line = StepReport(iteration: progress.iteration, epoch: epoch, trainLoss: run.window.meanLoss,
                              learningRate: progress.learningRate, gradientNorm: run.window.lastNorm,
                              charsPerSecond: run.window.charactersPerSecond(now: now, charactersPerIteration: options.batchSize * options.seqLength),
                              elapsedSeconds: run.clock.elapsed, trainingSeconds: run.clock.trainingSeconds,
                              etaSeconds: eta, completion: completion)
        run.window.restart(now: run.clock.now)
        return line
    }

    /// Validates, then writes the latest checkpoint (and the best one when this validation is the best).
    private func validateAndSave(_ run: inout TrainingRun, shouldStop: () -> Bool, report: (TrainingEvent) -> Void) throws {
        // Never write NaN or inf: a step can overflow the parameters (or the optimizer's moments)
        // while its own loss and gradient were finite; the last good checkpoint is kept instead.
        guard allFinite(model.parameters.values) && optimizer.slots.allSatisfy(allFinite) else {
            throw TrainingError.nonFinite(iteration: progress.iteration, what: "the parameters")
        }
        let isBest = try validate(&run, shouldStop: shouldStop, report: report)
        progress.rngState = run.rng.state
        progress.trainingSeconds = run.clock.trainingSeconds
        if maxRollbacks > 0 { run.rollbackPoint = rollbackPoint() }
        // Without a validation split, the latest is the best we know of.
        let paths = [outputs.checkpointPath, isBest || !validates ? outputs.bestCheckpointPath : nil].compactMap { $0 }
        guard !paths.isEmpty else { return }
        let file = Checkpoint(model: model, vocabulary: vocabulary, training: snapshot, text: outputs.textNormalization,
                              inputs: outputs.corpusInputs).writer
        for path in paths {
            try file.write(to: path)
            report(.saved(path: path))
        }
    }

    /// The validation pass of a checkpoint, recorded in `progress`; returns whether it is a new best.
    /// A stop requested during the pass (up to minutes on a large corpus) abandons it: the latest
    /// checkpoint is written without it and the run ends. A stop requested before still gets its
    /// final validation.
    private func validate(_ run: inout TrainingRun, shouldStop: () -> Bool, report: (TrainingEvent) -> Void) throws -> Bool {
        let stopRequestedBefore = shouldStop()
        let valLoss = validationLoss(abandonIf: { !stopRequestedBefore && shouldStop() })
        let abandoned = validates && valLoss == nil
        if abandoned {
            run.validationAbandoned = true
            run.interrupted = true
            report(.warning("validation interrupted at iteration \(progress.iteration); "
                            + "the latest checkpoint is written without it, the best one is kept"))
        }
        if let valLoss, !valLoss.isFinite {
            throw TrainingError.nonFinite(iteration: progress.iteration, what: "the validation loss")
        }
        if !abandoned { progress.lastValidationLoss = valLoss }
        guard let valLoss else { return false }
        let isBest = progress.recordValidation(valLoss)
        report(.validated(ValidationReport(iteration: progress.iteration, epoch: epoch, loss: valLoss, isBest: isBest)))
        return isBest
    }

    private func rollbackPoint() -> RollbackPoint {
        RollbackPoint(model: model, optimizer: optimizer, state: state, progress: progress)
    }

    /// Back to the last checkpoint's state with half the learning rate, after `what` became non-finite.
    private func rollBack(_ run: inout TrainingRun, because what: String, at iteration: Int, report: (TrainingEvent) -> Void) {
        rollbacksUsed += 1
        let point = run.rollbackPoint!
        point.restore(model: model, optimizer: optimizer, state: state)
        progress = point.progress
        progress.learningRate *= 0.5
        if run.schedule.kind == .cosine { options.learningRate *= 0.5 }  // the cosine's rates come from its base
        optimizer.learningRate = progress.learningRate
        run.rng = SplitMix64(seed: progress.rngState)
        report(.warning("\(what) became non-finite at iteration \(iteration); back to iteration \(progress.iteration) "
                        + "with learning rate \(progress.learningRate) (rollback \(rollbacksUsed) of \(maxRollbacks))"))
    }
}
