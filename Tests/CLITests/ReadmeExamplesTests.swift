// README.md's shell examples, run in order on a copy of the repository's files with charnn on the PATH, as a
// user of a fresh clone would run them. A block whose first line is the not-run marker (with its reason) is
// skipped; `# output includes: TEXT` lines state what the block's output must contain.

import Foundation
import TestSupport
import XCTest

final class ReadmeExamplesTests: CLITestCase {
    static let notRunMarker = "# not run by the README test: "
    static let outputMarker = "# output includes: "

    /// The ```sh blocks of the README, each as its lines.
    static func shellBlocks(_ readme: String) -> [[String]] {
        var blocks: [[String]] = [], current: [String]?
        for line in readme.components(separatedBy: "\n") {
            if current == nil, line == "```sh" { current = [] }
            else if current != nil, line == "```" { blocks.append(current!); current = nil }
            else { current?.append(line) }
        }
        return blocks
    }

    /// The repository's files (tracked, or new and not ignored), copied into `destination`: a fresh clone's tree.
    func copyRepository(to destination: URL) throws {
        let root = CommandRunner.packageRoot
        let git = CommandRunner(executable: URL(fileURLWithPath: "/usr/bin/env"))
        let listed = try git.run(["git", "-C", root.path, "ls-files", "--cached", "--others", "--exclude-standard"])
        XCTAssertEqual(listed.exitCode, 0, "git ls-files: \(listed.stderr)")
        let fileManager = FileManager.default
        for path in listed.stdout.split(separator: "\n").map(String.init)
        where fileManager.fileExists(atPath: root.appendingPathComponent(path).path) {
            let target = destination.appendingPathComponent(path)
            try fileManager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fileManager.copyItem(at: root.appendingPathComponent(path), to: target)
        }
    }

    /// Runs only against the release binary users run (make test's second half sets CHARNN_BIN): the debug
    /// binary takes minutes over the examples' trainings, the release one seconds.
    func testReadmeShellExamplesRunOnAFreshClone() throws {
        guard ProcessInfo.processInfo.environment["CHARNN_BIN"]?.isEmpty == false else {
            throw XCTSkip("the README's examples run against the release binary (CHARNN_BIN), in make test's second half")
        }
        let readme = try String(contentsOf: CommandRunner.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = Self.shellBlocks(readme)
        let notRun = blocks.filter { $0.first?.hasPrefix(Self.notRunMarker) == true }
        let runnable = blocks.filter { $0.first?.hasPrefix(Self.notRunMarker) != true }
        XCTAssertLessThanOrEqual(notRun.count, 4, "README's not-run examples are few: \(notRun.map { $0[0] })")
        XCTAssertTrue(notRun.allSatisfy { $0[0].count > Self.notRunMarker.count + 10 }, "each not-run example says why")
        XCTAssertGreaterThanOrEqual(runnable.count, 2, "README has runnable shell examples")

        try copyRepository(to: dir.url)
        let bash = CommandRunner(executable: URL(fileURLWithPath: "/bin/bash"), timeout: 300,
                                 baseEnvironment: CommandRunner.fp32Environment)
        let path = charnn.executable.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        for block in runnable {
            let script = block.joined(separator: "\n")
            let result = try bash.run(["-e", "-o", "pipefail", "-c", script], environment: ["PATH": path], in: dir.url)
            XCTAssertEqual(result.exitCode, 0, "README example failed:\n\(script)\n\(result)")
            let output = result.stdout + result.stderr
            for expected in block.filter({ $0.hasPrefix(Self.outputMarker) }).map({ String($0.dropFirst(Self.outputMarker.count)) }) {
                XCTAssertTrue(output.contains(expected), "README example's output lacks \(expected.debugDescription):\n\(script)\n\(output)")
            }
        }
    }
}
