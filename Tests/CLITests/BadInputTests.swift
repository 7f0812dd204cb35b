// Everything a user can type or feed charnn that is wrong, as one table run against the built binary:
// each row must exit 64 (usage) or 1 (data), print one `charnn: error:` line naming the problem (a
// usage error adds only the usage reminder), no trap or backtrace, and leave every file byte for byte.

import Foundation
import TestSupport
import XCTest

final class BadInputTests: CLITestCase {
    struct Row {
        let arguments: [String]
        let exitCode: Int32
        let mentions: [String]
    }

    static let usage: Int32 = 64
    static let data: Int32 = 1

    /// Options that would make a wrongly accepted run tiny; `--output` names an existing checkpoint so
    /// that a row which wrote anything would change its bytes.
    static let tiny = tinyModel + ["--iterations", "2", "--output", "existing.ckpt"]

    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
        try trainTiny(iterations: 3)  // model.ckpt: LSTM 1×8, vocabulary of Corpora.english
        try dir.write(bytes: try dir.bytes(of: "model.ckpt"), to: "existing.ckpt")
        try trainTiny(output: "gru.ckpt", iterations: 2, ["--cell", "gru"])
        try dir.makeDirectory("adir")
        try dir.write("", to: "empty.txt")
        try dir.write("a", to: "one.txt")
        try dir.write(bytes: Array("héllo".utf8) + [0xC3, 0x28] + Array(" world".utf8), to: "latin1.txt")  // bad at byte 6
        try dir.write(bytes: [0xEF, 0xBB, 0xBF] + Array("ok".utf8) + [0xED, 0xA0, 0x80], to: "surrogate.txt")  // bad at 5
        try dir.write(bytes: Array("the sea".utf8) + [0xFF], to: "bad-after-ascii.txt")  // in the vocabulary up to byte 7
        try dir.write(Corpora.english + "Quite new.\n", to: "new-chars.txt")
        try dir.write(bytes: [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0xFF, 0x03], to: "binary.dat")  // bad at 9
        try dir.write("this is not a checkpoint\n", to: "garbage.ckpt")
        try writeCorruptCheckpoints()
    }

    /// Damaged copies of model.ckpt, each with one problem.
    func writeCorruptCheckpoints() throws {
        let real = try dir.bytes(of: "model.ckpt")
        let f = try CheckpointFile(bytes: real)
        let V = characters(of: Corpora.english).count
        let last = try XCTUnwrap(f.tensors.max { $0.value.end < $1.value.end })
        var flipped = real
        flipped[f.dataStart + (f.tensors["decoder.weight"]?.begin ?? 0) + 5] ^= 0x10
        let files: [(String, [UInt8])] = [
            ("truncated-half.ckpt", Array(real.prefix(real.count / 2))),
            ("truncated-by-one.ckpt", Array(real.dropLast())),
            ("truncated-in-length.ckpt", Array(real.prefix(5))),
            ("bad-magic.ckpt", [UInt8](repeating: 0x7F, count: 8) + real.dropFirst(8)),
            ("bad-json.ckpt", try f.editingHeader { "[" + $0.dropFirst() }),
            ("length-past-end.ckpt", f.withHeaderLength(UInt64(real.count))),
            ("length-absurd.ckpt", f.withHeaderLength(1 << 62)),
            ("overlap.ckpt", try f.editingHeader {
                let t = f.tensors["rnn.weight_hh_l0"]!
                return $0.replacingOccurrences(of: try! f.offsetsText("rnn.weight_hh_l0"),
                                               with: "\"data_offsets\":[\(t.begin - 4),\(t.end - 4)]")
            }),
            ("out-of-range.ckpt", try f.editingHeader {
                let (name, t) = last
                return $0.replacingOccurrences(of: try! f.offsetsText(name),
                                               with: "\"data_offsets\":[\(t.begin + 4096),\(t.end + 4096)]")
            }),
            ("shape.ckpt", try f.editingHeader {
                $0.replacingOccurrences(of: "\"decoder.bias\":{\"dtype\":\"F32\",\"shape\":[\(V)]",
                                        with: "\"decoder.bias\":{\"dtype\":\"F32\",\"shape\":[1,\(V)]")
            }),
            ("config.ckpt", try f.editingHeader { $0.replacingOccurrences(of: #"\"hidden\":8"#, with: #"\"hidden\":9"#) }),
            ("dtype.ckpt", try f.editingHeader {
                $0.replacingOccurrences(of: "\"decoder.bias\":{\"dtype\":\"F32\"", with: "\"decoder.bias\":{\"dtype\":\"F16\"")
            }),
            ("newer.ckpt", try f.editingHeader { $0.replacingOccurrences(of: #""charnn.format":"1""#, with: #""charnn.format":"2""#) }),
            ("flipped.ckpt", flipped),
            ("missing-tensor.ckpt", try f.editingHeader { $0.replacingOccurrences(of: "\"decoder.bias\"", with: "\"decoder.biax\"") }),
            ("bad-training.ckpt", try f.editingHeader {
                $0.replacingOccurrences(of: #"\"batch_size\":2"#, with: #"\"batch_size\":-5"#)
            }),
        ]
        for (name, bytes) in files { try dir.write(bytes: bytes, to: name) }
        var bias = try f.values("decoder.bias")
        bias[3] = .nan
        try dir.write(bytes: try f.replacing("decoder.bias", with: bias), to: "nan.ckpt")  // checksum recomputed
        var moments = try f.values("optimizer.exp_avg_sq")
        moments[0] = .infinity
        try dir.write(bytes: try f.replacing("optimizer.exp_avg_sq", with: moments), to: "inf-moments.ckpt")
    }

    /// Every damaged checkpoint, with what its error must say.
    static let corruptCheckpoints: [(file: String, mentions: [String])] = [
        ("missing.ckpt", ["missing.ckpt", "does not exist"]),
        ("adir", ["adir", "not a regular file"]),
        ("garbage.ckpt", ["garbage.ckpt", "header"]),
        ("truncated-half.ckpt", ["truncated"]),
        ("truncated-by-one.ckpt", ["truncated"]),
        ("truncated-in-length.ckpt", ["truncated"]),
        ("bad-magic.ckpt", ["header length", "exceeds"]),
        ("bad-json.ckpt", ["header is invalid", "JSON"]),
        ("length-past-end.ckpt", ["header length", "past the end"]),
        ("length-absurd.ckpt", ["header length", "exceeds"]),
        ("overlap.ckpt", ["'rnn.weight_hh_l0'", "overlap"]),
        ("out-of-range.ckpt", ["past the end"]),
        ("shape.ckpt", ["'decoder.bias'", "shape [1, 29]", "[29]"]),
        ("config.ckpt", ["'rnn.weight_ih_l0'", "shape"]),
        ("dtype.ckpt", ["'decoder.bias'", "'F16'", "F32"]),
        ("newer.ckpt", ["format 2", "newer charnn", "upgrade"]),
        ("flipped.ckpt", ["checksum", "corrupt"]),
        ("missing-tensor.ckpt", ["lacks tensor 'decoder.bias'"]),
        ("nan.ckpt", ["'decoder.bias'", "NaN or infinite"]),
        ("inf-moments.ckpt", ["'optimizer.exp_avg_sq'", "NaN or infinite"]),
    ]

    func testTable() throws {
        let corpusRows: [Row] = [
            Row(arguments: ["train", "missing.txt"] + Self.tiny, exitCode: Self.data, mentions: ["missing.txt", "no such file"]),
            Row(arguments: ["train", "adir"] + Self.tiny, exitCode: Self.data, mentions: ["adir", "directory"]),
            // Several inputs: each file named must exist and be text (files found in a directory that are not are left out).
            Row(arguments: ["train", "corpus.txt", "missing.txt"] + Self.tiny, exitCode: Self.data, mentions: ["missing.txt", "no such file"]),
            Row(arguments: ["train", "corpus.txt", "binary.dat"] + Self.tiny, exitCode: Self.data, mentions: ["binary.dat", "byte offset 9"]),
            Row(arguments: ["train", "corpus.txt", "empty.txt"] + Self.tiny, exitCode: Self.data, mentions: ["empty.txt", "empty"]),
            Row(arguments: ["train", "corpus.txt", "latin1.txt"] + Self.tiny, exitCode: Self.data, mentions: ["latin1.txt", "byte offset 6"]),
            Row(arguments: ["train", "empty.txt"] + Self.tiny, exitCode: Self.data, mentions: ["empty.txt", "empty"]),
            Row(arguments: ["train", "one.txt"] + Self.tiny, exitCode: Self.data, mentions: ["1 character", "at least 2"]),
            Row(arguments: ["train", "latin1.txt"] + Self.tiny, exitCode: Self.data, mentions: ["latin1.txt", "byte offset 6"]),
            Row(arguments: ["train", "surrogate.txt"] + Self.tiny, exitCode: Self.data, mentions: ["byte offset 5"]),
            Row(arguments: ["eval", "model.ckpt", "bad-after-ascii.txt"], exitCode: Self.data, mentions: ["byte offset 7"]),
            Row(arguments: ["eval", "model.ckpt", "one.txt"], exitCode: Self.data, mentions: ["one.txt", "2 characters"]),
            Row(arguments: ["eval", "model.ckpt", "missing.txt"], exitCode: Self.data, mentions: ["missing.txt"]),
        ]
        let sampleRows: [Row] = [
            Row(arguments: ["sample", "model.ckpt", "--prime", "the Zoo"], exitCode: Self.data, mentions: ["--prime", "'Z'"]),
            Row(arguments: ["sample", "model.ckpt", "--prime", "tab\there"], exitCode: Self.data, mentions: ["--prime", "'\\t'"]),
        ] + ["0", "-1", "nan", "inf", "-inf", "1e-60"].map {
            Row(arguments: ["sample", "model.ckpt", "--temperature", $0], exitCode: Self.usage, mentions: ["--temperature", "'\($0)'"])
        } + ["0", "-5"].map {
            Row(arguments: ["sample", "model.ckpt", "--length", $0], exitCode: Self.usage, mentions: ["--length", "'\($0)'"])
        } + sampleModeRows
        var trainRows: [Row] = []
        for option in ["--hidden", "--layers", "--batch-size", "--seq-length", "--iterations"] {
            for value in ["0", "-1"] {
                let arguments = ["train", "corpus.txt"] + Self.tiny.replacing(option, with: value)
                trainRows.append(Row(arguments: arguments, exitCode: Self.usage, mentions: [option, "'\(value)'"]))
            }
        }
        trainRows += [
            Row(arguments: ["train", "corpus.txt", "--cell", "transformer"] + Self.tiny, exitCode: Self.usage,
                mentions: ["--cell", "'transformer'"]),
            Row(arguments: ["train", "corpus.txt", "--optimizer", "lion"] + Self.tiny, exitCode: Self.usage,
                mentions: ["--optimizer", "'lion'"]),
            Row(arguments: ["train", "corpus.txt", "--frobnicate"] + Self.tiny, exitCode: Self.usage, mentions: ["'--frobnicate'"]),
            Row(arguments: ["sample", "model.ckpt", "--frobnicate"], exitCode: Self.usage, mentions: ["'--frobnicate'"]),
            Row(arguments: ["train", "corpus.txt", "--lr", "1e39"] + Self.tiny, exitCode: Self.usage, mentions: ["--lr", "'1e39'"]),
            Row(arguments: ["train", "corpus.txt", "--rollbacks", "-1"] + Self.tiny, exitCode: Self.usage, mentions: ["--rollbacks", "'-1'"]),
            // --resume with a checkpoint of another architecture or vocabulary.
            Row(arguments: ["train", "corpus.txt", "--resume", "gru.ckpt", "--cell", "lstm", "--iterations", "4", "--output", "existing.ckpt"],
                exitCode: Self.usage, mentions: ["--cell lstm", "gru"]),
            Row(arguments: ["train", "corpus.txt", "--resume", "model.ckpt", "--hidden", "16", "--iterations", "4", "--output", "existing.ckpt"],
                exitCode: Self.usage, mentions: ["--hidden 16", "8"]),
            Row(arguments: ["train", "corpus.txt", "--resume", "model.ckpt", "--layers", "2", "--iterations", "4", "--output", "existing.ckpt"],
                exitCode: Self.usage, mentions: ["--layers 2", "1"]),
            Row(arguments: ["train", "new-chars.txt", "--resume", "model.ckpt", "--iterations", "4", "--output", "existing.ckpt"],
                exitCode: Self.data, mentions: ["new-chars.txt", "'Q'", "model.ckpt"]),
            Row(arguments: ["train", "corpus.txt", "--resume", "bad-training.ckpt", "--iterations", "4", "--output", "existing.ckpt"],
                exitCode: Self.data, mentions: ["charnn.training", "batch_size -5"]),
            // Output paths that can never be written.
            Row(arguments: ["train", "corpus.txt"] + Self.tiny + ["--output", "nodir/m.ckpt"], exitCode: Self.data,
                mentions: ["nodir/m.ckpt", "does not exist"]),
            Row(arguments: ["train", "corpus.txt"] + Self.tiny + ["--output", "corpus.txt/m.ckpt"], exitCode: Self.data,
                mentions: ["corpus.txt", "not a directory"]),
        ]
        var checkpointRows: [Row] = []
        for c in Self.corruptCheckpoints {
            checkpointRows += [
                Row(arguments: ["sample", c.file, "--length", "5"], exitCode: Self.data, mentions: c.mentions),
                Row(arguments: ["eval", c.file, "corpus.txt"], exitCode: Self.data, mentions: c.mentions),
                Row(arguments: ["train", "corpus.txt", "--resume", c.file, "--iterations", "4", "--output", "existing.ckpt"],
                    exitCode: Self.data, mentions: c.mentions),
            ]
        }
        let rows = corpusRows + sampleRows + trainRows.map { $0.fixingOutputDuplicates() } + checkpointRows
        print("bad-input table: \(rows.count) rows")
        let before = try snapshot()
        for row in rows {
            try expectOneLineError(row)
            XCTAssertEqual(try snapshot(), before, "files changed after: charnn \(row.arguments.joined(separator: " "))")
        }
    }

    /// Prime files, stop texts, and sampling options that contradict each other.
    var sampleModeRows: [Row] {
        let beam = ["sample", "model.ckpt", "--beam", "3"]
        return [
            Row(arguments: ["sample", "model.ckpt", "--prime-file", "missing.txt"], exitCode: Self.data, mentions: ["missing.txt", "no such file"]),
            Row(arguments: ["sample", "model.ckpt", "--prime-file", "adir"], exitCode: Self.data, mentions: ["adir", "directory"]),
            Row(arguments: ["sample", "model.ckpt", "--prime-file", "latin1.txt"], exitCode: Self.data, mentions: ["latin1.txt", "byte offset 6"]),
            Row(arguments: ["sample", "model.ckpt", "--prime-file", "new-chars.txt"], exitCode: Self.data,
                mentions: ["--prime-file new-chars.txt", "'Q'", "position 504"]),
            Row(arguments: ["sample", "model.ckpt", "--stop", "Zed"], exitCode: Self.data, mentions: ["--stop 'Zed'", "'Z'", "never"]),
            Row(arguments: ["sample", "model.ckpt", "--stop", ""], exitCode: Self.usage, mentions: ["--stop", "''"]),
            Row(arguments: ["sample", "model.ckpt", "--prime", "the", "--prime-file", "one.txt"], exitCode: Self.usage,
                mentions: ["--prime", "--prime-file"]),
            Row(arguments: ["sample", "model.ckpt", "--interactive", "--prime", "the"], exitCode: Self.usage, mentions: ["--interactive", "--prime"]),
            Row(arguments: ["sample", "model.ckpt", "--interactive", "--prime-file", "one.txt"], exitCode: Self.usage,
                mentions: ["--interactive", "--prime-file"]),
            Row(arguments: beam + ["--temperature", "0.5"], exitCode: Self.usage, mentions: ["--beam", "--temperature"]),
            Row(arguments: beam + ["--top-k", "3"], exitCode: Self.usage, mentions: ["--beam", "--top-k"]),
            Row(arguments: beam + ["--argmax"], exitCode: Self.usage, mentions: ["--beam", "--argmax"]),
            Row(arguments: beam + ["--interactive"], exitCode: Self.usage, mentions: ["--beam", "--interactive"]),
            Row(arguments: beam + ["--length", "inf", "--stop", "a"], exitCode: Self.usage, mentions: ["--beam", "--length", "'inf'"]),
            Row(arguments: beam + ["--beam-score", "max"], exitCode: Self.usage, mentions: ["--beam-score", "'max'"]),
            Row(arguments: ["sample", "model.ckpt", "--beam-score", "mean"], exitCode: Self.usage, mentions: ["--beam-score", "--beam"]),
            Row(arguments: ["sample", "model.ckpt", "--beam", "0"], exitCode: Self.usage, mentions: ["--beam", "'0'"]),
            Row(arguments: ["sample", "model.ckpt", "--length", "infinite"], exitCode: Self.usage, mentions: ["--length", "'infinite'"]),
        ]
    }

    /// Unreadable inputs and an unwritable output directory. Permission bits do not bind root, so as
    /// root a file whose read fails for everyone (/proc/self/clear_refs) and a directory no one can
    /// create files in (/sys) stand in for them.
    func testUnreadableInputsAndReadOnlyOutputDirectory() throws {
        try dir.write(Corpora.english, to: "secret.txt")
        try dir.write(bytes: try dir.bytes(of: "model.ckpt"), to: "secret.ckpt")
        try dir.makeDirectory("readonly")
        try dir.makeDirectory("secret-dir")
        for name in ["secret.txt", "secret.ckpt", "secret-dir"] { chmod(dir.file(name).path, 0) }
        chmod(dir.file("readonly").path, 0o555)
        defer {
            for name in ["secret.txt", "secret.ckpt"] { chmod(dir.file(name).path, 0o644) }
            for name in ["readonly", "secret-dir"] { chmod(dir.file(name).path, 0o755) }
        }
        // A directory root cannot list either: another process's map_files (where the kernel says so).
        let unlistable = ["secret-dir", "/proc/1/map_files"].first { !canList($0.hasPrefix("/") ? $0 : dir.file($0).path) }
        var unreadable = ["secret.txt", "secret.ckpt"]
        var readOnly = "readonly"
        if FileManager.default.isReadableFile(atPath: dir.file("secret.txt").path) {  // root
            guard FileManager.default.fileExists(atPath: "/proc/self/clear_refs") else {
                throw XCTSkip("running as root, where mode 000 files stay readable, and /proc/self/clear_refs is absent")
            }
            unreadable = ["/proc/self/clear_refs", "/proc/self/clear_refs"]
            readOnly = "/sys"
        }
        let rows = (unlistable.map {
            [Row(arguments: ["train", "corpus.txt", $0] + Self.tiny, exitCode: Self.data, mentions: [$0, "cannot read"])]
        } ?? []) + [
            Row(arguments: ["train", unreadable[0]] + Self.tiny, exitCode: Self.data, mentions: [unreadable[0], "cannot read"]),
            Row(arguments: ["eval", "model.ckpt", unreadable[0]], exitCode: Self.data, mentions: [unreadable[0], "cannot read"]),
            Row(arguments: ["sample", unreadable[1]], exitCode: Self.data, mentions: [unreadable[1], "cannot read"]),
            Row(arguments: ["train", "corpus.txt"] + Self.tiny.replacing("--output", with: "\(readOnly)/m.ckpt"), exitCode: Self.data,
                mentions: ["\(readOnly)/m.ckpt", "not writable"]),
        ]
        let before = dir.listing()
        let existing = try dir.bytes(of: "existing.ckpt")
        for row in rows {
            try expectOneLineError(row)
        }
        XCTAssertEqual(dir.listing(), before)
        XCTAssertEqual(try dir.bytes(of: "existing.ckpt"), existing)
    }

    /// Devices are refused before they are read: /dev/zero never ends and /dev/urandom is no text,
    /// so reading either whole would run until memory ran out.
    func testDevicesAreRefused() throws {
        let rows = [
            Row(arguments: ["train", "/dev/zero"] + Self.tiny, exitCode: Self.data, mentions: ["/dev/zero", "is a device"]),
            Row(arguments: ["eval", "model.ckpt", "/dev/urandom"], exitCode: Self.data, mentions: ["/dev/urandom", "is a device"]),
            Row(arguments: ["inspect-cells", "model.ckpt", "/dev/zero"], exitCode: Self.data, mentions: ["/dev/zero", "is a device"]),
        ]
        let before = dir.listing()
        for row in rows { try expectOneLineError(row) }
        XCTAssertEqual(dir.listing(), before)
    }

    /// inspect-cells' neuron viewer: --contexts, --window and --pattern given wrongly, or a pattern
    /// with nothing to compare (it never matches, or it covers every character).
    func testInspectCellsViewerOptions() throws {
        let inspect = ["inspect-cells", "model.ckpt", "corpus.txt"]
        let rows = [
            Row(arguments: inspect + ["--contexts", "0"], exitCode: Self.usage, mentions: ["--contexts", "at least 1", "'0'"]),
            Row(arguments: inspect + ["--contexts", "3", "--window", "-2"], exitCode: Self.usage, mentions: ["--window", "'-2'"]),
            Row(arguments: inspect + ["--window", "5"], exitCode: Self.usage, mentions: ["--window needs --contexts"]),
            Row(arguments: inspect + ["--contexts", "3", "--format", "tsv"], exitCode: Self.usage, mentions: ["--contexts", "tsv"]),
            Row(arguments: inspect + ["--contexts", "3", "--format", "npy", "--output", "a.npy"], exitCode: Self.usage,
                mentions: ["--contexts", "npy"]),
            Row(arguments: inspect + ["--contexts", "3", "--output", "a.npy"], exitCode: Self.usage, mentions: ["--contexts", "npy"]),
            Row(arguments: inspect + ["--contexts", "3", "--top", "2"], exitCode: Self.usage, mentions: ["--top", "--contexts"]),
            Row(arguments: inspect + ["--pattern", "sea", "--units", "99"], exitCode: Self.usage, mentions: ["unit 99", "out of range"]),
            Row(arguments: inspect + ["--pattern", "sea", "--units", ","], exitCode: Self.usage, mentions: ["--units"]),
            Row(arguments: inspect + ["--pattern", "a(b"], exitCode: Self.usage, mentions: ["--pattern 'a(b'", "expected ')'", "offset 3"]),
            Row(arguments: inspect + ["--pattern-mode", "inside"], exitCode: Self.usage, mentions: ["--pattern-mode needs --pattern"]),
            Row(arguments: inspect + ["--pattern", "sea", "--pattern-mode", "middle"], exitCode: Self.usage,
                mentions: ["--pattern-mode", "whole, start, inside, end"]),
            Row(arguments: inspect + ["--pattern", "zebra"], exitCode: Self.data, mentions: ["corpus.txt", "'zebra'", "never matches"]),
            Row(arguments: inspect + ["--pattern", "sea", "--pattern", "[\\s\\S]", "--contexts", "2"], exitCode: Self.data,
                mentions: ["'[\\s\\S]'", "marks all 504 characters"]),
            Row(arguments: inspect + ["--pattern", "th", "--pattern-mode", "inside"], exitCode: Self.data,
                mentions: ["'th'", "marks no character"]),
        ]
        let before = try snapshot()
        for row in rows { try expectOneLineError(row) }
        XCTAssertEqual(try snapshot(), before)
    }

    /// A text of more than 10,000 distinct characters trains, with a warning; a text shorter than
    /// one batch trains with smaller batches and says which (RuntimeErrorTests checks the sizes).
    func testWarnings() throws {
        let scalars = (0..<10_001).map { Unicode.Scalar(0x4E00 + UInt32($0))! }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars)
        try dir.write(String(text), to: "huge-vocabulary.txt")
        let cases: [(arguments: [String], warning: String)] = [
            (["train", "huge-vocabulary.txt", "--hidden", "4", "--layers", "1", "--batch-size", "1", "--seq-length", "4",
              "--iterations", "1", "--val-frac", "0", "--output", "huge.ckpt"], "10001 distinct characters"),
            (["train", "corpus.txt", "--hidden", "4", "--layers", "1", "--batch-size", "100", "--seq-length", "100",
              "--iterations", "1", "--output", "short.ckpt"], "shorter than one batch"),
        ]
        for c in cases {
            let r = try run(c.arguments)
            XCTAssertEqual(r.exitCode, 0, "\(r)")
            let warnings = r.stderrLines.filter { $0.hasPrefix("charnn: warning: ") }
            XCTAssertEqual(warnings.count, 1, "\(r)")
            XCTAssertTrue(warnings.first?.contains(c.warning) ?? false, "\(r)")
        }
        XCTAssertTrue(dir.exists("huge.ckpt") && dir.exists("short.ckpt"))
    }

    /// Limits too large to reach are valid (train until interrupted), not a trap when the progress
    /// line works out the ETA: the run is stopped with Ctrl-C and exits 130 with its checkpoint.
    func testEndlessLimitsAreAccepted() throws {
        let running = try charnn.start(["train", "corpus.txt"] + tinyModel + ["--epochs", "1e300", "--time", "1e300s",
                                                                            "--print-every", "1", "--output", "endless.ckpt"],
                                       in: dir.url)
        XCTAssertTrue(running.waitForStderr(containing: "iter 2 ", timeout: 60), running.stderrSoFar)
        running.send(signal: SIGINT)
        let r = try running.wait(timeout: 60)
        XCTAssertEqual(r.exitCode, 130, "\(r)")
        XCTAssertFalse(r.stderr.contains("Fatal error"), "\(r)")
        XCTAssertTrue(r.stderrLines.contains { $0.hasPrefix("iter 2 ") && $0.contains("ETA ?") }, "\(r)")
        XCTAssertTrue(dir.exists("endless.ckpt"))
    }

    // MARK: - Checks

    /// Exit code, empty stdout, exactly one stderr line `charnn: error: …` with every mention (a usage
    /// error ends it with the usage); never a trap message or a backtrace.
    func expectOneLineError(_ row: Row, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try run(row.arguments)
        let context = "\ncharnn \(row.arguments.joined(separator: " "))\n\(result)"
        let first = checkOneErrorLine(result, exitCode: row.exitCode, mentions: row.mentions, context: context, file: file, line: line)
        if row.exitCode == Self.usage {
            XCTAssertTrue(first.contains(" (usage: charnn ") && first.hasSuffix("')"), "the usage in the line" + context,
                          file: file, line: line)
        }
    }

    /// Every file below the test directory with its bytes (a symbolic link: where it points).
    func snapshot() throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in dir.listing() {
            var isDirectory: ObjCBool = false
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: dir.file(name).path) {
                files[name + " -> "] = Data(target.utf8)
            } else if FileManager.default.fileExists(atPath: dir.file(name).path, isDirectory: &isDirectory), isDirectory.boolValue {
                files[name + "/"] = Data()
            } else {
                files[name] = try Data(contentsOf: dir.file(name))
            }
        }
        return files
    }
}

extension BadInputTests.Row {
    /// Rows that give --output themselves drop the default one (the parser refuses an option twice).
    func fixingOutputDuplicates() -> Self {
        guard arguments.filter({ $0 == "--output" }).count > 1, let first = arguments.firstIndex(of: "--output") else { return self }
        var a = arguments
        a.removeSubrange(first...(first + 1))
        return .init(arguments: a, exitCode: exitCode, mentions: mentions)
    }
}

extension Array where Element == String {
    /// These arguments with `option`'s value replaced (or the option added).
    func replacing(_ option: String, with value: String) -> [String] {
        guard let i = firstIndex(of: option), i + 1 < count else { return self + [option, value] }
        var copy = self
        copy[i + 1] = value
        return copy
    }
}
