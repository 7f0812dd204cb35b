// Outputs that break under a run, on real processes: a progress reader or metrics FIFO reader that
// exits, a full device or file system, a hang-up, standard output that cannot be written, and a
// memory limit. Progress and logs are never worth a run; a lost checkpoint or a trap never happens.

import Foundation
import TestSupport
import XCTest

final class BrokenOutputTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
    }

    /// Runs `script` with bash in the test directory; "$0" is charnn, with SIGPIPE at its default
    /// action (the test process ignores it, and children would inherit that).
    func bash(_ script: String) throws -> CommandResult {
        let shell = CommandRunner(executable: URL(fileURLWithPath: "/bin/bash"), baseEnvironment: charnn.baseEnvironment)
        let charnnDefault = #"charnn() { env --default-signal=PIPE "$0" "$@"; }; "#
        return try shell.run(["-c", charnnDefault + script, charnn.executable.path], in: dir.url)
    }

    /// Lock and temporary files left in the test directory.
    func leftovers() -> [String] { dir.listing().filter { $0.hasSuffix(".lock") || $0.contains(".tmp-") } }

    /// The iteration a checkpoint records, after charnn has loaded it.
    func iteration(of name: String) throws -> Int {
        XCTAssertEqual(try run(["eval", name, "corpus.txt"]).exitCode, 0, "\(name) does not load")
        let training = try CheckpointFile(contentsOf: dir.file(name)).metadataJSON("charnn.training") as? [String: Any]
        return try XCTUnwrap(int((training?["progress"] as? [String: Any])?["iteration"]))
    }

    /// Progress piped to a reader that exits after three lines: the run goes on to its end and saves.
    func testProgressReaderThatExitsDoesNotEndTheRun() throws {
        let r = try bash("charnn train corpus.txt \(tinyModel.joined(separator: " ")) --iterations 60 --print-every 1 "
                         + "--output m.ckpt 2>&1 | head -3 >/dev/null; exit ${PIPESTATUS[0]}")
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(try iteration(of: "m.ckpt"), 60)
        XCTAssertEqual(leftovers(), [])
    }

    /// A metrics FIFO whose reader exits: one warning, the run goes on and saves; with no reader at
    /// all, the FIFO is refused at once (one line) instead of blocking forever.
    func testMetricsFIFOWhoseReaderExits() throws {
        XCTAssertEqual(mkfifo(dir.file("f").path, 0o644), 0)
        // More log than a pipe holds (about 200 bytes a line, 64 KiB buffered): a write after the
        // reader has gone is certain, whenever the reader runs.
        let r = try bash("(head -c 10 f >/dev/null &); charnn train corpus.txt \(tinyModel.joined(separator: " ")) "
                         + "--iterations 1000 --print-every 1 --output m.ckpt --metrics f")
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        let warnings = r.stderrLines.filter { $0.hasPrefix("charnn: warning:") }
        XCTAssertEqual(warnings, ["charnn: warning: the metrics log f was closed (Broken pipe); training goes on without it"], "\(r)")
        XCTAssertEqual(try iteration(of: "m.ckpt"), 1000)
        XCTAssertEqual(leftovers(), [])

        try expectRuntimeError(["train", "corpus.txt"] + tinyModel + ["--iterations", "4", "--output", "n.ckpt", "--metrics", "f"],
                               mentions: ["cannot write the metrics log f: it is a FIFO no process reads"])
    }

    /// A metrics log on a full device: the run stops at the next step, saves, and fails in one line.
    func testMetricsLogOnAFullDeviceStopsTheRunWithItsCheckpointSaved() throws {
        let r = try run(["train", "corpus.txt"] + tinyModel + ["--iterations", "40", "--print-every", "5", "--output", "m.ckpt",
                                                               "--metrics", "/dev/full"])
        XCTAssertEqual(r.exitCode, 1, "\(r)")
        XCTAssertEqual(r.stderrLines.filter { $0.hasPrefix("charnn: error:") },
                       ["charnn: error: cannot write the metrics log /dev/full: No space left on device; "
                        + "training stopped at iteration 5 and saved m.ckpt"], "\(r)")
        XCTAssertEqual(try iteration(of: "m.ckpt"), 5)
        XCTAssertEqual(leftovers(), [])
    }

    /// Progress to a full device is dropped; the run itself succeeds with the same checkpoint as a
    /// run whose progress was read (nothing else differs).
    func testStderrOnAFullDeviceDoesNotChangeTheRun() throws {
        let r = try bash("charnn train corpus.txt \(tinyModel.joined(separator: " ")) --iterations 12 --output m.ckpt 2>/dev/full")
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        try trainTiny(output: "n.ckpt", iterations: 12)
        XCTAssertEqual(try CheckpointFile(contentsOf: dir.file("m.ckpt")).data, try CheckpointFile(contentsOf: dir.file("n.ckpt")).data)
        XCTAssertEqual(leftovers(), [])
    }

    /// A file system that fills during training, with the metrics log beside the checkpoint: one
    /// error line, exit 1, both checkpoints byte for byte as before, every log line whole, and no
    /// temporary or lock file left. Needs a small tmpfs, so root; skipped where mounting is refused.
    func testFullFileSystemKeepsTheLastCheckpointsAndWholeLogLines() throws {
        try dir.makeDirectory("small")
        let mounted = try bash("mount -t tmpfs -o size=256k charnn-test small")
        guard mounted.exitCode == 0 else { throw XCTSkip("cannot mount a tmpfs here (\(mounted.stderr)); the test needs root") }
        defer { _ = try? bash("umount small") }
        try trainTiny(output: "small/m.ckpt", iterations: 3, ["--print-every", "1"])
        let names = ["small/m.ckpt", "small/m.best.ckpt"]
        let before = try names.map { try dir.bytes(of: $0) }
        XCTAssertNotEqual(try bash("cat /dev/zero > small/filler").exitCode, 0, "the file system did not fill")
        let r = try run(["train", "corpus.txt", "--resume", "small/m.ckpt", "--iterations", "100000", "--print-every", "1"])
        XCTAssertEqual(r.exitCode, 1, "\(r)")
        let errors = r.stderrLines.filter { $0.hasPrefix("charnn: error:") }
        XCTAssertEqual(errors.count, 1, "\(r)")
        XCTAssertTrue(errors.first?.contains("No space left on device") ?? false, "\(r)")
        XCTAssertEqual(try names.map { try dir.bytes(of: $0) }, before, "a checkpoint changed")
        let log = try String(contentsOf: dir.file("small/m.metrics.jsonl"), encoding: .utf8)
        XCTAssertTrue(log.hasSuffix("\n"))
        for line in log.split(separator: "\n") {
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8)), "a torn line: \(line)")
        }
        XCTAssertEqual(leftovers(), [])
    }

    /// A checkpoint whose log went to /dev/stdout: report does not read the terminal or pipe it
    /// would find there (it would wait on the keyboard or for ever), and writes its page without curves.
    func testReportOnACheckpointWhoseLogIsAStream() throws {
        try trainTiny(iterations: 3, ["--metrics", "/dev/stdout"])
        let r = try run(["report", "model.ckpt"])  // stdout a pipe: reading /dev/stdout would wait for ever
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(r.stdout, "wrote model.html\n")
        XCTAssertEqual(r.stderrLines, ["charnn: warning: /dev/stdout: cannot read: not a regular file; the report has no curves"])
        XCTAssertTrue(dir.exists("model.html"))
    }

    /// inspect-cells killed by SIGTERM (as `timeout` does) while it writes --output: no hidden
    /// temporary file is left, and no output appears.
    func testInspectCellsKilledMidDumpLeavesNoTemporary() throws {
        try trainTiny(iterations: 2)
        try corpus(String(repeating: Corpora.english, count: 400), named: "long.txt")
        let before = dir.listing()
        let running = try charnn.start(["inspect-cells", "model.ckpt", "long.txt", "--output", "acts.tsv", "--format", "tsv"],
                                       in: dir.url)
        var seen = false
        for _ in 0..<20_000 where !seen {
            seen = dir.listing().contains { $0.hasPrefix(".acts.tsv.tmp-") }
            if !seen { usleep(500) }
        }
        running.send(signal: SIGTERM)
        let r = try running.wait(timeout: 60)
        XCTAssertTrue(seen, "the dump ended before it could be interrupted: \(r)")
        XCTAssertEqual(r.exitCode, 143, "\(r)")
        XCTAssertEqual(dir.listing(), before)
    }

    /// What eval and sample print, to a full device: one error line and exit 1.
    func testStandardOutputOnAFullDeviceIsAnError() throws {
        try trainTiny(iterations: 3)
        for command in ["charnn eval model.ckpt corpus.txt", "charnn eval model.ckpt corpus.txt --json",
                        "charnn sample model.ckpt --length 20 --seed 1"] {
            let r = try bash(command + " >/dev/full")
            XCTAssertEqual(r.exitCode, 1, command + ": \(r)")
            XCTAssertEqual(r.stderrLines, ["charnn: error: cannot write standard output: No space left on device"], command + ": \(r)")
        }
    }

    /// A model larger than the address-space limit allows is refused before allocating, naming that limit.
    func testAddressSpaceLimitIsCheckedBeforeAllocating() throws {
        let before = dir.listing()
        let r = try bash("ulimit -v 4000000; charnn train corpus.txt --hidden 4096 --iterations 2 --output m.ckpt")
        checkOneErrorLine(r, exitCode: 1, mentions: ["lstm 2×4096", "the address-space limit (ulimit -v) leaves", "--hidden"],
                          context: "\n\(r)")
        XCTAssertEqual(dir.listing(), before)
    }

    /// SIGHUP (a closed terminal) ends a run as SIGTERM does: the step finishes, the checkpoint is
    /// saved, exit 128 + 1, no lock file left.
    func testHangUpSavesAndExits() throws {
        let running = try charnn.start(["train", "corpus.txt"] + tinyModel + ["--iterations", "100000", "--output", "m.ckpt"],
                                       in: dir.url)
        XCTAssertTrue(running.waitForStderr(containing: "saved m.best.ckpt", timeout: 60), running.stderrSoFar)
        running.send(signal: SIGHUP)
        let r = try running.wait(timeout: 60)
        XCTAssertEqual(r.exitCode, 129, "\(r)")
        XCTAssertTrue(r.stderrLines.last?.hasPrefix("interrupted at iteration ") ?? false, "\(r)")
        XCTAssertGreaterThan(try iteration(of: "m.ckpt"), 0)
        XCTAssertEqual(leftovers(), [])
    }
}
