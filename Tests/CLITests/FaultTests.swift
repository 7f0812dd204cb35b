// Faults during training, on real processes: kill -9 at random moments (the latest checkpoint must
// always load), a write that fails (the previous checkpoint stays), and a run whose numbers blow up
// (stopped with one error and no checkpoint written).

import Foundation
import TestSupport
import XCTest

final class FaultTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
    }

    /// Temporary files charnn is writing or left behind in the test directory.
    func temporaries() -> [String] { dir.listing().filter { $0.contains(".tmp-") } }

    /// The checkpoint's iteration, after checking that charnn loads it and its data matches its checksum.
    func checkLoads(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let e = try run(["eval", name, "corpus.txt", "--json"])
        XCTAssertEqual(e.exitCode, 0, "\(name) does not load: \(e)", file: file, line: line)
        let f = try CheckpointFile(contentsOf: dir.file(name))
        XCTAssertEqual(f.metadata["charnn.checksum"], String(format: "crc32:%08x", crc32(f.data)), file: file, line: line)
        let training = try XCTUnwrap(try f.metadataJSON("charnn.training") as? [String: Any], file: file, line: line)
        return try XCTUnwrap(int((training["progress"] as? [String: Any])?["iteration"]), file: file, line: line)
    }

    /// A run that writes its checkpoints every iteration is killed with SIGKILL at seeded random
    /// moments — while starting, training, or in the middle of a write — and resumed from what is on
    /// disk, round after round. Each time the latest and best checkpoints load, training never goes
    /// backwards, and a killed write leaves at most one temporary file, which the next write removes.
    func testKillNineAtRandomMomentsNeverLeavesAnUnloadableCheckpoint() throws {
        var rng = SplitMix(seed: 5)
        let rounds = 14
        var lastIteration = 0, killedMidWrite = 0
        for round in 0..<rounds {
            // --patience 0: a long run that only the kill ends (--time alone would stop early once
            // validation stops improving).
            var arguments = ["train", "corpus.txt"] + tinyModel + ["--eval-every", "1", "--print-every", "1", "--time", "60s",
                                                                   "--patience", "0", "--output", "model.ckpt"]
            if round > 0 { arguments += ["--resume", "model.ckpt"] }
            let running = try charnn.start(arguments, in: dir.url)
            if round == 0 {
                XCTAssertTrue(running.waitForStderr(containing: "saved model.best.ckpt", timeout: 60), running.stderrSoFar)
            }
            usleep(UInt32(rng.next() % 250_000))
            running.send(signal: SIGKILL)
            let r = try running.wait(timeout: 60)
            XCTAssertEqual(r.signal, SIGKILL, "round \(round): the run ended before it was killed: \(r)")

            let left = temporaries()
            XCTAssertLessThanOrEqual(left.count, 1, "round \(round): \(left)")
            killedMidWrite += left.isEmpty ? 0 : 1
            let iteration = try checkLoads("model.ckpt")
            _ = try checkLoads("model.best.ckpt")
            XCTAssertGreaterThanOrEqual(iteration, lastIteration, "round \(round): training went backwards")
            lastIteration = iteration
        }
        XCTAssertGreaterThan(lastIteration, 0)
        // A run that ends normally leaves no temporary file, including those of the killed runs.
        let r = try run(["train", "corpus.txt", "--resume", "model.ckpt", "--iterations", String(lastIteration + 1),
                         "--output", "model.ckpt"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(temporaries(), [])
        XCTAssertEqual(try checkLoads("model.ckpt"), lastIteration + 1)
        print("kill -9: \(rounds) rounds, \(killedMidWrite) of them killed a checkpoint write in progress")
    }

    /// A checkpoint write that fails (here the file-size limit makes write(2) fail with EFBIG, as a full
    /// disk fails with ENOSPC) stops training with one error line and leaves the previous checkpoint
    /// byte for byte, with no temporary file.
    func testFailedCheckpointWriteKeepsThePreviousCheckpoint() throws {
        try trainTiny(iterations: 3)
        let before = try dir.bytes(of: "model.ckpt")
        let limited = CommandRunner(executable: URL(fileURLWithPath: "/bin/sh"), baseEnvironment: charnn.baseEnvironment)
        // 8 blocks of 512 bytes: less than the checkpoint; SIGXFSZ ignored so that write(2) reports the error.
        let script = #"trap '' XFSZ; ulimit -f 8 && exec "$0" "$@""#
        let r = try limited.run(["-c", script, charnn.executable.path, "train", "corpus.txt", "--resume", "model.ckpt",
                                 "--iterations", "5", "--output", "model.ckpt"], in: dir.url)
        XCTAssertEqual(r.exitCode, 1, "\(r)")
        XCTAssertEqual(r.stderrLines.filter { $0.hasPrefix("charnn: error: ") }.count, 1, "\(r)")
        let last = r.stderrLines.last ?? ""
        XCTAssertTrue(last.hasPrefix("charnn: error: cannot write 'model.ckpt': File too large"), "\(r)")
        XCTAssertFalse(r.stderr.contains("Fatal error"), "\(r)")
        XCTAssertEqual(try dir.bytes(of: "model.ckpt"), before, "the previous checkpoint changed")
        XCTAssertEqual(temporaries(), [])
        XCTAssertEqual(try checkLoads("model.ckpt"), 3)
    }

    /// A run whose numbers overflow in the optimizer step (resumed from a checkpoint whose Adam first
    /// moments are near Float's limit, so the loss and gradient are finite but the updated parameters
    /// are not): training stops with one error naming what became non-finite, and writes nothing.
    func testOverflowingRunStopsWithoutWritingACheckpoint() throws {
        try trainTiny(iterations: 3)
        let f = try CheckpointFile(contentsOf: dir.file("model.ckpt"))
        let count = try f.values("optimizer.exp_avg").count
        try dir.write(bytes: try f.replacing("optimizer.exp_avg", with: [Float](repeating: 3e38, count: count)), to: "exploding.ckpt")
        let names = ["model.ckpt", "model.best.ckpt", "exploding.ckpt"]
        let before = try snapshot(names)
        let listing = dir.listing()
        let r = try run(["train", "corpus.txt", "--resume", "exploding.ckpt", "--eval-every", "1", "--iterations", "20",
                         "--output", "model.ckpt", "--force"])
        XCTAssertEqual(r.exitCode, 1, "\(r)")
        XCTAssertEqual(r.stderrLines.filter { $0.hasPrefix("charnn: error: ") }.count, 1, "\(r)")
        let last = r.stderrLines.last ?? ""
        XCTAssertTrue(last.hasPrefix("charnn: error: the parameters became non-finite at iteration 4") && last.contains("--lr"), "\(r)")
        XCTAssertFalse(r.stderr.contains("Fatal error"), "\(r)")
        XCTAssertTrue(try snapshot(names) == before, "a checkpoint was written")
        XCTAssertEqual(dir.listing(), listing)
    }

    func snapshot(_ names: [String]) throws -> [[UInt8]] { try names.map { try dir.bytes(of: $0) } }
}

/// SplitMix64, for seeded kill times (the CLI tests do not link the library).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
