// `charnn bench`: a tiny run's JSON and table are complete and self-consistent (no timing
// assertions: speed is measured by running the benchmark, not by tests), and its errors.

import Foundation
import TestSupport
import XCTest

final class BenchTests: CLITestCase {
    /// Options that keep each configuration of a debug-build bench to well under a second.
    let tinyBench = ["--layers", "1", "--batch-size", "4", "--seq-length", "8", "--warmup", "1", "--iterations", "3",
                     "--sample-length", "50", "--threads", "1"]

    func testTinyBenchPrintsConsistentJSONForEveryConfiguration() throws {
        let r = try run(["bench", "--json", "--models", "lstm,rnn", "--hidden", "8,12"] + tinyBench)
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(r.stderr, "")
        XCTAssertEqual(r.stdoutLines.count, 1, "one JSON object: \(r)")
        let report = try jsonObject(r.stdout)
        // No corpus in the working directory: the generated text, and the report says so.
        XCTAssertTrue((report["corpus"] as? String ?? "").contains("generated"), "\(report)")
        XCTAssertGreaterThanOrEqual(int(report["corpus_chars"]) ?? 0, 1000)
        XCTAssertEqual(int(report["threads"]), 1)
        let results = try XCTUnwrap(report["results"] as? [[String: Any]])
        XCTAssertEqual(results.count, 4)
        let expected: [(String, Int, Double)] = [("lstm", 8, 4), ("lstm", 12, 4), ("rnn", 8, 1), ("rnn", 12, 1)]
        var rssSeen: Set<Int> = []
        for (o, (cell, H, G)) in zip(results, expected) {
            let setup = try XCTUnwrap(o["setup"] as? [String: Any])
            XCTAssertEqual(setup["cell"] as? String, cell)
            XCTAssertEqual(int(setup["hidden"]), H)
            XCTAssertEqual(int(setup["layers"]), 1)
            XCTAssertEqual(int(setup["batch"]), 4)
            XCTAssertEqual(int(setup["seq"]), 8)
            XCTAssertEqual(int(setup["iterations"]), 3)
            let V = Double(try XCTUnwrap(int(o["vocab"])))
            XCTAssertGreaterThan(V, 20, "the generated text has a realistic alphabet")
            // A 1-layer model: G·H·(V + H + 2) weights and biases plus the decoder's V·(H + 1).
            XCTAssertEqual(int(o["params"]), Int(G * Double(H) * (V + Double(H) + 2) + V * (Double(H) + 1)))
            let rate = try XCTUnwrap(double(o["train_chars_per_s"])), iter = try XCTUnwrap(double(o["median_iter_s"]))
            XCTAssertGreaterThan(rate, 0)
            XCTAssertEqual(rate * iter, 4 * 8, accuracy: 1e-6 * 32, "chars/s is B·T over the median iteration")
            // 1 layer: 2 FLOPs · 3 (forward + two backward products) · (G·H·H + V·H); PyTorch adds 4·G·H·V.
            let flops = try XCTUnwrap(double(o["flops_per_char"]))
            XCTAssertEqual(flops, 6 * (G * Double(H * H) + V * Double(H)), accuracy: 1e-9 * flops)
            XCTAssertEqual(try XCTUnwrap(double(o["pytorch_flops_per_char"])), flops + 4 * G * Double(H) * V, accuracy: 1e-9 * flops)
            let gflops = try XCTUnwrap(double(o["gflops"]))
            XCTAssertEqual(gflops, flops * rate / 1e9, accuracy: 1e-9 * gflops)
            XCTAssertGreaterThan(try XCTUnwrap(double(o["pytorch_equivalent_gflops"])), gflops)
            XCTAssertGreaterThan(try XCTUnwrap(double(o["sample_chars_per_s"])), 0)
            let rss = try XCTUnwrap(int(o["peak_rss_bytes"]))
            XCTAssertGreaterThan(rss, 1 << 20, "a Swift process holds more than 1 MiB")
            rssSeen.insert(rss)
        }
        XCTAssertGreaterThan(rssSeen.count, 1, "each configuration's memory is measured in its own process")
    }

    func testTableNamesTheCorpusAndHasARowPerConfiguration() throws {
        try corpus()
        let r = try run(["bench", "--corpus", "corpus.txt", "--models", "gru", "--hidden", "6,10"] + tinyBench)
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(r.stderr, "")
        let lines = r.stdoutLines
        XCTAssertEqual(lines.count, 5, "two lines of setup, a header and two rows: \(r)")
        XCTAssertTrue(lines[0].contains("corpus.txt (504 characters)"), lines[0])
        XCTAssertTrue(lines[1].contains("batch 4, seq 8"), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("model  hidden  train chars/s"), lines[2])
        for (line, hidden) in zip(lines[3...], ["6", "10"]) {
            let fields = line.split(separator: " ")
            XCTAssertEqual(fields.first, "gru", line)
            XCTAssertEqual(fields.dropFirst().first.map(String.init), hidden, line)
            XCTAssertTrue(line.hasSuffix("MiB"), line)
        }
    }

    func testBadListsAndCorporaAreRefused() throws {
        try corpus()
        try expectUsageError(["bench", "--models", "lstm,tree"], mentions: ["--models", "'tree'"], usage: "usage: charnn bench [options]")
        try expectUsageError(["bench", "--hidden", "128,0"], mentions: ["--hidden", "'0'"], usage: "usage: charnn bench [options]")
        try expectRuntimeError(["bench", "--corpus", "missing.txt"], mentions: ["missing.txt"])
        // 504 characters cannot fill one batch of 50 × 50.
        try expectRuntimeError(["bench", "--corpus", "corpus.txt"], mentions: ["corpus.txt", "504 characters", "at least 2634"])
    }
}
