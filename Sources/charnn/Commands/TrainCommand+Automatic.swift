// `charnn train`'s schedule option.

import CharRNN
import Foundation

extension TrainCommand {
    /// --lr-schedule, or step when only --lr-decay or --lr-decay-every is given; a decay with any
    /// other schedule is a contradiction.
    static func scheduleKind(_ args: ParsedArguments) throws -> LearningRateScheduleKind? {
        let kind = try args.value(Options.schedule)
        let decays = args.has(Options.lrDecay) || args.has(Options.lrDecayEvery)
        if let kind, kind != .step, decays {
            throw UsageError(message: "--lr-decay and --lr-decay-every belong to --lr-schedule step, not \(kind.rawValue)", command: spec)
        }
        return kind ?? (decays ? .step : nil)
    }
}
