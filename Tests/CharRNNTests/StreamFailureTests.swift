// Writes that fail under a run, through the library's seams: a log line cut short by a full disk is
// taken back whole, and the memory limit that applies is the tightest of the machine's, the rlimits'
// and the control group's.

import Foundation
import XCTest
@testable import CharRNN
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

final class StreamFailureTests: XCTestCase {
    private var scratch: TemporaryDirectory!

    override func setUpWithError() throws { scratch = try TemporaryDirectory(prefix: "stream-failure-tests") }

    override func tearDownWithError() throws { scratch.remove() }

    /// A writer that writes `allowance` bytes in all, then fails with ENOSPC, as a filling disk does.
    private func fillingDisk(allowance: Int) -> AtomicFile.Writer {
        var left = allowance
        return { fd, base, count in
            guard left > 0 else { errno = ENOSPC; return -1 }
            let n = write(fd, base, min(count, left))
            left -= max(0, n)
            return n
        }
    }

    /// The second line fits only in part: the log keeps the first line alone, reports ENOSPC, and
    /// writes nothing after (a later line that would fit does not land after a gap).
    func testLineCutShortByAFullDiskIsTakenBack() throws {
        let path = scratch.path + "/m.metrics.jsonl"
        try Data("{\"iteration\":1}\n".utf8).write(to: URL(fileURLWithPath: path))
        let log = try AppendLog(path: path, truncate: false, writer: fillingDisk(allowance: 20))
        XCTAssertTrue(log.append("{\"iteration\":2}"))
        XCTAssertFalse(log.append("{\"iteration\":3,\"train_loss\":2.5}"))
        XCTAssertEqual(log.failure, ENOSPC)
        XCTAssertFalse(log.append("{}"))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "{\"iteration\":1}\n{\"iteration\":2}\n")
    }

    /// A FIFO that no process reads is refused at once (opening it for writing would wait forever).
    func testFIFOWithoutAReaderIsRefused() throws {
        let path = scratch.path + "/f"
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        XCTAssertThrowsError(try AppendLog(path: path, truncate: false)) { error in
            XCTAssertEqual(error as? FileWriteError, .failed(path: path, reason: "it is a FIFO no process reads"))
        }
    }

    /// A corpus is read twice (its characters, then their ids): a file cut short between the two
    /// readings is refused, not trained on in part under its first size.
    func testAFileCutShortBetweenItsTwoReadingsIsRefused() throws {
        let path = scratch.path + "/corpus.txt"
        try Data("hello world\n".utf8).write(to: URL(fileURLWithPath: path))
        let scalars = Corpus.fileScalars(path, 4, .exact, bytes: 12)
        var first = 0
        try scalars { _, _ in first += 1 }
        XCTAssertEqual(first, 12)
        XCTAssertEqual(truncate(path, 5), 0)
        XCTAssertThrowsError(try scalars { _, _ in }) { XCTAssertEqual($0 as? TextError, .changed(bytes: 12, read: 5)) }
        try Data("hello world, and more\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try scalars { _, _ in }) { XCTAssertEqual($0 as? TextError, .changed(bytes: 12, read: 16)) }
    }

    /// The live progress line never wraps: the bar goes first, then the percentage, then the text is cut.
    func testProgressLineFitsTheTerminal() {
        let text = "iter 100  epoch 0.10  train 3.0515  val 2.1000  4,810 chars/s  ETA 1m18s"  // 72 columns
        let bar = "[######------------------]"
        XCTAssertEqual(TerminalLine.fit(bar: bar, percent: " 25%", text: text, columns: 120), bar + "  25% " + text)
        XCTAssertEqual(TerminalLine.fit(bar: bar, percent: " 25%", text: text, columns: 80), " 25% " + text)
        XCTAssertEqual(TerminalLine.fit(bar: bar, percent: " 25%", text: text, columns: 74), text)
        XCTAssertEqual(TerminalLine.fit(bar: nil, percent: nil, text: text, columns: 40), String(text.prefix(39)))
        XCTAssertEqual(TerminalLine.fit(bar: bar, percent: " 25%", text: text, columns: 0), "i")
    }

    func testTightestMemoryLimitWins() {
        let gib = 1 << 30
        XCTAssertEqual(MemoryLimit.tightest(physical: 24 * gib, addressSpace: nil, data: nil, controlGroup: nil),
                       MemoryLimit(bytes: 24 * gib, source: .physical))
        XCTAssertEqual(MemoryLimit.tightest(physical: 24 * gib, addressSpace: (4 * gib, 1 * gib), data: (8 * gib, 0), controlGroup: 16 * gib),
                       MemoryLimit(bytes: 3 * gib, source: .addressSpace))
        XCTAssertEqual(MemoryLimit.tightest(physical: 24 * gib, addressSpace: (4 * gib, 5 * gib), data: nil, controlGroup: nil),
                       MemoryLimit(bytes: 0, source: .addressSpace))
        XCTAssertEqual(MemoryLimit.tightest(physical: 24 * gib, addressSpace: nil, data: (8 * gib, 2 * gib), controlGroup: 2 * gib),
                       MemoryLimit(bytes: 2 * gib, source: .controlGroup))
        XCTAssertEqual(MemoryLimit.parseControlGroupLimit("max\n"), nil)
        XCTAssertEqual(MemoryLimit.parseControlGroupLimit("9223372036854771712\n"), nil)
        XCTAssertEqual(MemoryLimit.parseControlGroupLimit("2147483648\n"), 2 * gib)
        XCTAssertEqual(MemoryLimit.statusField("VmSize", in: "Name:\tx\nVmSize:\t  123456 kB\nVmData:\t 10 kB\n"), 123_456 * 1024)
    }

    /// A run may take 90 % of the limit and no more; the refusal says what the run is and what it
    /// would need against which limit.
    func testMemoryRuleAdmitsNinetyPercentOfTheLimit() throws {
        XCTAssertTrue(MemoryLimit(bytes: 1000, source: .physical).admits(900))
        XCTAssertFalse(MemoryLimit(bytes: 1000, source: .physical).admits(901))
        let config = ModelConfig(cell: .gru, layers: 2, hidden: 64, vocabularySize: 30)
        var options = TrainingOptions()
        (options.batchSize, options.seqLength) = (8, 16)
        let needed = Trainer.estimatedBytes(config: config, options: options, characters: 10_000)
        let exact = MemoryLimit(bytes: needed * 10 / 9 + 9, source: .controlGroup)
        XCTAssertNoThrow(try MemoryLimit.check(config: config, options: options, characters: 10_000, limit: exact))
        let short = MemoryLimit(bytes: exact.bytes - 10, source: .controlGroup)
        XCTAssertThrowsError(try MemoryLimit.check(config: config, options: options, characters: 10_000, limit: short)) { error in
            XCTAssertEqual(error as? MemoryShortfall,
                           MemoryShortfall(config: config, batchSize: 8, seqLength: 16, neededBytes: needed, limit: short))
        }
    }
}
