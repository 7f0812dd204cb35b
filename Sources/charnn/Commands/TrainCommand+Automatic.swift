// `charnn train`'s automatic mode (a --time budget without --resume) and its schedule option: the
// command-line side of the library's AutoSizing.

import CharRNN
import Foundation

extension TrainCommand {
    /// Measures the training speed of `measured` (the explicit model options over the defaults) on
    /// `corpus`, asks AutoSizing for a configuration, given the explicit options, within what is left
    /// of the budget, and says what it chose and why. Returns the model's configuration and the options.
    /// `claimOutputs` runs once the corpus is known to be long enough, before the measurement.
    static func chooseAutomatically(_ given: TrainingRequest, budget: Double, measuring measured: ModelConfig, corpus: Corpus,
                                    options: TrainingOptions, claimOutputs: () throws -> Void) throws -> (ModelConfig, TrainingOptions) {
        var r = SizingRequest(budgetSeconds: budget, measured: measured, measuredCharsPerSecond: 0, trainCharacters: 0,
                              validationCharacters: 0)
        (r.cell, r.layers, r.hidden, r.dropout, r.weightDrop) = (given.cell, given.layers, given.hidden, given.dropout, given.weightDrop)
        (r.learningRate, r.batchSize, r.seqLength, r.evalEvery) = (given.learningRate, given.batchSize, given.seqLength, given.evalEvery)
        r.precision = options.precision
        let split = corpus.split(validationFraction: options.validationFraction)
        (r.trainCharacters, r.validationCharacters) = (split.train.count, split.validation.count)
        guard split.train.count >= 2 else { throw TrainingError.corpusTooShort(characters: split.train.count) }
        try claimOutputs()
        let clock = ContinuousClock(), start = clock.now
        r.measuredCharsPerSecond = try AutoSizing.measureThroughput(
            measured, batch: r.batchSize ?? options.batchSize, steps: r.seqLength ?? options.seqLength,
            precision: options.precision, corpus: corpus, seed: options.seed,
            seconds: AutoSizing.measurementSeconds(budget: budget))
        let (s, atto) = (clock.now - start).components
        r.budgetSeconds = max(1, budget - (Double(s) + Double(atto) * 1e-18))
        let choice = AutoSizing.choose(r)
        Console.writeStderr("charnn: \(choice.reason)\n")
        return (choice.config, choice.options(from: options, budgetSeconds: r.budgetSeconds))
    }

    /// --lr-schedule, or the schedule the library's rule implies from --lr-decay and --lr-decay-every.
    static func scheduleKind(_ args: ParsedArguments) throws -> LearningRateScheduleKind? {
        let named = try args.value(Options.schedule)
        do throws(ScheduleConflict) {
            return try LearningRateScheduleKind.requested(named, decaySet: args.has(Options.lrDecay) || args.has(Options.lrDecayEvery))
        } catch {
            throw UsageError(message: "--lr-decay and --lr-decay-every belong to --lr-schedule step, not \(error.schedule.rawValue)",
                             command: spec)
        }
    }
}
