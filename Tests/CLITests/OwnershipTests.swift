// Checkpoints owned by their run, on real processes: two runs racing for one checkpoint (the second
// fails at once naming the first), the default output's fresh name, --resume continuing its file,
// --force; and the lock files gone when a run ends.

import Foundation
import TestSupport
import XCTest

final class OwnershipTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
    }

    /// A long run holds its checkpoints; a second run on the same --output (new, forced or resuming)
    /// fails with one line naming the first run's process, and the first run's files are its own.
    func testASecondWriterFailsNamingTheFirst() throws {
        let first = try charnn.start(["train", "corpus.txt"] + tinyModel + ["--time", "60s", "--patience", "0", "--eval-every", "1",
                                                                            "--print-every", "1", "--output", "race.ckpt"], in: dir.url)
        XCTAssertTrue(first.waitForStderr(containing: "saved race.best.ckpt", timeout: 60), first.stderrSoFar)
        XCTAssertEqual(String(decoding: try dir.bytes(of: ".race.ckpt.lock"), as: UTF8.self), "\(first.pid)\n")
        let seconds: [[String]] = [
            ["train", "corpus.txt"] + tinyModel + ["--iterations", "2", "--output", "race.ckpt", "--force"],
            ["train", "corpus.txt"] + tinyModel + ["--iterations", "2", "--output", "race.ckpt"],
            ["train", "corpus.txt", "--resume", "race.ckpt", "--time", "2s"],
            ["train", "corpus.txt", "--resume", "race.ckpt", "--time", "2s", "--output", "./race.ckpt"],
        ]
        for arguments in seconds {
            let r = try run(arguments)
            checkOneErrorLine(r, exitCode: 1, mentions: ["race.ckpt", "another charnn run (process \(first.pid))"],
                              context: "\n\(r)")
        }
        // Its metrics log too, under any name: a second run writing it (here one resumed from a copy of
        // the checkpoint, which names the same log) fails before any work.
        XCTAssertEqual(String(decoding: try dir.bytes(of: ".race.metrics.jsonl.lock"), as: UTF8.self), "\(first.pid)\n")
        try dir.write(bytes: try dir.bytes(of: "race.best.ckpt"), to: "copy.ckpt")
        let listing = dir.listing().filter { !$0.contains("race.") }
        let second = try run(["train", "corpus.txt", "--resume", "copy.ckpt", "--iterations", "100000", "--output", "other.ckpt",
                              "--metrics", "./race.metrics.jsonl"])
        checkOneErrorLine(second, exitCode: 1, mentions: ["./race.metrics.jsonl is being written by another charnn run "
                                                          + "(process \(first.pid)); wait for it to finish or choose another --metrics"],
                          context: "\n\(second)")
        XCTAssertEqual(dir.listing().filter { !$0.contains("race.") }, listing)
        first.send(signal: SIGINT)
        let r = try first.wait(timeout: 60)
        XCTAssertEqual(r.exitCode, 130, "\(r)")
        XCTAssertFalse(r.stderr.contains("charnn: error"), "\(r)")
        XCTAssertEqual(dir.listing().filter { $0.hasSuffix(".lock") }, [], "the run removes its lock files")
        // A log that is a stream is not locked (no lock file beside /dev/stdout).
        XCTAssertEqual(try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "2", "--output", "s.ckpt",
                                                                    "--metrics", "/dev/stdout"]).exitCode, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/dev/.stdout.lock"))
        // Now the checkpoint is free: resuming it continues it in place.
        let resumed = try run(["train", "corpus.txt", "--resume", "race.ckpt", "--iterations", "100000", "--time", "1s"])
        XCTAssertEqual(resumed.exitCode, 0, "\(resumed)")
        XCTAssertTrue(resumed.stderrLines.last?.hasSuffix("checkpoint race.ckpt") ?? false, "\(resumed)")
    }

    func testDefaultOutputNeverReplacesAnEarlierRunsCheckpoint() throws {
        let first = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "2"])
        XCTAssertEqual(first.exitCode, 0, "\(first)")
        let kept = try dir.bytes(of: "checkpoints/corpus.ckpt"), keptBest = try dir.bytes(of: "checkpoints/corpus.best.ckpt")
        let second = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "3", "--seed", "9"])
        XCTAssertEqual(second.exitCode, 0, "\(second)")
        XCTAssertEqual(second.stderrLines.first, "charnn: note: checkpoints/corpus.ckpt belongs to an earlier run; "
                       + "this run writes checkpoints/corpus-2.ckpt")
        XCTAssertTrue(second.stderrLines.last?.hasSuffix("checkpoint checkpoints/corpus-2.ckpt") ?? false, "\(second)")
        XCTAssertEqual(try dir.bytes(of: "checkpoints/corpus.ckpt"), kept)
        XCTAssertEqual(try dir.bytes(of: "checkpoints/corpus.best.ckpt"), keptBest)
        XCTAssertEqual(dir.listing(), ["checkpoints", "checkpoints/corpus-2.best.ckpt", "checkpoints/corpus-2.ckpt",
                                       "checkpoints/corpus-2.metrics.jsonl", "checkpoints/corpus.best.ckpt", "checkpoints/corpus.ckpt",
                                       "checkpoints/corpus.metrics.jsonl", "corpus.txt"])
    }

    func testForceReplacesAnotherRunsCheckpoint() throws {
        try trainTiny(output: "m.ckpt", iterations: 2)
        let before = try dir.bytes(of: "m.ckpt")
        let r = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "3", "--seed", "5", "--output", "m.ckpt", "--force"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertNotEqual(try dir.bytes(of: "m.ckpt"), before)
    }

    /// A metrics log belongs to the checkpoints that name it: after a.ckpt is renamed old.ckpt, a new
    /// run with --output a.ckpt leaves a.metrics.jsonl to old.ckpt and says where its own log goes;
    /// another run cannot append to it with --metrics; the run continuing old.ckpt can.
    func testALogAnotherCheckpointNamesIsNeverEmptiedOrAppendedTo() throws {
        try trainTiny(output: "a.ckpt", iterations: 3)
        for name in ["a.ckpt", "a.best.ckpt"] {
            try FileManager.default.moveItem(at: dir.file(name), to: dir.file("old" + name.dropFirst()))
        }
        let log = try dir.bytes(of: "a.metrics.jsonl")
        let r = try trainTiny(output: "a.ckpt", iterations: 5)
        XCTAssertEqual(r.stderrLines.first, "charnn: note: a.metrics.jsonl is the metrics log of old.best.ckpt; "
                       + "this run's log is a.metrics-2.jsonl")
        XCTAssertTrue(try dir.bytes(of: "a.metrics.jsonl") == log, "old.ckpt's log changed")
        let options = try CheckpointFile(contentsOf: dir.file("a.ckpt")).metadataJSON("charnn.training") as? [String: Any]
        XCTAssertEqual((options?["options"] as? [String: Any])?["metrics_log"] as? String, "a.metrics-2.jsonl")

        try expectRuntimeError(["train", "corpus.txt"] + tinyModel + ["--iterations", "2", "--output", "b.ckpt", "--metrics", "a.metrics.jsonl"],
                               mentions: ["a.metrics.jsonl is the metrics log of old.best.ckpt", "choose another --metrics"])
        XCTAssertEqual(try run(["train", "corpus.txt", "--resume", "old.ckpt", "--iterations", "4", "--metrics", "a.metrics.jsonl"]).exitCode, 0)
        XCTAssertTrue(try dir.bytes(of: "a.metrics.jsonl").starts(with: log))
        XCTAssertGreaterThan(try dir.bytes(of: "a.metrics.jsonl").count, log.count)
    }
}
