// `charnn report`: the page for a run (curves with one point per log line, the configuration,
// a sample), the best checkpoint reporting the same run, and its errors.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import TestSupport
import XCTest

final class ReportTests: CLITestCase {
    /// Collects each SVG path's class and the points its `d` draws, and the table's rows.
    final class PageReader: NSObject, XMLParserDelegate {
        var paths: [(cssClass: String, points: Int)] = []
        var svgs = 0, inPre = false, pre = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if name == "svg" { svgs += 1 }
            if name == "pre" { inPre = true }
            if name == "path", let d = attributes["d"] {
                paths.append((attributes["class"] ?? "", d.filter { $0 == "M" || $0 == "L" }.count))
            }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if inPre { pre += string } }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "pre" { inPre = false }
        }
    }

    func read(_ name: String) throws -> PageReader {
        let reader = PageReader()
        let parser = XMLParser(data: Data(try dir.bytes(of: name)))
        parser.delegate = reader
        XCTAssertTrue(parser.parse(), "well-formed: \(String(describing: parser.parserError))")
        return reader
    }

    func testReportDrawsTheRunFromItsLog() throws {
        try corpus()
        try trainTiny(iterations: 9, ["--print-every", "1", "--eval-every", "3"])
        let r = try run(["report", "model.ckpt"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(r.stdout, "wrote model.html\n")
        XCTAssertEqual(r.stderr, "")
        let page = try read("model.html")
        // Loss against iterations and against time (train: 9 step lines; validation at 3, 6, 9), then the rate.
        XCTAssertEqual(page.svgs, 3)
        XCTAssertEqual(page.paths.map(\.cssClass), ["train", "validation", "train", "validation", "lr"])
        XCTAssertEqual(page.paths.map(\.points), [9, 3, 9, 3, 9])
        XCTAssertEqual(page.pre.unicodeScalars.count, 400)
        let html = String(decoding: try dir.bytes(of: "model.html"), as: UTF8.self)
        XCTAssertTrue(html.contains("<td>LSTM 1×8, dropout 0.0</td>"), html)
        XCTAssertTrue(html.contains("<th>schedule</th><td>constant</td>"), "a default run's rate is constant")
        XCTAssertTrue(html.contains("The options given on the command line (no automatic sizing)."))
        for external in ["src=", "href=", "<script", "<link", "url("] {
            XCTAssertFalse(html.contains(external), "self-contained: \(external)")
        }

        // The best checkpoint names the same log: its page has the same curves, beside it.
        XCTAssertEqual(try run(["report", "model.best.ckpt", "--output", "best-page.html"]).exitCode, 0)
        XCTAssertEqual(try read("best-page.html").paths.map(\.points), [9, 3, 9, 3, 9])
        XCTAssertEqual(try run(["report", "model.best.ckpt"]).stdout, "wrote model.best.html\n")
    }

    /// A log cut by a kill and a resume from an earlier checkpoint: unreadable lines are skipped and
    /// said so, the resumed run's points replace those it went back over.
    func testResumedAndDamagedLogs() throws {
        try corpus()
        try trainTiny(output: "m.ckpt", iterations: 4, ["--print-every", "1", "--eval-every", "2"])
        let handle = try FileHandle(forWritingTo: dir.file("m.metrics.jsonl"))
        handle.seekToEndOfFile()
        handle.write(Data("{\"iteration\":5,\"train_lo".utf8))   // a line cut short
        handle.write(Data("\n{\"iteration\":99,\"train_loss\":1.0,\"elapsed_s\":1,\"lr\":0.002}\n".utf8))  // a later run's, gone back over
        try handle.close()
        XCTAssertEqual(try run(["train", "corpus.txt", "--resume", "m.ckpt", "--iterations", "6", "--print-every", "1",
                                "--eval-every", "2", "--output", "m.ckpt"]).exitCode, 0)
        XCTAssertEqual(try run(["report", "m.ckpt"]).exitCode, 0)
        XCTAssertEqual(try read("m.html").paths.map(\.points), [6, 3, 6, 3, 6])
        XCTAssertTrue(String(decoding: try dir.bytes(of: "m.html"), as: UTF8.self).contains("1 line of the metrics log could not be read"))
    }

    func testReportErrors() throws {
        try corpus()
        try trainTiny(iterations: 2)
        try expectUsageError(["report"], mentions: ["missing CHECKPOINT"], usage: "usage: charnn report CHECKPOINT [options]")
        try expectUsageError(["report", "model.ckpt", "--out", "x.html"], mentions: ["--out"],
                             usage: "usage: charnn report CHECKPOINT [options]")
        try expectRuntimeError(["report", "nothing.ckpt"], mentions: ["nothing.ckpt", "does not exist"])
        try expectRuntimeError(["report", "corpus.txt"], mentions: ["corpus.txt"])
        try expectRuntimeError(["report", "model.ckpt", "--output", "no/such/dir/r.html"], mentions: ["no/such/dir", "does not exist"])
        // Never over what it reads, nor over a file of another kind; an earlier page is replaced.
        try expectRuntimeError(["report", "model.ckpt", "--output", "model.ckpt"], mentions: ["model.ckpt", "never writes over a file it reads"])
        try expectRuntimeError(["report", "model.ckpt", "--output", "./model.metrics.jsonl"], mentions: ["model.metrics.jsonl", "its metrics log"])
        try expectRuntimeError(["report", "model.ckpt", "--output", "corpus.txt"], mentions: ["corpus.txt", "not a charnn report"])
        XCTAssertEqual(try run(["report", "model.ckpt"]).exitCode, 0)
        XCTAssertEqual(try run(["report", "model.ckpt"]).exitCode, 0)
        try dir.makeDirectory("adir")
        try expectRuntimeError(["report", "model.ckpt", "--output", "adir"], mentions: ["adir", "is a directory"])
        // A log gone missing: a warning, and a page that says why it has no curves.
        try FileManager.default.removeItem(at: dir.file("model.metrics.jsonl"))
        let r = try run(["report", "model.ckpt"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(r.stderrLines.count, 1, "\(r)")
        XCTAssertTrue(r.stderrLines.first?.hasPrefix("charnn: warning: ") ?? false, "\(r)")
        XCTAssertEqual(try read("model.html").paths.count, 0)
        XCTAssertTrue(String(decoding: try dir.bytes(of: "model.html"), as: UTF8.self).contains("could not be read"))
    }
}
