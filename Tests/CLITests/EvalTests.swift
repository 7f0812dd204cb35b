// `charnn eval`: the text and --json reports, and how loss, bits/char, perplexity and the count relate.

import Foundation
import TestSupport
import XCTest

final class EvalTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
        try trainTiny(iterations: 10)
    }

    func evalJSON(_ checkpoint: String = "model.ckpt", _ text: String = "corpus.txt",
                  file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let r = try run(["eval", checkpoint, text, "--json"])
        XCTAssertEqual(r.exitCode, 0, "\(r)", file: file, line: line)
        XCTAssertEqual(r.stderr, "", file: file, line: line)
        XCTAssertEqual(r.stdoutLines.count, 1, "exactly one line: \(r)", file: file, line: line)
        return try jsonObject(r.stdout, file: file, line: line)
    }

    func testTextReport() throws {
        let r = try run(["eval", "model.ckpt", "corpus.txt"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(r.stderr, "")
        let lines = r.stdoutLines
        XCTAssertEqual(lines.count, 4, "\(r)")
        for (line, prefix) in zip(lines, ["loss", "bpc", "perplexity", "chars"]) {
            XCTAssertTrue(line.hasPrefix(prefix + " "), "expected '\(prefix)': \(line)")
        }
        let numbers = lines.map { $0.split(separator: " ").dropFirst().first.flatMap { Double($0) } }
        XCTAssertEqual(numbers[3], Double(Corpora.english.scalarCount - 1))
        // The text report agrees with the JSON one.
        let json = try evalJSON()
        XCTAssertEqual(try XCTUnwrap(numbers[0]), try XCTUnwrap(double(json["loss"])), accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(numbers[1]), try XCTUnwrap(double(json["bpc"])), accuracy: 1e-6)
    }

    func testJSONReportIsConsistent() throws {
        let o = try evalJSON()
        XCTAssertEqual(Set(o.keys), ["loss", "bpc", "perplexity", "chars"])
        let loss = try XCTUnwrap(double(o["loss"])), bpc = try XCTUnwrap(double(o["bpc"]))
        let perplexity = try XCTUnwrap(double(o["perplexity"]))
        XCTAssertEqual(int(o["chars"]), Corpora.english.scalarCount - 1)
        XCTAssertTrue(loss > 0 && loss < 10, "an untrained-ish model on 29 characters: \(loss)")
        XCTAssertEqual(bpc, loss / log(2.0), accuracy: 1e-9 * bpc)
        XCTAssertEqual(perplexity, exp(loss), accuracy: 1e-9 * perplexity)
    }

    func testEvalOnAnotherTextWithTheSameCharacters() throws {
        try corpus("sea shells.\n", named: "short.txt")
        let o = try evalJSON("model.ckpt", "short.txt")
        XCTAssertEqual(int(o["chars"]), 11)
        // The same model and text always score the same.
        let again = try evalJSON("model.ckpt", "short.txt")
        XCTAssertEqual(double(o["loss"]), double(again["loss"]))
    }

    /// A model sure of the wrong character has a perplexity beyond Double: --json must still be valid JSON.
    func testJSONStaysValidWhenPerplexityOverflows() throws {
        let f = try CheckpointFile(contentsOf: dir.file("model.ckpt"))
        let vocab = try XCTUnwrap(try f.metadataJSON("charnn.vocab") as? [String])
        var bias = [Float](repeating: 0, count: vocab.count)
        bias[try XCTUnwrap(vocab.firstIndex(of: "z"))] = 10_000  // always predicts 'z', by e^10000 to one
        try dir.write(bytes: try f.replacing("decoder.bias", with: bias), to: "sure.ckpt")
        let r = try run(["eval", "sure.ckpt", "corpus.txt", "--json"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        guard let o = try? jsonObject(r.stdout) else {
            return XCTFail("--json printed invalid JSON: \(r.stdout)")
        }
        XCTAssertGreaterThan(try XCTUnwrap(double(o["loss"])), 1000)
        XCTAssertEqual(int(o["chars"]), Corpora.english.scalarCount - 1)
        XCTAssertTrue(o["perplexity"] is NSNull || (double(o["perplexity"]) ?? 0) > 1e300, "perplexity: \(r.stdout)")
    }
}
