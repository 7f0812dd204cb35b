// The small pieces around the training loop's step: the stop condition and ETA (TrainingClock),
// the figures of one log line (ReportWindow), the state to roll back to on a non-finite value
// (RollbackPoint), and what one call of `Trainer.run` carries from iteration to iteration (TrainingRun).

/// This run's time, measured against the stop condition: whether to stop, how far along, how long to go.
struct TrainingClock {
    let stop: StopCondition
    /// The iteration and training seconds (over all earlier runs) this run started from.
    let startIteration: Int
    let secondsBefore: Double
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    /// Time inside training steps only (validation and saving excluded), for the ETA.
    private var stepSeconds = 0.0, steps = 0
    private var stepStart: ContinuousClock.Instant

    init(stop: StopCondition, startIteration: Int, secondsBefore: Double) {
        self.stop = stop
        self.startIteration = startIteration
        self.secondsBefore = secondsBefore
        start = clock.now
        stepStart = start
    }

    var now: ContinuousClock.Instant { clock.now }
    /// Seconds of this run.
    var elapsed: Double { (clock.now - start).seconds }
    /// Seconds of training over all runs of the model.
    var trainingSeconds: Double { secondsBefore + elapsed }

    mutating func stepStarted() { stepStart = clock.now }
    mutating func stepEnded() {
        stepSeconds += (clock.now - stepStart).seconds
        steps += 1
    }

    /// Whether any limit of the stop condition is reached.
    func finished(iteration: Int, epoch: Double) -> Bool {
        if let n = stop.iterations, iteration >= n { return true }
        if let e = stop.epochs, epoch >= e { return true }
        if let s = stop.seconds, elapsed >= s { return true }
        if let s = stop.totalSeconds, trainingSeconds >= s { return true }
        return false
    }

    /// The fraction of the nearest limit reached and the seconds left to it, where they can be measured.
    func completionAndETA(iteration: Int, batchesPerEpoch: Int) -> (completion: Double?, eta: Double?) {
        let perIteration = steps > 0 ? stepSeconds / Double(steps) : nil
        var fractions: [Double] = [], etas: [Double] = []
        var targets: [Int] = []
        if let n = stop.iterations { targets.append(n) }
        if let e = stop.epochs {  // --epochs 1e300 is a valid (endless) limit: clamp, never trap
            targets.append(Int(exactly: (e * Double(batchesPerEpoch)).rounded(.up)) ?? Int.max)
        }
        if let n = targets.min() {
            let total = max(1, n - startIteration)
            fractions.append(Double(iteration - startIteration) / Double(total))
            if let perIteration { etas.append(Double(max(0, n - iteration)) * perIteration) }
        }
        for s in [stop.seconds, stop.totalSeconds.map { $0 - secondsBefore }].compactMap({ $0 }) {
            fractions.append(elapsed / s)
            etas.append(max(0, s - elapsed))
        }
        return (fractions.max().map { min(1, $0) }, etas.min())
    }
}

/// The iterations since the last log line: their mean loss and their characters per second.
struct ReportWindow {
    private var lossSum = 0.0, lossCount = 0
    private var start: ContinuousClock.Instant
    private var iterations = 0
    /// The latest iteration's loss and gradient norm.
    private(set) var lastLoss: Double?
    private(set) var lastNorm = 0.0

    init(now: ContinuousClock.Instant) { start = now }

    mutating func record(loss: Double, gradientNorm: Double) {
        lossSum += loss
        lossCount += 1
        lastLoss = loss
        lastNorm = gradientNorm
        iterations += 1
    }

    var meanLoss: Double { lossSum / Double(lossCount) }

    func charactersPerSecond(now: ContinuousClock.Instant, charactersPerIteration: Int) -> Double {
        let seconds = (now - start).seconds
        return seconds > 0 ? Double(iterations * charactersPerIteration) / seconds : 0
    }

    /// A new window, after a log line (losses and speed) or after validation and saving (speed only).
    mutating func restart(now: ContinuousClock.Instant, keepingLosses: Bool = false) {
        if !keepingLosses { lossSum = 0; lossCount = 0 }
        start = now
        iterations = 0
    }
}

/// What one call of `Trainer.run` carries between iterations, and across a rollback.
struct TrainingRun {
    var clock: TrainingClock
    /// Dropout's generator, saved in each checkpoint.
    var rng: SplitMix64
    var window: ReportWindow
    let schedule: LearningRateSchedule
    let earlyStopping: EarlyStopping?
    /// The state of the last checkpoint (or the start), when rollbacks are allowed.
    var rollbackPoint: RollbackPoint?
    var interrupted = false
    /// A stop request came during a validation pass, which was abandoned.
    var validationAbandoned = false
    var stoppedEarly = false

    init(stop: StopCondition, progress: TrainingProgress, schedule: LearningRateSchedule, patience: Int?) {
        clock = TrainingClock(stop: stop, startIteration: progress.iteration, secondsBefore: progress.trainingSeconds)
        rng = SplitMix64(seed: progress.rngState)
        window = ReportWindow(now: clock.now)
        self.schedule = schedule
        earlyStopping = patience.map(EarlyStopping.init)
    }

    func summary(_ progress: TrainingProgress) -> TrainingSummary {
        TrainingSummary(iterations: progress.iteration, lastTrainLoss: window.lastLoss,
                        validationLoss: progress.lastValidationLoss, bestValidationLoss: progress.bestValidationLoss,
                        interrupted: interrupted, stoppedEarlyWithBestAt: stoppedEarly ? progress.bestIteration : nil)
    }
}

/// A copy of everything a training step changes, taken at each checkpoint, to roll back to.
struct RollbackPoint {
    let parameters: [Float]
    let slots: [[Float]]
    let h: [Float], c: [Float]
    let progress: TrainingProgress
    let optimizerSteps: Int

    init(model: Model, optimizer: Optimizer, state: RecurrentState, progress: TrainingProgress) {
        parameters = model.parameters.values.array
        slots = optimizer.slots.map(\.array)
        h = state.h.array
        c = state.c.array
        self.progress = progress
        optimizerSteps = optimizer.stepCount
    }

    /// Copies the saved values back into the buffers; the caller restores `progress`.
    func restore(model: Model, optimizer: Optimizer, state: RecurrentState) {
        func copy(_ values: [Float], to buffer: FloatBuffer) {
            values.withUnsafeBufferPointer { if let base = $0.baseAddress { buffer.base.update(from: base, count: buffer.count) } }
        }
        copy(parameters, to: model.parameters.values)
        for (values, slot) in zip(slots, optimizer.slots) { copy(values, to: slot) }
        copy(h, to: state.h)
        copy(c, to: state.c)
        optimizer.stepCount = optimizerSteps
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
