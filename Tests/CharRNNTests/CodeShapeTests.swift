// The size limits the code keeps so that each piece can be read at once: no Swift file in Sources
// over 420 lines, no function, initialiser or computed property over 70 (signature to closing brace).

import Foundation
import XCTest

final class CodeShapeTests: XCTestCase {
    static let maxFileLines = 420
    static let maxFunctionLines = 70

    /// Sources/, found from this file's path so the test needs no resources.
    static var sourcesDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    static func swiftFiles() throws -> [URL] {
        let walker = FileManager.default.enumerator(at: sourcesDirectory, includingPropertiesForKeys: nil)
        let files = (walker?.allObjects as? [URL] ?? []).filter { $0.pathExtension == "swift" }
        return files.sorted { $0.path < $1.path }
    }

    func testNoFileIsLongerThanTheLimit() throws {
        let files = try Self.swiftFiles()
        XCTAssertGreaterThan(files.count, 20, "found no sources under \(Self.sourcesDirectory.path)")
        for file in files {
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertLessThanOrEqual(lines.count, Self.maxFileLines, "\(file.lastPathComponent) has \(lines.count) lines")
        }
    }

    func testNoFunctionIsLongerThanTheLimit() throws {
        for file in try Self.swiftFiles() {
            let text = try String(contentsOf: file, encoding: .utf8)
            for f in FunctionSpans.find(in: text) where f.lineCount > Self.maxFunctionLines {
                XCTFail("\(file.lastPathComponent):\(f.firstLine): \(f.lineCount) lines: \(f.signature)")
            }
        }
    }

    /// The measure itself, on known shapes: a check that could not see a long function would pass
    /// whatever the sources hold.
    func testTheMeasureFindsFunctionsAndTheirLengths() {
        let body = (0..<80).map { "    let x\($0) = \"{\" // }" }.joined(separator: "\n")
        let text = """
        struct S {
            func short() -> Int { 1 }
            public static func long(a: Int,
                                    b: () -> Bool = { false }) throws -> Int {
        \(body)
                return 0
            }
            init(value: Int) {
                if value > 0 {
                    print(value)
                }
            }
        }
        """
        let spans = FunctionSpans.find(in: text)
        XCTAssertEqual(spans.map { String($0.signature.prefix(23)) }, ["public static func long", "init(value: Int) {"])
        XCTAssertEqual(spans.map(\.lineCount), [84, 5])
        XCTAssertEqual(spans.map(\.firstLine), [3, 87])
    }
}

/// Where functions begin and end in Swift source, by counting braces outside strings and comments.
enum FunctionSpans {
    struct Span {
        let firstLine: Int  // 1-based
        let lineCount: Int
        let signature: String
    }

    static let declaration = try! NSRegularExpression(pattern:
        #"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|private|fileprivate|internal|static|final|override|mutating|class|convenience|required)\s+)*(?:func\s|init[?!]?\s*[(<]|subscript\s*[(<])"#)

    static func find(in text: String) -> [Span] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var spans: [Span] = []
        for (i, line) in lines.enumerated() where declaration.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil {
            if let end = closingLine(of: lines, from: i) {
                spans.append(Span(firstLine: i + 1, lineCount: end - i + 1, signature: line.trimmingCharacters(in: .whitespaces)))
            }
        }
        return spans
    }

    /// The line of the brace that closes the body opened at the end of the signature starting at
    /// `start`; nil for a declaration without a body or with its whole body on one line.
    static func closingLine(of lines: [String], from start: Int) -> Int? {
        var depth = 0, opened = false
        for j in start..<min(lines.count, start + 1000) {
            let code = codeOnly(lines[j])
            if !opened {
                if code.hasSuffix("{") { opened = true; depth = 1; continue }
                if code.hasSuffix("}") && braces(code) == 0 { return nil }
                if j > start + 15 { return nil }
                continue
            }
            depth += braces(code)
            if depth <= 0 { return j }
        }
        return nil
    }

    static func braces(_ code: String) -> Int {
        code.reduce(0) { $0 + ($1 == "{" ? 1 : $1 == "}" ? -1 : 0) }
    }

    /// The line without string literals and a trailing // comment, trimmed.
    static func codeOnly(_ line: String) -> String {
        var out = "", inString = false, escaped = false
        var previous: Character = " "
        for ch in line {
            if inString {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
                previous = ch
                continue
            }
            if ch == "\"" { inString = true; previous = ch; continue }
            if ch == "/" && previous == "/" { out.removeLast(); break }
            out.append(ch)
            previous = ch
        }
        return out.trimmingCharacters(in: .whitespaces)
    }
}
