// Training with bf16 products: gradients near fp32's for every cell, the fp32 loss reached after a
// short run, validation still in fp32, the precision kept in checkpoints, and a CPU without bf16
// (forced by CHARNN_DISABLE_BF16) training exactly as fp32 after one notice.

import Foundation
import XCTest
@testable import CharRNN

final class BF16TrainingTests: XCTestCase {
    /// About 6,000 characters of varied English, so a short run has something to learn and to validate on.
    static let corpus: Corpus = {
        let sentences = ["the quick brown fox jumps over the lazy dog.", "she sells sea shells by the sea shore.",
                         "a stitch in time saves nine, they said.", "many hands make light work of it.",
                         "all that glitters is not gold; all who wander are not lost."]
        var text = "", rng = SplitMix64(seed: 3)
        while text.utf8.count < 6000 { text += sentences[Int(rng.next() % 5)] + (rng.next() % 3 == 0 ? "\n" : " ") }
        return try! Corpus(bytes: Array(text.utf8))
    }()

    static func options(_ precision: Precision, batch: Int = 8, steps: Int = 24) -> TrainingOptions {
        var o = TrainingOptions()
        o.batchSize = batch
        o.seqLength = steps
        o.learningRate = 2e-2
        o.validationFraction = 0.1
        o.evalEvery = 1_000_000
        o.printEvery = 1_000_000
        o.precision = precision
        return o
    }

    /// A trainer of a fresh 2-layer model (seed 7), and the warnings its run reported.
    static func train(_ cell: CellKind, hidden: Int, _ options: TrainingOptions, iterations: Int) throws -> (Trainer, [String]) {
        let config = ModelConfig(cell: cell, layers: 2, hidden: hidden, vocabularySize: corpus.vocabulary.count)
        let trainer = try Trainer(model: Model(config: config, seed: 7), vocabulary: corpus.vocabulary, corpus: corpus,
                                  options: options)
        var warnings: [String] = []
        _ = try trainer.run(until: StopCondition(iterations: iterations)) { if case .warning(let w) = $0 { warnings.append(w.description) } }
        return (trainer, warnings)
    }

    func requireBF16() throws {
        try XCTSkipUnless(Precision.bf16Available, "this CPU has no AVX-512 BF16 (or \(Precision.disableVariable) is set)")
    }

    /// One iteration's gradient (no clipping) in bf16 against fp32, for every cell: both layers'
    /// input and recurrent products, the weight gradients and the decoder are bf16. Each product's
    /// elements err by at most about 2u = 2⁻⁷ of Σ|a·b| (see BF16GEMMTests), mostly far less as
    /// roundings of either sign cancel, and the products chain through 24 steps and 2 layers: the
    /// gradient moved by 0.14-0.23 % of its norm here, and must stay under 2 %. It must move at
    /// all, or the bf16 path was not taken.
    func testGradientsStayNearFP32ForEveryCell() throws {
        try requireBF16()
        for cell in CellKind.allCases {
            var fp32 = Self.options(.fp32), bf16 = Self.options(.bf16)
            fp32.gradClip = 0; bf16.gradClip = 0
            let (a, _) = try Self.train(cell, hidden: 40, fp32, iterations: 1)
            let (b, _) = try Self.train(cell, hidden: 40, bf16, iterations: 1)
            let ga = a.model.parameters.gradients.array, gb = b.model.parameters.gradients.array
            let norm = sqrt(ga.reduce(0.0) { $0 + Double($1) * Double($1) })
            let diff = sqrt(zip(ga, gb).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) })
            XCTAssertGreaterThan(diff, 0, "\(cell): bf16 products were not used")
            XCTAssertLessThan(diff / norm, 0.02, "\(cell): bf16 gradient too far from fp32's")
        }
    }

    /// A 2×32 LSTM learning a short text by heart for 300 iterations, from the same seed and data:
    /// with bf16 products it ends as close to the text as with fp32, under 0.1 nats/char and within
    /// 0.02 of fp32's loss (seen: 0.0346 against 0.0339; rounding changes the path, not where it leads).
    func testBF16ReachesTheFP32Loss() throws {
        try requireBF16()
        let text = "the quick brown fox jumps over the lazy dog. she sells sea shells by the sea shores.\n"  // 3 × 28 steps
        let corpus = try Corpus(bytes: Array(text.utf8))
        func memorise(_ precision: Precision) throws -> (loss: Double, parameters: [Float]) {
            var options = Self.options(precision, batch: 1, steps: 28)
            options.validationFraction = 0
            options.learningRate = 1e-2
            let config = ModelConfig(cell: .lstm, layers: 2, hidden: 32, vocabularySize: corpus.vocabulary.count)
            let trainer = try Trainer(model: Model(config: config, seed: 5), vocabulary: corpus.vocabulary, corpus: corpus,
                                      options: options)
            _ = try trainer.run(until: StopCondition(iterations: 300)) { _ in }
            XCTAssertEqual(trainer.options.precision, precision)
            return (try XCTUnwrap(evaluate(trainer.model, tokens: corpus.tokens)).loss, trainer.model.parameters.values.array)
        }
        let fp32 = try memorise(.fp32), bf16 = try memorise(.bf16)
        XCTAssertLessThan(fp32.loss, 0.1)
        XCTAssertEqual(bf16.loss, fp32.loss, accuracy: 0.02)
        XCTAssertNotEqual(bf16.parameters, fp32.parameters, "bf16 products were not used")
    }

    /// Validation of a bf16 run is an fp32 pass: the same loss, bit for bit, as an fp32 trainer's on that model.
    func testValidationRunsInFP32() throws {
        try requireBF16()
        let (trainer, _) = try Self.train(.gru, hidden: 24, Self.options(.bf16), iterations: 3)
        let fp32 = try Trainer(model: trainer.model, vocabulary: Self.corpus.vocabulary, corpus: Self.corpus,
                               options: Self.options(.fp32))
        XCTAssertEqual(try XCTUnwrap(trainer.validationLoss()), try XCTUnwrap(fp32.validationLoss()))
        XCTAssertEqual(trainer.progress.lastValidationLoss, fp32.validationLoss())
    }

    /// With CHARNN_DISABLE_BF16=1 (a CPU without bf16), asking for bf16 says so once and trains
    /// exactly as fp32, and the run is recorded as fp32.
    func testUnavailableBF16FallsBackToExactFP32() throws {
        setenv(Precision.disableVariable, "1", 1)
        defer { unsetenv(Precision.disableVariable) }
        XCTAssertFalse(Precision.bf16Available)
        let (fp32, quiet) = try Self.train(.lstm, hidden: 16, Self.options(.fp32), iterations: 4)
        let (asked, warnings) = try Self.train(.lstm, hidden: 16, Self.options(.bf16), iterations: 4)
        XCTAssertEqual(quiet, [])
        XCTAssertEqual(warnings, ["this CPU has no bfloat16 dot products (AVX-512 BF16); using precision fp32"])
        XCTAssertEqual(asked.options.precision, .fp32)
        XCTAssertEqual(asked.model.parameters.values.array, fp32.model.parameters.values.array)
        XCTAssertEqual(asked.progress.lastValidationLoss, fp32.progress.lastValidationLoss)
    }

    /// The precision is saved with the training options; a checkpoint from before it existed trained in fp32.
    func testCheckpointRecordsThePrecision() throws {
        var options = TrainingOptions()
        options.precision = .bf16
        let saved = try JSONDecoder().decode(TrainingOptions.self, from: JSONEncoder().encode(options))
        XCTAssertEqual(saved, options)
        var old = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(options)) as? [String: Any])
        XCTAssertEqual(old.removeValue(forKey: "precision") as? String, "bf16")
        let decoded = try JSONDecoder().decode(TrainingOptions.self, from: JSONSerialization.data(withJSONObject: old))
        XCTAssertEqual(decoded, TrainingOptions(), "fp32, and every other field as saved")

        let precision: Precision = Precision.bf16Available ? .bf16 : .fp32
        let (trainer, _) = try Self.train(.rnn, hidden: 8, Self.options(.bf16), iterations: 2)
        let file = Checkpoint(model: trainer.model, vocabulary: Self.corpus.vocabulary, training: trainer.snapshot).safeTensors
        XCTAssertEqual(try Checkpoint(file).training?.options.precision, precision)
    }
}
