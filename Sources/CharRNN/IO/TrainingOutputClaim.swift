// A training run's outputs made safe in one call, before the first step: the checkpoint's directory,
// the metrics log (LogOwnership), the identity and kind of every output (OutputSafety), a write
// probe, the locks held for the whole run (so a second run names the first), then the checkpoints
// that exist already. Every refusal is an `OutputRefusal`.

import Foundation

public final class TrainingOutputClaim {
    public let output: String
    public let log: MetricsLogPlan
    /// The log the run would have written and the checkpoint that names it, when the run writes
    /// `log` instead for that reason.
    public let movedLog: (log: String, owner: String)?
    private let locks: [CheckpointLock]

    /// `corpus`: every file the run reads as text; `metrics`: the log asked for, if any; `resume` and
    /// `resumedLog`: the checkpoint continued and the log it names (TrainingFiles.metricsLogPlan).
    public init(output: String, metrics: String?, corpus: [String], resume: String?, resumedLog: String?, force: Bool) throws {
        self.output = output
        try Self.checkDirectory(output)
        let plan = TrainingFiles.metricsLogPlan(given: metrics, resume: resume, resumedLog: resumedLog, output: output)
        let resumedLogPath = resume.flatMap { r in resumedLog.map { TrainingFiles.resolvedLogPath($0, checkpoint: r) } }
        let own = [output, TrainingFiles.bestPath(for: output)] + (resume.map { [$0] } ?? [])
        (log, movedLog) = try LogOwnership.checked(plan, given: metrics != nil, resumedLog: resumedLogPath, own: own)
        let safety = TrainingFiles.outputSafety(corpus: corpus, resume: resume, output: output, metrics: log.path, force: force)
        try safety.checkIdentityAndKind()
        if TrainingFiles.directory(of: output) == "checkpoints" {  // the default location, made on demand
            try? FileManager.default.createDirectory(atPath: "checkpoints", withIntermediateDirectories: true)
        }
        try Self.probe(output)
        var locks: [CheckpointLock] = []
        for checkpoint in [output, TrainingFiles.bestPath(for: output)] {
            locks.append(try CheckpointLock(checkpoint: checkpoint))
        }
        if TrainingFiles.logIsLocked(log.path) { locks.append(try CheckpointLock(checkpoint: log.path, isLog: true)) }
        self.locks = locks
        try safety.checkExistingCheckpoints()
    }

    /// Gives up the locks (and removes their files).
    public func release() {
        for lock in locks { lock.release() }
    }

    /// The directory the checkpoint goes in must exist (the default one is made after the checks).
    static func checkDirectory(_ path: String) throws {
        guard !path.isEmpty, !path.hasSuffix("/") else { throw OutputRefusal.notAFile(output: path) }
        let directory = TrainingFiles.directory(of: path)
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            if directory != "checkpoints" { throw OutputRefusal.missingDirectory(output: path, directory: directory) }
        } else if !isDir.boolValue {
            throw OutputRefusal.notADirectory(output: path, directory: directory)
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
            throw OutputRefusal.notWritable(output: path, directory: TrainingFiles.directory(of: path), reason: reason)
        }
    }
}
