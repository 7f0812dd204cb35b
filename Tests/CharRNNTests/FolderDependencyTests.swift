// Which of the library's folders use which: a folder uses another when its code names a type that
// only the other declares (comments and string literals left out). No folder may join a cycle.

import Foundation
import XCTest

final class FolderDependencyTests: XCTestCase {
    /// Sources/CharRNN, found from this file's path so the test needs no resources.
    static let library = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/CharRNN")

    func testNoFolderJoinsACycle() throws {
        let fm = FileManager.default
        var sources: [String: String] = [:]
        for folder in try fm.contentsOfDirectory(atPath: Self.library.path) {
            let url = Self.library.appendingPathComponent(folder)
            guard let files = try? fm.contentsOfDirectory(atPath: url.path) else { continue }  // a file, not a folder
            sources[folder] = try files.filter { $0.hasSuffix(".swift") }.sorted()
                .map { try String(contentsOf: url.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n")
        }
        XCTAssertGreaterThan(sources.count, 8, "the library's folders were not found")
        let graph = Self.uses(sources)
        XCTAssertEqual(graph["Benchmark"].map { $0.contains("Training") }, true, "the scan sees Benchmark's use of the Trainer")
        XCTAssertEqual(Self.onCycles(graph), [])
    }

    /// The scan finds a cycle through three folders and none once one use goes, and does not count a
    /// type named only in a comment or a string.
    func testTheScanFindsCyclesAndOnlyCycles() {
        let cycle = ["A": "struct Alpha { let b: Beta }", "B": "enum Beta { case x(Gamma) }", "C": "final class Gamma { var a: Alpha? }",
                     "D": "struct Delta { let a: Alpha }"]
        XCTAssertEqual(Self.onCycles(Self.uses(cycle)), ["A", "B", "C"])
        var broken = cycle
        broken["C"] = "final class Gamma { var a: Int?  // not Alpha\n let s = \"Alpha\" }"
        XCTAssertEqual(Self.uses(broken)["C"], [])
        XCTAssertEqual(Self.onCycles(Self.uses(broken)), [])
    }

    /// Each folder's uses of the others, from its code with comments and string literals removed.
    static func uses(_ sources: [String: String]) -> [String: Set<String>] {
        let code = sources.mapValues { text in
            [#"/\*[\s\S]*?\*/"#, #"//[^\n]*"#, #""(?:\\.|[^"\\\n])*""#].reduce(text) {
                $0.replacingOccurrences(of: $1, with: " ", options: .regularExpression)
            }
        }
        func matches(_ pattern: String, _ text: String) -> Set<String> {
            let regex = try! NSRegularExpression(pattern: pattern)
            return Set(regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
                String(text[Range($0.range(at: $0.numberOfRanges - 1), in: text)!])
            })
        }
        let declared = code.mapValues { matches(#"\b(?:struct|class|enum|protocol|typealias|actor)\s+([A-Z]\w*)"#, $0) }
        return code.reduce(into: [:]) { result, entry in
            let named = matches(#"\b([A-Z]\w*)\b"#, entry.value)
            result[entry.key] = Set(declared.filter { $0.key != entry.key && !named.isDisjoint(with: $0.value.subtracting(declared[entry.key]!)) }.keys)
        }
    }

    /// The folders from which a chain of uses leads back to themselves.
    static func onCycles(_ graph: [String: Set<String>]) -> Set<String> {
        Set(graph.keys.filter { start in
            var seen: Set<String> = [], next = Array(graph[start] ?? [])
            while let folder = next.popLast() {
                if folder == start { return true }
                if seen.insert(folder).inserted { next += graph[folder] ?? [] }
            }
            return false
        })
    }
}
