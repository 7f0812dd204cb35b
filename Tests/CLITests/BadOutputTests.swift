// The bad-input table's rows for outputs: every way of naming an input as an output (./x, d/../x, a
// hard link, a symbolic link), outputs over files of another kind or through a broken link, existing
// checkpoints, --force lifting only that rule, and the options that cannot go together. Each row:
// exit code, one error line, every file in the directory byte for byte unchanged.

import Foundation
import TestSupport
import XCTest

extension BadInputTests {
    func makeOutputFixtures() throws {
        try dir.makeDirectory("d")
        try dir.write("my notes\n", to: "notes.txt")
        try dir.write("my notes\n", to: "notes.json")
        try dir.write(#"{"iteration":10,"train_loss":2.5}"# + "\n", to: "metrics.jsonl")
        try dir.write(bytes: try dir.bytes(of: "model.ckpt"), to: "fresh.best.ckpt")
        try dir.write(Corpora.english, to: ".m.ckpt.lock")
        let fm = FileManager.default
        try fm.linkItem(atPath: dir.file("corpus.txt").path, toPath: dir.file("hard.txt").path)
        try fm.createSymbolicLink(atPath: dir.file("link.txt").path, withDestinationPath: "corpus.txt")
        try fm.linkItem(atPath: dir.file("model.ckpt").path, toPath: dir.file("hard.ckpt").path)
        try fm.createSymbolicLink(atPath: dir.file("link.ckpt").path, withDestinationPath: "model.ckpt")
        try fm.createSymbolicLink(atPath: dir.file("dangling.ckpt").path, withDestinationPath: "gone/x.ckpt")
    }

    func testOutputTable() throws {
        try makeOutputFixtures()
        let run = Self.tiny.replacing("--output", with: "new.ckpt")  // options of a tiny run to a new file
        // One rule for every spelling: the file's identity, exit 1, whether named as given or otherwise.
        let corpusSpellings = ["corpus.txt", "./corpus.txt", "d/../corpus.txt", "hard.txt", "link.txt"]
        let checkpointSpellings = ["model.ckpt", "./model.ckpt", "d/../model.ckpt", "hard.ckpt", "link.ckpt"]
        var rows: [Row] = []
        for s in corpusSpellings {
            let mentions = [s, "same file as corpus.txt", "never writes over a file it reads"]
            rows += [
                Row(arguments: ["train", "corpus.txt"] + run.replacing("--output", with: s), exitCode: Self.data, mentions: mentions),
                Row(arguments: ["train", "corpus.txt"] + run.replacing("--output", with: s) + ["--force"], exitCode: Self.data,
                    mentions: mentions),
                Row(arguments: ["train", "corpus.txt"] + run + ["--metrics", s], exitCode: Self.data, mentions: ["--metrics"] + mentions),
                Row(arguments: ["inspect-cells", "model.ckpt", "corpus.txt", "--output", s], exitCode: Self.data,
                    mentions: mentions + ["the text"]),
            ]
        }
        for s in checkpointSpellings {
            rows += [
                Row(arguments: ["inspect-cells", "model.ckpt", "corpus.txt", "--output", s, "--format", "tsv"], exitCode: Self.data,
                    mentions: [s, "same file as model.ckpt", "the checkpoint"]),
                Row(arguments: ["train", "corpus.txt", "--resume", "model.ckpt", "--iterations", "4", "--output", "new.ckpt",
                                "--metrics", s], exitCode: Self.data, mentions: [s, "same file as model.ckpt", "--resume"]),
                Row(arguments: ["train", "corpus.txt"] + run.replacing("--output", with: s), exitCode: Self.data,
                    mentions: [s, "existing checkpoint", "--resume \(s)", "another --output", "--force"]),
            ]
        }
        rows += [
            // A corpus named like a lock file is not written over by the lock.
            Row(arguments: ["train", ".m.ckpt.lock"] + run.replacing("--output", with: "m.ckpt"), exitCode: Self.data,
                mentions: ["lock file .m.ckpt.lock", "same file as .m.ckpt.lock"]),
            // Only over its own kind; --force does not change that.
            Row(arguments: ["train", "corpus.txt"] + run.replacing("--output", with: "notes.txt") + ["--force"], exitCode: Self.data,
                mentions: ["notes.txt", "not a charnn checkpoint"]),
            Row(arguments: ["train", "corpus.txt"] + run + ["--metrics", "notes.txt"], exitCode: Self.data,
                mentions: ["notes.txt", "not a charnn metrics log"]),
            Row(arguments: ["train", "corpus.txt"] + run + ["--metrics", "existing.ckpt"], exitCode: Self.data,
                mentions: ["existing.ckpt", "not a charnn metrics log"]),
            Row(arguments: ["train", "corpus.txt"] + run.replacing("--output", with: "metrics.jsonl"), exitCode: Self.data,
                mentions: ["metrics.jsonl", "not a charnn checkpoint"]),
            Row(arguments: ["inspect-cells", "model.ckpt", "corpus.txt", "--output", "notes.txt", "--format", "tsv"], exitCode: Self.data,
                mentions: ["notes.txt", "not charnn inspect-cells output"]),
            Row(arguments: ["inspect-cells", "model.ckpt", "corpus.txt", "--output", "existing.ckpt", "--format", "jsonl"],
                exitCode: Self.data, mentions: ["existing.ckpt", "not charnn inspect-cells output"]),
            Row(arguments: ["inspect-cells", "model.ckpt", "corpus.txt", "--output", "notes.npy"], exitCode: Self.data,
                mentions: ["sidecar notes.json", "not charnn inspect-cells output"]),
            // Never through a link to nowhere; never two outputs on one file.
            Row(arguments: ["train", "corpus.txt"] + run.replacing("--output", with: "dangling.ckpt"), exitCode: Self.data,
                mentions: ["dangling.ckpt", "symbolic link to gone/x.ckpt"]),
            Row(arguments: ["train", "corpus.txt"] + run + ["--metrics", "dangling.ckpt"], exitCode: Self.data,
                mentions: ["dangling.ckpt", "symbolic link"]),
            Row(arguments: ["train", "corpus.txt"] + run + ["--metrics", "new.best.ckpt"], exitCode: Self.data,
                mentions: ["new.best.ckpt", "same file"]),
            // The default output: the checkpoints directory is not made for a run that is refused.
            Row(arguments: ["train", "corpus.txt"] + tinyModel + ["--iterations", "2", "--metrics", "./corpus.txt"], exitCode: Self.data,
                mentions: ["./corpus.txt", "same file as corpus.txt"]),
            // A checkpoint that existed before the run: explicit --output, --resume X --output Y, a best checkpoint.
            Row(arguments: ["train", "corpus.txt", "--resume", "model.ckpt", "--iterations", "4", "--output", "existing.ckpt"],
                exitCode: Self.data, mentions: ["existing.ckpt", "existing checkpoint", "--force"]),
            Row(arguments: ["train", "corpus.txt"] + run.replacing("--output", with: "fresh.ckpt"), exitCode: Self.data,
                mentions: ["fresh.best.ckpt", "existing checkpoint", "--resume fresh.ckpt"]),
            // Options that cannot go together.
            Row(arguments: ["sample", "model.ckpt", "--argmax", "--temperature", "0.5"], exitCode: Self.usage,
                mentions: ["--argmax", "--temperature"]),
            Row(arguments: ["sample", "model.ckpt", "--argmax", "--top-k", "3"], exitCode: Self.usage, mentions: ["--argmax", "--top-k"]),
            Row(arguments: ["train", "corpus.txt", "--resume", "model.ckpt", "--keep-line-endings", "--iterations", "4"],
                exitCode: Self.usage, mentions: ["--keep-line-endings", "model.ckpt"]),
            // The way on from a character outside the vocabulary.
            Row(arguments: ["eval", "model.ckpt", "new-chars.txt"], exitCode: Self.data, mentions: ["'Q'", "--skip-unknown"]),
        ]
        print("bad-output table: \(rows.count) rows")
        let before = try snapshot()
        for row in rows {
            try expectOneLineError(row)
            XCTAssertEqual(try snapshot(), before, "files changed after: charnn \(row.arguments.joined(separator: " "))")
        }
    }
}
