// Base class of the CLI tests: per-test scratch directory, corpora, tiny training, and the usage/runtime error checks.

import Foundation
import TestSupport
import XCTest

enum Corpora {
    /// 504 characters, 29 distinct (lower-case letters, space, '.', newline): no upper case, no 'Q'.
    static let english = String(repeating: "the quick brown fox jumps over the lazy dog. she sells sea shells by the sea shore.\n",
                                count: 6)
    /// Two-, three- and four-byte UTF-8 characters.
    static let unicode = String(repeating: "héllo wörld — 漢字 😀\n", count: 20)
}

/// Options that keep a debug-build training run to a few milliseconds.
let tinyModel = ["--hidden", "8", "--layers", "1", "--batch-size", "2", "--seq-length", "8"]

class CLITestCase: XCTestCase {
    var charnn: CommandRunner!
    var dir: TemporaryDirectory!

    override func setUpWithError() throws {
        try super.setUpWithError()
        charnn = try CommandRunner.charnn()
        dir = try TemporaryDirectory()
    }

    override func tearDown() {
        dir?.remove()
        dir = nil
        super.tearDown()
    }

    /// Runs charnn with the test's directory as the working directory.
    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> CommandResult {
        try charnn.run(arguments, stdin: stdin.map { Data($0.utf8) }, environment: environment, in: dir.url)
    }

    /// Writes `text` as `name` in the test directory.
    func corpus(_ text: String = Corpora.english, named name: String = "corpus.txt") throws {
        try dir.write(text, to: name)
    }

    /// Trains a tiny model and fails the test unless that succeeds.
    @discardableResult
    func trainTiny(corpus: String = "corpus.txt", output: String = "model.ckpt", iterations: Int = 8, _ extra: [String] = [],
                   file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        let result = try run(["train", corpus] + tinyModel + ["--iterations", String(iterations), "--output", output] + extra)
        XCTAssertEqual(result.exitCode, 0, "training failed: \(result)", file: file, line: line)
        return result
    }

    /// The set of Unicode scalars in `text`.
    func characters(of text: String) -> Set<Unicode.Scalar> { Set(text.unicodeScalars) }

    // MARK: - Error checks

    /// What every failing command must show: `exitCode`, nothing on stdout, and exactly one stderr
    /// line, `charnn: error: …`, naming each of `mentions`, with no trap message or backtrace.
    /// Returns that line for the caller's own checks.
    @discardableResult
    func checkOneErrorLine(_ result: CommandResult, exitCode: Int32, mentions: [String], context: String,
                           file: StaticString = #filePath, line: UInt = #line) -> String {
        XCTAssertEqual(result.exitCode, exitCode, "exit code" + context, file: file, line: line)
        XCTAssertEqual(result.stdout, "", "stdout must be empty" + context, file: file, line: line)
        let lines = result.stderrLines
        XCTAssertEqual(lines.count, 1, "exactly one line on stderr" + context, file: file, line: line)
        let first = lines.first ?? ""
        XCTAssertTrue(first.hasPrefix("charnn: error: "), "the error line" + context, file: file, line: line)
        for m in mentions {
            XCTAssertTrue(first.contains(m), "the error line should mention '\(m)'" + context, file: file, line: line)
        }
        for trace in ["Fatal error", "Backtrac", "crashed", "Illegal instruction"] {
            XCTAssertFalse(result.stderr.contains(trace), "a trap" + context, file: file, line: line)
        }
        return first
    }

    /// A wrong command line: exit 64, nothing on stdout, exactly one stderr line `charnn: error: …` naming
    /// each of `mentions` and then the usage (`(usage: …; see 'charnn help …')`); no file appears in
    /// the test directory.
    func expectUsageError(_ arguments: [String], mentions: [String], usage: String,
                          file: StaticString = #filePath, line: UInt = #line) throws {
        let before = dir.listing()
        let result = try run(arguments)
        let context = "\n\(result)"
        let first = checkOneErrorLine(result, exitCode: 64, mentions: mentions, context: context, file: file, line: line)
        XCTAssertTrue(first.contains(" (\(usage); see 'charnn help"), "the error line should end with the usage" + context,
                      file: file, line: line)
        XCTAssertEqual(dir.listing(), before, "a usage error must not write anything" + context, file: file, line: line)
    }

    /// A data or runtime error: exit 1, nothing on stdout, exactly one stderr line `charnn: error: …` that
    /// mentions each of `mentions` (so no trap message or backtrace), and no new file in the test directory.
    func expectRuntimeError(_ arguments: [String], mentions: [String], mayWrite: Bool = false,
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let before = dir.listing()
        let result = try run(arguments)
        let context = "\n\(result)"
        checkOneErrorLine(result, exitCode: 1, mentions: mentions, context: context, file: file, line: line)
        if !mayWrite {
            XCTAssertEqual(dir.listing(), before, "a failed command must not leave files" + context, file: file, line: line)
        }
    }
}

extension String {
    /// Number of Unicode scalars (what charnn calls characters).
    var scalarCount: Int { unicodeScalars.count }
}
