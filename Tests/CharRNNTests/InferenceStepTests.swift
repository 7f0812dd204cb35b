// The sampling path (one character at a time through `InferenceStep`) against the general
// forward pass it replaces: the same logits and states, and the same text for the same seed.

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

    func sample(_ model: Model, _ vocabulary: Vocabulary, seed: UInt64, prime: String = "the ") throws -> String {
        var options = SamplingOptions()
        options.length = 80
        options.seed = seed
        options.prime = prime
        var out = ""
        try Sampler(model: model, vocabulary: vocabulary).generate(options) { out.unicodeScalars.append($0) }
        return out
    }

    /// Texts drawn through the general forward pass before `InferenceStep` existed (seed 5,
    /// prime "the "). The step path performs the same Float operations in the same order, so it
    /// reproduces them; these catch any change that alters a draw (a one-ulp reordering rarely
    /// does: that was checked by comparing 100,000-character release-build samples with cmp).
    /// A deliberate change to the cells' arithmetic, such as a faster tanh, may change these texts;
    /// regenerate them then.
    static let golden: [String: String] = [
        "rnn 40": "nxdhdd.hiokh.kytwihkhzhwfyvhi.id.h;koihaisohkhaydiphmtwmkpthsduatikai.isidiaiiti",
        "rnn 70": "e,mcgh'osykn m ; mdmc'h,emyctuxe'h,kjjbaxnhmkxd\ncgnexlxmfmsh;t\naxrkhh'prta\naeeuh",
        "lstm 40": "kwgcfi\nnltlf n\n' melc\nf.fv\nem hf\nk\nukleaosmhuxf\nekmbjx'kku.g.iiazoggo\npuocoafgrl",
        "lstm 70": "mxicfm\nqmvnd.o';zoeoc\ne,ex'ep.jf'm'xlodaswpixxe'dmobmy;nnx.i.kkazqfgq\ntxpcradeun",
        "gru 40": "k;ggjq\nuszsa,q'';rgqa\na.gz;amzgg'q';qsgauxrkvyg\ngqseqz;rqy.g.kkazragr\nsyqaraaguq",
        "gru 70": "oykfkq\nwwwwi\nw\n\n;wkwg\nn;i.\nfw;qi\nu\n.uwhbwwwqwwd\ndqqdq.;uw..d;jka.unpx\n..wiwbnsww",
    ]

    func testSeededSamplesAreTheSameAsTheGeneralForwardGave() throws {
        for cell in CellKind.allCases {
            for hidden in [40, 70] {
                let (model, vocabulary) = makeModel(cell, hidden: hidden)
                XCTAssertEqual(try sample(model, vocabulary, seed: 5), InferenceStepTests.golden["\(cell) \(hidden)"], "\(cell) \(hidden)")
            }
        }
    }

    /// Logits of every step agree with `Model.forward` run one step at a time with a carried state
    /// (to rounding: the general forward may sum in another order once its kernels change).
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
                    for v in 0..<V { worst = max(worst, abs(expected[v] - step.logits[v]) / max(1, abs(expected[v]))) }
                }
                XCTAssertLessThan(worst, 1e-4, "\(cell) H=\(hidden)")
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
