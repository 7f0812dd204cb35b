// Wrong command lines: exit 64, one `charnn: error:` line naming the problem and ending with the usage, nothing written.

import Foundation
import TestSupport
import XCTest

final class UsageErrorTests: CLITestCase {
    static let topUsage = "usage: charnn <command> [arguments] [options]"
    static let trainUsage = "usage: charnn train CORPUS [options]"
    static let sampleUsage = "usage: charnn sample CHECKPOINT [options]"
    static let evalUsage = "usage: charnn eval CHECKPOINT TEXTFILE [options]"

    /// Options that would make a run tiny if the command line were (wrongly) accepted; a case's own
    /// options replace these, so no case fails for "given more than once" by accident.
    static let safeTrainOptions: [(String, String)] = [
        ("--hidden", "8"), ("--layers", "1"), ("--batch-size", "2"), ("--seq-length", "8"), ("--iterations", "1"),
        ("--output", "out.ckpt"),
    ]

    func train(_ caseArguments: [String], positionals: [String] = ["corpus.txt"]) -> [String] {
        let safe = Self.safeTrainOptions.filter { !caseArguments.contains($0.0) }.flatMap { [$0.0, $0.1] }
        return ["train"] + positionals + safe + caseArguments
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        try corpus()
        try trainTiny(iterations: 2)  // a real model.ckpt, so a sample/eval case can only fail on its options
    }

    func testTopLevelMistakes() throws {
        let cases: [(args: [String], mentions: [String])] = [
            (["frob"], ["unknown command", "'frob'"]),
            (["--frob"], ["unknown option", "'--frob'"]),
            (["help", "frob"], ["unknown command", "'frob'"]),
        ]
        for c in cases {
            try expectUsageError(c.args, mentions: c.mentions, usage: Self.topUsage)
        }
    }

    func testParserMistakes() throws {
        let cases: [(args: [String], mentions: [String], usage: String)] = [
            (train(["--bogus", "1"]), ["unknown option", "'--bogus'", "charnn train"], Self.trainUsage),
            (train(["--hiden", "8"]), ["'--hiden'", "did you mean --hidden?"], Self.trainUsage),
            (train(["--hidden"]), ["--hidden", "needs a value"], Self.trainUsage),
            (train(["--hidden", "8", "--hidden", "9"]), ["--hidden", "more than once"], Self.trainUsage),
            (train([], positionals: []), ["missing CORPUS"], Self.trainUsage),
            // train takes any number of CORPUS files; eval one text.
            (["eval", "model.ckpt", "corpus.txt", "extra.txt"], ["unexpected argument 'extra.txt'"], Self.evalUsage),
            (["sample"], ["missing CHECKPOINT"], Self.sampleUsage),
            (["sample", "model.ckpt", "corpus.txt"], ["unexpected argument 'corpus.txt'"], Self.sampleUsage),
            (["sample", "model.ckpt", "--argmax=yes"], ["--argmax", "takes no value"], Self.sampleUsage),
            (["sample", "model.ckpt", "--argmax", "--argmax"], ["--argmax", "more than once"], Self.sampleUsage),
            (["sample", "model.ckpt", "--lenght", "5"], ["'--lenght'", "did you mean --length?"], Self.sampleUsage),
            (["eval", "model.ckpt"], ["missing TEXTFILE"], Self.evalUsage),
            (["eval", "model.ckpt", "corpus.txt", "--jsn"], ["'--jsn'", "did you mean --json?"], Self.evalUsage),
        ]
        for c in cases {
            try expectUsageError(c.args, mentions: c.mentions, usage: c.usage)
        }
    }

    func testBadTrainValues() throws {
        let cases: [(option: String, value: String)] = [
            ("--cell", "foo"), ("--optimizer", "foo"),
            ("--hidden", "0"), ("--hidden", "-3"), ("--hidden", "abc"), ("--hidden", "1.5"),
            ("--layers", "0"), ("--batch-size", "0"), ("--seq-length", "0"),
            ("--dropout", "1"), ("--dropout", "-0.1"), ("--weight-drop", "1"), ("--weight-drop", "-0.5"), ("--lr", "0"), ("--lr", "-1"), ("--lr", "nan"),
            ("--lr-decay", "0"), ("--lr-decay", "1.5"), ("--grad-clip", "-1"), ("--clip-norm", "0"),
            ("--epochs", "0"), ("--iterations", "0"), ("--time", "0"), ("--time", "xyz"), ("--time", "-5m"),
            ("--val-frac", "1"), ("--eval-every", "0"), ("--print-every", "0"), ("--seed", "-1"), ("--threads", "0"),
        ]
        for c in cases {
            // The message names the option and quotes the rejected value.
            try expectUsageError(train([c.option, c.value]), mentions: [c.option, "'\(c.value)'"], usage: Self.trainUsage)
        }
    }

    func testBadSampleValues() throws {
        let cases: [(option: String, value: String)] = [
            ("--temperature", "0"), ("--temperature", "-1"), ("--temperature", "nan"), ("--temperature", "inf"),
            ("--temperature", "abc"), ("--length", "0"), ("--length", "-5"), ("--length", "x"), ("--top-k", "0"),
            ("--top-k", "-2"), ("--seed", "-1"), ("--threads", "0"),
        ]
        for c in cases {
            try expectUsageError(["sample", "model.ckpt", c.option, c.value], mentions: [c.option, "'\(c.value)'"],
                                 usage: Self.sampleUsage)
        }
    }

    func testBadEvalValues() throws {
        try expectUsageError(["eval", "model.ckpt", "corpus.txt", "--threads", "0"], mentions: ["--threads", "'0'"],
                             usage: Self.evalUsage)
    }

    /// A temperature too large for Float32 is rejected (or accepted), but never called "too small".
    func testHugeTemperatureIsNotCalledTooSmall() throws {
        let r = try run(["sample", "model.ckpt", "--temperature", "1e300", "--length", "5"])
        if r.exitCode != 0 {
            XCTAssertEqual(r.exitCode, 64, "\(r)")
            XCTAssertFalse(r.stderr.contains("too small"), "a temperature of 1e300 is not too small: \(r)")
        }
    }

    /// A value that looks like an option is still taken as the value; the error then names it.
    func testOptionTakesNextWordAsItsValue() throws {
        try expectUsageError(train(["--hidden", "--layers"]), mentions: ["--hidden", "'--layers'"], usage: Self.trainUsage)
    }
}
