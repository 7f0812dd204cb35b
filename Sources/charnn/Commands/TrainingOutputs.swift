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
    /// The metrics log is TrainingFiles.metricsLogPlan's (`resumed`: the resumed checkpoint's log and iteration).
    init(_ v: TrainCommand.Validated, corpus: [String], resume: String?, resumed: (log: String?, iteration: Int)?) throws {
        let claim = { (output: String) in
            try Claim(output, metrics: v.metrics, corpus: corpus, resume: resume, resumedLog: resumed?.log, force: v.force)
        }
        let claimed: Claim
        var notes: [String] = []
        if let explicit = v.output {
            try TrainingFiles.checkBestNotReplaced(resume: resume, output: explicit)
            claimed = try claim(explicit)
        } else if let resume {
            claimed = try claim(TrainingFiles.resumedOutput(for: resume))
            if claimed.output != resume {
                notes.append("\(resume) is a best checkpoint, which only a better one replaces; this run writes its latest "
                             + "state to \(claimed.output)")
            }
        } else {
            let stem = TrainingFiles.stem(of: v.args.positionals[0])
            claimed = try TrainingFiles.claimFreshCheckpoint(directory: "checkpoints", stem: stem, claim: claim).claim
            if claimed.output != "checkpoints/\(stem).ckpt" {
                notes.append("checkpoints/\(stem).ckpt belongs to an earlier run; this run writes \(claimed.output)")
            }
        }
        for note in notes + (claimed.logNote.map { [$0] } ?? []) { Console.note(note) }  // once every check has passed
        (output, locks) = (claimed.output, claimed.locks)
        recordedMetricsPath = TrainingFiles.recordedLogPath(claimed.log.path, checkpoint: output)
        metrics = try MetricsFile(path: claimed.log.path, startFresh: claimed.log.startFresh)
        if let source = claimed.log.historyFrom, let iteration = resumed?.iteration {
            try metrics?.copyHistory(from: source, through: iteration)
        }
    }

    /// A checkpoint path checked and locked, with its metrics log (locked too when it is a file).
    private struct Claim {
        let output: String
        let log: MetricsLogPlan, logNote: String?
        let locks: [CheckpointLock]

        init(_ output: String, metrics: String?, corpus: [String], resume: String?, resumedLog: String?, force: Bool) throws {
            self.output = output
            try TrainingOutputs.checkDirectory(output)
            (log, logNote) = try TrainingOutputs.metricsPlan(given: metrics, resume: resume, resumedLog: resumedLog, output: output)
            let safety = TrainingFiles.outputSafety(corpus: corpus, resume: resume, output: output, metrics: log.path, force: force)
            try safety.checkIdentityAndKind()
            if TrainingFiles.directory(of: output) == "checkpoints" {  // the default location, made on demand
                try? FileManager.default.createDirectory(atPath: "checkpoints", withIntermediateDirectories: true)
            }
            try TrainingOutputs.probe(output)
            var locks: [CheckpointLock] = []
            for checkpoint in [output, TrainingFiles.bestPath(for: output)] {
                locks.append(try CheckpointLock(checkpoint: checkpoint))
            }
            if TrainingFiles.logIsLocked(log.path) { locks.append(try CheckpointLock(checkpoint: log.path, isLog: true)) }
            self.locks = locks
            try safety.checkExistingCheckpoints()
        }
    }

    /// The metrics log (TrainingFiles.metricsLogPlan), held to the logs other checkpoints name (LogOwnership),
    /// and a note when it is not the run's default one for that reason.
    static func metricsPlan(given: String?, resume: String?, resumedLog: String?, output: String) throws
        -> (MetricsLogPlan, note: String?) {
        let plan = TrainingFiles.metricsLogPlan(given: given, resume: resume, resumedLog: resumedLog, output: output)
        let resumedLogPath = resume.flatMap { r in resumedLog.map { TrainingFiles.resolvedLogPath($0, checkpoint: r) } }
        let own = [output, TrainingFiles.bestPath(for: output)] + (resume.map { [$0] } ?? [])
        let (checked, moved) = try LogOwnership.checked(plan, given: given != nil, resumedLog: resumedLogPath, own: own)
        return (checked, moved.map { "\($0.log) is the metrics log of \($0.owner); this run's log is \(checked.path)" })
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
