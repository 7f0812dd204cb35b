// Non-ASCII text end to end: two-, three- and four-byte UTF-8 characters through train, sample and eval.

import Foundation
import TestSupport
import XCTest

final class UnicodeTests: CLITestCase {
    func testNonASCIICorpus() throws {
        try corpus(Corpora.unicode, named: "unicode.txt")
        let vocabulary = characters(of: Corpora.unicode)
        let t = try trainTiny(corpus: "unicode.txt", output: "u.ckpt", iterations: 8)
        XCTAssertTrue(t.stderrLines.first?.contains("vocabulary \(vocabulary.count)") ?? false, "\(t)")
        let vocab = try CheckpointFile(contentsOf: dir.file("u.ckpt")).metadataJSON("charnn.vocab") as? [String]
        XCTAssertEqual(vocab, vocabulary.sorted { $0.value < $1.value }.map { String($0) })

        let s = try run(["sample", "u.ckpt", "--prime", "漢😀", "--length", "300"])
        XCTAssertEqual(s.exitCode, 0, "\(s)")
        let text = s.stdout
        XCTAssertTrue(text.hasPrefix("漢😀"))
        XCTAssertEqual(text.scalarCount, 2 + 300)
        XCTAssertTrue(characters(of: text).isSubset(of: vocabulary), "characters outside the corpus: \(text)")

        let e = try run(["eval", "u.ckpt", "unicode.txt", "--json"])
        XCTAssertEqual(e.exitCode, 0, "\(e)")
        let o = try jsonObject(e.stdout)
        XCTAssertEqual(int(o["chars"]), Corpora.unicode.scalarCount - 1, "chars counts characters, not bytes")
        XCTAssertTrue((double(o["loss"]) ?? -1) > 0)

        try expectRuntimeError(["sample", "u.ckpt", "--prime", "hé!"], mentions: ["'!'"])
    }
}
