// `charnn train` on several files and directories: what it reads and says, what the checkpoint
// records, commands on a model with a document boundary, and resuming on other files refused.

import Foundation
import TestSupport
import XCTest

final class CorpusDirectoryTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
        try dir.makeDirectory("notes")
        try dir.makeDirectory("notes/more")
        try dir.write("she sells sea shells.\n", to: "notes/b.txt")
        try dir.write("the lazy dog.\n", to: "notes/more/a.txt")
        try dir.write("hidden\n", to: "notes/.draft.txt")
        try dir.write(bytes: Array("sea".utf8) + [0, 1, 2], to: "notes/data.bin")
    }

    func inputs(of name: String) throws -> [[String: Any]] {
        try XCTUnwrap(try CheckpointFile(contentsOf: dir.file(name)).metadataJSON("charnn.inputs") as? [[String: Any]])
    }

    func testTrainingOnAFileAndADirectory() throws {
        let r = try run(["train", "corpus.txt", "notes"] + tinyModel + ["--iterations", "3"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(Array(r.stderrLines.prefix(3)), [
            "charnn: note: skipped 1 file that is not UTF-8 text: notes/data.bin (contains NUL)",
            "charnn: note: skipped 1 hidden file or directory: notes/.draft.txt",
            "charnn: corpus: 3 files, 540 bytes: corpus.txt (504 bytes), notes/b.txt (22 bytes), notes/more/a.txt (14 bytes)",
        ])
        // The default checkpoint is named for the first input.
        let file = try CheckpointFile(contentsOf: dir.file("checkpoints/corpus.ckpt"))
        let recorded = try inputs(of: "checkpoints/corpus.ckpt")
        XCTAssertEqual(recorded.map { $0["path"] as? String }, ["corpus.txt", "notes/b.txt", "notes/more/a.txt"])
        XCTAssertEqual(recorded.map { int($0["bytes"]) }, [504, 22, 14])
        let vocab = try XCTUnwrap(file.metadataJSON("charnn.vocab") as? [String])
        XCTAssertEqual(vocab.last, "", "the document boundary, after the characters")
        XCTAssertEqual(Set(vocab.dropLast()), Set(characters(of: Corpora.english).map { String($0) }))
        let config = try XCTUnwrap(file.metadataJSON("charnn.config") as? [String: Any])
        XCTAssertEqual(int(config["vocab_size"]), vocab.count)

        // A model with a boundary scores, inspects and samples texts, which never hold the boundary.
        for arguments in [["eval", "checkpoints/corpus.ckpt", "corpus.txt"],
                          ["inspect-cells", "checkpoints/corpus.ckpt", "corpus.txt", "--format", "html", "--output", "cells.html"],
                          ["sample", "checkpoints/corpus.ckpt", "--length", "200"],
                          ["sample", "checkpoints/corpus.ckpt", "--length", "20", "--beam", "2"]] {
            let r = try run(arguments)
            XCTAssertEqual(r.exitCode, 0, "\(arguments) \(r)")
            if arguments[0] == "sample" {
                XCTAssertTrue(characters(of: r.stdout).isSubset(of: characters(of: Corpora.english)), "\(r)")
            }
        }
    }

    /// One file named alone trains as it always has: no boundary, no file list on stderr.
    func testOneFileHasNoBoundary() throws {
        let r = try trainTiny(iterations: 2)
        XCTAssertFalse(r.stderr.contains("charnn: corpus:"), "\(r)")
        let vocab = try XCTUnwrap(try CheckpointFile(contentsOf: dir.file("model.ckpt")).metadataJSON("charnn.vocab") as? [String])
        XCTAssertEqual(vocab.count, characters(of: Corpora.english).count)
        XCTAssertEqual(try inputs(of: "model.ckpt").map { $0["path"] as? String }, ["corpus.txt"])
    }

    func testResumingOnOtherFilesIsRefused() throws {
        let train = ["train", "corpus.txt", "notes"] + tinyModel
        XCTAssertEqual(try run(train + ["--iterations", "2", "--output", "A.ckpt"]).exitCode, 0)
        let resumed = try run(["train", "corpus.txt", "notes", "--resume", "A.ckpt", "--iterations", "3"])
        XCTAssertEqual(resumed.exitCode, 0, "\(resumed)")
        let resume = ["--resume", "A.ckpt", "--iterations", "4", "--output", "B.ckpt"]
        try dir.write("she sells sea shells. ", to: "notes/b2.txt")
        try expectRuntimeError(["train", "corpus.txt", "notes"] + resume, mentions: ["A.ckpt", "notes/b2.txt added", "same files"])
        try FileManager.default.removeItem(at: dir.file("notes/b2.txt"))
        try expectRuntimeError(["train", "corpus.txt"] + resume, mentions: ["notes/b.txt removed", "notes/more/a.txt removed"])
        try dir.write("the lazy dog. the dog.\n", to: "notes/more/a.txt")
        try expectRuntimeError(["train", "corpus.txt", "notes"] + resume, mentions: ["notes/more/a.txt 14 → 23 bytes"])
        try expectRuntimeError(["train", "notes", "corpus.txt"] + resume, mentions: ["notes/more/a.txt 14 → 23 bytes"])
        try dir.write("the lazy dog.\n", to: "notes/more/a.txt")
        try expectRuntimeError(["train", "notes", "corpus.txt"] + resume, mentions: ["another order"])
        XCTAssertEqual(try run(["train", "corpus.txt", "notes"] + resume).exitCode, 0)
    }

    func testIncludeAndExclude() throws {
        try dir.write("the sea.\n", to: "notes/more/c.md")
        let r = try run(["train", "notes", "--include", "*.txt", "--include", "*.md", "--exclude", "more/a.txt"] + tinyModel
                        + ["--iterations", "1", "--output", "m.ckpt"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(try inputs(of: "m.ckpt").map { $0["path"] as? String }, ["notes/b.txt", "notes/more/c.md"])
    }
}
