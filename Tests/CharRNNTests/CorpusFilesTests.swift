// Listing a corpus's files: the order, what is left out and the notes saying so, --include and
// --exclude globs, links followed once (loops end), and errors for arguments that cannot be read.

import Foundation
import TestSupport
import XCTest
@testable import CharRNN

final class CorpusFilesTests: WorkingDirectoryTestCase {
    override var directoryPrefix: String { "charnn-corpus-files" }

    func write(_ text: String, _ name: String) throws {
        let parent = (name as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        try dir.write(text, to: name)
    }

    func paths(_ list: CorpusFileList) -> [String] { list.files.map(\.path) }

    func testFilesOfADirectoryComeInByteOrderOfTheirRelativePaths() throws {
        for name in ["src/b.txt", "src/a/b.txt", "src/a-c.txt", "src/B.txt", "src/a/é.txt", "src/a/z.txt", "named.txt"] {
            try write("text of \(name)\n", name)
        }
        let list = try CorpusFiles.list(["named.txt", "src"])
        // '-' (0x2D) sorts before '/' (0x2F), upper case before lower, 'é' (0xC3 0xA9) after ASCII.
        XCTAssertEqual(paths(list), ["named.txt", "src/B.txt", "src/a-c.txt", "src/a/b.txt", "src/a/z.txt", "src/a/é.txt", "src/b.txt"])
        XCTAssertEqual(list.files.map(\.named), [true, false, false, false, false, false, false])
        XCTAssertEqual(list.skipped, [])
        XCTAssertEqual(paths(try CorpusFiles.list(["src/"])).first, "src/B.txt")  // a trailing slash is not doubled
    }

    func testHiddenEmptySpecialAndCharnnFilesAreLeftOutWithNotes() throws {
        try write("kept\n", "d/kept.txt")
        try write("secret\n", "d/.hidden.txt")
        try write("inside\n", "d/.git/config")
        try write("", "d/empty.txt")
        try write("12345\n", "d/run.lock")
        try write("12345\n", "d/numbers.txt")  // digits, but not named as a lock file: text
        try write(#"{"iteration":10,"train_loss":2.5}"# + "\n", "d/metrics.jsonl")
        try write("pos\tchar\tl0.h.0\n0\ta\t0.5\n", "d/cells.tsv")
        let model = Model(config: ModelConfig(cell: .rnn, layers: 1, hidden: 2, vocabularySize: 2), seed: 1)
        try Checkpoint(model: model, vocabulary: Vocabulary(scalars: ["\n", "a"])).write(to: "d/model.ckpt")
        XCTAssertEqual(mkfifo("d/pipe", 0o644), 0)
        try FileManager.default.createSymbolicLink(atPath: "d/dangling.txt", withDestinationPath: "nowhere.txt")
        let list = try CorpusFiles.list(["d"])
        XCTAssertEqual(paths(list), ["d/kept.txt", "d/numbers.txt"])
        let reasons = Dictionary(uniqueKeysWithValues: list.skipped.map { ($0.path, $0.reason) })
        XCTAssertEqual(reasons, [
            "d/.hidden.txt": .hidden, "d/.git": .hidden, "d/empty.txt": .empty, "d/pipe": .special,
            "d/run.lock": .charnnFile("a charnn lock file"), "d/metrics.jsonl": .charnnFile("a charnn metrics log"),
            "d/cells.tsv": .charnnFile("charnn inspect-cells output"), "d/model.ckpt": .charnnFile("a charnn checkpoint"),
            "d/dangling.txt": .unreadable("a symbolic link to nothing"),
        ])
        XCTAssertEqual(CorpusFiles.notes(for: list.skipped, shown: 2), [
            "skipped 4 charnn files: d/cells.tsv (charnn inspect-cells output), d/metrics.jsonl (a charnn metrics log) and 2 more",
            "skipped 1 empty file: d/empty.txt",
            "skipped 1 path that cannot be read: d/dangling.txt (a symbolic link to nothing)",
            "skipped 1 pipe, socket or device: d/pipe",
            "skipped 2 hidden files or directories: d/.git, d/.hidden.txt",
        ])
    }

    func testFilesNamedOnTheCommandLineAreNeverLeftOut() throws {
        try write("hidden but named\n", ".named")
        try write("", "empty.txt")
        let list = try CorpusFiles.list([".named", "empty.txt", "-"])
        XCTAssertEqual(paths(list), [".named", "empty.txt", "-"])
        XCTAssertTrue(list.files.allSatisfy(\.named))
    }

    func testLinksAreFollowedOnceAndLoopsEnd() throws {
        try write("a\n", "d/a/one.txt")
        try write("b\n", "d/b.txt")
        try FileManager.default.createSymbolicLink(atPath: "d/a/loop", withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: "d/again", withDestinationPath: "a")
        try FileManager.default.createSymbolicLink(atPath: "d/c.txt", withDestinationPath: "b.txt")
        try FileManager.default.createSymbolicLink(atPath: "outside", withDestinationPath: "d/a")
        let list = try CorpusFiles.list(["d", "d/b.txt", "outside"])
        XCTAssertEqual(paths(list), ["d/a/one.txt", "d/b.txt"])
        XCTAssertEqual(Set(list.skipped.map(\.path)), ["d/a/loop/", "d/again/", "d/c.txt", "d/b.txt", "outside/"])
        XCTAssertTrue(list.skipped.allSatisfy { $0.reason == .alreadyRead })
    }

    func testGlobs() {
        let cases: [(String, String, Bool)] = [
            ("*.swift", "main.swift", true), ("*.swift", "a/b/main.swift", true), ("*.swift", "main.swift.txt", false),
            ("build", "x/build", true), ("src/*.swift", "src/a.swift", true), ("src/*.swift", "src/a/b.swift", false),
            ("src/**/*.swift", "src/a.swift", true), ("src/**/*.swift", "src/a/b/c.swift", true),
            ("src/**/*.swift", "lib/a.swift", false), ("docs/**", "docs", true), ("docs/**", "docs/a/b.md", true),
            ("**/test?.txt", "a/test1.txt", true), ("**/test?.txt", "test12.txt", false), ("[ab].txt", "b.txt", true),
            ("\\*.txt", "*.txt", true), ("\\*.txt", "a.txt", false),
        ]
        for (pattern, path, expected) in cases {
            XCTAssertEqual(PathGlob(pattern).matches(path), expected, "\(pattern) on \(path)")
        }
    }

    func testIncludeAndExcludeMatchPathsInsideTheDirectory() throws {
        for name in ["p/Sources/a.swift", "p/Sources/b.txt", "p/Tests/t.swift", "p/build/gen.swift", "p/README.md"] {
            try write("x\n", name)
        }
        try write("x\n", "named.md")
        let swift = try CorpusFiles.list(["named.md", "p"], include: [PathGlob("*.swift")], exclude: [PathGlob("build")])
        XCTAssertEqual(paths(swift), ["named.md", "p/Sources/a.swift", "p/Tests/t.swift"])
        XCTAssertEqual(swift.skipped, [])  // what the globs leave out is asked for, not noted
        let sources = try CorpusFiles.list(["p"], include: [PathGlob("Sources/**"), PathGlob("*.md")], exclude: [PathGlob("**/b.txt")])
        XCTAssertEqual(paths(sources), ["p/README.md", "p/Sources/a.swift"])
    }

    func testArgumentsThatCannotBeListedThrow() throws {
        XCTAssertThrowsError(try CorpusFiles.list(["missing.txt"])) { XCTAssertEqual($0 as? FileError, .notFound(path: "missing.txt")) }
        try write("x\n", "file.txt")
        XCTAssertThrowsError(try CorpusFiles.list(["file.txt/inside"])) {
            XCTAssertEqual($0 as? FileError, .notFound(path: "file.txt/inside"))
        }
        guard let locked = try lockedDirectory() else { throw XCTSkip("no directory here that this user cannot list") }
        XCTAssertThrowsError(try CorpusFiles.list([locked])) { error in
            guard case .unreadable(let path, _)? = error as? FileError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, locked)
        }
        // Below a directory, one that cannot be listed is left out with a note.
        try write("x\n", "outer/a.txt")
        try FileManager.default.createSymbolicLink(atPath: "outer/sub", withDestinationPath: locked.hasPrefix("/") ? locked : dir.file(locked).path)
        let list = try CorpusFiles.list(["outer"])
        XCTAssertEqual(paths(list), ["outer/a.txt"])
        guard case .unreadable? = list.skipped.first?.reason, list.skipped.count == 1 else { return XCTFail("\(list.skipped)") }
    }

    /// A directory this process cannot list: mode 000 binds a normal user; root lists anything of its
    /// own, so there a directory the kernel guards for every process (another process's map_files) stands in.
    func lockedDirectory() throws -> String? {
        try FileManager.default.createDirectory(atPath: "locked", withIntermediateDirectories: true)
        chmod("locked", 0)
        addTeardownBlock { [path = dir.file("locked").path] in chmod(path, 0o755) }
        return ["locked", "/proc/1/map_files"].first { !canList($0) }
    }
}
