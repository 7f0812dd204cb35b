// The sampling path (one character at a time through `InferenceStep`) against the general
// forward pass: bit-identical logits, and the same text for the same seed.

import XCTest
@testable import CharRNN

final class InferenceStepTests: XCTestCase {
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz .,;'\n".unicodeScalars)

    /// A random 2-layer model whose weights are scaled up so its states and draws move a lot,
    /// which makes any difference in the arithmetic show in the text.
    func makeModel(_ cell: CellKind, hidden: Int) -> (Model, Vocabulary) {
        let vocabulary = Vocabulary(scalars: InferenceStepTests.alphabet)
        let model = Model(config: ModelConfig(cell: cell, layers: 2, hidden: hidden, vocabularySize: vocabulary.count), seed: 17)
        let p = model.parameters.values
        for i in 0..<p.count { p[i] *= 4 }
        return (model, vocabulary)
    }

    func options(seed: UInt64) -> SamplingOptions {
        var options = SamplingOptions()
        options.length = 200
        options.seed = seed
        options.prime = "the "
        return options
    }

    /// Seeded texts drawn through the step path are the texts the general forward pass
    /// (`Model.forward`, one step at a time with a carried state) draws with the same seed: the step
    /// path does the same Float operations in the same order. A different draw anywhere in 200
    /// characters of these loud models shows any change in the arithmetic; `Sampler.generate`'s
    /// drawing is shared, so only the stepping differs.
    func testSeededSamplesAreTheTextsTheGeneralForwardDraws() throws {
        for cell in CellKind.allCases {
            for hidden in [40, 70] {
                let (model, vocabulary) = makeModel(cell, hidden: hidden)
                let sampler = Sampler(model: model, vocabulary: vocabulary)
                let ws = Workspace(config: model.config, steps: 1, batch: 1, training: false)
                let state = RecurrentState(config: model.config, batch: 1)
                for seed: UInt64 in [5, 6] {
                    var viaStep = "", viaForward = ""
                    try sampler.generate(options(seed: seed)) { viaStep.unicodeScalars.append($0) }
                    state.reset()
                    var rng = SplitMix64(seed: 1)
                    try sampler.generate(options(seed: seed), step: { id in
                        ws.inputs[0] = id
                        model.forward(ws, steps: 1, state: state, mode: .inference, rng: &rng)
                        return ws.logits(step: 0, stream: 0).baseAddress!
                    }, emit: { viaForward.unicodeScalars.append($0) })
                    XCTAssertEqual(viaStep.unicodeScalars.count, 200)
                    XCTAssertEqual(viaStep, viaForward, "\(cell) H=\(hidden) seed \(seed)")
                }
            }
        }
    }

    /// Logits of every step are bit-identical to `Model.forward` run one step at a time with a
    /// carried state: the step path promises the same Float operations in the same order (one
    /// fused multiply-add in place of a multiply and an add already shows as a 5e-7 difference).
    func testStepLogitsMatchTheGeneralForward() {
        for cell in CellKind.allCases {
            for hidden in [5, 33, 64] {
                let (model, _) = makeModel(cell, hidden: hidden)
                let V = model.config.vocabularySize
                let step = InferenceStep(model: model)
                let ws = Workspace(config: model.config, steps: 1, batch: 1, training: false)
                let state = RecurrentState(config: model.config, batch: 1)
                var rng = SplitMix64(seed: 1)
                var worst: Float = 0
                for t in 0..<40 {
                    let id = Int32((t * 7 + 3) % V)
                    ws.inputs[0] = id
                    model.forward(ws, steps: 1, state: state, mode: .inference, rng: &rng)
                    step.run(id)
                    let expected = ws.logits(step: 0, stream: 0)
                    for v in 0..<V { worst = max(worst, abs(expected[v] - step.logits[v])) }
                }
                XCTAssertEqual(worst, 0, "\(cell) H=\(hidden)")
                // And reset really starts again from zeros.
                step.reset()
                state.reset()
                ws.inputs[0] = 2
                model.forward(ws, steps: 1, state: state, mode: .inference, rng: &rng)
                step.run(2)
                XCTAssertEqual(ws.logits(step: 0, stream: 0)[0], step.logits[0], accuracy: 1e-4)
            }
        }
    }

    /// Splitting a layer's rows across threads changes nothing: each row is summed the same way.
    func testThreadedStepsGiveIdenticalLogits() {
        let (model, _) = makeModel(.lstm, hidden: 70)
        let oneThread = InferenceStep(model: model), split = InferenceStep(model: model)
        let (threads, minimum) = (Parallelism.threads, InferenceStep.minimumParallelMultiplyAdds)
        defer { Parallelism.threads = threads; InferenceStep.minimumParallelMultiplyAdds = minimum }
        for t in 0..<20 {
            let id = Int32((t * 5 + 1) % model.config.vocabularySize)
            Parallelism.threads = 1
            oneThread.run(id)
            Parallelism.threads = 2
            InferenceStep.minimumParallelMultiplyAdds = 0
            split.run(id)
            for v in 0..<model.config.vocabularySize { XCTAssertEqual(oneThread.logits[v], split.logits[v]) }
        }
    }
}
