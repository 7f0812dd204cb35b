// Behaviour of training end to end: memorising a short text, exact resume, checkpoint round
// trips, reproducible sampling, and eval against the slow reference network.

import Foundation
import XCTest
@testable import CharRNN
import TestSupport

final class TrainingTests: XCTestCase {
    static let text = "the quick brown fox jumps over the lazy dog.\n"

    /// An LSTM trained until it knows `text` by heart (shared by the tests that need one).
    static let memorised: (model: Model, vocabulary: Vocabulary, summary: TrainingSummary) = {
        let corpus = try! Corpus(bytes: Array(text.utf8))
        var options = TrainingOptions()
        options.batchSize = 1
        options.seqLength = 22
        options.learningRate = 1e-2
        options.validationFraction = 0
        options.evalEvery = 1_000_000
        options.printEvery = 1_000_000
        let model = Model(config: ModelConfig(cell: .lstm, layers: 1, hidden: 32, vocabularySize: corpus.vocabulary.count), seed: 5)
        let trainer = try! Trainer(model: model, vocabulary: corpus.vocabulary, corpus: corpus, options: options)
        let summary = try! trainer.run(until: StopCondition(iterations: 300)) { _ in }
        return (model, corpus.vocabulary, summary)
    }()

    private var scratch: TemporaryDirectory!

    override func setUpWithError() throws { scratch = try TemporaryDirectory(prefix: "training-tests") }

    override func tearDownWithError() throws { scratch.remove() }

    /// A path in this test's own directory, removed after the test.
    func tempPath(_ name: String) -> String { scratch.file(name).path }

    func testSmallLSTMMemorisesAShortText() throws {
        let (model, vocabulary, summary) = TrainingTests.memorised
        XCTAssertEqual(summary.iterations, 300)
        let corpus = try Corpus(bytes: Array(TrainingTests.text.utf8), vocabulary: vocabulary)
        let result = try XCTUnwrap(evaluate(model, tokens: corpus.tokens))
        XCTAssertLessThan(result.loss, 0.05, "nats/char after memorising")
        // Greedy decoding from the first character reproduces the text.
        let sampler = Sampler(model: model, vocabulary: vocabulary)
        var options = SamplingOptions()
        options.prime = "t"
        options.argmax = true
        options.length = TrainingTests.text.unicodeScalars.count - 1
        var out = "t"
        try sampler.generate(options) { out.unicodeScalars.append($0) }
        XCTAssertEqual(out, TrainingTests.text)
    }

    func testSamplingIsReproducibleAndNearArgmaxWhenCold() throws {
        let (model, vocabulary, _) = TrainingTests.memorised
        let sampler = Sampler(model: model, vocabulary: vocabulary)
        func sample(_ configure: (inout SamplingOptions) -> Void) throws -> String {
            var options = SamplingOptions()
            options.length = 300
            configure(&options)
            var out = ""
            try sampler.generate(options) { out.unicodeScalars.append($0) }
            return out
        }
        let hot = try sample { $0.temperature = 3; $0.seed = 1 }
        XCTAssertEqual(hot, try sample { $0.temperature = 3; $0.seed = 1 })
        XCTAssertNotEqual(hot, try sample { $0.temperature = 3; $0.seed = 2 })
        XCTAssertEqual(hot.unicodeScalars.count, 300)
        let greedy = try sample { $0.argmax = true }
        XCTAssertEqual(try sample { $0.topK = 1; $0.seed = 9 }, greedy)
        // At a low temperature the draws are the most likely characters, whatever the seed:
        // within the memorised text (past its end the model has seen no continuation).
        let inside = TrainingTests.text.unicodeScalars.count - 2
        let greedyInside = try sample { $0.argmax = true; $0.prime = "t"; $0.length = inside }
        XCTAssertEqual("t" + greedyInside, String(TrainingTests.text.dropLast()))
        for seed in 0..<5 as Range<UInt64> {
            XCTAssertEqual(try sample { $0.temperature = 0.05; $0.seed = seed; $0.prime = "t"; $0.length = inside }, greedyInside)
        }
        // A hot sample of a memorised text still differs from it somewhere.
        XCTAssertNotEqual(hot, greedy)
        XCTAssertThrowsError(try sample { $0.prime = "Z" }) {
            XCTAssertEqual($0 as? TextError, .unknownCharacter("Z", offset: 0))
        }
    }

    func smallRun(iterations: Int, from checkpoint: Checkpoint? = nil, save path: String? = nil) throws -> Trainer {
        let text = String(repeating: "abcabd, dcba! ", count: 12)
        let corpus = try Corpus(bytes: Array(text.utf8))
        var options = TrainingOptions()
        options.batchSize = 3
        options.seqLength = 7
        options.lrDecay = 0.5
        options.validationFraction = 0.1
        options.evalEvery = 4
        let trainer: Trainer
        if let checkpoint {
            trainer = try Trainer(model: checkpoint.model, vocabulary: checkpoint.vocabulary, corpus: corpus,
                                  options: checkpoint.training!.options, resuming: checkpoint.training,
                                  outputs: TrainingRecord(checkpointPath: path))
        } else {
            let config = ModelConfig(cell: .lstm, layers: 2, hidden: 9, vocabularySize: corpus.vocabulary.count, dropout: 0.2)
            trainer = try Trainer(model: Model(config: config, seed: 77), vocabulary: corpus.vocabulary, corpus: corpus, options: options,
                                  outputs: TrainingRecord(checkpointPath: path))
        }
        _ = try trainer.run(until: StopCondition(iterations: iterations)) { _ in }
        return trainer
    }

    func testResumeEqualsAnUninterruptedRun() throws {
        let straight = try smallRun(iterations: 17)
        XCTAssertGreaterThan(straight.progress.iteration, 2 * straight.batchesPerEpoch, "the run crosses epochs")
        XCTAssertLessThan(straight.progress.learningRate, 2e-3, "learning-rate decay happened")
        let path = tempPath("resume.ckpt")
        _ = try smallRun(iterations: 6, save: path)
        let resumed = try smallRun(iterations: 17, from: try Checkpoint.read(from: path))
        XCTAssertEqual(resumed.progress.iteration, 17)
        XCTAssertEqual(resumed.model.parameters.values.array.map(\.bitPattern), straight.model.parameters.values.array.map(\.bitPattern))
        XCTAssertEqual(resumed.optimizer.slots[1].array, straight.optimizer.slots[1].array)
        XCTAssertEqual(resumed.state.h.array, straight.state.h.array)
        XCTAssertEqual(resumed.progress.rngState, straight.progress.rngState)
        XCTAssertEqual(resumed.progress.learningRate, straight.progress.learningRate)
    }

    func testCheckpointRoundTripGivesBitIdenticalLogits() throws {
        let trainer = try smallRun(iterations: 5)
        let path = tempPath("roundtrip.ckpt")
        try Checkpoint(model: trainer.model, vocabulary: trainer.vocabulary, training: trainer.snapshot).write(to: path)
        let loaded = try Checkpoint.read(from: path)
        XCTAssertEqual(loaded.model.config, trainer.model.config)
        XCTAssertEqual(loaded.vocabulary, trainer.vocabulary)
        XCTAssertEqual(loaded.training?.options, trainer.options)
        XCTAssertEqual(loaded.training?.progress, trainer.snapshot.progress)
        func logits(_ model: Model) -> [UInt32] {
            let ws = Workspace(config: model.config, steps: 6, batch: 2, training: false)
            for i in 0..<12 { ws.inputs[i] = Int32(i % model.config.vocabularySize) }
            var rng = SplitMix64(seed: 0)
            model.forward(ws, steps: 6, state: nil, mode: .inference, rng: &rng)
            return (0..<6).flatMap { t in (0..<2).flatMap { b in ws.logits(step: t, stream: b).map(\.bitPattern) } }
        }
        XCTAssertEqual(logits(loaded.model), logits(trainer.model))
        // The file is named with PyTorch's tensor names.
        let file = try SafeTensors.read(from: path)
        for name in ["rnn.weight_ih_l0", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l0", "decoder.weight", "decoder.bias",
                     "optimizer.exp_avg", "optimizer.exp_avg_sq", "training.state.h", "training.state.c"] {
            XCTAssertNotNil(file[name], name)
        }
        XCTAssertEqual(file["rnn.weight_ih_l0"]?.shape, [4 * 9, trainer.vocabulary.count])
    }

    func testCheckpointRejectsMismatchedContent() throws {
        let model = Model(config: ModelConfig(cell: .gru, layers: 1, hidden: 4, vocabularySize: 3), seed: 1)
        var file = Checkpoint(model: model, vocabulary: Vocabulary(scalars: ["a", "b", "c"])).safeTensors
        var newer = file
        newer.metadata["charnn.format"] = "2"
        XCTAssertThrowsError(try Checkpoint(newer)) { XCTAssertEqual($0 as? ModelFileError, .newerFormat(found: 2, supported: 1)) }
        var wrongConfig = file
        wrongConfig.metadata["charnn.config"] = #"{"cell":"gru","layers":1,"hidden":5,"vocab_size":3,"dropout":0}"#
        XCTAssertThrowsError(try Checkpoint(wrongConfig)) {
            XCTAssertEqual($0 as? ModelFileError, .shapeMismatch(tensor: "rnn.weight_ih_l0", expected: [15, 3], found: [12, 3]))
        }
        file.tensors.removeAll { $0.name == "decoder.bias" }
        XCTAssertThrowsError(try Checkpoint(file)) { XCTAssertEqual($0 as? ModelFileError, .missingTensor("decoder.bias")) }
    }

    func testEvalMatchesTheReferenceNetwork() throws {
        for cell in CellKind.allCases {
            let text = "Evaluate me, one character at a time.\n"
            let corpus = try Corpus(bytes: Array(text.utf8))
            let model = Model(config: ModelConfig(cell: cell, layers: 2, hidden: 12, vocabularySize: corpus.vocabulary.count), seed: 3)
            let result = try XCTUnwrap(evaluate(model, tokens: corpus.tokens, chunk: 7))  // several chunks, state carried
            let ids = corpus.tokens.ids
            let zeros = [[Double]](repeating: [Double](repeating: 0, count: 12), count: 2)
            let ref = ReferenceNetwork(model: model).run(ids: Array(ids.dropLast()), h0: zeros, c0: zeros)
            var total = 0.0
            for (t, logits) in ref.logits.enumerated() {
                let m = logits.max()!
                let lse = m + log(logits.reduce(0) { $0 + exp($1 - m) })
                total += lse - logits[Int(ids[t + 1])]
            }
            XCTAssertEqual(result.characters, ids.count - 1)
            XCTAssertEqual(result.loss, total / Double(ids.count - 1), accuracy: 1e-5, "\(cell)")
            XCTAssertEqual(result.bitsPerCharacter, result.loss / log(2), accuracy: 1e-12)
        }
    }

    /// A stop requested while a validation pass runs abandons the pass: the latest checkpoint is
    /// written without it (the best one is left alone) and the run ends there. A stop requested
    /// before the pass (during a step) still gets the whole pass, as it always has.
    func testStopDuringValidationAbandonsThePass() throws {
        let corpus = try Corpus(bytes: Array(String(repeating: "abcd efgh ", count: 400).utf8))
        var options = TrainingOptions()
        options.batchSize = 2
        options.seqLength = 5
        options.validationFraction = 0.5   // 2,000 characters: 200 validation batches
        options.evalEvery = 2
        options.printEvery = 1_000_000
        func run(stopAfterArming calls: Int) throws -> (summary: TrainingSummary, events: [TrainingEvent], latest: String, best: String) {
            let model = Model(config: ModelConfig(cell: .gru, layers: 1, hidden: 8, vocabularySize: corpus.vocabulary.count), seed: 3)
            let latest = tempPath("abandon-\(calls).ckpt"), best = tempPath("abandon-\(calls).best.ckpt")
            for p in [latest, best] { try? FileManager.default.removeItem(atPath: p) }
            let trainer = try Trainer(model: model, vocabulary: corpus.vocabulary, corpus: corpus, options: options,
                                      outputs: TrainingRecord(checkpointPath: latest, bestCheckpointPath: best))
            // Armed by the report that precedes iteration 2's validation; from then on the n-th
            // call of shouldStop says stop when n > calls. The first call after arming is the
            // checkpoint's look before its pass, the next ones come between validation batches.
            var armed = false, count = 0
            var events: [TrainingEvent] = []
            let summary = try trainer.run(until: StopCondition(iterations: 10), shouldStop: {
                guard armed else { return false }
                count += 1
                return count > calls
            }) { event in
                events.append(event)
                if case .step(let r) = event, r.iteration == 2 { armed = true }
            }
            return (summary, events, latest, best)
        }

        let during = try run(stopAfterArming: 3)
        XCTAssertTrue(during.summary.interrupted)
        XCTAssertEqual(during.summary.iterations, 2)
        XCTAssertNil(during.summary.validationLoss)
        XCTAssertFalse(during.events.contains { if case .validated = $0 { return true }; return false })
        XCTAssertTrue(during.events.contains { if case .warning(let w) = $0 { return w.contains("validation interrupted at iteration 2") }; return false })
        let saved = during.events.compactMap { event -> String? in if case .saved(let p) = event { return p }; return nil }
        XCTAssertEqual(saved, [during.latest])
        XCTAssertFalse(FileManager.default.fileExists(atPath: during.best))
        let checkpoint = try Checkpoint.read(from: during.latest)
        XCTAssertEqual(checkpoint.training?.progress.iteration, 2)
        XCTAssertNil(checkpoint.training?.progress.lastValidationLoss)

        let before = try run(stopAfterArming: 0)
        XCTAssertTrue(before.summary.interrupted)
        XCTAssertEqual(before.summary.iterations, 2)
        XCTAssertNotNil(before.summary.validationLoss)
        XCTAssertTrue(before.events.contains { if case .validated(let v) = $0 { return v.iteration == 2 }; return false })
        XCTAssertTrue(FileManager.default.fileExists(atPath: before.best))
    }

    func testTrainingStopsOnNonFiniteLossAndKeepsTheCheckpoint() throws {
        let corpus = try Corpus(bytes: Array(String(repeating: "abcd ", count: 30).utf8))
        var options = TrainingOptions()
        options.batchSize = 2
        options.seqLength = 5
        options.validationFraction = 0
        let model = Model(config: ModelConfig(cell: .rnn, layers: 1, hidden: 4, vocabularySize: corpus.vocabulary.count), seed: 1)
        let path = tempPath("nan.ckpt")
        try Checkpoint(model: model, vocabulary: corpus.vocabulary).write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        model.parameters.values[0] = .nan
        let trainer = try Trainer(model: model, vocabulary: corpus.vocabulary, corpus: corpus, options: options,
                                  outputs: TrainingRecord(checkpointPath: path))
        XCTAssertThrowsError(try trainer.run(until: StopCondition(iterations: 3)) { _ in }) {
            XCTAssertEqual($0 as? TrainingError, .nonFinite(iteration: 1, what: "the training loss"))
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
    }

    func testCorpusShorterThanABatchAdaptsWithAWarning() throws {
        let corpus = try Corpus(bytes: Array("short text!".utf8))
        var options = TrainingOptions()
        options.validationFraction = 0
        let model = Model(config: ModelConfig(cell: .gru, layers: 1, hidden: 4, vocabularySize: corpus.vocabulary.count), seed: 1)
        let trainer = try Trainer(model: model, vocabulary: corpus.vocabulary, corpus: corpus, options: options)
        var warnings: [String] = []
        _ = try trainer.run(until: StopCondition(iterations: 2)) { if case .warning(let w) = $0 { warnings.append(w.description) } }
        XCTAssertEqual(trainer.options.batchSize, 1)
        XCTAssertEqual(trainer.options.seqLength, 10)
        XCTAssertTrue(warnings.contains { $0.contains("using batch size 1 sequence length 10") }, "\(warnings)")
        let one = try Corpus(bytes: Array("x".utf8))
        XCTAssertThrowsError(try Trainer(model: Model(config: ModelConfig(vocabularySize: 1), seed: 1), vocabulary: one.vocabulary,
                                         corpus: one, options: options)) {
            XCTAssertEqual($0 as? TrainingError, .corpusTooShort(characters: 1))
        }
    }
}
