// The files `charnn train` writes: the checkpoint path (a fresh one by default), made safe, probed
// and locked by one library call (TrainingOutputClaim), and the metrics log opened.

import CharRNN
import Foundation

final class TrainingOutputs {
    let output: String
    let metrics: MetricsFile?
    /// How the checkpoints name the metrics log (TrainingFiles.recordedLogPath).
    let recordedMetricsPath: String
    private let claim: TrainingOutputClaim

    /// `corpus`: every file the run reads as text; the default checkpoint is named for the first.
    /// The metrics log is TrainingFiles.metricsLogPlan's (`resumed`: the resumed checkpoint's log and iteration).
    init(_ v: TrainCommand.Validated, corpus: [String], resume: String?, resumed: (log: String?, iteration: Int)?) throws {
        let claimAt = { (output: String) in
            try TrainingOutputClaim(output: output, metrics: v.metrics, corpus: corpus, resume: resume, resumedLog: resumed?.log,
                                    force: v.force)
        }
        let claimed: TrainingOutputClaim
        var notes: [String] = []
        if let explicit = v.output {
            try TrainingFiles.checkBestNotReplaced(resume: resume, output: explicit)
            claimed = try claimAt(explicit)
        } else if let resume {
            claimed = try claimAt(TrainingFiles.resumedOutput(for: resume))
            if claimed.output != resume {
                notes.append("\(resume) is a best checkpoint, which only a better one replaces; this run writes its latest "
                             + "state to \(claimed.output)")
            }
        } else {
            let stem = TrainingFiles.stem(of: v.args.positionals[0])
            claimed = try TrainingFiles.claimFreshCheckpoint(directory: "checkpoints", stem: stem, claim: claimAt).claim
            if claimed.output != "checkpoints/\(stem).ckpt" {
                notes.append("checkpoints/\(stem).ckpt belongs to an earlier run; this run writes \(claimed.output)")
            }
        }
        if let moved = claimed.movedLog {
            notes.append("\(moved.log) is the metrics log of \(moved.owner); this run's log is \(claimed.log.path)")
        }
        for note in notes { Console.note(note) }  // once every check has passed
        (output, claim) = (claimed.output, claimed)
        recordedMetricsPath = TrainingFiles.recordedLogPath(claimed.log.path, checkpoint: output)
        metrics = try MetricsFile(path: claimed.log.path, startFresh: claimed.log.startFresh)
        if let source = claimed.log.historyFrom, let iteration = resumed?.iteration {
            try metrics?.copyHistory(from: source, through: iteration)
        }
    }

    /// Gives up the locks (and removes their files).
    func release() {
        claim.release()
    }

    deinit { release() }
}
