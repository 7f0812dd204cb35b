// The fast batched forward pass of each cell against the slow per-element reference, for every
// layer's hidden state and cell state and for the logits.

import XCTest
@testable import CharRNN
import TestSupport

final class CellForwardTests: XCTestCase {
    /// The largest difference between the fast pass and the reference over every logit, h and c.
    /// `plant` changes the model after the reference has read its weights (a planted fault).
    @discardableResult
    func check(_ cell: CellKind, layers: Int, hidden: Int, vocab: Int, steps T: Int, batch B: Int,
               plant: (Model) -> Void = { _ in }) -> Double {
        let config = ModelConfig(cell: cell, layers: layers, hidden: hidden, vocabularySize: vocab)
        let model = Model(config: config, seed: 42)
        let ws = Workspace(config: config, steps: T, batch: B, training: false)
        var rng = SplitMix64(seed: 3)
        var ids: [[Int32]] = []
        for _ in 0..<B { ids.append((0..<T).map { _ in Int32(rng.next() % UInt64(vocab)) }) }
        for t in 0..<T { for b in 0..<B { ws.inputs[t * B + b] = ids[b][t] } }
        let state = RecurrentState(config: config, batch: B)
        for i in 0..<state.h.count { state.h[i] = rng.nextUniform(bound: 1) }
        for i in 0..<state.c.count { state.c[i] = rng.nextUniform(bound: 1) }
        let initial = RecurrentState(config: config, batch: B)
        initial.copy(from: state)
        let reference = ReferenceNetwork(model: model)
        plant(model)
        model.forward(ws, steps: T, state: state, mode: .inference, rng: &rng)

        let H = hidden
        var worst = 0.0
        for b in 0..<B {
            let h0 = (0..<layers).map { l in (0..<H).map { Double(initial.h[(l * B + b) * H + $0]) } }
            let c0 = (0..<layers).map { l in (0..<H).map { cell.hasCellState ? Double(initial.c[(l * B + b) * H + $0]) : 0 } }
            let ref = reference.run(ids: ids[b], h0: h0, c0: c0)
            for t in 0..<T {
                for (j, v) in ws.logits(step: t, stream: b).enumerated() { worst = max(worst, abs(Double(v) - ref.logits[t][j])) }
                for l in 0..<layers {
                    for (j, v) in ws.hidden(layer: l, step: t, stream: b).enumerated() { worst = max(worst, abs(Double(v) - ref.hs[l][t][j])) }
                    for (j, v) in ws.cellState(layer: l, step: t, stream: b).enumerated() { worst = max(worst, abs(Double(v) - ref.cs[l][t][j])) }
                }
            }
            // The carried state is the last step's.
            for l in 0..<layers {
                for j in 0..<H { worst = max(worst, abs(Double(state.h[(l * B + b) * H + j]) - ref.hs[l][T - 1][j])) }
            }
        }
        return worst
    }

    /// Float32 against Double over a few dozen operations per value.
    static let tolerance = 2e-5

    func assertMatches(_ cell: CellKind, layers: Int, hidden: Int, vocab: Int, steps T: Int, batch B: Int,
                       file: StaticString = #filePath, line: UInt = #line) {
        let worst = check(cell, layers: layers, hidden: hidden, vocab: vocab, steps: T, batch: B)
        XCTAssertLessThan(worst, Self.tolerance, "\(cell) L=\(layers) H=\(hidden)", file: file, line: line)
    }

    func testEveryCell() {
        for cell in CellKind.allCases { assertMatches(cell, layers: 2, hidden: 19, vocab: 11, steps: 6, batch: 3) }
    }
    // Sizes past one register block (8 × 32) and one stream (the single-row product path).
    func testLSTMWideSingleStream() { assertMatches(.lstm, layers: 3, hidden: 70, vocab: 40, steps: 5, batch: 1) }
    func testGRUWideBatch() { assertMatches(.gru, layers: 1, hidden: 45, vocab: 33, steps: 3, batch: 17) }

    /// The comparison fails for each cell when one gate is wrong: b_ih of unit 0 of gate block g,
    /// in the top layer, moved by 0.5 after the reference has read the weights.
    func testCatchesAWrongGateInEveryCell() {
        for cell in CellKind.allCases {
            for g in 0..<cell.gateCount {
                let worst = check(cell, layers: 2, hidden: 5, vocab: 4, steps: 3, batch: 2) { model in
                    model.parameters.values[model.parameters.view(named: "rnn.bias_ih_l1")!.offset + g * 5] += 0.5
                }
                XCTAssertGreaterThan(worst, 100 * Self.tolerance, "\(cell) gate \(cell.gates[g].letter)")
            }
        }
    }
}
