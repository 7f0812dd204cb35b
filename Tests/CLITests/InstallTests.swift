// `make install-files` into a scratch DESTDIR with the binary under test: the installed binary runs,
// the man page formats without a warning, the completions load and complete, and `make uninstall`
// removes exactly what was installed.

import CharRNN
import Foundation
import TestSupport
import XCTest

final class InstallTests: CLITestCase {
    /// The repository (its Makefile), from this file's place in it.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let installed = ["usr/local/bin/charnn", "usr/local/share/bash-completion/completions/charnn",
                            "usr/local/share/fish/vendor_completions.d/charnn.fish", "usr/local/share/man/man1/charnn.1",
                            "usr/local/share/zsh/site-functions/_charnn"]

    /// A program's exit status and output (small outputs: read after it ends).
    func tool(_ program: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        process.currentDirectoryURL = dir.url
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile(), errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    func available(_ program: String) throws -> Bool { try tool("sh", ["-c", "command -v \(program)"]).status == 0 }

    func make(_ target: String) throws {
        let r = try tool("make", ["-s", "-C", Self.repository.path, target, "BIN=\(charnn.executable.path)",
                                  "DESTDIR=\(dir.url.path)/root", "PREFIX=/usr/local"])
        XCTAssertEqual(r.status, 0, "make \(target): \(r.err)")
    }

    func testInstallIntoAPrefixAndUninstall() throws {
        try make("install-files")
        let root = dir.url.appendingPathComponent("root").path
        for file in Self.installed { XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/" + file), file) }
        let version = try tool(root + "/usr/local/bin/charnn", ["--version"])
        XCTAssertTrue(version.status == 0 && version.out.hasPrefix("charnn "), "\(version)")

        let page = root + "/usr/local/share/man/man1/charnn.1"
        if try available("groff") {
            let groff = try tool("groff", ["-ww", "-man", "-Tutf8", "-z", page])
            XCTAssertEqual(groff.status, 0)
            XCTAssertEqual(groff.err, "", "groff warnings")
            let text = try tool("groff", ["-man", "-Tutf8", "-P-bou", page]).out  // plain text: no bold or underline
            let cells = "--cell " + CellKind.listed.map(\.rawValue).joined(separator: "|")  // "--cell lstm|gru|rnn"
            for words in ["--temperature T", cells, "--precision auto|fp32|bf16", "--beam-score sum|mean", "one of: tsv, jsonl"] {
                XCTAssertTrue(text.contains(words), words)
            }
        } else {
            print("InstallTests: groff is not installed; the man page is not formatted (apt-get install groff)")
        }

        // Bash without the bash-completion package: the script's function, driven as bash drives it.
        let script = root + "/usr/local/share/bash-completion/completions/charnn"
        try dir.write("", to: "m.ckpt")
        try dir.write("", to: "notes.txt")
        let bash = try tool("bash", ["-c", """
            source '\(script)'; complete -p charnn
            t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _charnn 2>/dev/null; echo "${COMPREPLY[*]}"; }
            t charnn tr; t charnn train --cell ''; t charnn sample m; t charnn eval m.ckpt n
            t charnn inspect-cells m.ckpt notes.txt --format ''; t charnn sample m.ckpt --pr; t charnn train --precision ''
            """])
        XCTAssertEqual(bash.status, 0, bash.err)
        XCTAssertEqual(bash.out.components(separatedBy: "\n"),
                       ["complete -F _charnn charnn", "train", CellKind.allCases.map(\.rawValue).joined(separator: " "), "m.ckpt", "notes.txt", "tsv jsonl npy html ansi",
                        "--prime --prime-file", "auto fp32 bf16", ""])

        for (shell, file) in [("zsh", "zsh/site-functions/_charnn"), ("fish", "fish/vendor_completions.d/charnn.fish")] {
            guard try available(shell) else { print("InstallTests: \(shell) is not installed; its script is not checked"); continue }
            let check = try tool(shell, ["-n", root + "/usr/local/share/" + file])
            XCTAssertEqual(check.status, 0, "\(shell) -n: \(check.err)")
        }

        try make("uninstall")
        XCTAssertEqual(dir.listing().filter { $0.hasPrefix("root/") && !FileManager.default.isDirectory(dir.url.appendingPathComponent($0).path) },
                       [], "uninstall leaves nothing it installed")
    }
}

extension FileManager {
    func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
