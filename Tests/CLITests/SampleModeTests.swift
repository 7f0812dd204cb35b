// `charnn sample` modes: --prime-file, --stop, --length inf, --beam and --interactive.

import Foundation
import TestSupport
import XCTest

final class SampleModeTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
        try trainTiny(iterations: 10)
    }

    /// The whole stdout of a successful sample.
    func sample(_ options: [String], stdin: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try run(["sample", "model.ckpt"] + options, stdin: stdin)
        XCTAssertEqual(r.exitCode, 0, "\(r)", file: file, line: line)
        XCTAssertEqual(r.stderr, "", file: file, line: line)
        return r.stdout
    }

    func testPrimeFileIsThePrimeExactly() throws {
        let prime = "the quick brown\nfox jumps.\n"
        try dir.write(prime, to: "prime.txt")
        let viaFile = try sample(["--prime-file", "prime.txt", "--length", "120", "--seed", "7"])
        XCTAssertEqual(viaFile, try sample(["--prime", prime, "--length", "120", "--seed", "7"]))
        XCTAssertTrue(viaFile.hasPrefix(prime), viaFile)
        try dir.write("", to: "empty.txt")
        XCTAssertEqual(try sample(["--prime-file", "empty.txt", "--length", "50"]), try sample(["--length", "50"]))
    }

    /// A pipe gets the text exactly as generated: `--stop` with a newline ends right after the first
    /// newline, and a sample of --length characters is that many characters, with no newline added.
    func testPipedSampleEndsWhereTheTextEnds() throws {
        let full = try sample(["--prime", "the ", "--length", "2000", "--seed", "4"])
        XCTAssertEqual(full.unicodeScalars.count, 4 + 2000)
        let firstLine = try XCTUnwrap(full.dropFirst(4).firstIndex(of: "\n"), "a 2000-character sample holds a newline")
        XCTAssertEqual(try sample(["--prime", "the ", "--length", "2000", "--seed", "4", "--stop", "\n"]),
                       String(full[...firstLine]))
    }

    /// The same text cut right after the first occurrence of a stop text in its generated part.
    func testStopTexts() throws {
        let full = try sample(["--prime", "the ", "--length", "400"])
        let generated = Array(full.unicodeScalars.dropFirst(4))
        func text(_ scalars: ArraySlice<Unicode.Scalar>) -> String { String(String.UnicodeScalarView(scalars)) }
        func cut(_ stops: [String]) -> String? {
            for end in 1...generated.count {
                let head = generated[..<end]
                if stops.contains(where: { head.count >= $0.unicodeScalars.count && head.suffix($0.unicodeScalars.count).elementsEqual($0.unicodeScalars) }) {
                    return "the " + text(head)
                }
            }
            return nil
        }
        let late = text(generated[300..<303]), early = text(generated[100..<102])
        for stops in [[late], [late, early], ["e"]] {  // "e" is in the prime too
            let expected = try XCTUnwrap(cut(stops), "\(stops)")
            XCTAssertEqual(try sample(["--prime", "the ", "--length", "400"] + stops.flatMap { ["--stop", $0] }), expected, "\(stops)")
        }
        let never = "zzzzzzz"
        XCTAssertNil(cut([never]))
        XCTAssertEqual(try sample(["--prime", "the ", "--length", "400", "--stop", never]), full)
        // Endless: to the stop text.
        XCTAssertEqual(try sample(["--prime", "the ", "--length", "inf", "--stop", late]), cut([late]))
    }

    /// --length inf without a stop text runs until Ctrl-C, then ends its line and exits 130.
    func testEndlessSampleStopsOnCtrlC() throws {
        let running = try charnn.start(["sample", "model.ckpt", "--length", "inf"], in: dir.url)
        let deadline = Date().addingTimeInterval(60)
        while running.stdoutSoFar.count < 5000 && Date() < deadline { usleep(10_000) }
        running.send(signal: SIGINT)
        let r = try running.wait(timeout: 60)
        XCTAssertEqual(r.exitCode, 130, "\(r)")
        XCTAssertEqual(r.stderr, "")
        XCTAssertGreaterThanOrEqual(r.stdout.count, 5000)
        XCTAssertTrue(r.stdout.hasSuffix("\n"))
    }

    /// Ctrl-C ends a beam search (which streams what it has decided) and an interactive session as it
    /// ends a sample: what was written, a newline, exit 130.
    func testBeamAndInteractiveStopOnCtrlC() throws {
        let sessions: [([String], String?)] = [(["--beam", "1", "--length", "100000000", "--prime", "the "], nil),
                                               (["--interactive", "--length", "100000000"], "the \n")]
        for (options, stdin) in sessions {
            let running = try charnn.start(["sample", "model.ckpt"] + options, stdin: stdin.map { Data($0.utf8) }, in: dir.url)
            let deadline = Date().addingTimeInterval(60)
            while running.stdoutSoFar.count < 500 && Date() < deadline { usleep(10_000) }
            running.send(signal: SIGINT)
            let r = try running.wait(timeout: 60)
            XCTAssertEqual(r.exitCode, 130, "\(options): \(r)")
            XCTAssertEqual(r.stderr, "", "\(options)")
            XCTAssertTrue(r.stdout.hasPrefix("the ") && r.stdout.count >= 500, "\(options): \(r)")
            XCTAssertTrue(r.stdout.hasSuffix("\n"), "\(options)")
        }
    }

    func testBeamIsDeterministicAndWidthOneIsArgmax() throws {
        let beam = try sample(["--beam", "3", "--length", "60", "--prime", "the "])
        XCTAssertEqual(beam.unicodeScalars.count, 4 + 60)
        XCTAssertEqual(try sample(["--beam", "3", "--length", "60", "--prime", "the ", "--seed", "5"]), beam)
        XCTAssertEqual(try sample(["--beam", "1", "--length", "60", "--prime", "the "]),
                       try sample(["--argmax", "--length", "60", "--prime", "the "]))
        // By the mean score a text of --length characters may beat one that "e" ends; either way
        // the text holds no "e" before its end.
        let stopped = try sample(["--beam", "3", "--length", "60", "--prime", "the ", "--stop", "e", "--beam-score", "mean"])
        let generated = stopped.unicodeScalars.dropFirst(4)
        XCTAssertTrue(stopped.hasPrefix("the "), stopped)
        XCTAssertFalse(generated.dropLast().contains("e"), stopped)
        XCTAssertTrue(generated.last == "e" || generated.count == 60, stopped)
    }

    /// A line each: the prime echoed, its continuation, a newline; the first as `--prime` with the
    /// same seed; a line with an unknown character gets one warning and the session goes on.
    func testInteractive() throws {
        let input = "the \nZebra\nshe sells\n"
        let r = try run(["sample", "model.ckpt", "--interactive", "--length", "30", "--seed", "3"], stdin: input)
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        let first = try sample(["--prime", "the ", "--length", "30", "--seed", "3"]) + "\n"
        XCTAssertTrue(r.stdout.hasPrefix(first), "\(r)")
        let second = r.stdout.unicodeScalars.dropFirst(first.unicodeScalars.count)
        XCTAssertTrue(String(second).hasPrefix("she sells") && second.last == "\n", "\(r)")
        XCTAssertEqual(second.count, 9 + 30 + 1, "\(r)")
        XCTAssertEqual(r.stderrLines.count, 1, "\(r)")
        XCTAssertTrue(r.stderr.contains("line 2") && r.stderr.contains("'Z'"), "\(r)")
        let again = try run(["sample", "model.ckpt", "--interactive", "--length", "30", "--seed", "3"], stdin: input)
        XCTAssertEqual(again.stdout, r.stdout)
        // A stop text ends each continuation; the end of input without a last newline ends a line.
        let stopped = try sample(["--interactive", "--length", "300", "--stop", " "], stdin: "the\nsea")
        let one = try sample(["--prime", "the", "--length", "300", "--stop", " "]) + "\n"
        XCTAssertTrue(stopped.hasPrefix(one), stopped)
        let two = String(stopped.unicodeScalars.dropFirst(one.unicodeScalars.count))
        XCTAssertTrue(two.hasPrefix("sea") && two.hasSuffix(" \n"), stopped)
        XCTAssertFalse(two.dropFirst(3).dropLast(2).contains(" "), stopped)
        XCTAssertEqual(try sample(["--interactive"], stdin: ""), "")
    }

    func testStopCanBeGivenManyTimesButOtherOptionsOnce() throws {
        try expectUsageError(["sample", "model.ckpt", "--seed", "1", "--seed", "2"], mentions: ["--seed", "more than once"],
                             usage: UsageErrorTests.sampleUsage)
        let help = try run(["help", "sample"])
        XCTAssertTrue(help.stdoutLines.contains { $0.hasPrefix("  --stop TEXT") && $0.hasSuffix("(repeatable)") }, "\(help)")
    }
}
