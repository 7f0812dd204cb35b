// The files `charnn train` writes, made safe before the first step: the checkpoint path (a fresh one
// by default), the output policy (CharRNN's OutputSafety), a writability probe, the locks held for
// the whole run, and the metrics log.

import CharRNN
import Foundation

final class TrainingOutputs {
    let output: String
    let metrics: MetricsFile?
    /// How the checkpoints name the metrics log (TrainingFiles.recordedLogPath).
    let recordedMetricsPath: String
    private let locks: [CheckpointLock]

    /// Checks in this order: the output's directory, identity and kind of every output, a write
    /// probe, the locks (so a second run names the first), then checkpoints that exist already.
    /// `corpus`: every file the run reads as text; the default checkpoint is named for the first.
    /// The metrics log is --metrics, else the log `resumedLog` (the resumed checkpoint's) names, else
    /// the output's own; a new run's own log starts empty.
    init(_ v: TrainCommand.Validated, corpus: [String], resume: String?, resumedLog: String?) throws {
        var resumedLogPath: String?
        if let resume, let resumedLog { resumedLogPath = TrainingFiles.resolvedLogPath(resumedLog, checkpoint: resume) }
        let claim = { (output: String) in
            try Claim(output, metrics: v.metrics ?? resumedLogPath ?? TrainingFiles.metricsPath(for: output), corpus: corpus,
                      resume: resume, force: v.force)
        }
        let claimed: Claim
        if let explicit = v.output ?? resume {
            claimed = try claim(explicit)
        } else {
            let stem = TrainingFiles.stem(of: v.args.positionals[0])
            claimed = try TrainingFiles.claimFreshCheckpoint(directory: "checkpoints", stem: stem, claim: claim).claim
            if claimed.output != "checkpoints/\(stem).ckpt" {
                Console.note("checkpoints/\(stem).ckpt belongs to an earlier run; this run writes \(claimed.output)")
            }
        }
        (output, locks) = (claimed.output, claimed.locks)
        recordedMetricsPath = TrainingFiles.recordedLogPath(claimed.metricsPath, checkpoint: output)
        metrics = try MetricsFile(path: claimed.metricsPath, startFresh: v.metrics == nil && resume == nil)
    }

    /// A checkpoint path checked and locked, with its metrics log.
    private struct Claim {
        let output: String, metricsPath: String
        let locks: [CheckpointLock]

        init(_ output: String, metrics metricsPath: String, corpus: [String], resume: String?, force: Bool) throws {
            (self.output, self.metricsPath) = (output, metricsPath)
            try TrainingOutputs.checkDirectory(output)
            let safety = TrainingFiles.outputSafety(corpus: corpus, resume: resume, output: output, metrics: metricsPath, force: force)
            try safety.checkIdentityAndKind()
            if TrainingFiles.directory(of: output) == "checkpoints" {  // the default location, made on demand
                try? FileManager.default.createDirectory(atPath: "checkpoints", withIntermediateDirectories: true)
            }
            try TrainingOutputs.probe(output)
            var locks: [CheckpointLock] = []
            for checkpoint in [output, TrainingFiles.bestPath(for: output)] {
                locks.append(try CheckpointLock(checkpoint: checkpoint))
            }
            self.locks = locks
            try safety.checkExistingCheckpoints()
        }
    }

    /// Gives up the locks (and removes their files).
    func release() {
        for lock in locks { lock.release() }
    }

    deinit { release() }

    /// The directory the checkpoint goes in must exist (the default one is made after the checks).
    static func checkDirectory(_ path: String) throws {
        guard !path.isEmpty, !path.hasSuffix("/") else {
            throw RuntimeError("--output '\(path)' does not name a file")
        }
        let directory = TrainingFiles.directory(of: path)
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            if directory != "checkpoints" { throw RuntimeError("cannot write \(path): directory \(directory) does not exist") }
        } else if !isDir.boolValue {
            throw RuntimeError("cannot write \(path): \(directory) is not a directory")
        }
    }

    /// Fails before training if the checkpoint could never be written, rather than after hours.
    /// Creating a file is the only sure test: permission bits do not bind root, and a read-only
    /// mount or a full quota shows only when something is written. The probe is the checkpoint
    /// writer's own temporary file, given up at once: it clears the output's stale temporaries as a
    /// write does, and one left by a kill -9 here is cleared by the next. The best checkpoint's
    /// stale temporaries go first, so a kill here never leaves a second beside one of those.
    static func probe(_ path: String) throws {
        AtomicFile.removeStaleTemporaries(for: TrainingFiles.bestPath(for: path))
        do {
            try AtomicFileWriter(path: path).abort()
        } catch FileWriteError.failed(_, let reason) {
            throw RuntimeError("cannot write \(path): directory \(TrainingFiles.directory(of: path)) is not writable (\(reason))")
        }
    }
}
