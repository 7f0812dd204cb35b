// Stop texts, endless generation and interactive sessions in the sampler; reading lines and prime files.

import Foundation
import XCTest
@testable import CharRNN
import TestSupport

final class SamplingModeTests: XCTestCase {
    /// A random model loud enough that its samples are varied texts over its alphabet.
    static let loud: Sampler = {
        let vocabulary = Vocabulary(scalars: Array("abcdefghijklmnopqrstuvwxyz .,;'\n".unicodeScalars))
        let model = Model(config: ModelConfig(cell: .gru, layers: 1, hidden: 24, vocabularySize: vocabulary.count), seed: 11)
        let p = model.parameters.values
        for i in 0..<p.count { p[i] *= 3 }
        return Sampler(model: model, vocabulary: vocabulary)
    }()

    func sample(length: Int? = 300, prime: String = "", stops: [String] = [], seed: UInt64 = 4,
                shouldStop: () -> Bool = { false }) throws -> (text: String, end: SamplingEnd) {
        var options = SamplingOptions()
        (options.length, options.prime, options.stopTexts, options.seed) = (length, prime, stops, seed)
        var text = ""
        let end = try Self.loud.generate(options, shouldStop: shouldStop) { text.unicodeScalars.append($0) }
        return (text, end)
    }

    /// The part of `text` up to and including the first occurrence of any of `stops` (by where it ends).
    func upToFirst(_ stops: [String], in text: String) -> String? {
        let scalars = Array(text.unicodeScalars)
        for end in 0...scalars.count {
            let head = Array(scalars[..<end])
            if stops.contains(where: { head.count >= $0.unicodeScalars.count && Array(head.suffix($0.unicodeScalars.count)) == Array($0.unicodeScalars) }) {
                var out = String.UnicodeScalarView()
                out.append(contentsOf: head)
                return String(out)
            }
        }
        return nil
    }

    func testAStopTextEndsTheTextRightAfterItsFirstOccurrence() throws {
        let full = try sample()
        XCTAssertEqual(full.end, .length)
        let scalars = Array(full.text.unicodeScalars)
        // Stop texts taken from the text itself, so each is met; the expected text is the full one cut.
        for stops in [[String(String.UnicodeScalarView(scalars[200..<203]))], [String(String.UnicodeScalarView(scalars[150..<152])),
                                                                                 String(String.UnicodeScalarView(scalars[90..<94]))]] {
            let expected = try XCTUnwrap(upToFirst(stops, in: full.text))
            let stopped = try sample(stops: stops)
            XCTAssertEqual(stopped.text, expected, "stops \(stops)")
            XCTAssertEqual(stopped.end, .stopText)
            XCTAssertLessThan(stopped.text.unicodeScalars.count, 300)
        }
        // A stop text never generated changes nothing.
        let absent = String(repeating: "q", count: 6)
        XCTAssertFalse(full.text.contains(absent))
        XCTAssertEqual(try sample(stops: [absent]).text, full.text)
        XCTAssertEqual(try sample(stops: [absent]).end, .length)
    }

    /// The prime is not searched: a stop text in it does not end the text (which would then be empty).
    func testAStopTextInThePrimeDoesNotCount() throws {
        let primed = try sample(prime: "the sea")
        let stop = "sea"
        let stopped = try sample(prime: "the sea", stops: [stop])
        XCTAssertEqual(stopped.text, upToFirst([stop], in: primed.text) ?? primed.text)
        XCTAssertGreaterThan(stopped.text.unicodeScalars.count, 0)
    }

    func testEndlessGenerationEndsAtAStopTextOrWhenAsked() throws {
        let full = try sample(length: 400)
        let stop = String(String.UnicodeScalarView(Array(full.text.unicodeScalars)[350..<353]))
        let endless = try sample(length: nil, stops: [stop])
        XCTAssertEqual(endless.text, try XCTUnwrap(upToFirst([stop], in: full.text)))
        XCTAssertEqual(endless.end, .stopText)
        var asked = 0
        let interrupted = try sample(length: nil, shouldStop: { asked += 1; return asked > 123 })
        XCTAssertEqual(interrupted.end, .interrupted)
        XCTAssertEqual(interrupted.text, String(String.UnicodeScalarView(Array(full.text.unicodeScalars)[..<123])))
    }

    func testStopTextMatcher() {
        var m = StopTextMatcher([[1, 2, 3], [2, 2], []])
        let fed: [Int32] = [1, 2, 1, 2, 3, 2, 2]
        XCTAssertEqual(fed.map { m.append($0) }, [false, false, false, false, true, false, true])
        var overlap = StopTextMatcher([[5, 5, 6]])
        XCTAssertEqual([5, 5, 5, 6].map { overlap.append($0) }, [false, false, false, true])
        // Far past the matcher's window, matches are still found.
        var long = StopTextMatcher([[7, 8]])
        for _ in 0..<1000 { XCTAssertFalse(long.append(1)) }
        XCTAssertFalse(long.append(7))
        XCTAssertTrue(long.append(8))
        XCTAssertTrue(StopTextMatcher([[]]).isEmpty)
    }

    /// A session's first continuation is `generate`'s text for that prime and seed; later ones
    /// continue the generator, so the same lines give the same texts, and a refused prime uses no draws.
    func testASessionContinuesOneGeneratorOverFreshStates() throws {
        var options = SamplingOptions()
        (options.length, options.seed) = (80, 9)
        func continuations(_ primes: [String]) -> [String?] {
            let session = SamplingSession(sampler: Self.loud, options: options)
            return primes.map { prime in
                var text = ""
                do { try session.continuation(of: prime) { text.unicodeScalars.append($0) } } catch { return nil }
                return text
            }
        }
        let texts = continuations(["the ", "she ", "the "])
        options.prime = "the "
        var alone = ""
        try Self.loud.generate(options) { alone.unicodeScalars.append($0) }
        XCTAssertEqual(texts[0], alone)
        XCTAssertNotEqual(texts[2], texts[0], "the generator restarted instead of going on")
        XCTAssertEqual(continuations(["the ", "she ", "the "]), texts)
        XCTAssertEqual(continuations(["the ", "Zoo", "she ", "the "]), [texts[0], nil, texts[1], texts[2]])
    }

    func testLineReaderSplitsLinesAsTheyArrive() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]) }
        var reader = LineReader(fileDescriptor: fds[0], name: "test")
        func send(_ text: String) { _ = text.utf8CString.withUnsafeBufferPointer { write(fds[1], $0.baseAddress, $0.count - 1) } }
        send("one\ntw")
        XCTAssertEqual(try reader.next(), Array("one".utf8), "a complete line is returned before the input ends")
        send("o\r\n\n")
        XCTAssertEqual(try reader.next(), Array("two".utf8))
        XCTAssertEqual(try reader.next(), [])
        send("last")
        close(fds[1])
        XCTAssertEqual(try reader.next(), Array("last".utf8))
        XCTAssertNil(try reader.next())
    }

    func testTextFilesAreReadExactlyAndStrictly() throws {
        let dir = try TemporaryDirectory(prefix: "sampling-mode-tests")
        defer { dir.remove() }
        let text = "héllo\r\nwörld 😀\n\n"
        XCTAssertEqual(try readTextFile(try dir.write(text, to: "a.txt").path), text)
        XCTAssertThrowsError(try readTextFile(try dir.write(bytes: Array("ab".utf8) + [0xC3, 0x28], to: "b.txt").path)) {
            XCTAssertEqual($0 as? TextError, .invalidUTF8(offset: 2))
        }
        XCTAssertThrowsError(try readTextFile(dir.file("missing.txt").path)) {
            XCTAssertEqual($0 as? FileError, .notFound(path: dir.file("missing.txt").path))
        }
    }

    /// The options the command line refuses are problems of the options themselves, and a sampler
    /// refuses them before it reads anything.
    func testSamplingOptionsReportTheirProblems() throws {
        XCTAssertNil(SamplingOptions().problem)
        let cases: [(String, (inout SamplingOptions) -> Void)] = [
            ("temperature 0.0 is not in (0, 1000]", { $0.temperature = 0 }),
            ("temperature -1.0 is not in (0, 1000]", { $0.temperature = -1 }),
            ("temperature 1001.0 is not in (0, 1000]", { $0.temperature = 1001 }),
            ("temperature nan is not in (0, 1000]", { $0.temperature = .nan }),
            ("temperature 1e-45 is not in (0, 1000]", { $0.temperature = .leastNonzeroMagnitude }),
            ("length 0 is below 1", { $0.length = 0 }),
            ("top_k 0 is below 1", { $0.topK = 0 }),
            ("argmax takes the most likely character, so temperature and top_k do nothing", { $0.argmax = true; $0.temperature = 0.5 }),
            ("argmax takes the most likely character, so temperature and top_k do nothing", { $0.argmax = true; $0.topK = 3 }),
            ("a stop text is empty", { $0.stopTexts = ["x", ""] }),
        ]
        for (problem, change) in cases {
            var options = SamplingOptions()
            change(&options)
            XCTAssertEqual(options.problem, problem)
            var emitted = 0
            XCTAssertThrowsError(try Self.loud.generate(options) { _ in emitted += 1 }) { error in
                XCTAssertEqual(error as? InvalidSamplingOptions, InvalidSamplingOptions(problem: problem))
            }
            XCTAssertEqual(emitted, 0)
        }
        var edge = SamplingOptions()
        (edge.temperature, edge.topK, edge.length) = (1000, 1, 1)
        XCTAssertNil(edge.problem)
        edge.argmax = true
        (edge.temperature, edge.topK) = (1, nil)
        XCTAssertNil(edge.problem)
    }
}
