// `charnn train --resume`: continuing a run exactly, and refusing a changed architecture or vocabulary.

import Foundation
import TestSupport
import XCTest

final class ResumeTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
        try trainTiny(output: "A.ckpt", iterations: 6)
    }

    func iteration(of name: String) throws -> Int? {
        let f = try CheckpointFile(contentsOf: dir.file(name))
        let training = try f.metadataJSON("charnn.training") as? [String: Any]
        return int((training?["progress"] as? [String: Any])?["iteration"])
    }

    func testResumeContinuesToTheTotalIterationCount() throws {
        XCTAssertEqual(try iteration(of: "A.ckpt"), 6)
        let r = try run(["train", "corpus.txt", "--resume", "A.ckpt", "--iterations", "10", "--output", "B.ckpt"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertTrue(r.stderrLines.first?.contains("resuming at iteration 6") ?? false, "\(r)")
        XCTAssertTrue(r.stderrLines.last?.hasPrefix("done: 10 iterations") ?? false, "\(r)")
        XCTAssertEqual(try iteration(of: "B.ckpt"), 10)
        XCTAssertTrue(dir.exists("B.best.ckpt"))
        // The architecture came from A although the command line did not give it.
        let config = try CheckpointFile(contentsOf: dir.file("B.ckpt")).metadataJSON("charnn.config") as? [String: Any]
        XCTAssertEqual(int(config?["hidden"]), 8)
    }

    /// 6 iterations, then 4 more from the checkpoint, end where 10 straight iterations do.
    func testResumeIsExact() throws {
        XCTAssertEqual(try run(["train", "corpus.txt", "--resume", "A.ckpt", "--iterations", "10", "--output", "B.ckpt"]).exitCode, 0)
        try trainTiny(output: "straight.ckpt", iterations: 10)
        let resumed = try CheckpointFile(contentsOf: dir.file("B.ckpt"))
        let straight = try CheckpointFile(contentsOf: dir.file("straight.ckpt"))
        XCTAssertEqual(resumed.tensors, straight.tensors)
        XCTAssertTrue(resumed.data.elementsEqual(straight.data), "resumed training diverged from an uninterrupted run")
    }

    func testResumeWithADifferentArchitectureIsAUsageError() throws {
        try expectUsageError(["train", "corpus.txt", "--resume", "A.ckpt", "--hidden", "16", "--iterations", "10", "--output", "B.ckpt"],
                             mentions: ["--hidden 16", "8"], usage: "usage: charnn train CORPUS [options]")
        try expectUsageError(["train", "corpus.txt", "--resume", "A.ckpt", "--cell", "gru", "--iterations", "10", "--output", "B.ckpt"],
                             mentions: ["--cell gru", "lstm"], usage: "usage: charnn train CORPUS [options]")
        // Repeating the checkpoint's own values is fine.
        let r = try run(["train", "corpus.txt", "--resume", "A.ckpt", "--hidden", "8", "--layers", "1", "--cell", "lstm",
                         "--iterations", "7", "--output", "C.ckpt"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
    }

    /// Weight drop is recorded only where it is on (a file without it is as before), trains another
    /// path, changes nothing at inference, and a resumed run cannot change it.
    func testWeightDropIsRecordedKeptAndTrainingOnly() throws {
        let plain = try CheckpointFile(contentsOf: dir.file("A.ckpt"))
        XCTAssertNil((try plain.metadataJSON("charnn.config") as? [String: Any])?["weight_drop"])
        try trainTiny(output: "W.ckpt", iterations: 6, ["--weight-drop", "0.3"])
        let dropped = try CheckpointFile(contentsOf: dir.file("W.ckpt"))
        let config = try XCTUnwrap(try dropped.metadataJSON("charnn.config") as? [String: Any])
        XCTAssertEqual((config["weight_drop"] as? NSNumber)?.doubleValue ?? 0, 0.3, accuracy: 1e-6)
        XCTAssertEqual(dropped.tensors, plain.tensors, "the same tensor names, shapes and places, for PyTorch")
        XCTAssertNotEqual(try dropped.values("rnn.weight_hh_l0"), try plain.values("rnn.weight_hh_l0"), "another training path")
        XCTAssertEqual(try dropped.values("rnn.weight_hh_l0").count, 4 * 8 * 8)
        try expectUsageError(["train", "corpus.txt", "--resume", "W.ckpt", "--weight-drop", "0.1", "--iterations", "8", "--output", "B.ckpt"],
                             mentions: ["--weight-drop 0.1", "0.3", "W.ckpt"], usage: "usage: charnn train CORPUS [options]")
        let resumed = try run(["train", "corpus.txt", "--resume", "W.ckpt", "--iterations", "8", "--output", "C.ckpt"])
        XCTAssertEqual(resumed.exitCode, 0, "\(resumed)")
        let kept = try XCTUnwrap(try CheckpointFile(contentsOf: dir.file("C.ckpt")).metadataJSON("charnn.config") as? [String: Any])
        XCTAssertEqual((kept["weight_drop"] as? NSNumber)?.doubleValue ?? 0, 0.3, accuracy: 1e-6, "a resumed run keeps it")
    }

    func testResumeOnTextWithANewCharacterFails() throws {
        try corpus(Corpora.english + "Quite new.\n", named: "more.txt")
        try expectRuntimeError(["train", "more.txt", "--resume", "A.ckpt", "--iterations", "10", "--output", "B.ckpt"],
                               mentions: ["more.txt", "'Q'", "A.ckpt"])
    }
}
