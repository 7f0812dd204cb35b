// README.md against `--help`: every usage line the README states is the command's usage line, and every
// default it states for an option is the default that command's help shows.

import Foundation
import TestSupport
import XCTest

final class ReadmeHelpAgreementTests: CLITestCase {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md")

    /// README's `### \`charnn COMMAND ...\`` headings: (command, the usage in backticks).
    func readmeUsages(_ lines: [String]) -> [(command: String, usage: String)] {
        lines.compactMap { line in
            guard line.hasPrefix("### `charnn "), let end = line.dropFirst(5).firstIndex(of: "`") else { return nil }
            let usage = String(line[line.index(line.startIndex, offsetBy: 5)..<end])
            return (String(usage.split(separator: " ")[1]), usage)
        }
    }

    /// Option-table rows under each command heading: (command, option, default) for each option with a default,
    /// pairing `--a X`, `--b Y` with `` `1`, `2` ``.
    func readmeDefaults(_ lines: [String]) -> [(command: String, option: String, value: String)] {
        var command: String?, found: [(String, String, String)] = []
        for line in lines {
            if line.hasPrefix("## ") || line.hasPrefix("### ") { command = readmeUsages([line]).first?.command; continue }
            guard let command, line.hasPrefix("| `--") else { continue }
            // `\|` is a | inside a cell (`--cell lstm\|gru\|rnn`), not a column break.
            let cells = line.replacingOccurrences(of: "\\|", with: "¦").split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, !cells[3].isEmpty else { continue }
            let options = cells[1].components(separatedBy: ", ").map { String($0.dropFirst().prefix { $0 != " " && $0 != "`" }) }
            let values = cells[3].components(separatedBy: ", ").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
            XCTAssertEqual(options.count, values.count, "README row \(line.debugDescription): one default per option")
            for (option, value) in zip(options, values) { found.append((command, option, value)) }
        }
        return found
    }

    func testReadmeUsagesAndDefaultsAreTheHelps() throws {
        let lines = try String(contentsOf: Self.readme, encoding: .utf8).components(separatedBy: "\n")
        let usages = readmeUsages(lines), defaults = readmeDefaults(lines)
        XCTAssertGreaterThanOrEqual(usages.count, 6, "README states the usage of train, sample, eval, report, inspect-cells, bench")
        XCTAssertGreaterThanOrEqual(defaults.count, 15, "README's option tables state defaults")
        var helps: [String: [String]] = [:]
        for (command, usage) in usages {
            let help = try run([command, "--help"])
            XCTAssertEqual(help.exitCode, 0, "\(command) --help")
            let helpLines = help.stdout.components(separatedBy: "\n")
            helps[command] = helpLines
            XCTAssertEqual("usage: " + usage, helpLines.first, "README's usage of \(command) against its --help")
        }
        for (command, option, value) in defaults {
            let helpLines = try XCTUnwrap(helps[command], "README gives defaults for \(command) without its usage")
            guard let at = helpLines.firstIndex(where: { $0.hasPrefix("  \(option) ") || $0 == "  \(option)" }) else {
                XCTFail("README names \(option) for \(command); its --help has no such option"); continue
            }
            // The option's help: its line and the continuation lines indented under it.
            let text = ([helpLines[at]] + helpLines[(at + 1)...].prefix { $0.hasPrefix("      ") }).joined(separator: " ")
            XCTAssertTrue(text.contains("(default: \(value))") || text.contains("(default: \(value);"),
                          "README says \(command) \(option) defaults to \(value); --help says \(text.debugDescription)")
        }
    }
}
