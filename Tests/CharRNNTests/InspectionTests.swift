// inspect-cells' library: the recorded h, c and gates against the slow reference network, the
// text features checked by hand, streaming correlations against a direct computation, --explain
// on a model whose weights are set by hand to track quotes, and gate saturation.

import XCTest
@testable import CharRNN
import TestSupport

final class InspectionTests: XCTestCase {
    // MARK: - Recorder against the reference forward pass

    /// Every unit of every layer (h, c, every gate) for 11 characters recorded in chunks of 4, so
    /// the state is carried across chunk boundaries and both embedding paths run.
    func checkRecorder(_ cell: CellKind) throws {
        let config = ModelConfig(cell: cell, layers: 2, hidden: 6, vocabularySize: 7)
        let model = Model(config: config, seed: 9)
        var rng = SplitMix64(seed: 4)
        let ids = (0..<11).map { _ in Int32(rng.next() % 7) }
        let tokens = TokenSequence(ids: ids, vocabularySize: 7)
        let units = try CellUnit.select(config: config, layers: [0, 1], state: .all)
        XCTAssertEqual(units.count, 2 * 6 * (1 + (cell.hasCellState ? 1 : 0) + (cell.recordsGates ? cell.gateCount : 0)))

        let zeros = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 2)
        let ref = ReferenceNetwork(model: model).run(ids: ids, h0: zeros, c0: zeros)
        var seen = 0, worst = 0.0
        var row = [Float](repeating: 0, count: units.count)
        Recorder(model: model, chunk: 4).run(tokens, count: ids.count) { t, step in
            XCTAssertEqual(t, seen)
            seen += 1
            step.values(of: units, into: &row)
            for (k, u) in units.enumerated() {
                let expected: Double
                switch u.source {
                case .hidden: expected = ref.hs[u.layer][t][u.index]
                case .cell: expected = ref.cs[u.layer][t][u.index]
                case .gate(let g): expected = ref.gates[u.layer][t][g * 6 + u.index]
                }
                worst = max(worst, abs(Double(row[k]) - expected))
            }
            // Predictions: the softmax of the reference logits, most likely first.
            let logits = ref.logits[t], top = logits.max()!
            let total = logits.reduce(0) { $0 + exp($1 - top) }
            let best = step.predictions(top: 5)
            XCTAssertEqual(best.count, 5)
            let order = logits.indices.sorted { logits[$0] > logits[$1] }
            XCTAssertEqual(Int(best[0].id), order[0])
            XCTAssertEqual(best[0].probability, exp(logits[order[0]] - top) / total, accuracy: 1e-5)
            for k in 1..<5 { XCTAssertGreaterThanOrEqual(best[k - 1].probability, best[k].probability) }
        }
        XCTAssertEqual(seen, 11)
        // Float32 against Double over a few dozen operations per value (as CellForwardTests).
        XCTAssertLessThan(worst, 2e-5, "\(cell)")
    }

    func testRecorderEveryCell() throws {
        for cell in CellKind.allCases { try checkRecorder(cell) }
    }

    func testUnitSelectionAndNames() throws {
        let lstm = ModelConfig(cell: .lstm, layers: 2, hidden: 4, vocabularySize: 3)
        XCTAssertEqual(try CellUnit.select(config: lstm, layers: [1], state: .gates, indices: [3]).map(\.name),
                       ["l1.i.3", "l1.f.3", "l1.g.3", "l1.o.3"])
        XCTAssertEqual(try CellUnit.parse("l1.c.2", config: lstm).name, "l1.c.2")
        XCTAssertThrowsError(try CellUnit.select(config: lstm, layers: [0], state: .h, indices: [4])) {
            XCTAssertEqual("\($0)", "unit 4 is out of range: the model has 4 units per layer (0-3)")
        }
        let gru = ModelConfig(cell: .gru, layers: 1, hidden: 4, vocabularySize: 3)
        XCTAssertEqual(try CellUnit.select(config: gru, layers: [0], state: .all, indices: [0]).map(\.name),
                       ["l0.h.0", "l0.r.0", "l0.z.0", "l0.n.0"])
        XCTAssertThrowsError(try CellUnit.select(config: gru, layers: [0], state: .c))
        XCTAssertThrowsError(try CellUnit.parse("l0.i.0", config: gru))
        XCTAssertThrowsError(try CellUnit.parse("l2.h.0", config: lstm))
        let rnn = ModelConfig(cell: .rnn, layers: 1, hidden: 4, vocabularySize: 3)
        XCTAssertThrowsError(try CellUnit.select(config: rnn, layers: [0], state: .gates))
    }

    // MARK: - Text features

    func features(of text: String) -> [[Double]] {
        let corpus = try! Corpus(bytes: Array(text.utf8))
        var tracker = TextFeatureTracker(tokens: corpus.tokens, vocabulary: corpus.vocabulary, count: corpus.count)
        var row = [Double](repeating: 0, count: TextFeature.allCases.count)
        return (0..<corpus.count).map { _ in tracker.advance(into: &row); return row }
    }

    func testTextFeaturesByHand() {
        let text = "a \"B(c\"\n  x[9]y\nz"
        let f = features(of: text)
        func column(_ feature: TextFeature) -> [Double] { f.map { $0[TextFeature.allCases.firstIndex(of: feature)!] } }
        //                                    a  ␠  "  B  (  c  "  ↵  ␠  ␠  x  [  9  ]  y  ↵  z
        XCTAssertEqual(column(.insideQuotes),        [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(column(.nestingDepth),        [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1])
        XCTAssertEqual(column(.positionInLine),      [1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1])
        XCTAssertEqual(column(.charactersToLineEnd), [6, 5, 4, 3, 2, 1, 0, 7, 6, 5, 4, 3, 2, 1, 0, 1, 0])
        XCTAssertEqual(column(.indentation),         [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 0, 0])
        XCTAssertEqual(column(.wordStart),           [1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1])
        XCTAssertEqual(column(.insideWord),          [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(column(.afterNewline),        [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0])
        XCTAssertEqual(column(.uppercase),           [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(column(.digit),               [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])
        XCTAssertEqual(column(.whitespace),          [0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0])
        XCTAssertEqual(features(of: "ab1_ c")[2][TextFeature.allCases.firstIndex(of: .insideWord)!], 1)
        // Curly quotes open and close; a closer never goes below depth 0.
        XCTAssertEqual(features(of: "“a”)").map { $0[0] }, [1, 1, 0, 0])
        XCTAssertEqual(features(of: "“a”)").map { $0[1] }, [0, 0, 0, 0])
    }

    // MARK: - Correlation

    func testStreamingCorrelationMatchesDirectFormula() {
        var rng = SplitMix64(seed: 1)
        let n = 500
        let x: [[Float]] = (0..<n).map { _ in [rng.nextUniform(bound: 1), rng.nextUniform(bound: 1) + 1000, 0.25] }
        // Feature 0 is a noisy copy of unit 0, feature 1 large and offset (a line position), feature 2 constant.
        let y: [[Double]] = x.enumerated().map { i, v in [Double(v[0]) + 0.3 * Double(rng.nextUniform(bound: 1)), Double(i % 37) + 1e6, 7] }
        var acc = CorrelationAccumulator(units: 3, features: 3)
        for i in 0..<n { acc.add(x: x[i], y: y[i]) }
        func direct(_ a: [Double], _ b: [Double]) -> Double {
            let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
            let cov = zip(a, b).reduce(0) { $0 + ($1.0 - ma) * ($1.1 - mb) }
            let va = a.reduce(0) { $0 + ($1 - ma) * ($1 - ma) }, vb = b.reduce(0) { $0 + ($1 - mb) * ($1 - mb) }
            return cov / (va * vb).squareRoot()
        }
        for u in 0..<2 {
            for f in 0..<2 {
                let expected = direct(x.map { Double($0[u]) }, y.map { $0[f] })
                XCTAssertEqual(acc.r(unit: u, feature: f)!, expected, accuracy: 1e-9, "unit \(u) feature \(f)")
            }
        }
        XCTAssertGreaterThan(acc.r(unit: 0, feature: 0)!, 0.9)
        XCTAssertNil(acc.r(unit: 2, feature: 0), "a constant unit has no correlation")
        XCTAssertNil(acc.r(unit: 0, feature: 2), "a constant feature has no correlation")
    }

    // MARK: - --explain on a model built to track quotes

    /// A one-layer GRU (H 4) with hand-set weights over `vocabulary`:
    /// unit 0 toggles between -1 (outside) and +1 (inside) on every `"` and resets to -1 on a
    /// newline (z ≈ 1 keeps h, z ≈ 0 with r ≈ 1 and W_hn = -10 flips it); unit 1 is +1 on
    /// whitespace and -1 elsewhere (z ≈ 0, n = tanh(±5)); units 2 and 3 keep random weights
    /// but do not read units 0 and 1.
    static func quoteTracker(vocabulary: Vocabulary) -> Model {
        let V = vocabulary.count, H = 4
        let config = ModelConfig(cell: .gru, layers: 1, hidden: H, vocabularySize: V)
        let model = Model(config: config, seed: 5)  // units 2, 3 and the decoder keep their random weights
        let p = model.parameters
        func set(_ name: String, _ row: Int, _ col: Int, _ value: Float, cols: Int) {
            p.values[p.view(named: name)!.offset + row * cols + col] = value
        }
        let quote = Int(vocabulary.id(of: "\"")!), newline = Int(vocabulary.id(of: "\n")!)
        for unit in 0..<2 {
            for k in 0..<H { set("rnn.weight_hh_l0", unit, k, 0, cols: H); set("rnn.weight_hh_l0", H + unit, k, 0, cols: H)
                             set("rnn.weight_hh_l0", 2 * H + unit, k, 0, cols: H) }
            for g in 0..<3 { set("rnn.bias_ih_l0", g * H + unit, 0, 0, cols: 1); set("rnn.bias_hh_l0", g * H + unit, 0, 0, cols: 1) }
        }
        for v in 0..<V {
            let special = v == quote || v == newline
            set("rnn.weight_ih_l0", 0, v, 10, cols: V)                      // r ≈ 1
            set("rnn.weight_ih_l0", H, v, special ? -15 : 15, cols: V)      // z: replace on " and newline, else keep
            set("rnn.weight_ih_l0", 2 * H, v, v == newline ? -30 : 0, cols: V)
            let space = vocabulary[Int32(v)].properties.isWhitespace
            set("rnn.weight_ih_l0", 1, v, 0, cols: V)
            set("rnn.weight_ih_l0", H + 1, v, -15, cols: V)                 // z ≈ 0: always take n
            set("rnn.weight_ih_l0", 2 * H + 1, v, space ? 5 : -5, cols: V)
        }
        set("rnn.weight_hh_l0", 2 * H, 0, -10, cols: H)                       // n = tanh(-10 h): the flip
        for unit in 2..<4 {  // noise that does not read units 0 and 1
            for g in 0..<3 { for k in 0..<2 { set("rnn.weight_hh_l0", g * H + unit, k, 0, cols: H) } }
        }
        return model
    }

    /// Lines of words with a quoted span in most of them and brackets in some.
    static func quotedCorpus(lines: Int) -> String {
        var rng = SplitMix64(seed: 8)
        let words = ["the", "king", "said", "go", "now", "and", "we", "Will", "see", "it", "(soon)", "[here]"]
        var text = "\n"
        for _ in 0..<lines {
            var line: [String] = []
            let n = 4 + Int(rng.next() % 6)
            let open = Int(rng.next() % UInt64(n)), close = open + 1 + Int(rng.next() % 3)
            for i in 0..<n {
                var w = words[Int(rng.next() % UInt64(words.count))]
                if i == open && rng.next() % 4 != 0 { w = "\"" + w }
                if i == min(close, n - 1) && line.joined().contains("\"") && !w.contains("\"") { w += "\"" }
                line.append(w)
            }
            var s = line.joined(separator: " ")
            if s.filter({ $0 == "\"" }).count % 2 == 1 { s += "\"" }
            text += s + ".\n"
        }
        return text
    }

    func testExplainRanksTheQuoteUnitFirst() throws {
        let text = Self.quotedCorpus(lines: 120)
        let corpus = try Corpus(bytes: Array(text.utf8))
        let model = Self.quoteTracker(vocabulary: corpus.vocabulary)
        let units = try CellUnit.select(config: model.config, layers: [0], state: .h)
        let analysis = Inspector.analyse(model: model, tokens: corpus.tokens, count: corpus.count, vocabulary: corpus.vocabulary,
                                         explain: units, saturationLayers: nil)
        let e = try XCTUnwrap(analysis.explanation)
        XCTAssertEqual(e.characters, corpus.count)
        let quote = TextFeature.allCases.firstIndex(of: .insideQuotes)!, space = TextFeature.allCases.firstIndex(of: .whitespace)!
        let quoteRanking = e.ranking(feature: quote, count: 4)
        XCTAssertEqual(quoteRanking.first?.unit.name, "l0.h.0")
        XCTAssertGreaterThan(quoteRanking[0].r, 0.95)
        XCTAssertLessThan(abs(quoteRanking[1].r), 0.5, "no other unit tracks quotes")
        // The whitespace unit wins its own feature and the quote unit does not.
        let spaceRanking = e.ranking(feature: space, count: 4)
        XCTAssertEqual(spaceRanking.first?.unit.name, "l0.h.1")
        XCTAssertGreaterThan(spaceRanking[0].r, 0.95)
        XCTAssertNotEqual(spaceRanking.first?.unit.name, "l0.h.0")
        XCTAssertEqual(e.bestFeature(of: 0)?.feature, .insideQuotes)
        XCTAssertEqual(Set(e.strongestUnits(2).map(\.name)), ["l0.h.0", "l0.h.1"])
        // The corpus really has quoted text, so the feature is not trivially constant.
        let inside = features(of: text).filter { $0[quote] == 1 }.count
        XCTAssertGreaterThan(inside, corpus.count / 10)
    }

    // MARK: - Saturation

    func testSaturationCountsGatesPastTheThresholds() throws {
        let config = ModelConfig(cell: .lstm, layers: 1, hidden: 3, vocabularySize: 2)
        let model = Model(config: config, seed: 1)
        let p = model.parameters
        let wih = p.view(named: "rnn.weight_ih_l0")!.offset, whh = p.view(named: "rnn.weight_hh_l0")!
        let bih = p.view(named: "rnn.bias_ih_l0")!.offset, bhh = p.view(named: "rnn.bias_hh_l0")!.offset
        for k in 0..<whh.count { p.values[whh.offset + k] = 0 }
        for r in 0..<12 {
            p.values[bhh + r] = 0
            // i: +10 (right-saturated); f: -10 (left); o: unit 0 +10 on character 1 only, else 0 (neither).
            let bias: Float = r < 3 ? 10 : (r < 6 ? -10 : 0)
            p.values[bih + r] = bias
            p.values[wih + r * 2] = 0
            p.values[wih + r * 2 + 1] = r == 9 ? 10 : 0
        }
        let ids: [Int32] = [0, 1, 0, 1, 1, 0, 0, 0]  // character 1 on 3 of 8 steps
        var counter = SaturationCounter(config: config)
        XCTAssertEqual(counter.units.map(\.name), ["l0.i.0", "l0.i.1", "l0.i.2", "l0.f.0", "l0.f.1", "l0.f.2",
                                                   "l0.o.0", "l0.o.1", "l0.o.2"], "g (tanh) is not a gate")
        Recorder(model: model).run(TokenSequence(ids: ids, vocabularySize: 2), count: ids.count) { _, step in counter.add(step) }
        let report = counter.report
        XCTAssertEqual(report.steps, 8)
        XCTAssertEqual(report.left, [0, 0, 0, 1, 1, 1, 0, 0, 0])
        XCTAssertEqual(report.right, [1, 1, 1, 0, 0, 0, 3.0 / 8, 0, 0])
        let summary = report.summary
        XCTAssertEqual(summary.map(\.gate), ["i", "f", "o"])
        XCTAssertEqual(summary.map(\.mostlyRight), [3, 0, 0])
        XCTAssertEqual(summary.map(\.mostlyLeft), [0, 3, 0])
        XCTAssertEqual(summary[2].meanRight, 1.0 / 8, accuracy: 1e-12)
    }
}
