// `charnn train`'s schedule option.

import CharRNN
import Foundation

extension TrainCommand {
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
