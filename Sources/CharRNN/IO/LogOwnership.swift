// Which checkpoints name a metrics log: a log belongs to the runs of the checkpoints that name it, so
// a new run never empties one that another checkpoint names (a renamed earlier checkpoint, say), and
// appends only to the log of the run it continues. Checkpoints name their log by file name beside
// them (or an absolute path), so the log's own directory is where the checkpoints naming it are found.

import Foundation

public enum LogOwnership {
    /// A checkpoint in `log`'s directory, other than `except` (compared by identity), whose metrics
    /// log is `log`; nil when there is none.
    public static func otherCheckpoint(naming log: String, except: [String]) -> String? {
        guard let status = FileStatus(path: log), status.isRegular else { return nil }  // a stream belongs to no run
        let logID = status.identity
        let excluded = except.compactMap { FileIdentity(path: $0) }
        let directory = TrainingFiles.directory(of: log)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        for name in names.sorted() where !name.hasPrefix(".") {  // hidden: lock files and checkpoints being written
            let path = directory == "." ? name : (directory.hasSuffix("/") ? directory + name : directory + "/" + name)
            guard let status = FileStatus(path: path), status.isRegular, !excluded.contains(status.identity),
                  let recorded = recordedLog(ofCheckpointAt: path) else { continue }
            if FileIdentity(path: TrainingFiles.resolvedLogPath(recorded, checkpoint: path)) == logID { return path }
        }
        return nil
    }

    /// The metrics log a charnn checkpoint names (its `metrics_log` option), read from its header
    /// alone; nil for any other file.
    public static func recordedLog(ofCheckpointAt path: String) -> String? {
        guard let start = FileKinds.prefix(of: path), FileKinds.isCheckpointStart(start) else { return nil }
        let length = start[..<8].reversed().reduce(0) { $0 << 8 | Int($1) }  // at most maxHeaderLength (checked above)
        guard let bytes = start.count >= 8 + length ? start : FileKinds.prefix(of: path, count: 8 + length),
              bytes.count >= 8 + length,
              let header = try? JSONSerialization.jsonObject(with: Data(bytes[8 ..< 8 + length])) as? [String: Any],
              let metadata = header["__metadata__"] as? [String: Any], let training = metadata["charnn.training"] as? String,
              let fields = try? JSONSerialization.jsonObject(with: Data(training.utf8)) as? [String: Any],
              let options = fields["options"] as? [String: Any] else { return nil }
        return options["metrics_log"] as? String
    }

    /// `plan` held to the logs other checkpoints name (other than `own`: the run's checkpoints and the
    /// one it resumes): a log the run would start afresh that another checkpoint names is left to it,
    /// and the run writes the first free `freshLogPath` instead (`movedFrom` says whose log it left);
    /// a --metrics log another checkpoint names is refused unless it is `resumedLog`, the log of the
    /// run the run continues.
    public static func checked(_ plan: MetricsLogPlan, given: Bool, resumedLog: String?, own: [String]) throws
        -> (plan: MetricsLogPlan, movedFrom: (log: String, owner: String)?) {
        let continuing = resumedLog.map { FileIdentity(path: $0) != nil && FileIdentity(path: $0) == FileIdentity(path: plan.path) } ?? false
        if plan.startFresh, FileStatus(path: plan.path)?.size ?? 0 > 0, let owner = otherCheckpoint(naming: plan.path, except: own) {
            let moved = MetricsLogPlan(path: freshLogPath(plan.path), startFresh: true, historyFrom: plan.historyFrom)
            return (moved, (plan.path, owner))
        }
        if given && !continuing, let owner = otherCheckpoint(naming: plan.path, except: own) {
            throw OutputRefusal.othersLog(log: plan.path, owner: owner)
        }
        return (plan, nil)
    }

    /// a.metrics.jsonl → a.metrics-2.jsonl, -3, …: the first name with nothing there, for a run whose
    /// own default log another checkpoint names.
    public static func freshLogPath(_ log: String) -> String {
        let (stem, ext) = TrainingFiles.splitExtension(log)
        for n in 2... {
            let path = "\(stem)-\(n)\(ext ?? "")"
            if !TrainingFiles.pathIsTaken(path) && !TrainingFiles.pathIsTaken(CheckpointLock.path(for: path)) { return path }
        }
        fatalError("unreachable")
    }
}
