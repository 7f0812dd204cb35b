// The learning-rate schedules at fixed steps, the step schedule against the decay rule it keeps,
// early stopping in a real run, and a resumed run continuing the same cosine schedule.

import Foundation
import XCTest
@testable import CharRNN
import TestSupport

final class ScheduleAndPatienceTests: XCTestCase {
    func clock(_ iteration: Int, seconds: Double = 0, perEpoch: Int = 10) -> ScheduleClock {
        ScheduleClock(iteration: iteration, batchesPerEpoch: perEpoch, seconds: seconds)
    }

    func testCosineWarmsUpThenFallsToATenthAtTheHorizon() {
        let s = LearningRateSchedule(kind: .cosine, warmupIterations: 10, horizonIterations: 110)
        func rate(_ i: Int) -> Float { s.rate(base: 1, current: 0.5, decay: 1, decayEvery: 1, at: clock(i)) }
        XCTAssertEqual(rate(0), 0.1, accuracy: 1e-7)          // update 1 of a 10-update warmup
        XCTAssertEqual(rate(4), 0.5, accuracy: 1e-7)
        XCTAssertEqual(rate(9), 1.0, accuracy: 1e-7)          // the warmup's last update is at the base
        XCTAssertEqual(rate(10), 1.0, accuracy: 1e-7)         // the cosine starts at the base
        XCTAssertEqual(rate(60), 0.55, accuracy: 1e-6)        // midpoint: halfway between base and a tenth
        XCTAssertEqual(rate(110), 0.1, accuracy: 1e-7)        // the horizon
        XCTAssertEqual(rate(500), 0.1, accuracy: 1e-7)        // past it, the rate stays at the floor
        XCTAssertLessThan(rate(85), rate(35))
    }

    func testCosineOverTimeUsesTheTrainingSecondsOfEveryRun() {
        let s = LearningRateSchedule(kind: .cosine, warmupIterations: 0, horizonSeconds: 100)
        func rate(_ seconds: Double) -> Float { s.rate(base: 2e-3, current: 1, decay: 1, decayEvery: 1, at: clock(50, seconds: seconds)) }
        XCTAssertEqual(rate(0), 2e-3, accuracy: 1e-9)
        XCTAssertEqual(rate(50), 1.1e-3, accuracy: 1e-9)
        XCTAssertEqual(rate(100), 2e-4, accuracy: 1e-9)
    }

    /// A decay implies the step schedule when none is named, and contradicts any other named one.
    func testADecayImpliesTheStepScheduleAndContradictsTheOthers() throws {
        XCTAssertNil(try LearningRateScheduleKind.requested(nil, decaySet: false))
        XCTAssertEqual(try LearningRateScheduleKind.requested(nil, decaySet: true), .step)
        for kind in LearningRateScheduleKind.allCases {
            XCTAssertEqual(try LearningRateScheduleKind.requested(kind, decaySet: false), kind)
        }
        XCTAssertEqual(try LearningRateScheduleKind.requested(.step, decaySet: true), .step)
        for kind in LearningRateScheduleKind.allCases where kind != .step {
            XCTAssertThrowsError(try LearningRateScheduleKind.requested(kind, decaySet: true)) { error in
                XCTAssertEqual(error as? ScheduleConflict, ScheduleConflict(schedule: kind))
            }
        }
    }

    func testConstantAndStepCarryOnFromTheCurrentRate() {
        let constant = LearningRateSchedule(kind: .constant)
        XCTAssertEqual(constant.rate(base: 2e-3, current: 7e-4, decay: 0.5, decayEvery: 1, at: clock(30)), 7e-4)
        // Step: the rule `--lr-decay` has always followed, applied at each epoch's first batch.
        let step = LearningRateSchedule(kind: .step)
        var rate: Float = 2e-3, expected: Float = 2e-3
        for i in 0..<95 {
            rate = step.rate(base: 2e-3, current: rate, decay: 0.9, decayEvery: 3, at: clock(i))
            let e = i / 10
            if i % 10 == 0 && e > 0 && e % 3 == 0 { expected *= 0.9 }
            XCTAssertEqual(rate.bitPattern, expected.bitPattern, "iteration \(i)")
        }
        XCTAssertEqual(rate, 2e-3 * 0.9 * 0.9 * 0.9, accuracy: 1e-9)   // epochs 3, 6 and 9
    }

    func testHorizonComesFromTheStopConditionUnlessAlreadySet() {
        let open = LearningRateSchedule(kind: .cosine)
        let byIterations = open.filled(from: StopCondition(iterations: 5000, epochs: 100), batchesPerEpoch: 10, secondsSoFar: 0)
        XCTAssertEqual(byIterations.horizonIterations, 1000)  // 100 epochs of 10 batches come first
        XCTAssertEqual(byIterations.warmupIterations, 20)
        let byTime = open.filled(from: StopCondition(seconds: 60), batchesPerEpoch: 10, secondsSoFar: 30)
        XCTAssertEqual(byTime.horizonSeconds, 90)
        XCTAssertNil(byTime.horizonIterations)
        let set = LearningRateSchedule(kind: .cosine, warmupIterations: 3, horizonSeconds: 10)
        XCTAssertEqual(set.filled(from: StopCondition(iterations: 7), batchesPerEpoch: 10, secondsSoFar: 0), set)
    }

    // MARK: - In the trainer

    static let text = String(repeating: "abcabd, dcba! the cat sat. ", count: 20)

    /// Seeded random letters: nothing in the training part predicts the validation part beyond
    /// letter frequencies, so once a model has learnt those it can only overfit.
    static let noise: String = {
        var rng = SplitMix64(seed: 11)
        return String((0..<900).map { _ in Array("abcdefgh")[Int(rng.next() % 8)] })
    }()

    func trainer(_ configure: (inout TrainingOptions) -> Void, text: String = text, outputs: TrainingRecord = TrainingRecord()) throws -> Trainer {
        let corpus = try Corpus(bytes: Array(text.utf8))
        var options = TrainingOptions()
        options.batchSize = 3
        options.seqLength = 7
        options.validationFraction = 0.2
        options.evalEvery = 2
        configure(&options)
        let config = ModelConfig(cell: .gru, layers: 1, hidden: 24, vocabularySize: corpus.vocabulary.count)
        return try Trainer(model: Model(config: config, seed: 3), vocabulary: corpus.vocabulary, corpus: corpus, options: options,
                           outputs: outputs)
    }

    /// On random letters the validation loss stops improving once the model overfits: with patience 3
    /// the run ends 3 validations after its best, the best checkpoint holds the best iteration's
    /// model, and the summary says so.
    func testPatienceEndsTheRunAndKeepsTheBestCheckpoint() throws {
        let dir = try TemporaryDirectory(prefix: "patience")
        defer { dir.remove() }
        let overfit: (inout TrainingOptions) -> Void = { $0.learningRate = 2e-2; $0.batchSize = 4; $0.seqLength = 16; $0.evalEvery = 5 }
        let t = try trainer({ overfit(&$0); $0.patience = 3 }, text: ScheduleAndPatienceTests.noise,
                            outputs: TrainingRecord(checkpointPath: dir.file("m.ckpt").path, bestCheckpointPath: dir.file("m.best.ckpt").path))
        var validations: [ValidationReport] = []
        let summary = try t.run(until: StopCondition(iterations: 2000)) { if case .validated(let v) = $0 { validations.append(v) } }
        let bestAt = try XCTUnwrap(summary.stoppedEarlyWithBestAt)
        XCTAssertLessThan(summary.iterations, 2000)
        let last = try XCTUnwrap(validations.last)
        XCTAssertEqual(last.iteration, summary.iterations)
        XCTAssertEqual(Array(validations.suffix(3)).filter(\.isBest).count, 0)
        XCTAssertEqual(validations.last(where: \.isBest)?.iteration, bestAt)
        XCTAssertEqual(validations.filter { $0.iteration > bestAt }.count, 3)
        let best = try Checkpoint.read(from: dir.file("m.best.ckpt").path)
        XCTAssertEqual(best.training?.progress.iteration, bestAt)
        XCTAssertEqual(best.training?.progress.bestValidationLoss, summary.bestValidationLoss)
        XCTAssertEqual(try Checkpoint.read(from: dir.file("m.ckpt").path).training?.progress.iteration, summary.iterations)
        // Without patience the same run goes on to the limit.
        let endless = try trainer(overfit, text: ScheduleAndPatienceTests.noise)
        XCTAssertNil(try endless.run(until: StopCondition(iterations: summary.iterations + 10)) { _ in }.stoppedEarlyWithBestAt)
        XCTAssertEqual(endless.progress.iteration, summary.iterations + 10)
    }

    /// A cosine run stopped and resumed gives the same rates and weights as one that never stopped:
    /// the horizon is saved with the checkpoint.
    func testResumeContinuesTheSameCosineSchedule() throws {
        let dir = try TemporaryDirectory(prefix: "cosine-resume")
        defer { dir.remove() }
        let cosine: (inout TrainingOptions) -> Void = {
            $0.lrSchedule = LearningRateSchedule(kind: .cosine, warmupIterations: 4, horizonIterations: 30)
        }
        var straightRates: [Float] = []
        let straight = try trainer(cosine)
        _ = try straight.run(until: StopCondition(iterations: 30)) { if case .step(let r) = $0 { straightRates.append(r.learningRate) } }
        // The first run stops at 12; the schedule saved with it still ends at 30.
        let first = try trainer(cosine, outputs: TrainingRecord(checkpointPath: dir.file("c.ckpt").path))
        _ = try first.run(until: StopCondition(iterations: 12)) { _ in }
        let checkpoint = try Checkpoint.read(from: dir.file("c.ckpt").path)
        let training = try XCTUnwrap(checkpoint.training)
        XCTAssertEqual(training.options.lrSchedule, LearningRateSchedule(kind: .cosine, warmupIterations: 4, horizonIterations: 30))
        let resumed = try Trainer(model: checkpoint.model, vocabulary: checkpoint.vocabulary,
                                  corpus: try Corpus(bytes: Array(ScheduleAndPatienceTests.text.utf8)), options: training.options,
                                  resuming: training)
        var resumedRates: [Float] = []
        _ = try resumed.run(until: StopCondition(iterations: 30)) { if case .step(let r) = $0 { resumedRates.append(r.learningRate) } }
        XCTAssertEqual(resumed.model.parameters.values.array.map(\.bitPattern), straight.model.parameters.values.array.map(\.bitPattern))
        XCTAssertEqual(resumedRates.last, straightRates.last)
        XCTAssertEqual(resumed.progress.learningRate, straight.progress.learningRate)
        // The 30th update is 25/26 of the way from the warmup to the horizon.
        XCTAssertEqual(Double(straight.progress.learningRate), 2e-3 * (0.1 + 0.9 * 0.5 * (1 + cos(Double.pi * 25 / 26))), accuracy: 1e-9)
    }
}
