// Bad data and files: exit 1 with exactly one `charnn: error:` line (no trap, no backtrace), nothing written.

import Foundation
import TestSupport
import XCTest

final class RuntimeErrorTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
        try trainTiny(iterations: 4)
        try dir.makeDirectory("adir")
        try dir.write("", to: "empty.txt")
        try dir.write("a", to: "one.txt")
        try dir.write(bytes: [0x61, 0x62, 0xFF, 0x63], to: "latin1.txt")
        try dir.write("this is not a checkpoint\n", to: "garbage.ckpt")
        try dir.write("hello Q", to: "unknown-char.txt")
        let real = try dir.bytes(of: "model.ckpt")
        try dir.write(bytes: Array(real.prefix(real.count / 2)), to: "truncated.ckpt")
        var flipped = real
        flipped[real.count - 5] ^= 0x01  // inside the last tensor's data
        try dir.write(bytes: flipped, to: "flipped.ckpt")
    }

    func testBadCorpus() throws {
        let cases: [(corpus: String, mentions: [String])] = [
            ("missing.txt", ["missing.txt"]),
            ("adir", ["adir", "directory"]),
            ("empty.txt", ["empty"]),
            ("one.txt", ["characters"]),
            ("latin1.txt", ["byte offset 2"]),
        ]
        for c in cases {
            try expectRuntimeError(["train", c.corpus] + tinyModel + ["--iterations", "2", "--output", "out.ckpt"],
                                   mentions: c.mentions)
        }
    }

    func testBadCheckpoint() throws {
        let cases: [(checkpoint: String, mentions: [String])] = [
            ("missing.ckpt", ["missing.ckpt"]),
            ("adir", ["adir"]),
            ("garbage.ckpt", ["checkpoint"]),
            ("truncated.ckpt", ["truncated"]),
            ("flipped.ckpt", ["checksum"]),
        ]
        for c in cases {
            try expectRuntimeError(["sample", c.checkpoint, "--length", "5"], mentions: c.mentions)
            try expectRuntimeError(["eval", c.checkpoint, "corpus.txt"], mentions: c.mentions)
            try expectRuntimeError(["train", "corpus.txt", "--resume", c.checkpoint, "--iterations", "6", "--output", "out.ckpt"],
                                   mentions: c.mentions)
        }
    }

    func testTextOutsideTheVocabulary() throws {
        try expectRuntimeError(["sample", "model.ckpt", "--prime", "the Zoo", "--length", "5"], mentions: ["--prime", "'Z'"])
        try expectRuntimeError(["eval", "model.ckpt", "unknown-char.txt"], mentions: ["unknown-char.txt", "'Q'"])
    }

    func testBadEvalText() throws {
        try expectRuntimeError(["eval", "model.ckpt", "missing.txt"], mentions: ["missing.txt"])
        try expectRuntimeError(["eval", "model.ckpt", "adir"], mentions: ["adir"])
        try expectRuntimeError(["eval", "model.ckpt", "latin1.txt"], mentions: ["byte offset 2"])
        try expectRuntimeError(["eval", "model.ckpt", "empty.txt"], mentions: ["2 characters"])
        try expectRuntimeError(["eval", "model.ckpt", "one.txt"], mentions: ["2 characters"])
    }

    /// Where the checkpoint or metrics cannot be written, training does not start.
    func testUnwritableOutputsFailBeforeTraining() throws {
        try dir.write("x", to: "afile")
        let cases: [(options: [String], mentions: [String])] = [
            (["--output", "nodir/m.ckpt"], ["nodir"]),
            (["--output", "adir"], ["adir", "directory"]),
            (["--output", "afile/m.ckpt"], ["afile"]),
            (["--output", "m.ckpt", "--metrics", "nodir/metrics.jsonl"], ["nodir/metrics.jsonl"]),
        ]
        for c in cases {
            try expectRuntimeError(["train", "corpus.txt"] + tinyModel + ["--iterations", "3"] + c.options, mentions: c.mentions)
        }
    }

    /// A model or batch larger than the machine's memory is refused before anything is allocated.
    func testModelTooLargeForMemoryIsRefused() throws {
        try expectRuntimeError(["train", "corpus.txt", "--hidden", "16384", "--layers", "64", "--iterations", "1"],
                               mentions: ["64×16384", "GiB", "--hidden"])
    }

    /// An empty --output can never be written: that must be found before training, not after it.
    func testEmptyOutputPathFailsBeforeTraining() throws {
        let before = dir.listing()
        let r = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "3", "--output", ""])
        XCTAssertFalse(r.stderr.contains("iter "), "training ran before the output path was rejected:\n\(r)")
        XCTAssertTrue([1, 64].contains(r.exitCode), "\(r)")
        XCTAssertTrue(r.stderrLines.first?.hasPrefix("charnn: error: ") ?? false, "the error should come first: \(r)")
        XCTAssertEqual(dir.listing(), before, "nothing may be written")
    }

    /// A text shorter than one default batch (50 × 50) trains with smaller batches and says so.
    func testCorpusShorterThanOneBatchTrainsWithAWarning() throws {
        let text = "the cat sat on the mat and the dog ran.\n"
        XCTAssertEqual(text.scalarCount, 40)
        try corpus(text, named: "tiny.txt")
        let r = try run(["train", "tiny.txt", "--hidden", "8", "--layers", "1", "--iterations", "3", "--output", "tiny.ckpt"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertFalse(r.stderr.contains("Fatal error"), "\(r)")
        let warning = try XCTUnwrap(r.stderrLines.first { $0.hasPrefix("charnn: warning: ") }, "no warning: \(r)")
        // 40 characters, 5 % held out: 38 to train on; one batch of B streams × T steps needs B·T + 1.
        let pattern = try NSRegularExpression(pattern: #"--batch-size (\d+) --seq-length (\d+)"#)
        let match = try XCTUnwrap(pattern.firstMatch(in: warning, range: NSRange(warning.startIndex..., in: warning)),
                                  "the warning should give the adapted sizes: \(warning)")
        let b = Int((warning as NSString).substring(with: match.range(at: 1)))!
        let t = Int((warning as NSString).substring(with: match.range(at: 2)))!
        XCTAssertTrue(b >= 1 && t >= 1 && b * t + 1 <= 38 && b <= 50 && t <= 50, "adapted sizes \(b)×\(t) do not fit")
        XCTAssertTrue(r.stderrLines.last?.hasPrefix("done: 3 iterations") ?? false, "\(r)")
        XCTAssertTrue(dir.exists("tiny.ckpt"))
        XCTAssertEqual(try run(["sample", "tiny.ckpt", "--length", "10"]).exitCode, 0)
    }
}
