// A best checkpoint is replaced only by a better one, on real processes: resuming from it writes
// the latest state elsewhere and says where, the "(best …)" of the last line names the file that
// holds it, and SIGINT, SIGTERM and SIGHUP at seeded random moments of such a run leave every
// earlier file byte for byte, a loadable latest checkpoint and no lock or temporary file.

import Foundation
import TestSupport
import XCTest

class BestCheckpointTestCase: CLITestCase {
    /// r.ckpt and r.best.ckpt at iteration 60, the best at val 3.1548.
    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
        try trainTiny(output: "r.ckpt", iterations: 60, ["--eval-every", "10"])
    }

    /// A resumed run whose learning rate (3) makes every validation worse than r.best.ckpt's.
    let worse = ["--lr", "3", "--eval-every", "5"]

    func leftovers() -> [String] { dir.listing().filter { $0.hasSuffix(".lock") || $0.contains(".tmp-") } }

    /// The iteration a checkpoint records, after charnn has loaded it.
    func iteration(of name: String) throws -> Int {
        XCTAssertEqual(try run(["eval", name, "corpus.txt"]).exitCode, 0, "\(name) does not load")
        let training = try CheckpointFile(contentsOf: dir.file(name)).metadataJSON("charnn.training") as? [String: Any]
        return try XCTUnwrap(int((training?["progress"] as? [String: Any])?["iteration"]))
    }

    /// `trials` runs resumed from r.best.ckpt (r.ckpt exists, so the latest goes to r-2.ckpt), each
    /// sent SIGINT, SIGTERM or SIGHUP (in turn) after a seeded delay up to `maxDelay` seconds, SIGINT
    /// to a process started with SIGINT ignored (as `cmd &` in a script starts it). Each ends with
    /// exit 128 + the signal and the usual last line, or (a signal before charnn set its handlers)
    /// killed by it with nothing written; r.ckpt and r.best.ckpt never change; r-2.ckpt loads.
    func signalTrials(_ trials: Int, seed: UInt64, maxDelay: Double) throws {
        var rng = SplitMix(seed: seed)
        let kept = ["r.ckpt", "r.best.ckpt", "r.metrics.jsonl"]
        let before = try kept.map { try dir.bytes(of: $0) }
        let signals = [SIGINT, SIGTERM, SIGHUP]
        var saved = 0
        for trial in 0..<trials {
            let sig = signals[trial % 3]
            let delay = Double(rng.next() % 1000) / 1000 * maxDelay
            let arguments = ["train", "corpus.txt", "--resume", "r.best.ckpt", "--iterations", "100000"] + worse
            let shell = CommandRunner(executable: URL(fileURLWithPath: "/bin/sh"), baseEnvironment: charnn.baseEnvironment)
            let running = sig == SIGINT
                ? try shell.start(["-c", #"trap '' INT; exec "$0" "$@""#, charnn.executable.path] + arguments, in: dir.url)
                : try charnn.start(arguments, in: dir.url)
            usleep(UInt32(delay * 1_000_000))
            running.send(signal: sig)
            let r = try running.wait(timeout: 60)
            let context = "trial \(trial), signal \(sig) after \(delay)s: \(r)"
            if r.signal == sig {
                XCTAssertFalse(dir.exists("r-2.ckpt"), context)
            } else {
                XCTAssertEqual(r.exitCode, 128 + sig, context)
                XCTAssertEqual(r.stderrLines.filter { $0.hasPrefix("charnn: error") }, [], context)
                let last = r.stderrLines.last ?? ""
                XCTAssertTrue(last.hasPrefix("interrupted at iteration ") && last.hasSuffix(", in r.best.ckpt); checkpoint r-2.ckpt"),
                              context)
                XCTAssertGreaterThanOrEqual(try iteration(of: "r-2.ckpt"), 60, context)
                XCTAssertFalse(dir.exists("r-2.best.ckpt"), context)
                saved += 1
            }
            for (name, bytes) in zip(kept, before) { XCTAssertTrue(try dir.bytes(of: name) == bytes, "\(name) changed: " + context) }
            XCTAssertEqual(leftovers(), [], context)
            for name in dir.listing() where name.hasPrefix("r-2.") { try FileManager.default.removeItem(at: dir.file(name)) }
        }
        print("signal trials: \(trials), \(saved) saved a checkpoint, \(trials - saved) came before the handlers")
    }
}

final class BestCheckpointTests: BestCheckpointTestCase {
    /// With no latest checkpoint beside it, resuming r.best.ckpt writes r.ckpt and keeps r.best.ckpt
    /// as the best, byte for byte while nothing beats it.
    func testResumingTheBestWritesTheLatestBesideIt() throws {
        try FileManager.default.removeItem(at: dir.file("r.ckpt"))
        let best = try dir.bytes(of: "r.best.ckpt")
        let r = try run(["train", "corpus.txt", "--resume", "r.best.ckpt", "--iterations", "70"] + worse)
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(r.stderrLines.first, "charnn: note: r.best.ckpt is a best checkpoint, which only a better one replaces; "
                       + "this run writes its latest state to r.ckpt")
        XCTAssertTrue(r.stderrLines.last?.hasSuffix(" (best 3.1548); checkpoint r.ckpt") ?? false, "\(r)")
        XCTAssertTrue(try dir.bytes(of: "r.best.ckpt") == best, "the best checkpoint changed")
        XCTAssertEqual(try iteration(of: "r.ckpt"), 70)
        XCTAssertEqual(leftovers(), [])
    }

    /// With the run's later latest checkpoint there, resuming the best goes to a new name; both
    /// earlier files stay, and the last line says which file holds the best.
    func testResumingTheBestKeepsTheLaterLatestCheckpoint() throws {
        let before = try ["r.ckpt", "r.best.ckpt", "r.metrics.jsonl"].map { try dir.bytes(of: $0) }
        let r = try run(["train", "corpus.txt", "--resume", "r.best.ckpt", "--iterations", "70"] + worse)
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertTrue(r.stderrLines.first?.hasSuffix("this run writes its latest state to r-2.ckpt") ?? false, "\(r)")
        XCTAssertTrue(r.stderrLines.last?.hasSuffix(" (best 3.1548, in r.best.ckpt); checkpoint r-2.ckpt") ?? false, "\(r)")
        XCTAssertTrue(try ["r.ckpt", "r.best.ckpt", "r.metrics.jsonl"].map { try dir.bytes(of: $0) } == before, "an earlier file changed")
        XCTAssertEqual(try iteration(of: "r-2.ckpt"), 70)
        XCTAssertFalse(dir.exists("r-2.best.ckpt"))
    }

    /// A fork (--resume r.ckpt --output y.ckpt) keeps r's log as it was and starts its own with r's
    /// history up to where it resumed, so each checkpoint's report is whole and ends where it does.
    func testAForkStartsItsOwnLogWithTheHistoryItContinues() throws {
        let log = try dir.bytes(of: "r.metrics.jsonl")
        let r = try run(["train", "corpus.txt", "--resume", "r.ckpt", "--output", "y.ckpt", "--iterations", "70", "--eval-every", "5"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertTrue(try dir.bytes(of: "r.metrics.jsonl") == log, "the resumed run's log changed")
        let forked = try dir.bytes(of: "y.metrics.jsonl")
        XCTAssertTrue(forked.starts(with: log), "the fork's log starts with the history it continues")
        let own = String(decoding: forked[log.count...], as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(own.first?.hasPrefix(#"{"iteration":65,"#), true, "\(own)")
        XCTAssertEqual(own.last?.hasPrefix(#"{"iteration":70,"#), true, "\(own)")
        let options = try CheckpointFile(contentsOf: dir.file("y.ckpt")).metadataJSON("charnn.training") as? [String: Any]
        XCTAssertEqual((options?["options"] as? [String: Any])?["metrics_log"] as? String, "y.metrics.jsonl")
    }

    /// The best checkpoint as --output of the run resuming it is refused before any work.
    func testTheBestAsItsOwnOutputIsRefused() throws {
        try expectRuntimeError(["train", "corpus.txt", "--resume", "r.best.ckpt", "--output", "./r.best.ckpt"],
                               mentions: ["./r.best.ckpt is a best checkpoint, which only a better one replaces",
                                          "latest state to r-2.ckpt"])
    }

    /// A few seeded signal trials (the many-trial version is SignalSoakTests, `make soak`).
    func testSignalsAtRandomMomentsKeepTheBestCheckpoint() throws {
        try signalTrials(6, seed: 24, maxDelay: 0.4)
    }
}

/// SIGINT, SIGTERM and SIGHUP, 20 seeded trials each, up to 1.5 s into a run: `make soak`
/// (CHARNN_SOAK=1); too slow for `make test`.
final class SignalSoakTests: BestCheckpointTestCase {
    override func setUpWithError() throws {
        guard ProcessInfo.processInfo.environment["CHARNN_SOAK"] == "1" else { throw XCTSkip("a soak test: make soak runs it") }
        try super.setUpWithError()
    }

    func testSixtySignalTrials() throws {
        try signalTrials(60, seed: 2024, maxDelay: 1.5)
    }
}
