// charnn against PyTorch's own answers (Tests/Fixtures/torch_fixture.json, written by
// make_torch_fixture.py): logits, loss, every gradient, initial-state gradients and final states
// of each cell at two layers, from a zero and from a nonzero initial state; and the cells' own
// Double equations (`RecurrentCell.referenceUnit`, which the forward test trusts) against the same answers.

import Foundation
import XCTest
@testable import CharRNN
import TestSupport

/// The fixture's reference is float64 PyTorch from float32 weights, so the differences measured
/// here are charnn's float32 arithmetic alone (its roundings, u = 2⁻²⁴ ≈ 6e-8, and its vector
/// exp/tanh/sigmoid, good to a few ulps).
///
/// Tolerance, and why: every value is a chain of sums of K products (K ≤ 20: G·H gate inputs,
/// H decoder inputs, T·B = 12 positions in a weight gradient) through T = 4 steps and 2 layers,
/// forward and back, roughly 100 roundings along the longest path. A rounding's error is u times
/// the terms being summed, not the result, and the terms behind one tensor's elements are of the
/// size of its largest elements (layer 0's LSTM gradients are all ~1e-3, the logits ~1), so the
/// unit is each tensor's scale S = max |torch value| over it. An element agrees when
/// |charnn − torch| ≤ 1e-5 · S: a worst-case 100 · u ≈ 6e-6 and then some, yet 24 times the
/// largest difference seen (4.2e-7 · S, ∂rnn.bias_ih_l0 of the LSTM; most are near 1e-7 · S).
/// An error relative to each element instead would fail on gradients that come out small by
/// cancellation (their error is that of their terms); an absolute one would let layer 0's small
/// gradients drift by percents. A misread equation — the LSTM's gates in another order, the GRU's
/// reset gate applied to W_hn h without its bias, a dropped recurrence — moves values by 1e-2 · S
/// or more, a thousand times outside the bound.
final class TorchFixtureTests: XCTestCase {
    static let tolerance = 1e-5  // of each tensor's largest |value|

    struct State: Decodable {
        let h: [Double]
        let c: [Double]?
    }

    struct Run: Decodable {
        let initial_state: State?
        let logits: [Double]
        let loss: Double
        let gradients: [String: [Double]]
        let initial_state_gradients: State
        let final_state: State
    }

    struct CellCase: Decodable {
        let cell: String
        let parameters: [String: [Double]]
        let runs: [Run]
    }

    struct Fixture: Decodable {
        let vocab_size: Int, hidden: Int, layers: Int, batch: Int, steps: Int
        let inputs: [Int32], targets: [Int32]
        let cells: [CellCase]
    }

    static let fixtureURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/torch_fixture.json").standardized

    func loadFixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.fixtureURL))
    }

    /// Differences beyond the tolerance, as "what[index]: charnn x, torch y" lines.
    struct Comparison {
        var failures: [String] = []
        var worstOfScale = 0.0  // the largest |charnn − torch| / S seen
        var compared = 0

        mutating func check(_ what: String, _ actual: [Float], _ expected: [Double]) {
            guard actual.count == expected.count, !expected.isEmpty else {
                failures.append("\(what): charnn has \(actual.count) values, the fixture \(expected.count)")
                return
            }
            let scale = expected.map(abs).max()!
            for (i, (a, e)) in zip(actual, expected).enumerated() {
                let difference = abs(Double(a) - e)
                worstOfScale = max(worstOfScale, difference / scale)
                compared += 1
                if !(difference <= TorchFixtureTests.tolerance * scale) {
                    failures.append("\(what)[\(i)]: charnn \(a), torch \(e) (tensor scale \(scale))")
                }
            }
        }
    }

    /// A model of the fixture's config holding its weights, set through the named views; fails
    /// unless the fixture has exactly charnn's tensor names, with the right element counts.
    func model(_ fixture: Fixture, _ c: CellCase) throws -> Model {
        let kind = try XCTUnwrap(CellKind(rawValue: c.cell), "unknown cell \(c.cell)")
        let config = ModelConfig(cell: kind, layers: fixture.layers, hidden: fixture.hidden,
                                 vocabularySize: fixture.vocab_size)
        let model = Model(config: config, seed: 1)
        let p = model.parameters
        XCTAssertEqual(Set(c.parameters.keys), Set(p.views.map(\.name)), c.cell)
        for view in p.views {
            let values = try XCTUnwrap(c.parameters[view.name], view.name)
            XCTAssertEqual(values.count, view.count, view.name)
            for (i, v) in values.prefix(view.count).enumerated() { p.values(of: view)[i] = Float(v) }
        }
        return model
    }

    /// One training forward + backward of the fixture's batch; the differences from torch's run.
    func compare(_ model: Model, _ fixture: Fixture, _ run: Run, label: String) -> Comparison {
        let config = model.config
        let T = fixture.steps, B = fixture.batch, H = config.hidden, V = config.vocabularySize, L = config.layers
        let ws = Workspace(config: config, steps: T, batch: B, training: true)
        for i in 0..<(T * B) {
            ws.inputs[i] = fixture.inputs[i]
            ws.targets[i] = fixture.targets[i]
        }
        // The zero-state run goes through forward's nil state, the other through a filled one.
        let state: RecurrentState? = run.initial_state.map { initial in
            let s = RecurrentState(config: config, batch: B)
            for (i, v) in initial.h.enumerated() { s.h[i] = Float(v) }
            for (i, v) in (initial.c ?? []).enumerated() { s.c[i] = Float(v) }
            return s
        }
        model.parameters.zeroGradients()
        var rng = SplitMix64(seed: 0)
        let total = model.forward(ws, steps: T, state: state, mode: .training, rng: &rng)
        model.backward(ws, steps: T)

        var result = Comparison()
        result.check("\(label) loss", [Float(total / Double(T * B))], [run.loss])
        result.check("\(label) logits", (0..<T).flatMap { t in (0..<B).flatMap { b in Array(ws.logits(step: t, stream: b)) } },
                     run.logits)
        XCTAssertEqual(run.logits.count, T * B * V, label)
        for view in model.parameters.views {
            let grad = Array(UnsafeBufferPointer(start: model.parameters.gradients(of: view), count: view.count))
            result.check("\(label) ∂\(view.name)", grad, run.gradients[view.name] ?? [])
        }
        let dState = (0..<L).map { model.initialStateGradient(ws, layer: $0) }
        result.check("\(label) ∂h0", dState.flatMap(\.h), run.initial_state_gradients.h)
        let finalH = (0..<L).flatMap { l in (0..<B).flatMap { b in Array(ws.hidden(layer: l, step: T - 1, stream: b)) } }
        result.check("\(label) final h", finalH, run.final_state.h)
        if let state { result.check("\(label) carried h", state.h.array, run.final_state.h) }
        if config.cell.hasCellState {
            result.check("\(label) ∂c0", dState.flatMap(\.c), run.initial_state_gradients.c ?? [])
            let finalC = (0..<L).flatMap { l in (0..<B).flatMap { b in Array(ws.cellState(layer: l, step: T - 1, stream: b)) } }
            result.check("\(label) final c", finalC, run.final_state.c ?? [])
            if let state { result.check("\(label) carried c", state.c.array, run.final_state.c ?? []) }
        }
        return result
    }

    func testEveryCellAgreesWithPyTorch() throws {
        let fixture = try loadFixture()
        XCTAssertEqual(fixture.cells.map(\.cell).sorted(), CellKind.allCases.map(\.rawValue).sorted(),
                       "the fixture covers every cell type (regenerate it with make_torch_fixture.py)")
        for c in fixture.cells {
            let model = try model(fixture, c)
            XCTAssertEqual(c.runs.map { $0.initial_state == nil }, [true, false], "a zero and a nonzero initial state")
            for run in c.runs {
                let label = "\(c.cell) \(run.initial_state == nil ? "zero" : "nonzero") state"
                let result = compare(model, fixture, run, label: label)
                let parameterCount = model.config.parameterCount
                // Logits, loss, every gradient, ∂h0 (∂c0), the final state (twice when carried).
                XCTAssertGreaterThan(result.compared, parameterCount + fixture.steps * fixture.batch * fixture.vocab_size, label)
                XCTAssertTrue(result.failures.isEmpty, "\(label): \(result.failures.count) values differ from PyTorch's:\n"
                              + result.failures.prefix(8).joined(separator: "\n"))
                print("TorchFixtureTests: \(label): \(result.compared) values, largest difference \(result.worstOfScale) of the tensor's scale")
            }
        }
    }

    /// Each cell's `referenceUnit`, the Double equations that CellForwardTests, InspectionTests and
    /// TrainingTests check the fast kernels against at sizes the fixture does not cover, against
    /// PyTorch itself: the slow reference network's logits and final state for the fixture's runs.
    /// Both sides are float64 from the same float32 weights and states, and the fixture keeps 12
    /// significant digits, so they agree to about 1e-12; a misread equation moves values by 1e-2.
    func testEveryCellsReferenceEquationsAgreeWithPyTorch() throws {
        let fixture = try loadFixture()
        let T = fixture.steps, B = fixture.batch, H = fixture.hidden, L = fixture.layers, V = fixture.vocab_size
        for c in fixture.cells {
            let reference = ReferenceNetwork(model: try model(fixture, c))
            for run in c.runs {
                var worst = 0.0
                func compare(_ value: Double, _ torch: Double) { worst = max(worst, abs(value - torch)) }
                for b in 0..<B {
                    // Stream b's (L, H) slice of an (L, B, H) state; zero where the run has none.
                    func slice(_ state: [Double]?) -> [[Double]] { (0..<L).map { l in (0..<H).map { state?[(l * B + b) * H + $0] ?? 0 } } }
                    let ref = reference.run(ids: (0..<T).map { fixture.inputs[$0 * B + b] },
                                            h0: slice(run.initial_state?.h), c0: slice(run.initial_state?.c))
                    for t in 0..<T { for j in 0..<V { compare(ref.logits[t][j], run.logits[(t * B + b) * V + j]) } }
                    for l in 0..<L {
                        for j in 0..<H {
                            compare(ref.hs[l][T - 1][j], run.final_state.h[(l * B + b) * H + j])
                            if let finalC = run.final_state.c { compare(ref.cs[l][T - 1][j], finalC[(l * B + b) * H + j]) }
                        }
                    }
                }
                let label = "\(c.cell) \(run.initial_state == nil ? "zero" : "nonzero") state"
                XCTAssertLessThan(worst, 1e-9, "\(label): the reference equations differ from PyTorch's")
            }
        }
    }
}
