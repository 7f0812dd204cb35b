// Clean text in: a leading BOM dropped and CRLF / CR read as LF, whether a text is decoded at once or
// a chunk at a time (a CR at the end of one chunk and its LF at the start of the next), with error
// byte offsets in the original file; and the checkpoint's record of it.

import Foundation
import TestSupport
import XCTest
@testable import CharRNN

final class TextNormalizationTests: XCTestCase {
    func testStandardFormDropsALeadingBOMAndUnifiesLineEndings() {
        let text = "\u{FEFF}one\r\ntwo\rthree\n\r\n\rend\r"
        XCTAssertEqual(TextNormalization.standard.apply(to: text), "one\ntwo\nthree\n\n\nend\n")
        XCTAssertEqual(TextNormalization.exact.apply(to: text), text)
        XCTAssertEqual(TextNormalization.standard.apply(to: "a\u{FEFF}b"), "a\u{FEFF}b", "only a leading BOM is dropped")
        XCTAssertEqual(TextNormalization.standard.apply(to: "\u{FEFF}\u{FEFF}x"), "\u{FEFF}x")
        XCTAssertEqual(TextNormalization.standard.apply(to: "\r\r\n"), "\n\n")
    }

    /// A file read in chunks of every small size, so that CR and LF are split across chunk ends, gives
    /// what the normalised text gives decoded at once; an invalid byte is reported at its offset in the
    /// file, and an unknown character at its index in the normalised text.
    func testChunkedReadingNormalisesAcrossChunkEnds() throws {
        let dir = try TemporaryDirectory(prefix: "charnn-normalisation")
        defer { dir.remove() }
        var rng = SplitMix64(seed: 3)
        let pieces: [[UInt8]] = [Array("a".utf8), Array("é".utf8), Array("\r".utf8), Array("\n".utf8), Array("\r\n".utf8),
                                 Array("\u{FEFF}".utf8), [0xFF]]
        let vocabulary = Vocabulary(scalars: Array("\naé".unicodeScalars))
        for round in 0..<300 {
            var bytes: [UInt8] = round % 2 == 0 ? [0xEF, 0xBB, 0xBF] : []
            for _ in 0..<Int(rng.next() % 24) { bytes += pieces[Int(rng.next() % UInt64(round % 5 == 0 ? 7 : 6))] }
            let path = try dir.write(bytes: bytes, to: "t\(round).txt").path
            let expected = outcome { try Corpus(bytes: bytes, normalization: .standard) }
            let known = outcome { try Corpus(bytes: bytes, vocabulary: vocabulary, normalization: .standard) }
            if let text = String(validating: bytes, as: UTF8.self), !text.isEmpty {
                let normalised = TextNormalization.standard.apply(to: text)
                XCTAssertEqual(expected, outcome { try Corpus(bytes: Array(normalised.utf8)) }, "\(bytes)")
                XCTAssertFalse(normalised.unicodeScalars.contains("\r"))
            }
            for chunk in [1, 2, 3, 4, 5, 1 << 20] {
                XCTAssertEqual(outcome { try Corpus.load(path: path, normalization: .standard, chunkSize: chunk) }, expected,
                               "\(bytes), chunks of \(chunk)")
                XCTAssertEqual(outcome { try Corpus.load(path: path, vocabulary: vocabulary, normalization: .standard, chunkSize: chunk) },
                               known, "\(bytes), chunks of \(chunk)")
            }
        }
    }

    func testErrorsCountTheFilesBytesAndTheNormalisedCharacters() throws {
        let bad: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a\r\nb\r\n".utf8) + [0xFF]
        XCTAssertThrowsError(try Corpus(bytes: bad, normalization: .standard)) {
            XCTAssertEqual($0 as? TextError, .invalidUTF8(offset: 9), "the offset of 0xFF in the file")
        }
        let vocabulary = Vocabulary(scalars: Array("\nab".unicodeScalars))
        XCTAssertThrowsError(try Corpus(bytes: Array("\u{FEFF}a\r\nb\r\nZ".utf8), vocabulary: vocabulary, normalization: .standard)) {
            XCTAssertEqual($0 as? TextError, .unknownCharacter("Z", offset: 4), "a \\n b \\n Z")
        }
    }

    func testACREndingOneChunkAndItsLFStartingTheNext() throws {
        let dir = try TemporaryDirectory(prefix: "charnn-normalisation")
        defer { dir.remove() }
        let path = try dir.write("ab\r\ncd\r", to: "split.txt").path  // chunks of 3: "ab\r" "\ncd" "\r"
        let corpus = try Corpus.load(path: path, normalization: .standard, chunkSize: 3)
        XCTAssertEqual(corpus.tokens.ids.map { corpus.vocabulary[$0] }, Array("ab\ncd\n".unicodeScalars))
        let exact = try Corpus.load(path: path, chunkSize: 3)
        XCTAssertEqual(exact.count, 7, "the default reads the bytes as they are")
    }

    /// The checkpoint records the form; one without the record (every earlier checkpoint) is exact.
    func testCheckpointRecordsTheForm() throws {
        let model = Model(config: ModelConfig(cell: .rnn, layers: 1, hidden: 2, vocabularySize: 2), seed: 1)
        let vocabulary = Vocabulary(scalars: ["\n", "a"])
        for form in [TextNormalization.standard, .exact] {
            let file = Checkpoint(model: model, vocabulary: vocabulary, text: form).safeTensors
            XCTAssertEqual(try Checkpoint(SafeTensors.parse(file.serialized())).text, form)
        }
        var old = Checkpoint(model: model, vocabulary: vocabulary, text: .standard).safeTensors
        XCTAssertEqual(old.metadata.removeValue(forKey: "charnn.text"), #"{"bom":"dropped","line_endings":"lf"}"#)
        XCTAssertEqual(try Checkpoint(old).text, .exact)
        old.metadata["charnn.text"] = #"{"bom":"maybe","line_endings":"lf"}"#
        XCTAssertThrowsError(try Checkpoint(old)) {
            XCTAssertEqual($0 as? ModelFileError, .badMetadata(key: "charnn.text", reason: "not the expected JSON"))
        }
    }

    private func outcome(_ make: () throws -> Corpus) -> String {
        do {
            let c = try make()
            return "\(c.tokens.ids) \(c.vocabulary.scalars) skipped \(c.skipped)"
        } catch {
            return "\(error)"
        }
    }
}
