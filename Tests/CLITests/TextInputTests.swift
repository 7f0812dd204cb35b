// Clean text in, end to end: CRLF, CR and BOM corpora train the characters of their LF text; eval,
// inspect-cells and --prime read as the checkpoint was trained; --keep-line-endings keeps every
// byte; a checkpoint without the record scores byte for byte as before; "-" is standard input.

import Foundation
import TestSupport
import XCTest

final class TextInputTests: CLITestCase {
    static let lf = Corpora.english
    static let crlf = lf.replacingOccurrences(of: "\n", with: "\r\n")
    static let cr = lf.replacingOccurrences(of: "\n", with: "\r")
    static let bom = "\u{FEFF}" + crlf

    func vocabulary(_ name: String) throws -> [String] {
        try XCTUnwrap(try CheckpointFile(contentsOf: dir.file(name)).metadataJSON("charnn.vocab") as? [String])
    }

    func evalJSON(_ checkpoint: String, _ text: String, stdin: String? = nil) throws -> String {
        let r = try run(["eval", checkpoint, text, "--json"], stdin: stdin)
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        return r.stdout
    }

    func testWindowsAndOldMacTextsTrainOnTheirLFCharacters() throws {
        for (name, text) in [("crlf.txt", Self.crlf), ("cr.txt", Self.cr), ("bom.txt", Self.bom), ("lf.txt", Self.lf)] {
            try corpus(text, named: name)
        }
        try trainTiny(corpus: "lf.txt", output: "lf.ckpt", iterations: 4)
        for name in ["crlf", "cr", "bom"] {
            try trainTiny(corpus: "\(name).txt", output: "\(name).ckpt", iterations: 4)
            XCTAssertEqual(try vocabulary("\(name).ckpt"), try vocabulary("lf.ckpt"), name)
            let f = try CheckpointFile(contentsOf: dir.file("\(name).ckpt"))
            XCTAssertEqual(f.metadata["charnn.text"], #"{"bom":"dropped","line_endings":"lf"}"#)
            XCTAssertEqual(f.data, try CheckpointFile(contentsOf: dir.file("lf.ckpt")).data, "\(name): the same training text")
            // Every spelling of the text scores the same.
            XCTAssertEqual(try evalJSON("lf.ckpt", "\(name).txt"), try evalJSON("lf.ckpt", "lf.txt"), name)
        }
        let inspected = try run(["inspect-cells", "lf.ckpt", "bom.txt", "--max-chars", "100"])
        XCTAssertEqual(inspected.stdout, try run(["inspect-cells", "lf.ckpt", "lf.txt", "--max-chars", "100"]).stdout)
        let primed = try run(["sample", "lf.ckpt", "--prime", "\u{FEFF}the sea\r\nshe\r", "--length", "5"])
        XCTAssertEqual(primed.exitCode, 0, "\(primed)")
        XCTAssertTrue(primed.stdout.hasPrefix("the sea\nshe\n"), "\(primed)")
    }

    /// --keep-line-endings trains on every byte; a copy without the charnn.text record (as every
    /// checkpoint before the record was) reads texts byte for byte too, and scores exactly the same.
    func testKeptLineEndingsAndCheckpointsWithoutTheRecord() throws {
        try corpus(Self.bom, named: "bom.txt")
        try trainTiny(corpus: "bom.txt", output: "kept.ckpt", iterations: 4, ["--keep-line-endings"])
        let vocab = try vocabulary("kept.ckpt")
        XCTAssertEqual(vocab.count, 31, "the 29 of the text, CR and the BOM: \(vocab)")
        let f = try CheckpointFile(contentsOf: dir.file("kept.ckpt"))
        XCTAssertEqual(f.metadata["charnn.text"], #"{"bom":"kept","line_endings":"kept"}"#)
        let record = #""charnn.text":"{\"bom\":\"kept\",\"line_endings\":\"kept\"}","#
        try dir.write(bytes: try f.editingHeader { $0.replacingOccurrences(of: record, with: "") }, to: "old.ckpt")
        XCTAssertNil(try CheckpointFile(contentsOf: dir.file("old.ckpt")).metadata["charnn.text"])
        let scored = try evalJSON("old.ckpt", "bom.txt")
        XCTAssertEqual(scored, try evalJSON("kept.ckpt", "bom.txt"))
        XCTAssertEqual(int(try jsonObject(scored)["chars"]), Self.bom.unicodeScalars.count - 1, "every character counted")
        // An old LF-only model meets the CR of a CRLF text, as it always did.
        try corpus(Self.lf, named: "lf.txt")
        try trainTiny(corpus: "lf.txt", output: "lf.ckpt", iterations: 2)
        let lf = try CheckpointFile(contentsOf: dir.file("lf.ckpt"))
        let lfRecord = #""charnn.text":"{\"bom\":\"dropped\",\"line_endings\":\"lf\"}","#
        try dir.write(bytes: try lf.editingHeader { $0.replacingOccurrences(of: lfRecord, with: "") }, to: "old-lf.ckpt")
        try corpus(Self.crlf, named: "crlf.txt")
        try expectRuntimeError(["eval", "old-lf.ckpt", "crlf.txt"], mentions: ["crlf.txt", "'\\r'", "--skip-unknown"])
    }

    func testDashIsStandardInput() throws {
        let t = try run(["train", "-"] + tinyModel + ["--iterations", "2"], stdin: Self.crlf)
        XCTAssertEqual(t.exitCode, 0, "\(t)")
        XCTAssertTrue(dir.exists("checkpoints/stdin.ckpt"), "\(dir.listing())")
        XCTAssertEqual(try vocabulary("checkpoints/stdin.ckpt").count, 29)
        try corpus(Self.lf, named: "lf.txt")
        XCTAssertEqual(try evalJSON("checkpoints/stdin.ckpt", "-", stdin: Self.crlf), try evalJSON("checkpoints/stdin.ckpt", "lf.txt"))
        let i = try run(["inspect-cells", "checkpoints/stdin.ckpt", "-", "--max-chars", "20"], stdin: Self.lf)
        XCTAssertEqual(i.exitCode, 0, "\(i)")
        XCTAssertEqual(i.stdoutLines.count, 21)
        let short = try run(["eval", "checkpoints/stdin.ckpt", "-"], stdin: "a")
        checkOneErrorLine(short, exitCode: 1, mentions: ["standard input", "2 characters"], context: "\(short)")
        let device = try run(["eval", "checkpoints/stdin.ckpt", "-"])  // the test runner's stdin is /dev/null
        checkOneErrorLine(device, exitCode: 1, mentions: ["standard input", "is a device"], context: "\(device)")
    }

    func testEvalSkipUnknown() throws {
        try corpus()
        try trainTiny(corpus: "corpus.txt", output: "m.ckpt", iterations: 2)
        try corpus("the Sea\n", named: "upper.txt")
        let r = try run(["eval", "m.ckpt", "upper.txt", "--json", "--skip-unknown"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(r.stderrLines, ["charnn: warning: skipped 1 character of upper.txt outside the model's vocabulary"])
        XCTAssertEqual(int(try jsonObject(r.stdout)["chars"]), 6)
    }

    /// Ctrl-C ends a sample with its newline, so the shell's prompt starts a line of its own.
    func testInterruptedSampleEndsWithANewline() throws {
        try corpus()
        try trainTiny(corpus: "corpus.txt", output: "m.ckpt", iterations: 2)
        let s = try charnn.start(["sample", "m.ckpt", "--length", "1000000000"], in: dir.url)
        let deadline = Date().addingTimeInterval(60)
        while s.stdoutSoFar.isEmpty && Date() < deadline { usleep(10_000) }
        s.send(signal: SIGINT)
        let r = try s.wait(timeout: 60)
        XCTAssertEqual(r.exitCode, 130, "\(r)")
        XCTAssertTrue(r.stdout.count > 1 && r.stdout.hasSuffix("\n"), "\(r)")
    }
}
