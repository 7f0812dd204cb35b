// `charnn inspect-cells` end to end: the dumps on stdout and in files, the reports, and the
// errors a user can cause (unknown characters, units out of range, bad option values).

import Foundation
import TestSupport
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif

final class InspectCellsTests: CLITestCase {
    let usage = "usage: charnn inspect-cells CHECKPOINT TEXTFILE [options]"
    let text = "sea shells.\n"  // 12 characters, all in the training corpus

    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
        try trainTiny(iterations: 10)  // LSTM, 1 layer, 8 units
        try corpus(text, named: "short.txt")
    }

    func inspect(_ extra: [String], environment: [String: String] = [:],
                 file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        let r = try run(["inspect-cells", "model.ckpt", "short.txt"] + extra, environment: environment)
        XCTAssertEqual(r.exitCode, 0, "\(r)", file: file, line: line)
        return r
    }

    func testTSVOnStdoutHasOneRowPerCharacterAndOneColumnPerUnit() throws {
        let r = try inspect([])
        XCTAssertEqual(r.stderr, "")
        let lines = r.stdoutLines
        XCTAssertEqual(lines.count, 1 + text.scalarCount)
        XCTAssertEqual(lines[0].split(separator: "\t").map(String.init), ["pos", "char"] + (0..<8).map { "l0.h.\($0)" })
        for (t, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            XCTAssertEqual(fields.count, 10)
            XCTAssertEqual(Int(fields[0]), t)
            for v in fields[2...] { XCTAssertLessThanOrEqual(abs(try XCTUnwrap(Float(v))), 1, "h = o·tanh(c) is within ±1") }
        }
        XCTAssertEqual(lines.last?.split(separator: "\t")[1], "\\n")
    }

    /// Every LSTM quantity of one unit, checked against the cell's own equations: h = o·tanh(c) and
    /// c_t = f·c_{t-1} + i·g from a zero state.
    func testStateAllAsJSONLinesFollowsTheLSTMEquations() throws {
        let r = try inspect(["--state", "all", "--units", "3", "--format", "jsonl"])
        let rows = try r.stdoutLines.map { try jsonObject($0) }
        XCTAssertEqual(rows.count, text.scalarCount)
        var c = 0.0
        for (t, row) in rows.enumerated() {
            XCTAssertEqual(Set(row.keys), ["pos", "char", "l0.h.3", "l0.c.3", "l0.i.3", "l0.f.3", "l0.g.3", "l0.o.3"])
            XCTAssertEqual(row["char"] as? String, String(Array(text.unicodeScalars)[t]))
            let v = { (k: String) in double(row[k])! }
            c = v("l0.f.3") * c + v("l0.i.3") * v("l0.g.3")
            XCTAssertEqual(v("l0.c.3"), c, accuracy: 1e-5)
            XCTAssertEqual(v("l0.h.3"), v("l0.o.3") * tanh(v("l0.c.3")), accuracy: 1e-5)
            for gate in ["l0.i.3", "l0.f.3", "l0.o.3"] { XCTAssertTrue(v(gate) > 0 && v(gate) < 1) }
        }
    }

    func testNPYFileWithSidecarAndSaturation() throws {
        let r = try inspect(["--output", "acts.npy", "--saturation", "--state", "gates"])
        let bytes = try dir.bytes(of: "acts.npy")
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.contains("'shape': (12, 32)"), header)
        XCTAssertEqual(bytes.count, 10 + headerLength + 12 * 32 * 4)
        let sidecar = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(dir.bytes(of: "acts.json"))) as? [String: Any])
        let columns = try XCTUnwrap(sidecar["columns"] as? [String])
        XCTAssertEqual(columns.count, 32)
        XCTAssertEqual(Array(columns[0..<2]) + [columns[8], columns[31]], ["l0.i.0", "l0.i.1", "l0.f.0", "l0.o.7"])
        XCTAssertEqual((sidecar["characters"] as? [String])?.joined(), text)
        XCTAssertEqual((sidecar["saturation"] as? [String: Any])?.count, 24)
        XCTAssertEqual(dir.listing(), ["acts.json", "acts.npy", "corpus.txt", "model.ckpt", "model.best.ckpt", "model.metrics.jsonl",
                                       "short.txt"].sorted())
        // The report goes to stdout when the dump goes to a file.
        XCTAssertTrue(r.stdoutLines.first?.hasPrefix("saturation: fraction of 12 characters") ?? false, "\(r)")
        XCTAssertEqual(r.stdoutLines.filter { $0.range(of: #"^\s+0  [ifo] "#, options: .regularExpression) != nil }.count, 3)
    }

    final class SpanCounter: NSObject, XMLParserDelegate {
        var inText = false, spans = 0, sections = 0
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if name == "div" && attributes["class"] == "text" { inText = true; sections += 1 }
            if name == "span" && inText && attributes["style"]?.hasPrefix("background:#") == true { spans += 1 }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "div" { inText = false }
        }
    }

    func testHTMLViewShowsTheTopUnitsByDefault() throws {
        _ = try inspect(["--output", "view.html", "--units", "1,5"])
        let counter = SpanCounter()
        let parser = XMLParser(data: Data(try dir.bytes(of: "view.html")))
        parser.delegate = counter
        XCTAssertTrue(parser.parse(), "well-formed: \(String(describing: parser.parserError))")
        XCTAssertEqual(counter.sections, 2)
        XCTAssertEqual(counter.spans, 2 * text.scalarCount)

        // Without --units: the 8 units most correlated with a text feature, with that feature named.
        _ = try inspect(["--format", "html", "--output", "top.html"])
        let page = String(decoding: try dir.bytes(of: "top.html"), as: UTF8.self)
        XCTAssertEqual(page.components(separatedBy: "<h2>l0.h.").count - 1, 8)
        XCTAssertEqual(page.components(separatedBy: "best feature: ").count - 1, 8)
    }

    func testExplainPrintsARankedTableAndNoDump() throws {
        let r = try inspect(["--explain"])
        XCTAssertEqual(r.stderr, "")
        let lines = r.stdoutLines
        XCTAssertTrue(lines[0].hasPrefix("explain: Pearson r of each unit with text features over 12 characters (8 units"), lines[0])
        XCTAssertEqual(lines.count, 2 + 11 + 1, "\(r)")
        XCTAssertTrue(lines[2].hasPrefix("inside double quotes        (constant in this text)"), lines[2])
        let whitespace = try XCTUnwrap(lines.first { $0.hasPrefix("whitespace ") })
        let rs = whitespace.split(separator: " ").compactMap { Double($0) }
        XCTAssertEqual(rs.count, 3, whitespace)
        XCTAssertEqual(rs.map(abs), rs.map(abs).sorted(by: >), "strongest first")
        XCTAssertTrue(rs.allSatisfy { abs($0) <= 1 })
        XCTAssertTrue(lines.last!.hasPrefix("strongest units: l0.h."))
    }

    func testReportsGoToStderrWhenTheDumpIsOnStdout() throws {
        let r = try inspect(["--format", "tsv", "--explain", "--max-chars", "5"])
        XCTAssertEqual(r.stdoutLines.count, 6)
        XCTAssertTrue(r.stderr.hasPrefix("explain: "), r.stderr)
    }

    func testANSIHonoursNoColor() throws {
        // An empty NO_COLOR does not count (no-color.org); the test runner may set it.
        let coloured = try inspect(["--format", "ansi", "--units", "0"], environment: ["NO_COLOR": ""])
        XCTAssertEqual(coloured.stdout.components(separatedBy: "\u{1B}[48;2;").count - 1, text.scalarCount)
        let plain = try inspect(["--format", "ansi", "--units", "0"], environment: ["NO_COLOR": "1"])
        XCTAssertFalse(plain.stdout.contains("\u{1B}"))
        XCTAssertEqual(Array(plain.stdoutLines.dropFirst()).first, "sea shells.↵")
        XCTAssertEqual(plain.stdoutLines[2].count, 12)
    }

    func testCharactersOutsideTheVocabulary() throws {
        try corpus("sea Shells\n", named: "upper.txt")
        try expectRuntimeError(["inspect-cells", "model.ckpt", "upper.txt", "--output", "x.tsv"],
                               mentions: ["upper.txt", "'S'", "at character 4", "vocabulary"])
        let r = try run(["inspect-cells", "model.ckpt", "upper.txt", "--skip-unknown"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(r.stderrLines, ["charnn: warning: skipped 1 character of upper.txt outside the model's vocabulary"])
        XCTAssertEqual(r.stdoutLines.count, 1 + 10)
    }

    /// A dump another run is writing is refused, as a checkpoint is, before the files are read (the
    /// text here could not be inspected); standard output is never locked.
    func testASecondWriterOfOneOutputIsRefusedBeforeAnyWork() throws {
        try corpus("sea Shells\n", named: "upper.txt")
        let fd = open(dir.file(".x.tsv.lock").path, O_RDWR | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        let pid = Array("\(getpid())\n".utf8)
        XCTAssertEqual(pid.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }, pid.count)
        try expectRuntimeError(["inspect-cells", "model.ckpt", "upper.txt", "--output", "x.tsv"],
                               mentions: ["x.tsv", "being written by another charnn run (process \(getpid()))", "another --output"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("x.tsv").path))
        XCTAssertEqual(try run(["inspect-cells", "model.ckpt", "short.txt"]).exitCode, 0)
        close(fd)
        XCTAssertEqual(try run(["inspect-cells", "model.ckpt", "short.txt", "--output", "x.tsv"]).exitCode, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file(".x.tsv.lock").path), "the lock file goes with the run")
    }

    func testAnUnwritableOutputIsOneLine() throws {
        try expectRuntimeError(["inspect-cells", "model.ckpt", "short.txt", "--output", "nodir/x.tsv"],
                               mentions: ["nodir/x.tsv", "directory"])
    }

    func testBadOptionValuesAreUsageErrors() throws {
        let base = ["inspect-cells", "model.ckpt", "short.txt"]
        try expectUsageError(base + ["--units", "3,8"], mentions: ["unit 8", "0-7"], usage: usage)
        try expectUsageError(base + ["--units", "l0.x.1"], mentions: ["l0.x.1"], usage: usage)
        try expectUsageError(base + ["--layer", "1"], mentions: ["layer 1", "0-0"], usage: usage)
        try expectUsageError(base + ["--layer", "top"], mentions: ["--layer"], usage: usage)
        try expectUsageError(base + ["--state", "x"], mentions: ["--state", "h, c, gates, all"], usage: usage)
        try expectUsageError(base + ["--format", "csv"], mentions: ["--format", "tsv, jsonl, npy, html, ansi"], usage: usage)
        try expectUsageError(base + ["--format", "npy"], mentions: ["--output"], usage: usage)
        try expectUsageError(base + ["--units", "1", "--top", "2"], mentions: ["--units", "--top"], usage: usage)
        try expectUsageError(base + ["--top", "0"], mentions: ["--top", "at least 1"], usage: usage)
        try expectUsageError(base + ["--max-chars", "0"], mentions: ["--max-chars"], usage: usage)
        // The input named as the output is refused by identity, as every other spelling of it is (exit 1).
        try expectRuntimeError(base + ["--output", "short.txt"], mentions: ["--output short.txt", "same file as short.txt"])
    }
}
