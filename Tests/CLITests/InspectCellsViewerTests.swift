// `charnn inspect-cells --contexts / --pattern` end to end, on a GRU whose unit 0 is set by hand to
// follow parentheses (+1 from a `(`, −1 from a `)`, kept in between): --pattern ranks it first and
// its highest contexts lie inside parentheses; the jsonl, html and text outputs and standard input.

import Foundation
import TestSupport
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif

final class InspectCellsViewerTests: CLITestCase {
    /// Lines of words, every third with a parenthesised pair of words.
    static let text: String = {
        let words = ["sea", "king", "go", "now", "we", "see"]
        return (0..<24).map { i in
            let middle = i % 3 == 0 ? "(" + words[(i + 1) % 6] + " " + words[(i + 2) % 6] + ")" : words[(i + 3) % 6]
            return words[i % 6] + " " + middle + " " + words[(i + 4) % 6] + ".\n"
        }.joined()
    }()
    static let parenthesised = #"\([^)]*\)"#

    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus(Self.text, named: "parens.txt")
        try trainTiny(corpus: "parens.txt", output: "trained.ckpt", iterations: 2, ["--cell", "gru"])
        try writeParenthesisTracker()
    }

    /// trained.ckpt with GRU unit 0 rewired: it reads no state and no bias; z = σ(±30) is 0 on a
    /// parenthesis (take n) and exactly 1 elsewhere (keep h); n = tanh(+10) on `(`, tanh(−10) on `)`.
    func writeParenthesisTracker() throws {
        var file = try CheckpointFile(contentsOf: dir.file("trained.ckpt"))
        let vocabulary = try XCTUnwrap(try file.metadataJSON("charnn.vocab") as? [String])
        let V = vocabulary.count, H = 8
        func edit(_ name: String, _ change: (inout [Float]) -> Void) throws {
            var values = try file.values(name)
            change(&values)
            file = try CheckpointFile(bytes: try file.replacing(name, with: values))
        }
        try edit("rnn.weight_hh_l0") { w in for g in 0..<3 { for k in 0..<H { w[(g * H) * H + k] = 0 } } }
        for bias in ["rnn.bias_ih_l0", "rnn.bias_hh_l0"] { try edit(bias) { b in for g in 0..<3 { b[g * H] = 0 } } }
        try edit("rnn.weight_ih_l0") { w in
            for v in 0..<V {
                let c = vocabulary[v]
                w[v] = 0                                                      // r: unused (no state read)
                w[H * V + v] = c == "(" || c == ")" ? -30 : 30                // z
                w[2 * H * V + v] = c == "(" ? 10 : c == ")" ? -10 : 0          // n
            }
        }
        try dir.write(bytes: file.bytes, to: "parens.ckpt")
    }

    /// The character positions inside a match of the pattern, brackets included.
    var insideParentheses: Set<Int> {
        var inside = Set<Int>(), depth = 0
        for (t, s) in Self.text.unicodeScalars.enumerated() {
            if s == "(" { depth += 1 }
            if depth > 0 { inside.insert(t) }
            if s == ")" { depth -= 1 }
        }
        return inside
    }

    func testPatternRanksTheParenthesisUnitFirstAndItsContextsLieInside() throws {
        let r = try run(["inspect-cells", "parens.ckpt", "parens.txt", "--contexts", "3", "--window", "4",
                         "--pattern", Self.parenthesised, "--format", "jsonl"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        let units = try r.stdoutLines.map { try jsonObject($0) }
        XCTAssertEqual(units.count, 8)
        let first = units[0]
        XCTAssertEqual(first["unit"] as? String, "l0.h.0")
        let best = try XCTUnwrap(first["best"] as? [String: Any])
        XCTAssertEqual(best["label"] as? String, "pattern '\(Self.parenthesised)'")
        XCTAssertGreaterThan(try XCTUnwrap(double(best["r"])), 0.8)
        // The report (on stderr beside jsonl on stdout) names the same unit first.
        let row = try XCTUnwrap(r.stderrLines.first { $0.hasPrefix("'\(Self.parenthesised)'") })
        XCTAssertEqual(row.split(separator: " ").dropFirst(2).first, "l0.h.0")

        let highest = try XCTUnwrap(first["highest"] as? [[String: Any]])
        XCTAssertEqual(highest.count, 3)
        let scalars = Array(Self.text.unicodeScalars)
        for c in highest {
            let pos = try XCTUnwrap(int(c["pos"])), center = try XCTUnwrap(int(c["center"]))
            XCTAssertTrue(insideParentheses.contains(pos), "context at \(pos) is outside parentheses")
            XCTAssertEqual(double(c["value"])!, 1, accuracy: 1e-6)
            let window = Array((c["text"] as? String ?? "").unicodeScalars)
            XCTAssertEqual(window, Array(scalars[(pos - center)...min(scalars.count - 1, pos + 4)]))
            XCTAssertEqual((c["values"] as? [Any])?.count, window.count)
        }
        XCTAssertEqual(Set(highest.compactMap { int($0["pos"]) }).count, 3, "three different places")
        for c in try XCTUnwrap(first["lowest"] as? [[String: Any]]) {
            XCTAssertEqual(scalars[int(c["pos"])!], ")", "the unit is lowest where a parenthesis closes")
        }
    }

    /// The page for the same run: well-formed, self-contained, the tracker at the top of the index.
    func testUnitsPageListsEveryUnit() throws {
        let r = try run(["inspect-cells", "parens.ckpt", "parens.txt", "--contexts", "2", "--pattern", Self.parenthesised,
                         "--output", "units.html"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        let page = try String(contentsOf: dir.file("units.html"), encoding: .utf8)
        _ = try XMLDocument(data: Data(page.utf8))
        XCTAssertEqual(page.components(separatedBy: "<tr data-i=").count - 1, 8)
        let firstRow = try XCTUnwrap(page.components(separatedBy: "<tr data-i=\"0\"").dropFirst().first)
        XCTAssertTrue(firstRow.hasPrefix(" data-r=") && firstRow.contains(">l0.h.0</a>"), String(firstRow.prefix(200)))
        XCTAssertFalse(page.contains("src=") || page.contains("http"), "no external resources")
        XCTAssertTrue(r.stdout.contains("pattern: point-biserial r"), "the report on stdout when the page goes to a file")
    }

    /// Standard input gives what the file gives; a text shorter than the window gives whole-text windows.
    func testStandardInputAndAShortText() throws {
        let arguments = ["--contexts", "2", "--window", "30", "--units", "0", "--format", "jsonl"]
        try corpus("sea (king).\n", named: "short.txt")
        let fromFile = try run(["inspect-cells", "parens.ckpt", "short.txt"] + arguments)
        let fromStdin = try run(["inspect-cells", "parens.ckpt", "-"] + arguments, stdin: "sea (king).\n")
        XCTAssertEqual(fromFile.exitCode, 0, "\(fromFile)")
        XCTAssertEqual(fromStdin.stdout, fromFile.stdout)
        let unit = try jsonObject(try XCTUnwrap(fromFile.stdoutLines.first))
        let highest = try XCTUnwrap(unit["highest"] as? [[String: Any]])
        XCTAssertEqual(highest.count, 1, "one plateau of +1 from the ( on: one context")
        XCTAssertEqual(highest.first?["text"] as? String, "sea (king).\n")
        XCTAssertEqual(int(highest.first?["pos"]), 4)
        XCTAssertEqual(int(highest.first?["center"]), 4)
    }

    /// Text output marks the character; without --contexts, --pattern prints only its report.
    func testTextOutputAndPatternReport() throws {
        let r = try run(["inspect-cells", "parens.ckpt", "parens.txt", "--contexts", "1", "--window", "3", "--units", "0"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertFalse(r.stdout.contains("\u{1B}["), "no colour when piped")
        XCTAssertTrue(r.stdoutLines.contains { $0.hasPrefix("l0.h.0 · layer 0, hidden state, unit 0 · ") }, r.stdout)
        XCTAssertTrue(r.stdoutLines.contains { $0.contains("+1.0000   at 4") && $0.hasSuffix(" ea ⟦(⟧kin") }, r.stdout)
        let report = try run(["inspect-cells", "parens.ckpt", "parens.txt", "--pattern", Self.parenthesised, "--pattern", "e"])
        XCTAssertEqual(report.exitCode, 0, "\(report)")
        XCTAssertEqual(report.stdoutLines.first?.hasPrefix("pattern: point-biserial r of each unit"), true, report.stdout)
        XCTAssertEqual(report.stdoutLines.count, 4, report.stdout)
    }
}
