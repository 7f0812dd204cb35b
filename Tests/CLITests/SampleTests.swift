// `charnn sample`: length, character set, priming, and determinism of seeds, --argmax and --top-k.

import Foundation
import TestSupport
import XCTest

final class SampleTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
        try trainTiny(iterations: 10)
    }

    /// The sample's stdout: the text exactly as generated (a pipe gets no newline of charnn's own);
    /// fails unless the command succeeded.
    func sample(_ options: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try run(["sample", "model.ckpt"] + options)
        XCTAssertEqual(r.exitCode, 0, "\(r)", file: file, line: line)
        XCTAssertEqual(r.stderr, "", file: file, line: line)
        return r.stdout
    }

    func testLengthAndCharacterSet() throws {
        let vocabulary = characters(of: Corpora.english)
        for length in [1, 37, 500] {
            let text = try sample(["--length", String(length)])
            XCTAssertEqual(text.scalarCount, length)
            XCTAssertTrue(characters(of: text).isSubset(of: vocabulary), "characters outside the corpus: \(text)")
        }
        XCTAssertEqual(try sample([]).scalarCount, 2000, "default length")
    }

    func testPrimeIsPrintedFirstAndNotCounted() throws {
        let text = try sample(["--prime", "the ", "--length", "20"])
        XCTAssertTrue(text.hasPrefix("the "), text)
        XCTAssertEqual(text.scalarCount, 4 + 20)
    }

    func testSeeds() throws {
        let a = try sample(["--seed", "1", "--length", "200"])
        XCTAssertEqual(try sample(["--seed", "1", "--length", "200"]), a, "same seed, different text")
        XCTAssertNotEqual(try sample(["--seed", "2", "--length", "200"]), a, "different seeds, same text")
        XCTAssertEqual(try sample(["--length", "200"]), try sample(["--length", "200", "--seed", "123"]), "default seed is 123")
    }

    func testArgmaxAndTopK() throws {
        let argmax = try sample(["--argmax", "--length", "100"])
        XCTAssertEqual(try sample(["--argmax", "--length", "100", "--seed", "9"]), argmax, "--argmax depends on the seed")
        XCTAssertEqual(try sample(["--top-k", "1", "--length", "100", "--seed", "5"]), argmax, "--top-k 1 is not --argmax")
        // k at least the vocabulary size is no restriction at all.
        XCTAssertEqual(try sample(["--top-k", "1000", "--length", "100"]), try sample(["--length", "100"]))
        // A low temperature is still a valid sample from the corpus's characters.
        let cold = try sample(["--temperature", "0.01", "--length", "100"])
        XCTAssertTrue(characters(of: cold).isSubset(of: characters(of: Corpora.english)))
    }
}
