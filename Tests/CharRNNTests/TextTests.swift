// UTF-8 decoding with byte offsets, the vocabulary, compact token storage, the split and the
// layout of batches across parallel streams.

import XCTest
@testable import CharRNN

final class TextTests: XCTestCase {
    func testInvalidUTF8NamesTheByteOffset() {
        let cases: [([UInt8], Int)] = [
            ([0x61, 0x62, 0xFF, 0x63], 2),              // never valid
            ([0x61, 0xC0, 0x80], 1),                    // overlong NUL
            ([0x61, 0x62, 0x63, 0xE0, 0x80, 0x80], 3),  // overlong 3-byte
            ([0xED, 0xA0, 0x80], 0),                    // UTF-16 surrogate
            ([0x41, 0xF4, 0x90, 0x80, 0x80], 1),        // past U+10FFFF
            ([0x41, 0x42, 0xE2, 0x82], 2),              // truncated at the end
            ([0x80], 0),                                // continuation without a lead byte
            ([0xC3, 0x41], 0),                          // lead byte followed by ASCII
        ]
        for (bytes, offset) in cases {
            XCTAssertThrowsError(try Corpus(bytes: bytes), "\(bytes)") { error in
                XCTAssertEqual(error as? TextError, .invalidUTF8(offset: offset), "\(bytes)")
            }
        }
        XCTAssertTrue(TextError.invalidUTF8(offset: 2).description.contains("byte offset 2"))
    }

    func testVocabularyIsSortedScalarsAndIDsRoundTrip() throws {
        let text = "héllo wörld, 漢字 😀!\n"
        let corpus = try Corpus(bytes: Array(text.utf8))
        let scalars = corpus.vocabulary.scalars
        XCTAssertEqual(scalars, Array(Set(text.unicodeScalars)).sorted { $0.value < $1.value })
        XCTAssertEqual(corpus.count, text.unicodeScalars.count)
        let decoded = String(String.UnicodeScalarView(corpus.tokens.ids.map { corpus.vocabulary[$0] }))
        XCTAssertEqual(decoded, text)
        XCTAssertEqual(corpus.vocabulary.id(of: "😀"), Int32(scalars.count - 1))
    }

    func testEmptyTextIsAnError() {
        XCTAssertThrowsError(try Corpus(bytes: [])) { XCTAssertEqual($0 as? TextError, .empty) }
    }

    func testUnknownCharacterWithAndWithoutSkipping() throws {
        let vocab = Vocabulary(scalars: ["a", "b"])
        XCTAssertThrowsError(try Corpus(bytes: Array("abxa".utf8), vocabulary: vocab)) {
            XCTAssertEqual($0 as? TextError, .unknownCharacter("x", offset: 2))
        }
        let skipped = try Corpus(bytes: Array("abxay".utf8), vocabulary: vocab, skipUnknown: true)
        XCTAssertEqual(skipped.tokens.ids, [0, 1, 0])
        XCTAssertEqual(skipped.skipped, 2)
    }

    func testTokensUseTheNarrowestStorage() throws {
        XCTAssertEqual(try Corpus(bytes: Array("abc".utf8)).tokens.bytesPerToken, 1)
        let wide = String(String.UnicodeScalarView((0..<300).map { Unicode.Scalar(0x4E00 + $0)! }))
        let corpus = try Corpus(bytes: Array(wide.utf8))
        XCTAssertEqual(corpus.tokens.bytesPerToken, 2)
        XCTAssertEqual(corpus.tokens[299], 299)
    }

    func testSplitKeepsTheLastFractionForValidation() throws {
        let corpus = try Corpus(bytes: Array(String(repeating: "abcd", count: 25).utf8))
        let split = corpus.split(validationFraction: 0.05)
        XCTAssertEqual(split.train, 0..<95)
        XCTAssertEqual(split.validation, 95..<100)
        XCTAssertEqual(corpus.split(validationFraction: 0).validation.count, 0)
    }

    func testBatchStreamsLayout() throws {
        // 0 1 2 … as characters: B = 2 streams of T = 3 steps over 14 characters.
        let scalars = (0..<14).map { Unicode.Scalar(UInt8(65 + $0)) }
        let corpus = try Corpus(bytes: Array(String(String.UnicodeScalarView(scalars)).utf8))
        let streams = try XCTUnwrap(BatchStreams(range: 0..<14, batch: 2, steps: 3))
        XCTAssertEqual(streams.streamLength, 6)      // (14 − 1) / 6 · 6 = 12 inputs, 6 per stream
        XCTAssertEqual(streams.batchesPerEpoch, 2)
        let ws = Workspace(config: ModelConfig(vocabularySize: 14), steps: 3, batch: 2, training: false)
        streams.fill(ws, batch: 1, from: corpus.tokens)
        // Batch 1 continues each stream: stream 0 at 3…5, stream 1 at 9…11; time-major.
        XCTAssertEqual((0..<6).map { ws.inputs[$0] }, [3, 9, 4, 10, 5, 11])
        XCTAssertEqual((0..<6).map { ws.targets[$0] }, [4, 10, 5, 11, 6, 12])
        XCTAssertNil(BatchStreams(range: 0..<6, batch: 2, steps: 3))
    }

    /// Reading a file a chunk at a time (so it is never held whole) gives exactly what decoding its
    /// bytes at once gives: the same ids and vocabulary, or the same error at the same byte offset or
    /// character, whatever the chunk size and wherever a character is cut.
    func testFileReadInChunksDecodesLikeTheWholeText() throws {
        let path = NSTemporaryDirectory() + "chunked-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var rng = SplitMix64(seed: 11)
        let pieces: [[UInt8]] = [Array("a".utf8), Array(" ".utf8), Array("é".utf8), Array("漢".utf8), Array("😀".utf8),
                                 Array("\n".utf8), [0xFF], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0x80]]
        let vocabulary = Vocabulary(scalars: Array("\n aé漢".unicodeScalars))
        func outcome(_ make: () throws -> Corpus) -> String {
            do {
                let c = try make()
                return "\(c.tokens.ids) \(c.vocabulary.scalars) skipped \(c.skipped)"
            } catch {
                return "\(error)"
            }
        }
        var errors = 0
        for round in 0..<200 {
            // Mostly valid text; every third text has a bad sequence somewhere.
            var bytes: [UInt8] = []
            for _ in 0..<Int(rng.next() % 40) {
                let valid = round % 3 != 0 || rng.next() % 10 != 0
                bytes += pieces[Int(rng.next() % UInt64(valid ? 6 : pieces.count))]
            }
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let whole = outcome { try Corpus(bytes: bytes) }
            let known = outcome { try Corpus(bytes: bytes, vocabulary: vocabulary) }
            let skipping = outcome { try Corpus(bytes: bytes, vocabulary: vocabulary, skipUnknown: true) }
            errors += whole.hasPrefix("invalid") ? 1 : 0
            for chunk in [1, 2, 3, 4, 5, 7, 1 << 20] {
                XCTAssertEqual(outcome { try Corpus.load(path: path, chunkSize: chunk) }, whole, "\(bytes), chunks of \(chunk)")
                XCTAssertEqual(outcome { try Corpus.load(path: path, vocabulary: vocabulary, chunkSize: chunk) }, known, "\(bytes)")
                XCTAssertEqual(outcome { try Corpus.load(path: path, vocabulary: vocabulary, skipUnknown: true, chunkSize: chunk) },
                               skipping, "\(bytes)")
            }
        }
        XCTAssertGreaterThan(errors, 20, "too few invalid texts to test the error offsets")
    }
}
