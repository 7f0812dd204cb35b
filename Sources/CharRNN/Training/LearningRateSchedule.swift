// The learning rate for each update: constant, step decay every few epochs, or a linear warmup
// followed by a cosine decay to the end of the run's horizon (its iteration count or its time).

import Foundation

public enum LearningRateScheduleKind: String, CaseIterable, Codable, Sendable {
    case constant, cosine, step

    /// The schedule a run asks for: the one named, else step when a decay (its factor or its
    /// period) is set, since only the step schedule decays by them; nil when neither is set.
    /// A decay beside another named schedule is a contradiction.
    public static func requested(_ named: LearningRateScheduleKind?, decaySet: Bool) throws(ScheduleConflict) -> LearningRateScheduleKind? {
        if let named, named != .step, decaySet { throw ScheduleConflict(schedule: named) }
        return named ?? (decaySet ? .step : nil)
    }
}

/// A step decay (factor or period) set beside `schedule`, which does not decay by them.
public struct ScheduleConflict: Error, Sendable, Equatable {
    public let schedule: LearningRateScheduleKind
}

/// Where the run is when it asks for the next update's rate.
public struct ScheduleClock: Sendable, Equatable {
    /// Updates done so far (the rate asked for is that of update `iteration + 1`).
    public var iteration: Int
    public var batchesPerEpoch: Int
    /// Training seconds over all runs of this model so far.
    public var seconds: Double

    public init(iteration: Int, batchesPerEpoch: Int, seconds: Double) {
        self.iteration = iteration
        self.batchesPerEpoch = batchesPerEpoch
        self.seconds = seconds
    }
}

/// A schedule as saved in the checkpoint, so that a resumed run continues the same curve.
/// The step schedule's factor and period are the options' `lrDecay` and `lrDecayEvery`.
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    public var kind: LearningRateScheduleKind
    /// Updates over which the cosine schedule's rate climbs linearly from base/warmup to base.
    public var warmupIterations = 0
    /// The end of the cosine decay: the iteration count or the training seconds (whichever is
    /// reached first when both are set). Nil until the run's stop condition fills it in.
    public var horizonIterations: Int?
    public var horizonSeconds: Double?
    /// The cosine ends at this fraction of the base rate: a tenth, as in common practice for
    /// language models (nanoGPT, llm.c), rather than zero, so the last minutes still learn.
    public var finalFraction = 0.1

    /// Linear warmup over 2 % of the horizon, at most 200 updates: long enough for Adam's moment
    /// estimates to settle before the full rate, short against any run worth scheduling.
    public static func defaultWarmup(horizonIterations: Int?) -> Int {
        min(200, (horizonIterations ?? 10_000) / 50)
    }

    public init(kind: LearningRateScheduleKind, warmupIterations: Int = 0, horizonIterations: Int? = nil,
                horizonSeconds: Double? = nil) {
        self.kind = kind
        self.warmupIterations = warmupIterations
        self.horizonIterations = horizonIterations
        self.horizonSeconds = horizonSeconds
    }

    enum CodingKeys: String, CodingKey {
        case kind, warmupIterations = "warmup", horizonIterations = "horizon_iterations"
        case horizonSeconds = "horizon_seconds", finalFraction = "final_fraction"
    }

    /// How far through the horizon the run is, 0...1 (0 without a horizon).
    public func fraction(at clock: ScheduleClock) -> Double {
        var f = 0.0
        if let n = horizonIterations, n > warmupIterations {
            f = max(f, Double(clock.iteration - warmupIterations) / Double(n - warmupIterations))
        }
        if let s = horizonSeconds, s > 0 { f = max(f, clock.seconds / s) }
        return min(1, max(0, f))
    }

    /// The rate for the next update. `current` is the rate in use (what constant and step
    /// schedules carry on from, so a rate halved by a rollback or given by --lr on resume stays);
    /// `base` is the options' rate, the top of the warmup and of the cosine.
    public func rate(base: Float, current: Float, decay: Float, decayEvery: Int, at clock: ScheduleClock) -> Float {
        switch kind {
        case .constant:
            return current
        case .step:
            // At the start of every decayEvery-th epoch after the first.
            let k = clock.iteration % clock.batchesPerEpoch, e = clock.iteration / clock.batchesPerEpoch
            return k == 0 && e > 0 && decay != 1 && e % max(1, decayEvery) == 0 ? current * decay : current
        case .cosine:
            if clock.iteration < warmupIterations {
                return base * Float(clock.iteration + 1) / Float(warmupIterations)
            }
            let cosine = 0.5 * (1 + cos(Double.pi * fraction(at: clock)))
            return base * Float(finalFraction + (1 - finalFraction) * cosine)
        }
    }

    /// This schedule with the horizons it lacks taken from the run's stop condition: --iterations,
    /// or --epochs in iterations, and --time (counted from `secondsSoFar`, this run's start).
    public func filled(from stop: StopCondition, batchesPerEpoch: Int, secondsSoFar: Double) -> LearningRateSchedule {
        guard kind == .cosine, horizonIterations == nil, horizonSeconds == nil else { return self }
        var s = self
        let fromEpochs = stop.epochs.map { Int(exactly: ($0 * Double(batchesPerEpoch)).rounded(.up)) ?? Int.max }
        s.horizonIterations = [stop.iterations, fromEpochs].compactMap { $0 }.min()
        s.horizonSeconds = stop.totalSeconds ?? stop.seconds.map { $0 + secondsSoFar }
        if s.warmupIterations == 0 { s.warmupIterations = LearningRateSchedule.defaultWarmup(horizonIterations: s.horizonIterations) }
        return s
    }
}

extension TrainingOptions {
    /// The schedule in force: a checkpoint without one decays by steps as its options say (with
    /// `lrDecay` 1, the default, that is a constant rate).
    public var effectiveSchedule: LearningRateSchedule {
        lrSchedule ?? LearningRateSchedule(kind: .step)
    }
}
