// The fast batched forward pass of each cell against the slow per-element reference, for every
// layer's hidden state and cell state and for the logits.

import XCTest
@testable import CharRNN
import TestSupport

final class CellForwardTests: XCTestCase {
    func check(_ cell: CellKind, layers: Int, hidden: Int, vocab: Int, steps T: Int, batch B: Int) {
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
        model.forward(ws, steps: T, state: state, mode: .inference, rng: &rng)

        let reference = ReferenceNetwork(model: model)
        let H = hidden
        var worst = 0.0
        for b in 0..<B {
            let h0 = (0..<layers).map { l in (0..<H).map { Double(initial.h[(l * B + b) * H + $0]) } }
            let c0 = (0..<layers).map { l in (0..<H).map { cell == .lstm ? Double(initial.c[(l * B + b) * H + $0]) : 0 } }
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
                for j in 0..<H { XCTAssertEqual(Double(state.h[(l * B + b) * H + j]), ref.hs[l][T - 1][j], accuracy: 1e-5) }
            }
        }
        // Float32 against Double over a few dozen operations per value.
        XCTAssertLessThan(worst, 2e-5, "\(cell) L=\(layers) H=\(hidden)")
    }

    func testRNN() { check(.rnn, layers: 2, hidden: 19, vocab: 11, steps: 6, batch: 3) }
    func testLSTM() { check(.lstm, layers: 2, hidden: 19, vocab: 11, steps: 6, batch: 3) }
    func testGRU() { check(.gru, layers: 2, hidden: 19, vocab: 11, steps: 6, batch: 3) }
    // Sizes past one register block (8 × 32) and one stream (the single-row product path).
    func testLSTMWideSingleStream() { check(.lstm, layers: 3, hidden: 70, vocab: 40, steps: 5, batch: 1) }
    func testGRUWideBatch() { check(.gru, layers: 1, hidden: 45, vocab: 33, steps: 3, batch: 17) }
}
