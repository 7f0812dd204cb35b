// The neuron viewer's library: streaming top-K local extremes against a slow obvious search,
// point-biserial r from running sums against a direct computation, pattern marks and their
// scalar positions (non-BMP characters), the unit summaries' histograms, and the units page.

import XCTest
@testable import CharRNN
#if canImport(FoundationXML)
import FoundationXML
#endif

final class InspectionViewerTests: XCTestCase {
    // MARK: - Top contexts

    /// The obvious search: every position that is the earliest maximum (minimum) of its ±N window,
    /// most extreme first (ties: earlier first), K of them, each with its window.
    func referenceContexts(_ values: [Float], _ text: [Unicode.Scalar], limit: Int, window: Int, higher: Bool) -> [UnitContext] {
        let n = values.count
        var found: [UnitContext] = []
        for c in 0..<n {
            let range = max(0, c - window)...min(n - 1, c + window)
            let better = { (a: Float, b: Float) in higher ? a > b : a < b }
            let beaten = range.contains { j in j < c ? !better(values[c], values[j]) : better(values[j], values[c]) }
            if beaten { continue }
            found.append(UnitContext(position: c, value: values[c], characters: range.map { text[$0] },
                                     values: range.map { values[$0] }, center: c - range.lowerBound))
        }
        found.sort { $0.value != $1.value ? (higher ? $0.value > $1.value : $0.value < $1.value) : $0.position < $1.position }
        return Array(found.prefix(limit))
    }

    /// Random values on a coarse grid (so ties and plateaus happen), several K and N, texts shorter
    /// and longer than the window.
    func testStreamingContextsMatchTheObviousSearch() {
        var rng = SplitMix64(seed: 21)
        let cases: [(length: Int, units: Int, limit: Int, window: Int)] = [(200, 3, 4, 5), (57, 2, 10, 0), (9, 2, 3, 30), (300, 4, 1, 12),
                                                                            (1, 1, 2, 3)]
        for (length, units, limit, window) in cases {
            var columns: [[Float]] = []
            for u in 0..<units {
                let levels = UInt64(3 + 4 * u)
                columns.append((0..<length).map { _ in Float(Int(rng.next() % levels)) / 4 - 1 })
            }
            let text = (0..<length).map { _ in Unicode.Scalar(UInt8(97 + rng.next() % 26)) }
            let finder = ContextFinder(units: units, limit: limit, window: window)
            for t in 0..<length {
                let row = (0..<units).map { columns[$0][t] }
                finder.add(character: text[t], values: row)
            }
            let found = finder.finish()
            for u in 0..<units {
                let label = "length \(length), unit \(u), K \(limit), N \(window)"
                XCTAssertEqual(found[u].highest, referenceContexts(columns[u], text, limit: limit, window: window, higher: true), label)
                XCTAssertEqual(found[u].lowest, referenceContexts(columns[u], text, limit: limit, window: window, higher: false), label)
            }
        }
    }

    /// A long run of the top value gives one context, not K: the rest come from elsewhere.
    func testALongPlateauCountsOnce() {
        var values = [Float](repeating: 0, count: 200)
        for t in 20..<120 { values[t] = 1 }
        values[150] = 0.5; values[180] = 0.7
        let finder = ContextFinder(units: 1, limit: 3, window: 4)
        for v in values { finder.add(character: "x", values: [v]) }
        let highest = finder.finish()[0].highest
        XCTAssertEqual(highest.map(\.position), [20, 180, 150])
        XCTAssertEqual(highest.map(\.value), [1, 0.7, 0.5])
        XCTAssertEqual(highest[0].values, [0, 0, 0, 0, 1, 1, 1, 1, 1])
        XCTAssertEqual(highest[0].center, 4)
    }

    // MARK: - Point-biserial r

    func testPointBiserialFromSumsMatchesDirectComputation() {
        var rng = SplitMix64(seed: 5)
        let n = 500, units = 3
        let marks = (0..<n).map { t in [t % 7 < 2, rng.next() % 3 == 0] }
        let x: [[Float]] = (0..<n).map { t in
            [Float(rng.nextUnitDouble()) + (marks[t][0] ? 0.8 : 0) + 1000,   // a large mean: the shift matters
             Float(rng.nextUnitDouble()) - (marks[t][1] ? 0.3 : 0),
             Float(rng.nextUnitDouble())]
        }
        var acc = PointBiserialAccumulator(units: units, patterns: 2)
        for t in 0..<n { acc.add(x: x[t]) { marks[t][$0] } }
        for p in 0..<2 {
            XCTAssertEqual(acc.marked[p], marks.filter { $0[p] }.count)
            for u in 0..<units {
                let xs = x.map { Double($0[u]) }
                let inside = xs.indices.filter { marks[$0][p] }.map { xs[$0] }, outside = xs.indices.filter { !marks[$0][p] }.map { xs[$0] }
                let mean = xs.reduce(0, +) / Double(n)
                let sd = (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
                let m1 = inside.reduce(0, +) / Double(inside.count), m0 = outside.reduce(0, +) / Double(outside.count)
                let q = Double(inside.count) / Double(n)
                let expected = (m1 - m0) / sd * (q * (1 - q)).squareRoot()  // the textbook point-biserial formula
                XCTAssertEqual(try XCTUnwrap(acc.r(unit: u, pattern: p)), expected, accuracy: 1e-6, "unit \(u), pattern \(p)")
            }
        }
        XCTAssertGreaterThan(acc.r(unit: 0, pattern: 0)!, 0.7)
        XCTAssertLessThan(acc.r(unit: 1, pattern: 1)!, -0.3)
        // A constant unit has no r.
        var constant = PointBiserialAccumulator(units: 1, patterns: 1)
        for t in 0..<10 { constant.add(x: [2]) { _ in t % 2 == 0 } }
        XCTAssertNil(constant.r(unit: 0, pattern: 0))
    }

    // MARK: - Pattern marks

    /// Emoji are two UTF-16 units and one position; a match after them lands on the right characters.
    func testScalarPositionsCountNonBMPCharactersOnce() throws {
        let text = "a😀b(c🎉d)e😀(f)"
        var positions = ScalarPositions(text)
        XCTAssertEqual(positions.position(utf16: 0), 0)
        XCTAssertEqual(positions.position(utf16: 3), 2)   // after a, 😀 (2 units)
        XCTAssertEqual(positions.scalarRange(utf16: 3..<10), 2..<8)
        XCTAssertEqual(positions.position(utf16: text.utf16.count), text.unicodeScalars.count)

        let marks = try PatternMarks.mark([TextPattern("\\([^)]*\\)")], in: text, mode: .whole)
        let scalars = Array(text.unicodeScalars)
        let marked = String(String.UnicodeScalarView(scalars.indices.filter { marks.isMarked(pattern: 0, at: $0) }.map { scalars[$0] }))
        XCTAssertEqual(marked, "(c🎉d)(f)")
        XCTAssertEqual(marks.marked, [8])
    }

    func testPatternModesMarkTheirPartOfEachMatch() throws {
        let text = "x(ab)y(c)z"
        func marked(_ mode: PatternMode) throws -> [Int] {
            let marks = try PatternMarks.mark([TextPattern("\\(\\w*\\)")], in: text, mode: mode)
            return (0..<text.count).filter { marks.isMarked(pattern: 0, at: $0) }
        }
        XCTAssertEqual(try marked(.whole), [1, 2, 3, 4, 6, 7, 8])
        XCTAssertEqual(try marked(.start), [1, 6])
        XCTAssertEqual(try marked(.inside), [2, 3, 7])
        XCTAssertEqual(try marked(.end), [4, 8])
    }

    func testPatternErrorsSayWhatIsWrong() throws {
        XCTAssertThrowsError(try TextPattern("a(b")) { error in
            XCTAssertEqual(error as? PatternError, .invalid("a(b", reason: "expected ')'", offset: 3))
        }
        XCTAssertThrowsError(try TextPattern("ab)c")) { error in
            guard case .invalid(_, _, let offset)? = error as? PatternError else { return XCTFail("\(error)") }
            XCTAssertEqual(offset, 2)
        }
        XCTAssertThrowsError(try PatternMarks.mark([TextPattern("q")], in: "abc", mode: .whole)) { error in
            XCTAssertEqual(error as? PatternError, .marksNothing("q", matched: false))
        }
        XCTAssertThrowsError(try PatternMarks.mark([TextPattern("[\\s\\S]")], in: "a b\n", mode: .whole)) { error in
            XCTAssertEqual(error as? PatternError, .marksEverything("[\\s\\S]", characters: 4))
        }
        XCTAssertThrowsError(try PatternMarks.mark([TextPattern("ab")], in: "abc", mode: .inside)) { error in
            XCTAssertEqual(error as? PatternError, .marksNothing("ab", matched: true))
        }
    }

    // MARK: - Summaries and the page

    /// A cell state's histogram range doubles as larger values arrive, keeping every count.
    func testSummaryHistogramWidensForUnboundedUnits() {
        let units = [CellUnit(layer: 0, source: .cell, index: 0, cell: .lstm), CellUnit(layer: 0, source: .hidden, index: 0, cell: .lstm)]
        var acc = UnitSummaryAccumulator(units: units)
        let values: [Float] = [0.1, -0.9, 3.5, -7, 0.2]
        for v in values { acc.add(x: [v, v / 10]) }
        let s = acc.summaries
        XCTAssertEqual(s[0].range, -8...8)
        XCTAssertEqual(s[0].histogram.reduce(0, +), values.count)
        // Bins of width 1 over [-8, 8]: -7 in bin 1, -0.9 in 7, 0.1 and 0.2 in 8, 3.5 in 11.
        XCTAssertEqual(s[0].histogram.indices.filter { s[0].histogram[$0] > 0 }, [1, 7, 8, 11])
        XCTAssertEqual(s[0].histogram[8], 2)
        XCTAssertEqual(s[0].largestMagnitude, 7)
        XCTAssertEqual(s[1].range, -1...1, "h keeps its natural range")
        let mean = values.map(Double.init).reduce(0, +) / 5
        XCTAssertEqual(s[0].mean, mean, accuracy: 1e-9)
        XCTAssertEqual(s[0].deviation, (values.map { (Double($0) - mean) * (Double($0) - mean) }.reduce(0, +) / 5).squareRoot(), accuracy: 1e-9)
    }

    /// The page parses as XML, lists every unit in the index sorted by spread (no ranking given),
    /// and gives each context its colours one level per character, as the heat map's scale has them.
    func testUnitsPageIsWellFormedAndSortedBySpread() throws {
        let units = (0..<3).map { CellUnit(layer: 0, source: .hidden, index: $0, cell: .lstm) }
        let finder = ContextFinder(units: 3, limit: 2, window: 2)
        var summary = UnitSummaryAccumulator(units: units)
        let text = Array("a<b&\"c\n😀d".unicodeScalars)
        for (t, s) in text.enumerated() {
            let row: [Float] = [Float(t % 3) * 0.1, Float(t) / 10 - 0.5, t == 4 ? 1 : 0]
            finder.add(character: s, values: row)
            summary.add(x: row)
        }
        let survey = UnitSurvey(units: units, window: 2, contexts: finder.finish(), summaries: summary.summaries)
        let views = UnitViews(survey: survey, explanation: nil, patterns: nil, characters: text.count, limit: 2, caption: "test <page>")
        XCTAssertEqual(views.views.map(\.unit.index), [2, 1, 0], "widest spread first: sd 0.31, 0.26, 0.08")
        let out = ByteBuffer()
        try UnitPage.write(views, to: out.writer)
        let page = out.text
        _ = try XMLDocument(data: Data(page.utf8))
        XCTAssertTrue(page.contains("test &lt;page&gt;"))
        XCTAssertFalse(page.contains("http"), "no network")
        XCTAssertEqual(page.components(separatedBy: "<tr data-i=").count - 1, 3)
        // Unit 2's highest context: the '"' at position 4, with its window and colour levels.
        let scale = DivergingScale(range: -1...1)
        let expected = (2...6).map { t in Character(Unicode.Scalar(UInt8(48 + UnitPage.level(scale.position(t == 4 ? 1 : 0))))) }
        XCTAssertTrue(page.contains("data-c=\"2\" data-v=\"\(String(expected))\""), page)
        XCTAssertTrue(page.contains("<span class=\"t\">b&amp;<b>&quot;</b>c↵</span>"), page)
    }
}

/// A ByteWriter into memory.
final class ByteBuffer {
    var bytes: [UInt8] = []
    lazy var writer = ByteWriter { [unowned self] in self.bytes.append(contentsOf: $0) }
    var text: String { String(decoding: bytes, as: UTF8.self) }
}
