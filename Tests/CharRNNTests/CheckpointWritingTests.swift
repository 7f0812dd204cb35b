// Checkpoints streamed to disk from the model's flat buffer and the optimizer's slots: the same
// bytes as the in-memory image, and a write that fails part way leaves the previous file.

import Foundation
import XCTest
@testable import CharRNN
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

final class CheckpointWritingTests: XCTestCase {
    private var scratch: TemporaryDirectory!
    private var directory: String { scratch.path }

    override func setUpWithError() throws { scratch = try TemporaryDirectory(prefix: "checkpoint-writing-tests") }

    override func tearDownWithError() throws { scratch.remove() }

    /// An LSTM after a few Adam steps: parameters, both moments and the carried state all non-zero.
    private func trainedCheckpoint(cell: CellKind) throws -> Checkpoint {
        let corpus = try Corpus(bytes: Array(String(repeating: "the cat sat on the mat.\n", count: 20).utf8))
        var options = TrainingOptions()
        options.batchSize = 2
        options.seqLength = 5
        options.evalEvery = 3
        let model = Model(config: ModelConfig(cell: cell, layers: 2, hidden: 6, vocabularySize: corpus.vocabulary.count), seed: 5)
        let trainer = try Trainer(model: model, vocabulary: corpus.vocabulary, corpus: corpus, options: options)
        _ = try trainer.run(until: StopCondition(iterations: 3), report: { _ in })
        return Checkpoint(model: trainer.model, vocabulary: corpus.vocabulary, training: trainer.snapshot, text: .standard)
    }

    func testStreamedFileIsTheInMemoryImage() throws {
        for cell in CellKind.allCases {
            let checkpoint = try trainedCheckpoint(cell: cell)
            let path = directory + "/\(cell).ckpt"
            try checkpoint.write(to: path)
            let written = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            let image = checkpoint.safeTensors.serialized()
            XCTAssertEqual(written, image, "\(cell)")
            XCTAssertEqual(checkpoint.writer.byteCount, image.count)

            // The data section holds the live buffers, in file order.
            let parsed = try SafeTensors.parse(written)
            let training = try XCTUnwrap(checkpoint.training)
            XCTAssertEqual(parsed["rnn.weight_hh_l1"]?.values, checkpoint.model.parameters.array(named: "rnn.weight_hh_l1"))
            XCTAssertEqual(parsed["optimizer.exp_avg_sq"]?.values, training.optimizer.slots.last?.array)
            XCTAssertEqual(parsed["training.state.h"]?.values, training.state.h.array)
            XCTAssertTrue(training.optimizer.slots.allSatisfy { $0.array.contains { $0 != 0 } })
            XCTAssertEqual(parsed.tensors.map(\.name), checkpoint.safeTensors.tensors.map(\.name))
        }
    }

    /// Streaming the same writer twice (the latest and the best checkpoint) gives the same file.
    func testOneWriterWritesTwoIdenticalFiles() throws {
        let writer = try trainedCheckpoint(cell: .gru).writer
        try writer.write(to: directory + "/a.ckpt")
        try writer.write(to: directory + "/b.ckpt")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: directory + "/a.ckpt")),
                       try Data(contentsOf: URL(fileURLWithPath: directory + "/b.ckpt")))
    }

    /// The disk fills up in the middle of the tensors: the previous checkpoint stays, no temporary remains.
    func testFailureAfterSomeTensorsKeepsThePreviousFile() throws {
        let path = directory + "/model.ckpt"
        let old = try trainedCheckpoint(cell: .rnn)
        try old.write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let writer = try trainedCheckpoint(cell: .lstm).writer
        var calls = 0
        XCTAssertThrowsError(try writer.write(to: path, using: { fd, bytes, count in
            calls += 1
            if calls <= 3 { return write(fd, bytes, count) }  // the header and two tensors fit
            errno = ENOSPC
            return -1
        })) {
            XCTAssertEqual($0 as? FileWriteError, .failed(path: path, reason: "No space left on device"))
        }
        XCTAssertEqual(calls, 4)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["model.ckpt"])
        XCTAssertEqual(try Checkpoint.read(from: path).model.config.cell, .rnn)
    }
}
