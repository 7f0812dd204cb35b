// `charnn train --time` without --resume: the automatic choice (first line, checkpoint record,
// explicit options kept), resuming the same budget and schedule, the default metrics log, and
// the schedule options' usage errors.

import Foundation
import TestSupport
import XCTest

final class AutomaticTrainingTests: CLITestCase {
    /// The checkpoint's training options and progress, read as plain JSON.
    func training(_ name: String) throws -> (options: [String: Any], progress: [String: Any]) {
        let f = try CheckpointFile(contentsOf: dir.file(name))
        let t = try XCTUnwrap(try f.metadataJSON("charnn.training") as? [String: Any])
        return (try XCTUnwrap(t["options"] as? [String: Any]), try XCTUnwrap(t["progress"] as? [String: Any]))
    }

    func config(_ name: String) throws -> [String: Any] {
        try XCTUnwrap(try CheckpointFile(contentsOf: dir.file(name)).metadataJSON("charnn.config") as? [String: Any])
    }

    /// A 100-character corpus: the rule picks one of its smallest models, says so first, and the
    /// checkpoint records the reason, a cosine schedule over the budget and early stopping.
    func testTimeAloneChoosesAModelAndSaysWhy() throws {
        try corpus(String(Corpora.english.prefix(100)))
        let r = try run(["train", "corpus.txt", "--time", "3s", "--output", "auto.ckpt"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        let first = try XCTUnwrap(r.stderrLines.first)
        XCTAssertTrue(first.hasPrefix("charnn: chose LSTM 2×"), first)
        XCTAssertTrue(first.contains("on a 95-character corpus (measured "), first)   // 100 − 5 % for validation
        XCTAssertTrue(first.contains(" at 2×128 in fp32"), "measured in the precision the run trains in: \(first)")
        let c = try config("auto.ckpt")
        XCTAssertLessThanOrEqual(try XCTUnwrap(int(c["hidden"])), 32, first)
        // Thousands of passes over 95 characters: dropout and weight drop, in the reason and the checkpoint.
        XCTAssertTrue(first.contains(", weight drop 0.2, lr "), first)
        XCTAssertEqual((c["weight_drop"] as? NSNumber)?.doubleValue ?? 0, 0.2, accuracy: 1e-6)
        let (options, _) = try training("auto.ckpt")
        XCTAssertEqual(options["sizing"] as? String, String(first.dropFirst("charnn: ".count)))
        XCTAssertEqual(int(options["patience"]), 4)
        let schedule = try XCTUnwrap(options["lr_schedule"] as? [String: Any])
        XCTAssertEqual(schedule["kind"] as? String, "cosine")
        let budget = try XCTUnwrap((options["budget_seconds"] as? NSNumber)?.doubleValue)
        XCTAssertGreaterThan(budget, 0)
        XCTAssertLessThan(budget, 3)                                  // the measurement came out of the 3 s
        XCTAssertEqual((schedule["horizon_seconds"] as? NSNumber)?.doubleValue, budget)
        XCTAssertEqual(options["metrics_log"] as? String, "auto.metrics.jsonl")
        XCTAssertTrue(dir.exists("auto.metrics.jsonl"))
    }

    /// An output refused is refused before the speed is measured: one error line, no "chose" line.
    func testOutputsAreCheckedBeforeTheMeasurement() throws {
        try corpus()
        try expectRuntimeError(["train", "corpus.txt", "--time", "5s", "--output", "corpus.txt"],
                               mentions: ["--output corpus.txt", "same file as corpus.txt"])
    }

    func testExplicitOptionsWinInAutomaticMode() throws {
        try corpus()
        let r = try run(["train", "corpus.txt", "--time", "1s", "--cell", "gru", "--layers", "1", "--hidden", "8", "--dropout", "0",
                         "--weight-drop", "0.3", "--lr", "0.01", "--batch-size", "2", "--seq-length", "8", "--eval-every", "3", "--lr-schedule", "constant",
                         "--patience", "0", "--output", "given.ckpt"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertTrue(r.stderrLines.first?.hasPrefix("charnn: chose GRU 1×8 (given), dropout 0 (given), weight drop 0.3 (given), "
                                                      + "lr 0.01 (given), batch 2×8 (given): ")
                      ?? false, "\(r)")
        let c = try config("given.ckpt")
        XCTAssertEqual(c["cell"] as? String, "gru")
        XCTAssertEqual([int(c["layers"]), int(c["hidden"])], [1, 8])
        XCTAssertEqual((c["dropout"] as? NSNumber)?.doubleValue, 0)
        XCTAssertEqual((c["weight_drop"] as? NSNumber)?.doubleValue ?? 0, 0.3, accuracy: 1e-6)
        let (options, _) = try training("given.ckpt")
        XCTAssertEqual([int(options["batch_size"]), int(options["seq_length"]), int(options["eval_every"])], [2, 8, 3])
        XCTAssertEqual((options["lr"] as? NSNumber)?.floatValue, 0.01)
        XCTAssertEqual((options["lr_schedule"] as? [String: Any])?["kind"] as? String, "constant")
        XCTAssertNil(options["patience"])
    }

    /// Resuming an automatic run without limits continues towards the same total budget (spent
    /// already: no iteration more), keeps the schedule, and appends to the same log; `--time` on
    /// resume is this run's limit and the saved cosine stays at its floor past the horizon.
    /// (Without early stopping: a run it ended has budget left, and a resumed one goes on.)
    func testResumeContinuesTheBudgetScheduleAndLog() throws {
        try corpus()
        let args = tinyModel + ["--print-every", "1", "--output", "m.ckpt"]
        XCTAssertEqual(try run(["train", "corpus.txt", "--time", "1s", "--patience", "0"] + args).exitCode, 0)
        let before = try training("m.ckpt")
        let logLines = try String(contentsOf: dir.file("m.metrics.jsonl"), encoding: .utf8).split(separator: "\n").count
        let again = try run(["train", "corpus.txt", "--resume", "m.ckpt"] + args)
        XCTAssertEqual(again.exitCode, 0, "\(again)")
        let after = try training("m.ckpt")
        XCTAssertEqual(int(after.progress["iteration"]), int(before.progress["iteration"]))
        XCTAssertEqual(after.options["lr_schedule"] as? NSDictionary, before.options["lr_schedule"] as? NSDictionary)
        XCTAssertEqual(after.options["budget_seconds"] as? NSNumber, before.options["budget_seconds"] as? NSNumber)

        let more = try run(["train", "corpus.txt", "--resume", "m.ckpt", "--time", "1s"] + args)
        XCTAssertEqual(more.exitCode, 0, "\(more)")
        XCTAssertFalse(more.stderr.contains("chose"), "no automatic choice on resume: \(more)")
        let last = try training("m.ckpt")
        XCTAssertGreaterThan(try XCTUnwrap(int(last.progress["iteration"])), try XCTUnwrap(int(before.progress["iteration"])))
        let lines = try String(contentsOf: dir.file("m.metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThan(lines.count, logLines)
        let lastStep = try jsonObject(String(try XCTUnwrap(lines.last { !$0.contains("val_loss") })))
        let base = try XCTUnwrap((last.options["lr"] as? NSNumber)?.doubleValue)
        XCTAssertEqual(try XCTUnwrap((lastStep["lr"] as? NSNumber)?.doubleValue), 0.1 * base, accuracy: 1e-6 * base)
    }

    func testScheduleOptionsUsageErrors() throws {
        try corpus()
        let usage = "usage: charnn train CORPUS [options]"
        try expectUsageError(["train", "corpus.txt", "--lr-schedule", "cosine", "--lr-decay", "0.9"], mentions: ["--lr-decay", "cosine"],
                             usage: usage)
        try expectUsageError(["train", "corpus.txt", "--lr-schedule", "linear"], mentions: ["--lr-schedule", "constant, cosine, step"],
                             usage: usage)
        try expectUsageError(["train", "corpus.txt", "--patience", "-1"], mentions: ["--patience"], usage: usage)
    }

    /// A new run's default log starts empty; a file there that is not a metrics log is never
    /// emptied; a default checkpoint name whose log exists is another run's.
    func testDefaultMetricsLogIsPerRun() throws {
        try corpus()
        try trainTiny(output: "r.ckpt", iterations: 4, ["--print-every", "1"])
        XCTAssertEqual(try String(contentsOf: dir.file("r.metrics.jsonl"), encoding: .utf8).split(separator: "\n").count, 5)  // 4 steps + 1 validation
        try trainTiny(output: "r.ckpt", iterations: 3, ["--print-every", "1", "--force"])
        XCTAssertEqual(try String(contentsOf: dir.file("r.metrics.jsonl"), encoding: .utf8).split(separator: "\n").count, 4)
        try dir.write("my notes\n", to: "n.metrics.jsonl")
        try expectRuntimeError(["train", "corpus.txt"] + tinyModel + ["--iterations", "2", "--output", "n.ckpt"],
                               mentions: ["n.metrics.jsonl", "not a charnn metrics log"])
        XCTAssertEqual(try String(contentsOf: dir.file("n.metrics.jsonl"), encoding: .utf8), "my notes\n")
        try dir.makeDirectory("checkpoints")
        try dir.write("{\"iteration\":1}\n", to: "checkpoints/corpus.metrics.jsonl")
        let r = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "2"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertTrue(dir.exists("checkpoints/corpus-2.ckpt") && dir.exists("checkpoints/corpus-2.metrics.jsonl"), dir.listing().description)
        XCTAssertEqual(try String(contentsOf: dir.file("checkpoints/corpus.metrics.jsonl"), encoding: .utf8), "{\"iteration\":1}\n")
    }
}
