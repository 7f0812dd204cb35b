// `charnn train`: progress output, checkpoint files and their safetensors layout, --metrics, seeds, output paths, signals.

import Foundation
import TestSupport
import XCTest

final class TrainTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
    }

    func testTrainWritesLatestAndBestCheckpointsAndReportsProgress() throws {
        try dir.makeDirectory("out")
        let r = try trainTiny(output: "out/m.ckpt", iterations: 10, ["--print-every", "2", "--eval-every", "5"])
        XCTAssertEqual(r.stdout, "", "train writes nothing to stdout")
        XCTAssertTrue(dir.exists("out/m.ckpt"))
        XCTAssertTrue(dir.exists("out/m.best.ckpt"))
        XCTAssertEqual(dir.listing(), ["corpus.txt", "out", "out/m.best.ckpt", "out/m.ckpt", "out/m.metrics.jsonl"], "no stray temporary files")

        let lines = r.stderrLines
        XCTAssertTrue(lines.first?.hasPrefix("charnn: LSTM 1×8, vocabulary 29") ?? false, "\(r)")
        let iterations = lines.filter { $0.hasPrefix("iter ") }
        for n in [2, 4, 6, 8, 10] {
            XCTAssertTrue(iterations.contains { $0.hasPrefix("iter \(n) ") && $0.contains(" train ") }, "no report for \(n): \(r)")
        }
        XCTAssertTrue(iterations.contains { $0.hasPrefix("iter 5 ") && $0.contains("val ") && $0.contains("bits/char") }, "\(r)")
        let done = try XCTUnwrap(lines.last)
        XCTAssertTrue(done.hasPrefix("done: 10 iterations"), "\(r)")
        XCTAssertTrue(done.hasSuffix("checkpoint out/m.ckpt"), "\(r)")
    }

    func testCheckpointIsSafetensorsWithThePyTorchLayout() throws {
        let V = characters(of: Corpora.english).count
        let H = 8
        for (cell, gates) in [("lstm", 4), ("gru", 3), ("rnn", 1)] {
            try trainTiny(output: "\(cell).ckpt", iterations: 3, ["--cell", cell])
            let f = try CheckpointFile(contentsOf: dir.file("\(cell).ckpt"))
            let expected: [String: [Int]] = [
                "rnn.weight_ih_l0": [gates * H, V], "rnn.weight_hh_l0": [gates * H, H],
                "rnn.bias_ih_l0": [gates * H], "rnn.bias_hh_l0": [gates * H],
                "decoder.weight": [V, H], "decoder.bias": [V],
            ]
            for (name, shape) in expected {
                let t = try XCTUnwrap(f.tensors[name], "\(cell): no tensor \(name)")
                XCTAssertEqual(t.shape, shape, "\(cell): \(name)")
                XCTAssertEqual(t.dtype, "F32", "\(cell): \(name)")
                XCTAssertEqual(t.end - t.begin, 4 * shape.reduce(1, *), "\(cell): \(name) byte range")
            }
            XCTAssertNil(f.tensors["rnn.weight_ih_l1"], "one layer only")
            // The data section is exactly the tensors, with nothing after them.
            XCTAssertEqual(f.tensors.values.map(\.end).max(), f.data.count, cell)
            XCTAssertEqual(f.metadata["charnn.format"], "1")
            let vocab = try XCTUnwrap(try f.metadataJSON("charnn.vocab") as? [String])
            XCTAssertEqual(vocab, characters(of: Corpora.english).sorted { $0.value < $1.value }.map { String($0) }, cell)
            let config = try XCTUnwrap(try f.metadataJSON("charnn.config") as? [String: Any])
            XCTAssertEqual(config["cell"] as? String, cell)
            XCTAssertEqual(int(config["hidden"]), H)
            XCTAssertEqual(int(config["layers"]), 1)
            XCTAssertEqual(int(config["vocab_size"]), V)
            // charnn's own checksum matches the data.
            XCTAssertEqual(f.metadata["charnn.checksum"], String(format: "crc32:%08x", crc32(f.data)), cell)
        }
    }

    func testMetricsFileHasOneJSONObjectPerLogLine() throws {
        try trainTiny(iterations: 10, ["--print-every", "2", "--eval-every", "5", "--metrics", "metrics.jsonl"])
        let text = try String(contentsOf: dir.file("metrics.jsonl"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()  // ends with a newline
        XCTAssertTrue(text.hasSuffix("\n"))
        XCTAssertGreaterThanOrEqual(lines.count, 6, text)
        var sawValidation = false, lastIteration = 0
        for line in lines {
            let o = try jsonObject(String(line))
            for key in ["iteration", "epoch", "train_loss", "elapsed_s", "chars_per_s"] {
                XCTAssertNotNil(double(o[key]), "'\(key)' missing or not a number in \(line)")
            }
            let iteration = try XCTUnwrap(int(o["iteration"]))
            XCTAssertGreaterThanOrEqual(iteration, lastIteration, "iterations go forward: \(text)")
            lastIteration = iteration
            if let v = double(o["val_loss"]) { sawValidation = true; XCTAssertTrue(v > 0 && v.isFinite) }
        }
        XCTAssertTrue(sawValidation, "no line with val_loss:\n\(text)")
        XCTAssertEqual(lastIteration, 10)
    }

    /// The metrics log may be a stream: standard output, here a pipe.
    func testMetricsToStandardOutput() throws {
        let r = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "4", "--print-every", "2", "--output", "m.ckpt",
                                                               "--metrics", "/dev/stdout"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        // Progress at 2 and 4, then the final validation.
        XCTAssertEqual(try r.stdoutLines.map { int(try jsonObject($0)["iteration"]) }, [2, 4, 4], "\(r)")
    }

    /// A validation that comes before the first progress report (--eval-every < --print-every) still
    /// gives a complete metrics line.
    func testMetricsLinesAreCompleteWhenValidationComesFirst() throws {
        try trainTiny(iterations: 6, ["--eval-every", "3", "--metrics", "metrics.jsonl"])  // print every 10
        let text = try String(contentsOf: dir.file("metrics.jsonl"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let o = try jsonObject(String(line))
            for key in ["iteration", "epoch", "train_loss", "elapsed_s", "chars_per_s"] {
                XCTAssertNotNil(double(o[key]), "'\(key)' missing in \(line)")
            }
        }
    }

    func testSameSeedGivesIdenticalTensorsAndAnotherSeedDoesNot() throws {
        for (name, seed) in [("a.ckpt", "7"), ("b.ckpt", "7"), ("c.ckpt", "8")] {
            try trainTiny(output: name, iterations: 6, ["--seed", seed])
        }
        let a = try CheckpointFile(contentsOf: dir.file("a.ckpt"))
        let b = try CheckpointFile(contentsOf: dir.file("b.ckpt"))
        let c = try CheckpointFile(contentsOf: dir.file("c.ckpt"))
        // The header holds wall-clock time; the tensors must agree byte for byte.
        XCTAssertEqual(a.tensors, b.tensors)
        XCTAssertTrue(a.data.elementsEqual(b.data), "same --seed, different tensors")
        XCTAssertFalse(a.data.elementsEqual(c.data), "--seed has no effect")
    }

    func testDefaultOutputIsCheckpointsSlashCorpusStem() throws {
        let r = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "2"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertTrue(dir.exists("checkpoints/corpus.ckpt"), "\(dir.listing())")
        XCTAssertTrue(dir.exists("checkpoints/corpus.best.ckpt"), "\(dir.listing())")
        XCTAssertTrue(r.stderrLines.last?.hasSuffix("checkpoint checkpoints/corpus.ckpt") ?? false, "\(r)")
    }

    /// Output names without an extension, including one-character ones, get `<name>.best.ckpt` beside them.
    func testOutputWithoutExtension() throws {
        for name in ["model", "m"] {
            let r = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "2", "--output", name])
            XCTAssertEqual(r.exitCode, 0, "--output \(name): \(r)")
            XCTAssertTrue(dir.exists(name), "--output \(name): \(dir.listing())")
            XCTAssertTrue(dir.exists("\(name).best.ckpt"), "--output \(name): \(dir.listing())")
        }
    }

    /// SIGINT and SIGTERM finish the step, write a resumable checkpoint and exit 130 / 143.
    func testSignalStopsTrainingWithACheckpoint() throws {
        for (signal, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            let output = "sig\(signal).ckpt"
            let running = try charnn.start(["train", "corpus.txt"] + tinyModel
                                           + ["--time", "60s", "--print-every", "1", "--output", output], in: dir.url)
            XCTAssertTrue(running.waitForStderr(containing: "iter 1 ", timeout: 60), running.stderrSoFar)
            running.send(signal: signal)
            let r = try running.wait(timeout: 60)
            XCTAssertEqual(r.exitCode, code, "\(r)")
            let last = try XCTUnwrap(r.stderrLines.last)
            XCTAssertTrue(last.hasPrefix("interrupted at iteration "), "\(r)")
            let f = try CheckpointFile(contentsOf: dir.file(output))
            let training = try XCTUnwrap(try f.metadataJSON("charnn.training") as? [String: Any])
            let progress = try XCTUnwrap(training["progress"] as? [String: Any])
            let iteration = try XCTUnwrap(int(progress["iteration"]))
            XCTAssertGreaterThanOrEqual(iteration, 1)
            XCTAssertTrue(last.hasPrefix("interrupted at iteration \(iteration),") || last.hasPrefix("interrupted at iteration \(iteration);"),
                          "message and checkpoint disagree: \(last) vs \(iteration)")
        }
    }

    /// A pipe can be read only once; a text on standard input still trains (read whole, not twice).
    func testCorpusFromAPipe() throws {
        let r = try run(["train", "/dev/stdin"] + tinyModel + ["--iterations", "2", "--output", "pipe.ckpt"], stdin: Corpora.english)
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertTrue(r.stderrLines.first?.contains("vocabulary 29") ?? false, "\(r)")
        let e = try run(["eval", "pipe.ckpt", "/dev/stdin", "--json"], stdin: Corpora.english)
        XCTAssertEqual(int(try jsonObject(e.stdout)["chars"]), Corpora.english.scalarCount - 1, "\(e)")
    }
}
