// Faults injected through the library's seams: a disk that fills up halfway through a checkpoint,
// temporaries left by killed processes, a training step that overflows, and checkpoint metadata
// that no command line could have produced.

import Foundation
import XCTest
@testable import CharRNN
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

final class ReliabilityTests: XCTestCase {
    private var scratch: TemporaryDirectory!
    /// A fresh directory for each test, removed after it.
    private var directory: String { scratch.path }

    override func setUpWithError() throws { scratch = try TemporaryDirectory(prefix: "reliability-tests") }

    override func tearDownWithError() throws { scratch.remove() }

    private func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory).sorted() }

    // MARK: - Failed writes

    /// The disk fills up after part of the file is written (a short write, then ENOSPC), or write(2)
    /// stops making progress: the error names the cause, the old file is intact, no temporary remains.
    func testFullDiskDuringAWriteKeepsThePreviousFile() throws {
        let path = directory + "/model.ckpt"
        let old: [UInt8] = Array("the previous checkpoint".utf8)
        try AtomicFile.write(old, to: path)
        let new = [UInt8](repeating: 7, count: 10_000)

        var calls = 0
        XCTAssertThrowsError(try AtomicFile.write(new, to: path, using: { fd, bytes, count in
            calls += 1
            if calls == 1 { return write(fd, bytes, min(count, 4096)) }  // a short write: only part fits
            errno = ENOSPC
            return -1
        })) {
            XCTAssertEqual($0 as? FileWriteError, .failed(path: path, reason: "No space left on device"))
        }
        XCTAssertEqual(calls, 2, "the writer should continue after a short write and stop at the error")
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), old)
        XCTAssertEqual(try listing(), ["model.ckpt"])

        XCTAssertThrowsError(try AtomicFile.write(new, to: path, using: { _, _, _ in 0 })) {
            XCTAssertEqual($0 as? FileWriteError, .failed(path: path, reason: "write made no progress"))
        }
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), old)
        XCTAssertEqual(try listing(), ["model.ckpt"])

        // Interrupted writes are retried, not failures.
        var interrupted = false
        try AtomicFile.write(new, to: path, using: { fd, bytes, count in
            if !interrupted { interrupted = true; errno = EINTR; return -1 }
            return write(fd, bytes, count)
        })
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), new)
    }

    /// The pid of a process that has exited, as a killed writer's is.
    private func deadProcessID() throws -> Int32 {
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        XCTAssertNotEqual(kill(dead, 0), 0, "pid \(dead) should be gone")
        return dead
    }

    /// Temporaries of processes that no longer exist (kill -9 mid-write) are removed by the next write
    /// of the same file; those of a live process, and other files' temporaries, are left alone.
    func testStaleTemporariesOfDeadProcessesAreRemoved() throws {
        let dead = try deadProcessID()
        let alive = getppid()
        let names = [".model.ckpt.tmp-\(dead)-abc", ".model.ckpt.tmp-\(getpid())-old", ".model.ckpt.tmp-\(alive)-def",
                     ".other.ckpt.tmp-\(dead)-ghi", ".model.ckpt.tmp-notapid"]
        for name in names { _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data([1])) }
        try AtomicFile.write([1, 2, 3], to: directory + "/model.ckpt")
        XCTAssertEqual(try listing(), [".model.ckpt.tmp-\(alive)-def", ".model.ckpt.tmp-notapid", ".other.ckpt.tmp-\(dead)-ghi",
                                       "model.ckpt"].sorted())
    }

    /// A run killed while writing the best checkpoint leaves that file's temporary; the next run's
    /// writes of the latest checkpoint would not remove it, and a kill during one of them would leave
    /// two. So a run clears both checkpoints' stale temporaries before its first step.
    func testTrainingStartsByRemovingStaleTemporariesOfBothCheckpoints() throws {
        let dead = try deadProcessID()
        let alive = getppid()
        let stale = [".model.ckpt.tmp-\(dead)-abc", ".model.best.ckpt.tmp-\(dead)-def"]
        let live = ".model.best.ckpt.tmp-\(alive)-ghi"
        for name in stale + [live] { _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data([1])) }
        let trainer = try trainer(writingTo: directory + "/model.ckpt", best: directory + "/model.best.ckpt")
        var atFirstStep: [String]?
        let summary = try trainer.run(until: StopCondition(iterations: 1), shouldStop: {
            if atFirstStep == nil { atFirstStep = try? self.listing() }
            return false
        }, report: { _ in })
        XCTAssertEqual(summary.iterations, 1)
        XCTAssertEqual(atFirstStep, [live], "before any write, only the live process's temporary is left")
        XCTAssertEqual(try listing(), [live, "model.best.ckpt", "model.ckpt"].sorted())
    }

    // MARK: - Non-finite numbers

    /// A tiny run whose step callback can damage the parameters, as an overflowing optimizer step would.
    private func trainer(writingTo path: String, best: String? = nil, cell: CellKind = .gru, maxRollbacks: Int = 0) throws -> Trainer {
        let corpus = try Corpus(bytes: Array(String(repeating: "abcd efg. ", count: 20).utf8))
        var options = TrainingOptions()
        options.batchSize = 2
        options.seqLength = 5
        options.evalEvery = 1
        let model = Model(config: ModelConfig(cell: cell, layers: 1, hidden: 4, vocabularySize: corpus.vocabulary.count), seed: 1)
        return try Trainer(model: model, vocabulary: corpus.vocabulary, corpus: corpus, options: options,
                           outputs: TrainingRecord(checkpointPath: path, bestCheckpointPath: best), maxRollbacks: maxRollbacks)
    }

    /// The step after which the parameters (or the optimizer's moments) hold inf or NaN although its
    /// loss and gradient were finite: no checkpoint is written, the previous one stays.
    func testNonFiniteParametersOrMomentsAreNeverWritten() throws {
        let damages: [(String, (Trainer) -> Void)] = [
            ("parameter inf", { $0.model.parameters.values[7] = .infinity }),
            ("parameter NaN", { $0.model.parameters.values[0] = .nan }),
            ("moment NaN", { $0.optimizer.slots[1].base[3] = .nan }),
        ]
        for (what, damage) in damages {
            let path = directory + "/model.ckpt"
            let t = try trainer(writingTo: path)
            var written: [Int] = []
            XCTAssertThrowsError(try t.run(until: StopCondition(iterations: 10)) { event in
                if case .step(let s) = event, s.iteration == 3 { damage(t) }
                if case .saved = event { written.append(t.progress.iteration) }
            }, what) {
                XCTAssertEqual($0 as? TrainingError, .nonFinite(iteration: 3, what: "the parameters"), what)
            }
            XCTAssertEqual(written, [1, 2], what)
            let saved = try Checkpoint.read(from: path)
            XCTAssertEqual(saved.training?.progress.iteration, 2, what)
        }
    }

    /// A model whose validation loss overflows stops instead of writing (JSON has no inf, and a best
    /// loss of inf would be meaningless).
    func testNonFiniteValidationLossIsNeverWritten() throws {
        let path = directory + "/model.ckpt"
        let t = try trainer(writingTo: path, cell: .rnn)
        XCTAssertThrowsError(try t.run(until: StopCondition(iterations: 10)) { event in
            if case .step(let s) = event, s.iteration == 2 {
                // Finite parameters whose logits overflow Float: every hidden unit saturates at +1
                // (tanh of a bias of 100), and every decoder weight is 3e38, so each logit is 4 × 3e38.
                let p = t.model.parameters
                for (name, value) in [("rnn.bias_ih_l0", Float(100)), ("decoder.weight", 3e38)] {
                    let v = p.view(named: name)!
                    for i in 0..<v.count { p.values(of: v)[i] = value }
                }
            }
        }) {
            guard case .nonFinite(2, let what)? = $0 as? TrainingError, what.hasPrefix("the validation loss") else {
                return XCTFail("\($0)")
            }
        }
        XCTAssertEqual(try Checkpoint.read(from: path).training?.progress.iteration, 1)
    }

    /// With rollbacks allowed, a step that leaves non-finite parameters sends training back to the
    /// last checkpoint's exact state with half the learning rate, and the run completes; a run that
    /// keeps diverging stops once the rollbacks are used up.
    func testRollbackReturnsToTheLastGoodStateWithHalfTheLearningRate() throws {
        let path = directory + "/model.ckpt"
        let t = try trainer(writingTo: path, maxRollbacks: 1)
        var damaged = false, warnings: [String] = []
        let summary = try t.run(until: StopCondition(iterations: 10)) { event in
            if case .step(let s) = event, s.iteration == 3, !damaged { damaged = true; t.model.parameters.values[5] = .infinity }
            if case .warning(let w) = event {
                warnings.append(w.description)
                // Back exactly to what the checkpoint of iteration 2 holds.
                let saved = try! Checkpoint.read(from: path)
                XCTAssertEqual(saved.training?.progress.iteration, 2)
                XCTAssertEqual(t.model.parameters.values.array, saved.model.parameters.values.array)
                XCTAssertEqual(t.optimizer.slots.map(\.array), saved.training?.optimizer.slots.map(\.array))
            }
        }
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings.first?.hasPrefix("the parameters became non-finite at iteration 3; back to iteration 2 "
                                                + "with learning rate 0.001 (rollback 1 of 1)") ?? false, "\(warnings)")
        XCTAssertEqual(summary.iterations, 10)
        XCTAssertEqual(t.rollbacksUsed, 1)
        let final = try Checkpoint.read(from: path)
        XCTAssertEqual(final.training?.progress.iteration, 10)
        XCTAssertEqual(final.training?.progress.learningRate, 1e-3)
        XCTAssertTrue(final.model.parameters.values.array.allSatisfy(\.isFinite))

        let again = try trainer(writingTo: directory + "/again.ckpt", maxRollbacks: 2)
        var rollbacks = 0
        XCTAssertThrowsError(try again.run(until: StopCondition(iterations: 10)) { event in
            if case .step(let s) = event, s.iteration == 3 { again.model.parameters.values[5] = .nan }
            if case .warning = event { rollbacks += 1 }
        }) {
            XCTAssertEqual($0 as? TrainingError, .nonFinite(iteration: 3, what: "the parameters"))
        }
        XCTAssertEqual(rollbacks, 2)
    }

    // MARK: - Loading

    /// A header whose config claims a model of terabytes (64 layers of 65,536 units) is refused by
    /// its tensor shapes before anything is allocated from the config's numbers.
    func testConfigClaimingAHugeModelIsRefusedBeforeAllocating() throws {
        let corpus = try Corpus(bytes: Array("abcabc".utf8))
        let model = Model(config: ModelConfig(cell: .lstm, layers: 1, hidden: 2, vocabularySize: corpus.vocabulary.count), seed: 1)
        var file = Checkpoint(model: model, vocabulary: corpus.vocabulary).safeTensors
        file.metadata["charnn.config"] = #"{"cell":"lstm","dropout":0,"hidden":65536,"layers":64,"vocab_size":3}"#
        XCTAssertThrowsError(try Checkpoint(SafeTensors.parse(file.serialized()))) {
            XCTAssertEqual($0 as? ModelFileError, .shapeMismatch(tensor: "rnn.weight_ih_l0", expected: [4 * 65536, 3], found: [8, 3]))
        }
    }

    func testCheckpointWithImpossibleTrainingSettingsIsRefused() throws {
        let corpus = try Corpus(bytes: Array("abcabc".utf8))
        let model = Model(config: ModelConfig(cell: .rnn, layers: 1, hidden: 2, vocabularySize: corpus.vocabulary.count), seed: 1)
        let optimizer = Optimizer(kind: .adam, learningRate: 1e-3, parameterCount: model.parameters.count)
        let state = RecurrentState(config: model.config, batch: 1)
        let cases: [(String, (inout TrainingOptions, inout TrainingProgress) -> Void)] = [
            ("batch_size 0", { o, _ in o.batchSize = 0 }),
            ("seq_length -3", { o, _ in o.seqLength = -3 }),
            ("lr_decay_every 0", { o, _ in o.lrDecayEvery = 0 }),
            ("val_frac 1.0", { o, _ in o.validationFraction = 1 }),
            ("eval_every", { o, _ in o.evalEvery = 0 }),
            ("iteration -1", { _, p in p.iteration = -1 }),
            ("lr 0.0", { _, p in p.learningRate = 0 }),
        ]
        for (mention, damage) in cases {
            var options = TrainingOptions()
            options.batchSize = 1
            var progress = TrainingProgress(learningRate: 1e-3, rngState: 1)
            damage(&options, &progress)
            let snapshot = TrainingSnapshot(options: options, progress: progress, optimizer: optimizer, state: state)
            let file = Checkpoint(model: model, vocabulary: corpus.vocabulary, training: snapshot).safeTensors
            XCTAssertThrowsError(try Checkpoint(SafeTensors.parse(file.serialized())), mention) {
                guard case .badMetadata("charnn.training", let reason)? = $0 as? ModelFileError else { return XCTFail("\($0)") }
                XCTAssertTrue(reason.contains(mention), "\(reason) should mention \(mention)")
            }
        }
    }
}
