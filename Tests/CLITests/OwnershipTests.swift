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
        first.send(signal: SIGINT)
        let r = try first.wait(timeout: 60)
        XCTAssertEqual(r.exitCode, 130, "\(r)")
        XCTAssertFalse(r.stderr.contains("charnn: error"), "\(r)")
        XCTAssertEqual(dir.listing().filter { $0.hasSuffix(".lock") }, [], "the run removes its lock files")
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
}
