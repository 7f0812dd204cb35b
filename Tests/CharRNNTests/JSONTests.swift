// The library's JSON writer and parser: escaping that every reader accepts, numbers as each output
// has always written them, and Codable types written exactly as JSONEncoder writes them.

import Foundation
import XCTest
@testable import CharRNN

final class JSONTests: XCTestCase {
    /// Every control character, quote, backslash, slash, DEL, Latin, BMP and non-BMP scalars, and
    /// the two JavaScript line ends.
    private let awkward = String(String.UnicodeScalarView((0 ..< 0x20).compactMap(Unicode.Scalar.init)))
        + "\"\\/\u{7F}é€😀\u{1F600}\u{10FFFF}\u{2028}\u{2029}end"

    func testEscapesControlCharactersQuotesAndBackslashes() {
        XCTAssertEqual(JSONWriter.quoted("a\"b\\c/d"), #""a\"b\\c/d""#)
        XCTAssertEqual(JSONWriter.quoted("\n\r\t\u{08}\u{0C}"), #""\n\r\t\b\f""#)
        XCTAssertEqual(JSONWriter.quoted("\u{0}\u{1}\u{1B}\u{1F}"), #""\u0000\u0001\u001b\u001f""#)
        XCTAssertEqual(JSONWriter.quoted("\u{2028}\u{2029}"), #""\u2028\u2029""#)
        // Non-BMP scalars are written as UTF-8, not as surrogate pairs.
        XCTAssertEqual(Array(JSONWriter.quoted("😀").utf8), [0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22])
        XCTAssertFalse(JSONWriter.quoted(awkward).unicodeScalars.contains { $0.value < 0x20 })
    }

    func testStringsRoundTripThroughJSONSerialization() throws {
        let document = JSONValue.object([(awkward, .array([.string(awkward), .string("")]))]).text
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: [String]])
        XCTAssertEqual(parsed, [awkward: [awkward, ""]])
    }

    func testStringsRoundTripThroughTheLibraryParser() throws {
        let document = Array(JSONValue.array([.string(awkward), JSONValue(42), .bool(true), .null]).text.utf8)
        let parsed = try document.withUnsafeBytes { bytes -> JSONValue in
            var parser = JSONParser(bytes: bytes)
            return try parser.parseDocument()
        }
        guard case .array(let items) = parsed, items.count == 4, case .string(let text) = items[0] else {
            return XCTFail("\(parsed)")
        }
        XCTAssertEqual(text, awkward)
        XCTAssertEqual(items[1].integer, 42)
    }

    func testParserReportsWhereAndDuplicateKeys() {
        func parse(_ text: String) -> JSONParseError? {
            Array(text.utf8).withUnsafeBytes { bytes in
                var parser = JSONParser(bytes: bytes)
                do { _ = try parser.parseDocument(); return nil } catch { return error as? JSONParseError }
            }
        }
        XCTAssertEqual(parse(#"{"a":1,"a":2}"#), .duplicateKey("a"))
        XCTAssertEqual(parse(#"{"a":tru}"#), .invalid(position: 8, problem: "expected true"))  // the byte that broke it
        XCTAssertNil(parse(#" {"a":[1,-2.5e3,"x"]} "#))
    }

    /// Reports write Swift's shortest form; JSON has no NaN or infinity, so those are null.
    func testNumbers() {
        XCTAssertEqual(JSONValue(1.0).text, "1.0")
        XCTAssertEqual(JSONValue(Float(0.1)).text, "0.1")
        XCTAssertEqual(JSONValue(1e-5).text, "1e-05")
        XCTAssertEqual(JSONValue(-7).text, "-7")
        XCTAssertEqual(JSONValue(Double.infinity).text, "null")
        XCTAssertEqual(JSONValue(Float.nan).text, "null")
        XCTAssertEqual(JSONWriter.number(orNull: -Double.infinity), "null")
    }

    /// Checkpoint metadata and bench results go through JSONValueEncoder: its text must be JSONEncoder's
    /// (sorted keys, unescaped slashes), or files written before and after would differ.
    func testEncoderWritesWhatJSONEncoderWrites() throws {
        var options = TrainingOptions()
        options.clipNorm = 1.5
        options.learningRate = 3e-4
        options.seed = .max
        var progress = TrainingProgress(learningRate: 2e-3, rngState: 0x1234_5678_9ABC_DEF0)
        progress.bestValidationLoss = 1.25
        progress.trainingSeconds = 12.000001
        let vocabulary = ["\n", "\"", "\\", "/", "\t", "\u{1}", "é", "😀", "a"]
        try assertSameAsJSONEncoder(vocabulary)
        try assertSameAsJSONEncoder(ModelConfig(cell: .gru, layers: 3, hidden: 7, vocabularySize: 9, dropout: 0.25))
        try assertSameAsJSONEncoder(ModelConfig(cell: .lstm, vocabularySize: 65))
        try assertSameAsJSONEncoder(TextNormalization.standard)
        try assertSameAsJSONEncoder(Checkpoint.TrainingMetadata(options: options, progress: progress))
        try assertSameAsJSONEncoder(Checkpoint.TrainingMetadata(options: TrainingOptions(), progress: TrainingProgress(learningRate: 1, rngState: 0)))
        var result = BenchmarkResult(setup: BenchmarkSetup(), vocabularySize: 65, parameterCount: 1000, threads: 2,
                                     medianIterationSeconds: 0.125, trainCharsPerSecond: 20000, flopsPerCharacter: 1e6,
                                     pytorchFlopsPerCharacter: 1.5e6, gflops: 20, pytorchEquivalentGflops: 30,
                                     sampleCharsPerSecond: 5000.5, peakResidentBytes: nil)
        try assertSameAsJSONEncoder(result)
        result.peakResidentBytes = 123_456_789
        try assertSameAsJSONEncoder(result)
    }

    func testEncoderRefusesNonFiniteNumbersAsJSONEncoderDoes() {
        var progress = TrainingProgress(learningRate: 1, rngState: 0)
        progress.lastValidationLoss = .nan
        XCTAssertThrowsError(try JSONValueEncoder.encode(progress)) {
            guard case EncodingError.invalidValue? = $0 as? EncodingError else { return XCTFail("\($0)") }
        }
    }

    private func assertSameAsJSONEncoder<T: Encodable>(_ value: T, file: StaticString = #filePath, line: UInt = #line) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let expected = String(decoding: try encoder.encode(value), as: UTF8.self)
        XCTAssertEqual(try JSONValueEncoder.encode(value).text, expected, file: file, line: line)
    }
}
