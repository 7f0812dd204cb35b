// The files a training run writes: where its checkpoints go by default, the best checkpoint beside
// the latest, and the output policy for the whole set (checkpoints, their lock files, metrics).

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A run's metrics log (TrainingFiles.metricsLogPlan).
public struct MetricsLogPlan: Equatable, Sendable {
    public let path: String
    /// Emptied first: the run's own new log.
    public let startFresh: Bool
    /// The resumed checkpoint's log, whose history up to the resumed iteration a fork's log starts with.
    public let historyFrom: String?
}

public enum TrainingFiles {
    /// The file name of a corpus without its extension: "data/corpus.txt" → "corpus"; standard input → "stdin".
    /// A directory's own name, extension and all, as the system resolves it ("." → "project").
    public static func stem(of path: String) -> String {
        if path == standardInputPath { return "stdin" }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, let resolved = realpath(path, nil) {
            defer { free(resolved) }
            let name = String(cString: resolved).split(separator: "/").last.map(String.init) ?? ""
            return name.isEmpty || name.hasPrefix(".") ? "model" : name
        }
        let name = path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? ""
        let stem = splitExtension(name).stem
        return stem.isEmpty ? "model" : stem
    }

    /// A path split before its file name's extension: "runs/x.ckpt" → ("runs/x", ".ckpt");
    /// "m" and "runs.d/m" → (the path, nil); a leading dot of a name is not an extension.
    public static func splitExtension(_ path: String) -> (stem: String, extension: String?) {
        let nameStart = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        guard let dot = path.lastIndex(of: "."), dot > nameStart else { return (path, nil) }
        return (String(path[..<dot]), String(path[dot...]))
    }

    /// checkpoints/x.ckpt → checkpoints/x.best.ckpt; m → m.best.ckpt
    public static func bestPath(for output: String) -> String {
        let (stem, ext) = splitExtension(output)
        return stem + ".best" + (ext ?? ".ckpt")
    }

    /// x.best.ckpt → x.ckpt, the latest checkpoint of a best checkpoint's run; nil for a path not
    /// named as a best checkpoint.
    public static func latestPath(forBest path: String) -> String? {
        let (stem, ext) = splitExtension(path)
        guard stem.hasSuffix(".best"), !stem.hasSuffix("/.best"), stem != ".best" else { return nil }
        return String(stem.dropLast(5)) + (ext ?? "")
    }

    /// Where a run resumed from `resume` writes its latest checkpoint when no --output is given:
    /// `resume` itself, except that a best checkpoint is replaced only by a better one. Resuming
    /// x.best.ckpt writes x.ckpt when nothing is there (x.best.ckpt stays the run's best checkpoint),
    /// else the first x-2.ckpt, x-3.ckpt, … of which nothing exists (a new best then goes beside it).
    public static func resumedOutput(for resume: String) -> String {
        guard let latest = latestPath(forBest: resume) else { return resume }
        if ![latest, CheckpointLock.path(for: latest)].contains(where: pathIsTaken) { return latest }
        let (stem, ext) = splitExtension(latest)
        for n in 2... {
            let path = "\(stem)-\(n)\(ext ?? "")"
            let files = [path, bestPath(for: path)].flatMap { [$0, CheckpointLock.path(for: $0)] } + [metricsPath(for: path)]
            if !files.contains(where: pathIsTaken) { return path }
        }
        fatalError("unreachable")
    }

    /// The file that holds the best state of a run writing `bestOutput`, resumed from `resume`: its own
    /// best checkpoint once written, else (a run resumed into a new name that never improved) the best
    /// checkpoint it continues, if that exists.
    public static func bestHolder(bestOutput: String, resume: String?) -> String? {
        if pathIsTaken(bestOutput) { return bestOutput }
        guard let resume else { return nil }
        let best = latestPath(forBest: resume) != nil ? resume : bestPath(for: resume)
        return pathIsTaken(best) ? best : nil
    }

    /// A best checkpoint given both to --resume and --output would be replaced by whatever state the
    /// run ends in: refused, naming where the latest state goes by default.
    public static func checkBestNotReplaced(resume: String?, output: String) throws {
        guard let resume, latestPath(forBest: resume) != nil, let id = FileIdentity(path: resume), id == FileIdentity(path: output) else {
            return
        }
        throw OutputRefusal.replacesBest(output: output, latest: resumedOutput(for: resume))
    }

    /// A run's own metrics log, beside its checkpoint: checkpoints/x.ckpt → checkpoints/x.metrics.jsonl.
    public static func metricsPath(for checkpoint: String) -> String {
        splitExtension(checkpoint).stem + ".metrics.jsonl"
    }

    /// Where a run's metrics log goes and how it starts: --metrics as given (appended to); a resumed
    /// run that continues its checkpoint (the same file, or the latest beside a resumed best) appends
    /// to the log the checkpoint names; any other run, a fork of a resumed checkpoint included, starts
    /// its own log beside its checkpoint, a fork's with the history it continues from.
    public static func metricsLogPlan(given: String?, resume: String?, resumedLog: String?, output: String) -> MetricsLogPlan {
        if let given { return MetricsLogPlan(path: given, startFresh: false, historyFrom: nil) }
        let own = metricsPath(for: output)
        guard let resume else { return MetricsLogPlan(path: own, startFresh: true, historyFrom: nil) }
        let recorded = resumedLog.map { resolvedLogPath($0, checkpoint: resume) }
        let resumed = FileIdentity(path: resume)
        let continues = resumed != nil && [output, bestPath(for: output)].contains { FileIdentity(path: $0) == resumed }
        if continues || recorded.map({ FileIdentity(path: $0) != nil && FileIdentity(path: $0) == FileIdentity(path: own) }) == true {
            return MetricsLogPlan(path: recorded ?? own, startFresh: false, historyFrom: nil)
        }
        return MetricsLogPlan(path: own, startFresh: true, historyFrom: recorded)
    }

    /// How a checkpoint names its log: the file name when the two share a directory, so the pair
    /// can be moved together; else an absolute path.
    public static func recordedLogPath(_ log: String, checkpoint: String) -> String {
        if directory(of: log) == directory(of: checkpoint) { return String(log[(log.lastIndex(of: "/").map { log.index(after: $0) } ?? log.startIndex)...]) }
        return log.hasPrefix("/") ? log : FileManager.default.currentDirectoryPath + "/" + log
    }

    /// The log a checkpoint at `checkpoint` names as `recorded`, as a path from here.
    public static func resolvedLogPath(_ recorded: String, checkpoint: String) -> String {
        recorded.hasPrefix("/") ? recorded : directory(of: checkpoint) + "/" + recorded
    }

    /// "runs/m.ckpt" → "runs"; "m.ckpt" → "."; "/m.ckpt" → "/"
    public static func directory(of path: String) -> String {
        path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    }

    /// `directory/stem.ckpt`, or if anything of that run is there (its checkpoint, best checkpoint
    /// or a lock file), the first free `directory/stem-2.ckpt`, `-3`, …: a new run never takes over
    /// an earlier run's files.
    /// `passing` names that are not free whatever is there (another run claimed them first).
    public static func freshCheckpointPath(directory: String, stem: String, passing: Set<String> = []) -> String {
        for n in 1... {
            let path = "\(directory)/\(stem)\(n == 1 ? "" : "-\(n)").ckpt"
            if passing.contains(path) { continue }
            let files = [path, bestPath(for: path)].flatMap { [$0, CheckpointLock.path(for: $0)] } + [metricsPath(for: path)]
            if !files.contains(where: pathIsTaken) { return path }
        }
        fatalError("unreachable")
    }

    /// Whether a run locks its metrics log `path`: a regular file or one to be made; a stream (a pipe,
    /// a terminal, /dev/stdout) is not locked.
    public static func logIsLocked(_ path: String) -> Bool {
        FileStatus(path: path).map(\.isRegular) ?? true
    }

    /// The first fresh checkpoint path `claim` succeeds on: a name another run locked between the
    /// choice and the claim (two runs started at the same instant) is passed over for the next one.
    public static func claimFreshCheckpoint<Claim>(directory: String, stem: String,
                                                   claim: (String) throws -> Claim) throws -> (path: String, claim: Claim) {
        var passed = Set<String>()
        while true {
            let path = freshCheckpointPath(directory: directory, stem: stem, passing: passed)
            do {
                return (path, try claim(path))
            } catch OutputRefusal.locked {
                passed.insert(path)
            }
        }
    }

    /// Anything at `path`, a broken link included.
    static func pathIsTaken(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The policy for a run that reads the files of `corpus` (and `resume`) and writes the checkpoint
    /// `output`, its best checkpoint, their lock files and `metrics`. The run continues `resume` when
    /// `output` is that file: then it may replace it and its best checkpoint. `force` lets it replace
    /// checkpoints that exist; nothing lets it write over what it reads. A run writing x.ckpt resumed
    /// from x.best.ckpt keeps that file as its best checkpoint.
    public static func outputSafety(corpus: [String], resume: String?, output: String, metrics: String?, force: Bool) -> OutputSafety {
        var inputs = corpus.map { ReadInput(path: $0, role: corpus.count == 1 ? "the corpus" : "a file of the corpus") }
        if let resume { inputs.append(ReadInput(path: resume, role: "the checkpoint given to \(setting: .resume)", isResumed: true)) }
        let resumed = resume.flatMap { FileIdentity(path: $0) }
        let continuesLatest = resumed != nil && resumed == FileIdentity(path: output)
        // Resumed from its best checkpoint (x.best.ckpt into x.ckpt): that file stays the best, which
        // the trainer replaces only with a better one.
        let continuesBest = resumed != nil && resumed == FileIdentity(path: bestPath(for: output))
        var latest = PlannedOutput(path: output, kind: .checkpoint, setting: .output)
        latest.mayReplaceResumed = true
        latest.mayReplaceCheckpoint = force || continuesLatest
        var best = PlannedOutput(path: bestPath(for: output), kind: .checkpoint, setting: .output, role: "the best checkpoint")
        best.mayReplaceResumed = continuesBest
        best.mayReplaceCheckpoint = force || continuesLatest || continuesBest
        var outputs = [latest, best]
        for checkpoint in [latest, best] {
            outputs.append(PlannedOutput(path: CheckpointLock.path(for: checkpoint.path), kind: .lock, setting: .output,
                                         role: "the lock file"))
        }
        if let metrics {
            outputs.append(PlannedOutput(path: metrics, kind: .metricsLog, setting: .metrics, role: "the metrics log"))
            if logIsLocked(metrics) {
                outputs.append(PlannedOutput(path: CheckpointLock.path(for: metrics), kind: .lock, setting: .metrics, role: "the lock file"))
            }
        }
        return OutputSafety(inputs: inputs, outputs: outputs)
    }
}
