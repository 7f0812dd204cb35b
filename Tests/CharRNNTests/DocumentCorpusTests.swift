// Several files as one corpus: the boundary between documents (its id, its vocabulary entry, its
// checkpoint form), one file read exactly as before, files of a directory that are not text left
// out, the record of the files read, and sampling that ends where the model ends a document.

import Foundation
import TestSupport
import XCTest
@testable import CharRNN

final class DocumentCorpusTests: WorkingDirectoryTestCase {
    override var directoryPrefix: String { "charnn-documents" }

    func load(_ arguments: [String], vocabulary: Vocabulary? = nil, chunkSize: Int = 1 << 20) throws -> DocumentCorpus {
        try Corpus.load(try CorpusFiles.list(arguments), vocabulary: vocabulary, normalization: .standard, chunkSize: chunkSize)
    }

    func testABoundaryOfItsOwnSeparatesDocuments() throws {
        try dir.write("ab\r\n", to: "one.txt")                          // CRLF: normalised per file
        try dir.write(bytes: [0xEF, 0xBB, 0xBF] + Array("ba".utf8), to: "two.txt")  // so is each file's BOM
        for chunk in [1, 2, 1 << 20] {
            let loaded = try load(["one.txt", "two.txt"], chunkSize: chunk)
            let v = loaded.corpus.vocabulary
            XCTAssertEqual(v.scalars, ["\n", "a", "b"])
            XCTAssertEqual(v.boundaryID, 3)
            XCTAssertEqual(v.count, 4)
            XCTAssertEqual(loaded.corpus.tokens.ids, [1, 2, 0, 3, 2, 1], "chunk \(chunk)")
            XCTAssertEqual(loaded.inputs, [CorpusInput(path: "one.txt", bytes: 4), CorpusInput(path: "two.txt", bytes: 5)])
        }
    }

    func testVocabularyEntriesRepresentTheBoundaryAsTheEmptyString() throws {
        let joined = Vocabulary(scalars: ["a", "é"], documentBoundary: true)
        XCTAssertEqual(joined.entries, ["a", "é", ""])
        XCTAssertEqual(Vocabulary(entries: joined.entries), joined)
        XCTAssertNotEqual(Vocabulary(scalars: ["a", "é"]), joined)
        XCTAssertEqual(Vocabulary(entries: ["a", "é"])?.boundaryID, nil)
        XCTAssertFalse(joined.isCharacter(2))
        XCTAssertTrue(joined.isCharacter(1))
        for bad in [[""], ["", "a"], ["a", "", "b"], ["a", "", ""], ["ab"], ["a", "a"], []] {
            XCTAssertNil(Vocabulary(entries: bad), "\(bad)")
        }
        // The boundary is no character: no scalar maps to it.
        XCTAssertNil(joined.id(of: Unicode.Scalar(0x10FFFF)!))
    }

    func testACheckpointKeepsTheBoundaryAndTheFilesRead() throws {
        let vocabulary = Vocabulary(scalars: ["\n", "a"], documentBoundary: true)
        let model = Model(config: ModelConfig(cell: .gru, layers: 1, hidden: 3, vocabularySize: vocabulary.count), seed: 2)
        let inputs = [CorpusInput(path: "a.txt", bytes: 10), CorpusInput(path: "src/b.txt", bytes: 3)]
        let file = Checkpoint(model: model, vocabulary: vocabulary, inputs: inputs).safeTensors
        XCTAssertEqual(file.metadata["charnn.vocab"], #"["\n","a",""]"#)
        XCTAssertEqual(file.metadata["charnn.inputs"], #"[{"bytes":10,"path":"a.txt"},{"bytes":3,"path":"src/b.txt"}]"#)
        let read = try Checkpoint(file)
        XCTAssertEqual(read.vocabulary, vocabulary)
        XCTAssertEqual(read.inputs, inputs)
        // Without a record, nothing is recorded (and an earlier checkpoint has none).
        XCTAssertNil(Checkpoint(model: model, vocabulary: vocabulary).safeTensors.metadata["charnn.inputs"])
    }

    /// One file, named or alone in a directory, gives exactly what reading it on its own gives: the
    /// same vocabulary (no boundary) and the same ids, so training on it is unchanged.
    func testOneFileReadsAsBefore() throws {
        let text = "héllo wörld — 漢字 😀\r\nsecond line\rthird\n"
        try dir.makeDirectory("only")
        try dir.write(text, to: "only/t.txt")
        let alone = try Corpus.load(path: "only/t.txt", normalization: .standard)
        for arguments in [["only/t.txt"], ["only"]] {
            let loaded = try load(arguments)
            XCTAssertEqual(loaded.corpus.vocabulary, alone.vocabulary)
            XCTAssertNil(loaded.corpus.vocabulary.boundaryID)
            XCTAssertEqual(loaded.corpus.tokens.ids, alone.tokens.ids)
            XCTAssertEqual(loaded.corpus.tokens.bytesPerToken, alone.tokens.bytesPerToken)
        }
        let resumed = try load(["only/t.txt"], vocabulary: alone.vocabulary)
        XCTAssertEqual(resumed.corpus.tokens.ids, alone.tokens.ids)
    }

    func testFilesOfADirectoryThatAreNotTextAreLeftOutWithTheirCharacters() throws {
        try dir.makeDirectory("d")
        try dir.write("ab\n", to: "d/a.txt")
        try dir.write(bytes: Array("ZZ".utf8) + [0xFF], to: "d/latin.txt")   // 'Z' seen before the bad byte
        try dir.write(bytes: Array("Q".utf8) + [0] + Array("q".utf8), to: "d/nul.bin")
        try dir.write("ba\n", to: "d/b.txt")
        let loaded = try load(["d"])
        XCTAssertEqual(loaded.inputs.map(\.path), ["d/a.txt", "d/b.txt"])
        XCTAssertEqual(loaded.corpus.vocabulary.scalars, ["\n", "a", "b"])
        XCTAssertEqual(loaded.skipped, [SkippedPath(path: "d/latin.txt", reason: .notText("invalid UTF-8 at byte offset 2")),
                                        SkippedPath(path: "d/nul.bin", reason: .notText("contains NUL"))])
    }

    func testNamedFilesMustBeText() throws {
        try dir.write("ok\n", to: "ok.txt")
        try dir.write(bytes: Array("héllo".utf8) + [0xC3, 0x28], to: "latin.txt")
        try dir.write("", to: "empty.txt")
        try dir.write(bytes: [0xEF, 0xBB, 0xBF], to: "bom-only.txt")
        let cases: [(String, TextError)] = [("latin.txt", .invalidUTF8(offset: 6)), ("empty.txt", .empty), ("bom-only.txt", .empty)]
        for (name, error) in cases {
            XCTAssertThrowsError(try load(["ok.txt", name])) { XCTAssertEqual($0 as? CorpusFileError, CorpusFileError(path: name, error: error)) }
        }
        let known = Vocabulary(scalars: ["\n", "k", "o"], documentBoundary: true)
        try dir.write("no\n", to: "new.txt")
        XCTAssertThrowsError(try load(["ok.txt", "new.txt"], vocabulary: known)) {
            XCTAssertEqual($0 as? CorpusFileError, CorpusFileError(path: "new.txt", error: .unknownCharacter("n", offset: 0)))
        }
        XCTAssertEqual(try load(["ok.txt", "ok.txt"]).inputs.count, 1)
        try dir.write("ko\n", to: "ko.txt")
        XCTAssertThrowsError(try load(["ok.txt", "ko.txt"], vocabulary: Vocabulary(scalars: ["\n", "k", "o"]))) {
            XCTAssertEqual($0 as? CorpusError, .noBoundary)
        }
        try dir.makeDirectory("nothing")
        XCTAssertThrowsError(try load(["nothing"])) { XCTAssertEqual($0 as? CorpusError, .noText(arguments: ["nothing"])) }
    }

    func testChangedFileListsAreNamed() {
        let before = [CorpusInput(path: "a.txt", bytes: 10), CorpusInput(path: "b.txt", bytes: 20)]
        XCTAssertNil(CorpusInput.changes(from: before, to: before))
        XCTAssertEqual(CorpusInput.changes(from: before, to: [before[0], CorpusInput(path: "b.txt", bytes: 21)]), "b.txt 20 → 21 bytes")
        XCTAssertEqual(CorpusInput.changes(from: before, to: before + [CorpusInput(path: "c.txt", bytes: 1)]), "c.txt added")
        XCTAssertEqual(CorpusInput.changes(from: before, to: [before[1]]), "a.txt removed")
        XCTAssertEqual(CorpusInput.changes(from: before, to: before.reversed()), "the files are in another order")
        // The same files named from elsewhere are no change; a file moved between directories is.
        let tree = [CorpusInput(path: "data/a.txt", bytes: 10), CorpusInput(path: "data/sub/b.txt", bytes: 20)]
        let fromParent = [CorpusInput(path: "../project/data/a.txt", bytes: 10), CorpusInput(path: "../project/data/sub/b.txt", bytes: 20)]
        XCTAssertNil(CorpusInput.changes(from: tree, to: fromParent))
        XCTAssertNil(CorpusInput.changes(from: [CorpusInput(path: "./a.txt", bytes: 5)], to: [CorpusInput(path: "/home/u/a.txt", bytes: 5)]))
        XCTAssertEqual(CorpusInput.changes(from: tree, to: [tree[0], CorpusInput(path: "data/b.txt", bytes: 20)]),
                       "data/b.txt added; data/sub/b.txt removed")
        let many = (0..<6).map { CorpusInput(path: "n\($0).txt", bytes: 1) }
        XCTAssertEqual(CorpusInput.changes(from: [], to: many, shown: 2), "n0.txt added; n1.txt added; and 4 more")
        XCTAssertEqual(CorpusInput.summary(before + many, shown: 2), "8 files, 36 bytes: a.txt (10 bytes), b.txt (20 bytes), and 6 more")
        XCTAssertEqual(CorpusInput.summary([CorpusInput(path: "big.txt", bytes: 1_234_567)]), "1 file, 1,234,567 bytes: big.txt (1,234,567 bytes)")
    }

    // MARK: - Sampling

    /// A model that almost always draws `favoured` next.
    func sampler(favouring favoured: Int32, by strength: Float = 50, vocabulary: Vocabulary) -> Sampler {
        let model = Model(config: ModelConfig(cell: .rnn, layers: 1, hidden: 4, vocabularySize: vocabulary.count), seed: 1)
        let bias = model.parameters.values(of: model.parameters.view(named: "decoder.bias")!)
        bias[Int(favoured)] = strength
        return Sampler(model: model, vocabulary: vocabulary)
    }

    func testSamplingEndsWhereTheModelEndsTheDocument() throws {
        let vocabulary = Vocabulary(scalars: ["\n", "a", "b"], documentBoundary: true)
        var options = SamplingOptions()
        options.length = 100
        for prime in ["", "ab"] {
            options.prime = prime
            var text = ""
            let end = try sampler(favouring: 3, vocabulary: vocabulary).generate(options) { text.unicodeScalars.append($0) }
            XCTAssertEqual(end, .documentEnd)
            XCTAssertEqual(text, "")
        }
        // A model of one text has no boundary to draw: the length ends it.
        options.prime = ""
        var text = ""
        let plain = Vocabulary(scalars: ["\n", "a", "b"])
        XCTAssertEqual(try sampler(favouring: 1, vocabulary: plain).generate(options) { text.unicodeScalars.append($0) }, .length)
        XCTAssertEqual(text, String(repeating: "a", count: 100))
        // Beam search ends there too, the boundary's probability counted, the boundary not written.
        var beam = BeamSearchOptions()
        (beam.width, beam.length) = (3, 20)
        let result = try BeamSearch(model: sampler(favouring: 3, by: 6, vocabulary: vocabulary).model, vocabulary: vocabulary).run(beam)
        XCTAssertEqual(result.text, "")
        XCTAssertEqual(result.end, .documentEnd)
        XCTAssertLessThan(result.logProbability, 0)
    }

    /// A model of several documents starts each sample as a document starts: after the boundary.
    func testSamplesStartAfterTheBoundary() throws {
        let vocabulary = Vocabulary(scalars: ["a", "b"], documentBoundary: true)
        var fed: [Int32] = []
        // After the boundary 'a' is certain, after anything else the boundary.
        var logits = [Float](repeating: 0, count: 3)
        let step: (Int32) -> UnsafePointer<Float> = { id in
            fed.append(id)
            logits = id == 2 ? [100, 0, 0] : [0, 0, 100]
            return logits.withUnsafeBufferPointer { $0.baseAddress! }
        }
        var options = SamplingOptions()
        options.length = 10
        var text = ""
        let s = sampler(favouring: 0, vocabulary: vocabulary)
        XCTAssertEqual(try s.generate(options, step: step) { text.unicodeScalars.append($0) }, .documentEnd)
        XCTAssertEqual(text, "a")
        XCTAssertEqual(fed, [2, 0])
        fed = []
        options.prime = "ba"
        _ = try s.generate(options, step: step) { _ in }
        XCTAssertEqual(Array(fed.prefix(3)), [2, 1, 0])
    }
}
