// `charnn --help`, `charnn help <command>`, `<command> --help`, `--version`, and charnn with no arguments.

import Foundation
import TestSupport
import XCTest

final class HelpAndVersionTests: CLITestCase {
    static let topUsage = "usage: charnn <command> [arguments] [options]"

    /// Every command's usage line and the options its help must list.
    static let commands: [(name: String, usage: String, options: [String])] = [
        ("train", "usage: charnn train CORPUS [options]",
         ["--cell", "--layers", "--hidden", "--dropout", "--weight-drop", "--seq-length", "--batch-size", "--optimizer", "--lr", "--lr-decay",
          "--lr-decay-every", "--grad-clip", "--clip-norm", "--epochs", "--iterations", "--time", "--val-frac", "--eval-every",
          "--print-every", "--output", "--resume", "--force", "--keep-line-endings", "--seed", "--threads", "--metrics", "--help",
          "--lr-schedule", "--patience"]),
        ("sample", "usage: charnn sample CHECKPOINT [options]",
         ["--length", "--temperature", "--prime", "--prime-file", "--stop", "--top-k", "--argmax", "--beam", "--beam-score",
          "--interactive", "--seed", "--threads", "--help"]),
        ("eval", "usage: charnn eval CHECKPOINT TEXTFILE [options]", ["--json", "--skip-unknown", "--threads", "--help"]),
        ("bench", "usage: charnn bench [options]",
         ["--json", "--corpus", "--models", "--hidden", "--layers", "--batch-size", "--seq-length", "--warmup", "--iterations",
          "--sample-length", "--threads", "--sample-threads", "--seed", "--help"]),
        ("report", "usage: charnn report CHECKPOINT [options]", ["--output", "--help"]),
    ]

    /// The option names a help text documents: the first `--word` of each indented option line
    /// ("  --hidden N   …", "  -h, --help   …").
    func documentedOptions(_ help: String) -> Set<String> {
        var names = Set<String>()
        for line in help.components(separatedBy: "\n") where line.hasPrefix("  -") {
            for word in line.split(separator: " ").prefix(2) {
                let w = word.trimmingCharacters(in: CharacterSet(charactersIn: ","))
                if w.hasPrefix("--") { names.insert(w); break }
            }
        }
        return names
    }

    func testTopLevelHelp() throws {
        for args in [["--help"], ["-h"], ["help"]] {
            let r = try run(args)
            XCTAssertEqual(r.exitCode, 0, "\(r)")
            XCTAssertEqual(r.stderr, "", "\(r)")
            XCTAssertEqual(r.stdoutLines.first, Self.topUsage, "\(r)")
            for command in ["train", "sample", "eval", "bench", "report", "help"] {
                XCTAssertTrue(r.stdoutLines.contains { $0.hasPrefix("  \(command) ") }, "lists \(command): \(r)")
            }
            XCTAssertFalse(r.stdout.contains("bench-worker"), "the internal worker command is not listed: \(r)")
            XCTAssertTrue(r.stdout.contains("--version"), "\(r)")
        }
    }

    /// The command list: one whole line per command (no description cut off), all in one column.
    func testCommandListIsAligned() throws {
        let r = try run(["--help"])
        let rows = r.stdoutLines.drop { $0 != "commands:" }.dropFirst().prefix { !$0.isEmpty }
        XCTAssertEqual(rows.map { String($0.split(separator: " ")[0]) }, ["train", "sample", "eval", "inspect-cells", "bench", "report", "completions", "help"])
        let columns = Set(rows.map { row in row.dropFirst(2).firstIndex(of: " ").map { row.dropFirst(2)[$0...].prefix { $0 == " " }.count
            + row.dropFirst(2).distance(from: row.dropFirst(2).startIndex, to: $0) } ?? 0 })
        XCTAssertEqual(columns.count, 1, "descriptions start in one column: \(r.stdout)")
        for row in rows { XCTAssertLessThanOrEqual(row.count, 100, row) }
        for args in [["help", "--help"], ["help", "-h"]] {
            let h = try run(args)
            XCTAssertEqual(h.exitCode, 0, "\(h)")
            XCTAssertEqual(h.stdout, r.stdout)
        }
        try expectUsageErrorMentioning(["trian"], "did you mean train?")
        try expectUsageErrorMentioning(["help", "sampel"], "did you mean sample?")
    }

    func expectUsageErrorMentioning(_ arguments: [String], _ text: String) throws {
        let r = try run(arguments)
        XCTAssertEqual(r.exitCode, 64, "\(r)")
        XCTAssertEqual(r.stderrLines.count, 1, "\(r)")
        XCTAssertTrue(r.stderr.contains(text), "\(r)")
    }

    func testCommandHelpShowsUsageAndEveryOption() throws {
        for c in Self.commands {
            let r = try run(["help", c.name])
            XCTAssertEqual(r.exitCode, 0, "\(r)")
            XCTAssertEqual(r.stderr, "", "\(r)")
            XCTAssertEqual(r.stdoutLines.first, c.usage, "\(r)")
            let documented = documentedOptions(r.stdout)
            for option in c.options {
                XCTAssertTrue(documented.contains(option), "charnn help \(c.name) does not document \(option):\n\(r.stdout)")
            }
        }
    }

    func testDashDashHelpAfterCommandEqualsHelpCommand() throws {
        for c in Self.commands {
            let viaHelp = try run(["help", c.name])
            for flag in ["--help", "-h"] {
                let r = try run([c.name, flag])
                XCTAssertEqual(r.exitCode, 0, "\(r)")
                XCTAssertEqual(r.stdout, viaHelp.stdout, "charnn \(c.name) \(flag)")
                XCTAssertEqual(r.stderr, "")
            }
        }
        // --help wins over missing arguments: nothing is trained.
        let r = try run(["train", "--help"])
        XCTAssertEqual(r.exitCode, 0)
        XCTAssertEqual(dir.listing(), [])
    }

    func testVersion() throws {
        let r = try run(["--version"])
        XCTAssertEqual(r.exitCode, 0, "\(r)")
        XCTAssertEqual(r.stderr, "")
        // The commit make stamps (with -dirty for a changed tree), or unknown for a plain `swift build`.
        let semver = #"^charnn (0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?"#
            + #" \(commit ([0-9a-f]{7,40}(-dirty)?|unknown)\)\n$"#
        XCTAssertNotNil(r.stdout.range(of: semver, options: .regularExpression), "not 'charnn <semver> (commit …)': \(r.stdout)")
    }

    func testNoArgumentsIsAUsageErrorWithUsageOnStderr() throws {
        let r = try run([])
        XCTAssertEqual(r.exitCode, 64, "\(r)")
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderrLines.contains(Self.topUsage), "\(r)")
    }
}

/// The option catalogue against the code: every command, checked with its positionals alone, reads
/// each option it lists and none it does not list.
final class OptionCatalogueTests: CLITestCase {
    func testEveryCommandReadsExactlyTheOptionsItLists() throws {
        let r = try run(["audit-options"])
        XCTAssertEqual(r.stdout, "", "options read but not listed, or listed but never read")
        XCTAssertEqual(r.exitCode, 0, "\(r)")
    }
}
