// The output policy on real files: outputs against inputs by identity (./x, d/../x, hard and symbolic
// links), only over files of their own kind, never through a broken link, existing checkpoints kept
// unless continued or forced; fresh default names; the one-writer lock.

import Foundation
import TestSupport
import XCTest
@testable import CharRNN

final class OutputSafetyTests: WorkingDirectoryTestCase {
    override var directoryPrefix: String { "charnn-output-safety" }

    override func setUpWithError() throws {
        try super.setUpWithError()
        try dir.write("the corpus\n", to: "corpus.txt")
        try dir.makeDirectory("d")
        try FileManager.default.linkItem(atPath: "corpus.txt", toPath: "hard.txt")
        try FileManager.default.createSymbolicLink(atPath: "link.txt", withDestinationPath: "corpus.txt")
        try FileManager.default.createSymbolicLink(atPath: "nowhere.ckpt", withDestinationPath: "missing/x.ckpt")
        let model = Model(config: ModelConfig(cell: .rnn, layers: 1, hidden: 2, vocabularySize: 2), seed: 1)
        try Checkpoint(model: model, vocabulary: Vocabulary(scalars: ["\n", "a"])).write(to: "model.ckpt")
    }

    func refusal(_ safety: OutputSafety, existing: Bool = false) -> OutputRefusal? {
        do {
            try safety.checkIdentityAndKind()
            if existing { try safety.checkExistingCheckpoints() }
            return nil
        } catch {
            return error as? OutputRefusal
        }
    }

    func train(output: String, resume: String? = nil, metrics: String? = nil, force: Bool = false) -> OutputSafety {
        TrainingFiles.outputSafety(corpus: ["corpus.txt"], resume: resume, output: output, metrics: metrics, force: force)
    }

    func testAnOutputNamingAnInputAnyWayIsRefused() {
        for spelling in ["corpus.txt", "./corpus.txt", "d/../corpus.txt", "hard.txt", "link.txt", dir.path + "/corpus.txt"] {
            for safety in [train(output: spelling), train(output: "new.ckpt", metrics: spelling), train(output: spelling, force: true)] {
                guard case .readsIt(_, "corpus.txt", "the corpus")? = refusal(safety) else {
                    return XCTFail("\(spelling): \(String(describing: refusal(safety)))")
                }
            }
        }
        // A lock file is an output too: a corpus named like one is never written over.
        try? dir.write("text", to: ".m.ckpt.lock")
        let lockSafety = TrainingFiles.outputSafety(corpus: [".m.ckpt.lock"], resume: nil, output: "m.ckpt", metrics: nil, force: false)
        guard case .readsIt(let output, _, _)? = refusal(lockSafety) else { return XCTFail("\(String(describing: refusal(lockSafety)))") }
        XCTAssertTrue(output.contains("the lock file"), output.description)
    }

    func testTheResumedCheckpointMayBeReplacedOnlyByTheRunContinuingIt() throws {
        XCTAssertNil(refusal(train(output: "./model.ckpt", resume: "model.ckpt"), existing: true))
        try dir.write(bytes: try dir.bytes(of: "model.ckpt"), to: "model.best.ckpt")
        XCTAssertNil(refusal(train(output: "model.ckpt", resume: "model.ckpt"), existing: true), "its best checkpoint too")
        guard case .readsIt? = refusal(train(output: "new.ckpt", resume: "model.ckpt", metrics: "model.ckpt")) else {
            return XCTFail("the metrics log never replaces the resumed checkpoint")
        }
        guard case .existingCheckpoint(_, "model.ckpt")? = refusal(train(output: "model.ckpt"), existing: true) else {
            return XCTFail("a new run must not replace an existing checkpoint")
        }
        try dir.write(bytes: try dir.bytes(of: "model.ckpt"), to: "other.ckpt")
        guard case .existingCheckpoint? = refusal(train(output: "other.ckpt", resume: "model.ckpt"), existing: true) else {
            return XCTFail("--resume X --output Y treats Y as a new run's output")
        }
        XCTAssertNil(refusal(train(output: "other.ckpt", resume: "model.ckpt", force: true), existing: true))
        // Only the best checkpoint exists: still an earlier run's.
        try dir.write(bytes: try dir.bytes(of: "model.ckpt"), to: "fresh.best.ckpt")
        guard case .existingCheckpoint(let label, "fresh.ckpt")? = refusal(train(output: "fresh.ckpt"), existing: true) else {
            return XCTFail("the best checkpoint of a new output exists")
        }
        XCTAssertTrue(label.contains("fresh.best.ckpt"), label.description)
    }

    func testOutputsReplaceOnlyTheirOwnKind() throws {
        try dir.write("my notes\n", to: "notes.txt")
        try dir.write("", to: "empty.ckpt")
        try dir.write(#"{"iteration":10,"epoch":0.5,"train_loss":2.1}"# + "\n", to: "metrics.jsonl")
        func foreign(_ safety: OutputSafety) -> OutputKind? {
            if case .foreign(_, let kind, _)? = refusal(safety) { return kind }
            return nil
        }
        XCTAssertEqual(foreign(train(output: "notes.txt", force: true)), .checkpoint)
        XCTAssertEqual(foreign(train(output: "n.ckpt", metrics: "notes.txt")), .metricsLog)
        XCTAssertEqual(foreign(train(output: "n.ckpt", metrics: "model.ckpt")), .metricsLog)
        XCTAssertEqual(foreign(train(output: "metrics.jsonl")), .checkpoint)
        XCTAssertNil(refusal(train(output: "n.ckpt", metrics: "metrics.jsonl")))
        XCTAssertNil(refusal(train(output: "empty.ckpt", metrics: "empty.ckpt.log")), "an empty file holds nothing to lose")
        XCTAssertNil(refusal(train(output: "n.ckpt", metrics: "/dev/null")), "a metrics stream")
        guard case .isDirectory? = refusal(train(output: "d")) else { return XCTFail("a directory") }

        let inspections: [String: String] = [
            "a.tsv": "pos\tchar\tl0.h.0\n0\ta\t0.5\n", "a.jsonl": #"{"pos":0,"char":"a","l0.h.0":0.5}"# + "\n",
            "a.json": #"{"format":"charnn inspect-cells","dtype":"float32"}"#,
            "a.html": "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>charnn inspect-cells</title>",
            "a.ansi": "\u{1B}[1ml0.h.3 · layer 0, hidden state, unit 3\u{1B}[0m\n", "b.ansi": "l1.c.12 · layer 1, cell state\n",
        ]
        var npy = NPYRenderer.header(rows: 2, columns: 3)
        npy += [UInt8](repeating: 0, count: 24)
        try dir.write(bytes: npy, to: "a.npy")
        for (name, text) in inspections { try dir.write(text, to: name) }
        for name in Array(inspections.keys) + ["a.npy"] {
            XCTAssertNil(refusal(inspect(name)), name)
            XCTAssertEqual(foreign(train(output: name)), .checkpoint, name)
        }
        try dir.write(bytes: try dir.bytes(of: "model.ckpt"), to: "other.ckpt")
        for name in ["notes.txt", "other.ckpt", "metrics.jsonl"] {
            XCTAssertEqual(foreign(inspect(name)), .inspection, name)
        }
        guard case .readsIt(_, "model.ckpt", "the checkpoint")? = refusal(inspect("./model.ckpt")) else { return XCTFail("its checkpoint") }
    }

    func inspect(_ output: String) -> OutputSafety {
        OutputSafety(inputs: [ReadInput(path: "model.ckpt", role: "the checkpoint"), ReadInput(path: "corpus.txt", role: "the text")],
                     outputs: [PlannedOutput(path: output, kind: .inspection, setting: .output)])
    }

    func testBrokenLinksAndOutputsThatCoincide() {
        guard case .brokenLink(_, "missing/x.ckpt")? = refusal(train(output: "nowhere.ckpt")) else { return XCTFail("broken link") }
        guard case .brokenLink? = refusal(train(output: "n.ckpt", metrics: "nowhere.ckpt")) else { return XCTFail("broken link") }
        guard case .sameOutput? = refusal(train(output: "n.ckpt", metrics: "n.best.ckpt")) else { return XCTFail("same new file") }
        guard case .sameOutput? = refusal(train(output: "n.ckpt", metrics: "d/../n.ckpt")) else { return XCTFail("same new file") }
    }

    /// A best checkpoint is replaced only by a better one: resuming it writes the latest state to its
    /// sibling when that is free (keeping it as the best), else to a name of which nothing exists;
    /// giving it as --output too is refused.
    func testResumingABestCheckpointNeverWritesTheLatestStateOverIt() throws {
        try dir.write(bytes: try dir.bytes(of: "model.ckpt"), to: "r.best.ckpt")
        XCTAssertEqual(TrainingFiles.latestPath(forBest: "runs/r.best.ckpt"), "runs/r.ckpt")
        XCTAssertNil(TrainingFiles.latestPath(forBest: "r.ckpt"))
        XCTAssertNil(TrainingFiles.latestPath(forBest: "runs/.best.ckpt"))
        XCTAssertEqual(TrainingFiles.resumedOutput(for: "model.ckpt"), "model.ckpt")
        XCTAssertEqual(TrainingFiles.resumedOutput(for: "r.best.ckpt"), "r.ckpt")
        XCTAssertNil(refusal(train(output: "r.ckpt", resume: "r.best.ckpt"), existing: true), "r.best.ckpt stays the run's best")
        XCTAssertEqual(TrainingFiles.bestHolder(bestOutput: "r.best.ckpt", resume: "r.best.ckpt"), "r.best.ckpt")

        try dir.write(bytes: try dir.bytes(of: "model.ckpt"), to: "r.ckpt")  // the run's later latest state: kept
        try dir.write("", to: "r-2.metrics.jsonl")
        XCTAssertEqual(TrainingFiles.resumedOutput(for: "r.best.ckpt"), "r-3.ckpt")
        XCTAssertNil(refusal(train(output: "r-3.ckpt", resume: "r.best.ckpt"), existing: true))
        XCTAssertEqual(TrainingFiles.bestHolder(bestOutput: "r-3.best.ckpt", resume: "r.best.ckpt"), "r.best.ckpt")
        XCTAssertEqual(TrainingFiles.bestHolder(bestOutput: "r-3.best.ckpt", resume: "model.ckpt"), nil)
        guard case .existingCheckpoint? = refusal(train(output: "r.ckpt", resume: "r.best.ckpt"), existing: true) else {
            return XCTFail("resuming the best checkpoint into an existing latest one replaces that one's later state")
        }
        XCTAssertThrowsError(try TrainingFiles.checkBestNotReplaced(resume: "r.best.ckpt", output: "./r.best.ckpt")) {
            XCTAssertEqual($0 as? OutputRefusal, .replacesBest(output: "./r.best.ckpt", latest: "r-3.ckpt"))
        }
        XCTAssertNoThrow(try TrainingFiles.checkBestNotReplaced(resume: "model.ckpt", output: "model.ckpt"))
    }

    /// --metrics is appended to; a run continuing its checkpoint appends to the log it names; a new
    /// run and a fork start their own, a fork's with the history it continues.
    func testEachRunWritesItsOwnLog() throws {
        try dir.write(bytes: try dir.bytes(of: "model.ckpt"), to: "r.best.ckpt")
        func plan(_ given: String?, _ resume: String?, _ output: String) -> MetricsLogPlan {
            TrainingFiles.metricsLogPlan(given: given, resume: resume, resumedLog: resume == nil ? nil : "r.metrics.jsonl", output: output)
        }
        XCTAssertEqual(plan("m.jsonl", "model.ckpt", "y.ckpt"), MetricsLogPlan(path: "m.jsonl", startFresh: false, historyFrom: nil))
        XCTAssertEqual(plan(nil, nil, "d/y.ckpt"), MetricsLogPlan(path: "d/y.metrics.jsonl", startFresh: true, historyFrom: nil))
        XCTAssertEqual(plan(nil, "model.ckpt", "./model.ckpt"), MetricsLogPlan(path: "./r.metrics.jsonl", startFresh: false, historyFrom: nil))
        XCTAssertEqual(plan(nil, "r.best.ckpt", "r.ckpt"), MetricsLogPlan(path: "./r.metrics.jsonl", startFresh: false, historyFrom: nil))
        XCTAssertEqual(plan(nil, "model.ckpt", "y.ckpt"), MetricsLogPlan(path: "y.metrics.jsonl", startFresh: true, historyFrom: "./r.metrics.jsonl"))

        try dir.write("{\"iteration\":10,\"train_loss\":3}\ntorn\n{\"iteration\":20,\"train_loss\":2}\n"
                      + "{\"iteration\":15,\"train_loss\":2.5}\n{\"iteration\":25,\"val_loss\":2}\n", to: "h.jsonl")
        XCTAssertEqual(MetricsLog.history(ofLogAt: "h.jsonl", through: 20),
                       ["{\"iteration\":10,\"train_loss\":3}", "{\"iteration\":20,\"train_loss\":2}", "{\"iteration\":15,\"train_loss\":2.5}"])
        XCTAssertEqual(MetricsLog.history(ofLogAt: "missing.jsonl", through: 20), [])
        // A log no checkpoint here names belongs to no other run; a fresh name skips what is there.
        XCTAssertNil(LogOwnership.recordedLog(ofCheckpointAt: "model.ckpt"), "a checkpoint without training state names no log")
        XCTAssertNil(LogOwnership.recordedLog(ofCheckpointAt: "h.jsonl"))
        XCTAssertNil(LogOwnership.otherCheckpoint(naming: "h.jsonl", except: []))
        XCTAssertEqual(LogOwnership.freshLogPath("d/a.metrics.jsonl"), "d/a.metrics-2.jsonl")
        try dir.write("", to: "d/a.metrics-2.jsonl")
        XCTAssertEqual(LogOwnership.freshLogPath("d/a.metrics.jsonl"), "d/a.metrics-3.jsonl")
    }

    /// Two runs that chose one fresh name at the same instant: the one that finds it locked takes the
    /// next free name; any other refusal is the run's error.
    func testAFreshNameLockedByAnotherRunIsPassedOver() throws {
        try dir.makeDirectory("checkpoints")
        var tried: [String] = []
        let claimed = try TrainingFiles.claimFreshCheckpoint(directory: "checkpoints", stem: "c") { path -> String in
            tried.append(path)
            if path == "checkpoints/c.ckpt" { throw OutputRefusal.locked(checkpoint: path, pid: 7) }
            return "lock of " + path
        }
        XCTAssertEqual(tried, ["checkpoints/c.ckpt", "checkpoints/c-2.ckpt"])
        XCTAssertEqual(claimed.path, "checkpoints/c-2.ckpt")
        XCTAssertEqual(claimed.claim, "lock of checkpoints/c-2.ckpt")
        XCTAssertThrowsError(try TrainingFiles.claimFreshCheckpoint(directory: "checkpoints", stem: "c") { path -> String in
            throw OutputRefusal.isDirectory(output: SettingsMessage(path))
        })
    }

    func testFreshCheckpointNamesSkipEveryFileOfAnEarlierRun() throws {
        try dir.makeDirectory("checkpoints")
        XCTAssertEqual(TrainingFiles.freshCheckpointPath(directory: "checkpoints", stem: "c"), "checkpoints/c.ckpt")
        try dir.write("", to: "checkpoints/c.ckpt")
        try dir.write("", to: "checkpoints/c-2.best.ckpt")
        try dir.write("", to: "checkpoints/.c-3.ckpt.lock")
        XCTAssertEqual(TrainingFiles.freshCheckpointPath(directory: "checkpoints", stem: "c"), "checkpoints/c-4.ckpt")
        XCTAssertEqual(TrainingFiles.stem(of: "-"), "stdin")
        XCTAssertEqual(TrainingFiles.stem(of: "data/corpus.txt"), "corpus")
        XCTAssertEqual(TrainingFiles.bestPath(for: "m"), "m.best.ckpt")
        XCTAssertEqual(TrainingFiles.bestPath(for: "runs.d/x.ckpt"), "runs.d/x.best.ckpt")
        XCTAssertEqual(TrainingFiles.metricsPath(for: "runs.d/m"), "runs.d/m.metrics.jsonl")
        XCTAssertEqual(TrainingFiles.stem(of: "notes/.hidden"), ".hidden")
    }

    /// flock locks belong to an open file, so a second lock in this process meets the first as another
    /// process would. A lock file nobody holds (a killed run's) does not block.
    func testOneWriterPerCheckpoint() throws {
        try dir.write("99999\n", to: ".x.ckpt.lock")
        let lock = try CheckpointLock(checkpoint: "x.ckpt")
        XCTAssertEqual(lock.path, ".x.ckpt.lock")
        XCTAssertEqual(String(decoding: try dir.bytes(of: ".x.ckpt.lock"), as: UTF8.self), "\(getpid())\n")
        XCTAssertThrowsError(try CheckpointLock(checkpoint: "./x.ckpt")) {
            XCTAssertEqual($0 as? OutputRefusal, .locked(checkpoint: "./x.ckpt", pid: getpid()))
        }
        XCTAssertEqual(String(decoding: try dir.bytes(of: ".x.ckpt.lock"), as: UTF8.self), "\(getpid())\n", "the refused keeps off the file")
        lock.release()
        XCTAssertFalse(dir.exists(".x.ckpt.lock"), "released locks leave no file")
        // A file put in the lock file's place while it was held is not the lock's to remove.
        let held = try CheckpointLock(checkpoint: "y.ckpt")
        try dir.write("my notes\n", to: "notes")
        XCTAssertEqual(rename("notes", ".y.ckpt.lock"), 0)
        held.release()
        XCTAssertEqual(String(decoding: try dir.bytes(of: ".y.ckpt.lock"), as: UTF8.self), "my notes\n")
        let log = try CheckpointLock(checkpoint: "m.metrics.jsonl", isLog: true)
        XCTAssertThrowsError(try CheckpointLock(checkpoint: "m.metrics.jsonl", isLog: true)) {
            XCTAssertEqual($0 as? OutputRefusal, .logLocked(log: "m.metrics.jsonl", pid: getpid()))
        }
        log.release()
        XCTAssertNoThrow(try CheckpointLock(checkpoint: "x.ckpt").release())
        XCTAssertEqual(CheckpointLock.path(for: "runs/m.ckpt"), "runs/.m.ckpt.lock")
    }

    func claim(_ output: String, metrics: String? = nil, force: Bool = false) throws -> TrainingOutputClaim {
        try TrainingOutputClaim(output: output, metrics: metrics, corpus: ["corpus.txt"], resume: nil, resumedLog: nil, force: force)
    }

    func claimRefusal(_ output: String, metrics: String? = nil, force: Bool = false) -> OutputRefusal? {
        do {
            _ = try claim(output, metrics: metrics, force: force)
            return nil
        } catch {
            return error as? OutputRefusal
        }
    }

    /// One call checks, probes and locks a run's outputs, refusing in that order and leaving nothing
    /// behind when it refuses; the claim holds its locks until released.
    func testTrainingOutputsAreCheckedProbedAndLockedInOneCall() throws {
        XCTAssertEqual(claimRefusal(""), .notAFile(output: ""))
        XCTAssertEqual(claimRefusal("d/"), .notAFile(output: "d/"))
        XCTAssertEqual(claimRefusal("missing/m.ckpt"), .missingDirectory(output: "missing/m.ckpt", directory: "missing"))
        XCTAssertEqual(claimRefusal("corpus.txt/m.ckpt"), .notADirectory(output: "corpus.txt/m.ckpt", directory: "corpus.txt"))
        XCTAssertEqual(claimRefusal("link.txt"), .readsIt(output: "\(setting: .output) link.txt", input: "corpus.txt", role: "the corpus"))
        XCTAssertEqual(claimRefusal("model.ckpt"), .existingCheckpoint(output: "\(setting: .output) model.ckpt", resume: "model.ckpt"))
        XCTAssertFalse(dir.exists(".model.ckpt.lock"), "a refused claim releases the locks it took")
        // A name the file system cannot hold with the writer's temporary suffix fails the probe, before any lock.
        let long = String(repeating: "n", count: 250) + ".ckpt"
        guard case .notWritable(long, ".", _)? = claimRefusal(long) else { return XCTFail("\(String(describing: claimRefusal(long)))") }
        XCTAssertFalse(dir.exists(CheckpointLock.path(for: long)))

        let held = try claim("d/run.ckpt")
        XCTAssertEqual(held.output, "d/run.ckpt")
        XCTAssertEqual(held.log, MetricsLogPlan(path: "d/run.metrics.jsonl", startFresh: true, historyFrom: nil))
        XCTAssertTrue(dir.exists("d/.run.ckpt.lock") && dir.exists("d/.run.best.ckpt.lock") && dir.exists("d/.run.metrics.jsonl.lock"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "d").filter { $0.hasSuffix(".tmp") }, [],
                       "the probe leaves no temporary")
        XCTAssertEqual(claimRefusal("d/run.ckpt"), .locked(checkpoint: "d/run.ckpt", pid: getpid()))
        XCTAssertEqual(claimRefusal("d/other.ckpt", metrics: "d/run.metrics.jsonl"), .logLocked(log: "d/run.metrics.jsonl", pid: getpid()))
        held.release()
        XCTAssertFalse(dir.exists("d/.run.ckpt.lock") || dir.exists("d/.run.best.ckpt.lock") || dir.exists("d/.run.metrics.jsonl.lock"))
        XCTAssertNoThrow(try claim("model.ckpt", force: true).release())
    }

    /// Another command's one call: identity and kind, the directory, then its locks, held until released.
    func testACommandsOutputsAreCheckedThenLockedInOneCall() throws {
        func dump(_ path: String) -> OutputSafety {
            OutputSafety(inputs: [ReadInput(path: "corpus.txt", role: "the text")],
                         outputs: [PlannedOutput(path: path, kind: .inspection, setting: .output),
                                   PlannedOutput(path: CheckpointLock.path(for: path), kind: .lock, setting: .output, role: "the lock file")])
        }
        func refusal(_ path: String) -> OutputRefusal? {
            do { _ = try dump(path).claim(locking: [path]); return nil } catch { return error as? OutputRefusal }
        }
        XCTAssertEqual(refusal("link.txt"), .readsIt(output: "\(setting: .output) link.txt", input: "corpus.txt", role: "the text"))
        XCTAssertEqual(refusal("d"), .isDirectory(output: "\(setting: .output) d"))
        XCTAssertEqual(refusal("missing/a.tsv"), .missingDirectory(output: "missing/a.tsv", directory: "missing"))
        XCTAssertEqual(refusal("corpus.txt/a.tsv"), .missingDirectory(output: "corpus.txt/a.tsv", directory: "corpus.txt"))
        let locks = try dump("d/a.tsv").claim(locking: ["d/a.tsv"])
        XCTAssertEqual(locks.map(\.checkpoint), ["d/a.tsv"])
        XCTAssertEqual(refusal("d/a.tsv"), .locked(checkpoint: "d/a.tsv", pid: getpid()))
        for lock in locks { lock.release() }
        XCTAssertNil(refusal("d/a.tsv"))
        XCTAssertFalse(dir.exists("d/.a.tsv.lock"), "a claim nobody keeps leaves no lock behind")
    }
}
