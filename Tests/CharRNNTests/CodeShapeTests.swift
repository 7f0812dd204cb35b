// The size limits the code keeps so that each piece can be read at once: no Swift file in Sources
// over 420 lines, no function, initialiser, subscript or computed property over 70 (signature to
// closing brace). Only what has a body is measured: a protocol requirement is a declaration, not code.

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

    /// Requirements have no body: the old measure ran on from one to the next declaration's body
    /// and reported that body under the requirement's name.
    func testTheMeasureSkipsDeclarationsWithoutABody() {
        let text = """
        protocol P {
            func requirement(a: Int)
            var flag: Bool { get }
            var settable: Int {
                get
                set
            }
            static func other(a: Int,
                              b: Int)
                -> Int
        }
        struct S: P {
            func real() {
                print(1)
            }
        }
        """
        let spans = FunctionSpans.find(in: text)
        XCTAssertEqual(spans.map(\.signature), ["func real() {"])
        XCTAssertEqual(spans.map(\.firstLine), [13])
        XCTAssertEqual(spans.map(\.lineCount), [3])
    }

    /// Computed properties are code like functions: a long one is caught, and its accessors count
    /// as part of it. Stored properties, with or without observers, are not measured.
    func testTheMeasureFindsComputedProperties() {
        let body = (0..<80).map { "        let x\($0) = 0" }.joined(separator: "\n")
        let text = """
        struct S {
            static var long: Int {
        \(body)
                return 0
            }
            public var accessors: Int {
                get {
                    1
                }
                set {
                    print(newValue)
                }
            }
            var short: Int { 1 }
            let stored: Int = 1
            var observed = 0 {
                didSet { print(1) }
            }
            lazy var table: [Int] = {
                [1, 2]
            }()
        }
        """
        let spans = FunctionSpans.find(in: text)
        XCTAssertEqual(spans.map(\.signature), ["static var long: Int {", "public var accessors: Int {"])
        XCTAssertEqual(spans.map(\.lineCount), [83, 8])
        XCTAssertTrue(spans.contains { $0.lineCount > CodeShapeTests.maxFunctionLines })
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
        #"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|private|fileprivate|internal|package|open|static|final|override|mutating|nonisolated|class|convenience|required)(?:\(set\))?\s+)*"#
        + #"(?:func\s|init[?!]?\s*[(<]|subscript\s*[(<]|var\s+\w+\s*:[^=]*\{\s*(?://.*)?$)"#)

    static func find(in text: String) -> [Span] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var spans: [Span] = []
        for (i, line) in lines.enumerated() where declaration.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil {
            if let end = closingLine(of: lines, from: i), !isRequirement(lines[i...end]) {
                spans.append(Span(firstLine: i + 1, lineCount: end - i + 1, signature: line.trimmingCharacters(in: .whitespaces)))
            }
        }
        return spans
    }

    /// The line of the brace that closes the body of the declaration starting at `start`; nil for
    /// a declaration without a body or with its whole body on one line. The body is the first
    /// brace outside parentheses (a default argument's closure is inside them); the signature
    /// ends without one where neither this line nor the next continues it.
    static func closingLine(of lines: [String], from start: Int) -> Int? {
        var depth = 0, parentheses = 0, opened = false
        for j in start..<min(lines.count, start + 1000) {
            let code = codeOnly(lines[j])
            if opened {
                depth += braces(code)
                if depth <= 0 { return j }
                continue
            }
            for (k, ch) in code.enumerated() {
                if ch == "(" || ch == "[" { parentheses += 1 }
                if ch == ")" || ch == "]" { parentheses -= 1 }
                if ch == "{" && parentheses == 0 {
                    depth = braces(String(code.dropFirst(k)))
                    if depth <= 0 { return nil }
                    opened = true
                    break
                }
            }
            if opened || parentheses > 0 || code.hasSuffix("->") || code.hasSuffix(",") { continue }
            let next = j + 1 < lines.count ? codeOnly(lines[j + 1]) : ""
            if !["->", "throws", "rethrows", "async", "where", "{"].contains(where: { next.hasPrefix($0) }) { return nil }
        }
        return nil
    }

    /// A property requirement spread over lines (`var x: Int {` / `get` / `set` / `}`): accessors
    /// named, none implemented.
    static func isRequirement(_ lines: ArraySlice<String>) -> Bool {
        let words = lines.dropFirst().map(codeOnly).joined(separator: " ").split { $0 == " " || $0 == "}" }
        return words.allSatisfy { ["get", "set", "mutating", "nonmutating", "throws", "async"].contains($0) }
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
