// Beam search against an exhaustive search by the general forward pass (every text of a few
// characters), against greedy decoding, and on a model trained so that greedy decoding goes wrong.

import XCTest
@testable import CharRNN

final class BeamSearchTests: XCTestCase {
    /// A random LSTM over 8 characters with weights scaled up, so that its distributions are far
    /// from uniform and texts differ clearly in likelihood.
    static let small: (model: Model, vocabulary: Vocabulary) = {
        let vocabulary = Vocabulary(scalars: Array("\nabcdefg".unicodeScalars))
        let model = Model(config: ModelConfig(cell: .lstm, layers: 1, hidden: 12, vocabularySize: vocabulary.count), seed: 3)
        let p = model.parameters.values
        for i in 0..<p.count { p[i] *= 3 }
        return (model, vocabulary)
    }()

    /// A complete text: its ids, log-probability and whether a stop text ended it.
    struct Scored {
        var ids: [Int32]
        var logProbability: Double
        var stopped: Bool
        func rank(_ score: BeamScore) -> Double { score == .sum ? logProbability : logProbability / Double(ids.count) }
    }

    /// Every complete text after `prime` (`length` characters, or fewer when it ends with its first
    /// stop text), scored through `Model.forward` one step at a time with a carried state: the
    /// search's answer worked out without the search.
    static func everyText(_ model: Model, _ vocabulary: Vocabulary, prime: String, length: Int, stops: [String] = []) -> [Scored] {
        let ws = Workspace(config: model.config, steps: 1, batch: 1, training: false)
        var rng = SplitMix64(seed: 1)
        let V = vocabulary.count
        let stopScalars = stops.map { Array($0.unicodeScalars) }
        func feed(_ id: Int32, _ state: RecurrentState) -> [Double] {
            ws.inputs[0] = id
            model.forward(ws, steps: 1, state: state, mode: .inference, rng: &rng)
            let logits = ws.logits(step: 0, stream: 0).map(Double.init)
            let m = logits.max()!
            let logSum = m + log(logits.reduce(0) { $0 + exp($1 - m) })
            return logits.map { $0 - logSum }
        }
        var found: [Scored] = []
        func visit(_ state: RecurrentState, _ logProbs: [Double], _ ids: [Int32], _ lp: Double) {
            for c in 0..<V {
                let text = ids + [Int32(c)], total = lp + logProbs[c]
                let scalars = text.map { vocabulary[$0] }
                if stopScalars.contains(where: { scalars.count >= $0.count && Array(scalars.suffix($0.count)) == $0 }) {
                    found.append(Scored(ids: text, logProbability: total, stopped: true))
                } else if text.count == length {
                    found.append(Scored(ids: text, logProbability: total, stopped: false))
                } else {
                    let next = RecurrentState(config: model.config, batch: 1)
                    next.copy(from: state)
                    visit(next, feed(Int32(c), next), text, total)
                }
            }
        }
        let state = RecurrentState(config: model.config, batch: 1)
        let primeIDs = try! vocabulary.encode(prime)
        let last = feedPrime(primeIDs, vocabulary: vocabulary) { _ = feed($0, state) }
        visit(state, feed(last, state), [], 0)
        return found
    }

    /// Greedy decoding's text, as `sample --argmax` (with the same stop texts) writes it.
    static func greedy(_ model: Model, _ vocabulary: Vocabulary, prime: String, length: Int, stops: [String] = []) throws -> [Int32] {
        var options = SamplingOptions()
        (options.argmax, options.prime, options.length, options.stopTexts) = (true, prime, length, stops)
        var ids: [Int32] = []
        try Sampler(model: model, vocabulary: vocabulary).generate(options) { ids.append(vocabulary.id(of: $0)!) }
        return ids
    }

    func search(_ model: Model, _ vocabulary: Vocabulary, prime: String, length: Int, width: Int, stops: [String] = [],
                score: BeamScore = .sum) throws -> BeamSearchResult {
        var options = BeamSearchOptions()
        (options.prime, options.length, options.width, options.stopTexts, options.score) = (prime, length, width, stops, score)
        return try BeamSearch(model: model, vocabulary: vocabulary).run(options)
    }

    func ids(_ text: String, _ vocabulary: Vocabulary) -> [Int32] { try! vocabulary.encode(text) }

    /// A beam wide enough to keep every text is an exhaustive search: it returns the best complete
    /// text there is, by either score, with or without stop texts; and its reported log-probability
    /// is the text's own.
    func testAFullWidthBeamFindsTheBestTextThereIs() throws {
        let (model, vocabulary) = Self.small
        let length = 4, fullWidth = 8 * 8 * 8
        for prime in ["", "ab", "gfe\n"] {
            for stops in [[], ["a"], ["cd", "\n"]] {
                let every = Self.everyText(model, vocabulary, prime: prime, length: length, stops: stops)
                for score in BeamScore.allCases {
                    let best = every.max { $0.rank(score) < $1.rank(score) }!
                    let found = try search(model, vocabulary, prime: prime, length: length, width: fullWidth, stops: stops, score: score)
                    let context = "prime \(prime.debugDescription) stops \(stops) \(score)"
                    XCTAssertEqual(ids(found.text, vocabulary), best.ids, context)
                    XCTAssertEqual(found.logProbability, best.logProbability, accuracy: 1e-9, context)
                    XCTAssertEqual(found.end, best.stopped ? .stopText : .length, context)
                }
            }
        }
    }

    /// Narrow beams: the text is one of the complete texts, scored as it is, and never scores below
    /// greedy decoding's (for either score); width 1 is greedy decoding.
    func testNarrowBeamsNeverScoreBelowGreedyDecoding() throws {
        let (model, vocabulary) = Self.small
        let length = 4
        for prime in ["", "ab", "gfe\n", "dd"] {
            for stops in [[], ["b"], ["cd", "\n"]] {
                let every = Self.everyText(model, vocabulary, prime: prime, length: length, stops: stops)
                let greedyIDs = try Self.greedy(model, vocabulary, prime: prime, length: length, stops: stops)
                let greedy = try XCTUnwrap(every.first { $0.ids == greedyIDs })
                for score in BeamScore.allCases {
                    // (With stop texts, a short text that a stop text ends can beat greedy decoding's.)
                    if stops.isEmpty {
                        let one = try search(model, vocabulary, prime: prime, length: length, width: 1, stops: stops, score: score)
                        XCTAssertEqual(ids(one.text, vocabulary), greedyIDs)
                    }
                    for width in [2, 3] {
                        let found = try search(model, vocabulary, prime: prime, length: length, width: width, stops: stops, score: score)
                        let context = "prime \(prime.debugDescription) stops \(stops) \(score) width \(width)"
                        let scored = try XCTUnwrap(every.first { $0.ids == ids(found.text, vocabulary) }, context)
                        XCTAssertEqual(found.logProbability, scored.logProbability, accuracy: 1e-9, context)
                        XCTAssertGreaterThanOrEqual(scored.rank(score), greedy.rank(score) - 1e-12, context)
                    }
                }
            }
        }
    }

    /// A beam can drop greedy decoding's text and then find nothing as likely; the search then
    /// returns greedy decoding's text. (Model and prime found by trying seeds for such a case.)
    func testWhenTheBeamDropsAndCannotBeatGreedyDecodingItReturnsGreedyDecodingsText() throws {
        let vocabulary = Self.small.vocabulary
        let model = Model(config: ModelConfig(cell: .lstm, layers: 1, hidden: 12, vocabularySize: vocabulary.count), seed: 7)
        let p = model.parameters.values
        for i in 0..<p.count { p[i] *= 3 }
        let greedy = try search(model, vocabulary, prime: "b", length: 12, width: 1)
        XCTAssertEqual(ids(greedy.text, vocabulary), try Self.greedy(model, vocabulary, prime: "b", length: 12))
        var options = BeamSearchOptions()
        (options.prime, options.length, options.width) = ("b", 12, 2)
        let search = BeamSearch(model: model, vocabulary: vocabulary)
        let beamOnly = try search.run(options, greedyFallback: false)
        XCTAssertLessThan(beamOnly.logProbability, greedy.logProbability, "the case no longer shows the fallback at work")
        XCTAssertEqual(try search.run(options), greedy)
    }

    /// Lines "xab" + a digit (36 of each, 360) and "xacd" (240), shuffled: after "xa" a 'b' is more
    /// likely than a 'c', but a 'b' leaves ten digits to choose from and a 'c' only 'd'. Greedy
    /// decoding takes 'b' and a digit (about 0.6 · 0.1); the beam finds "cd" (about 0.4). Too many
    /// lines for the model to learn their order.
    static let forked: (model: Model, vocabulary: Vocabulary) = {
        var lines = (0..<360).map { "xab\($0 % 10)\n" } + Array(repeating: "xacd\n", count: 240)
        var rng = SplitMix64(seed: 7)
        lines.shuffle(using: &rng)
        let corpus = try! Corpus(bytes: Array(lines.joined().utf8))
        var options = TrainingOptions()
        (options.batchSize, options.seqLength, options.learningRate) = (1, 25, 1e-2)
        (options.validationFraction, options.evalEvery, options.printEvery) = (0, 1_000_000, 1_000_000)
        let model = Model(config: ModelConfig(cell: .lstm, layers: 1, hidden: 16, vocabularySize: corpus.vocabulary.count), seed: 5)
        let trainer = try! Trainer(model: model, vocabulary: corpus.vocabulary, corpus: corpus, options: options)
        _ = try! trainer.run(until: StopCondition(iterations: 400)) { _ in }
        return (model, corpus.vocabulary)
    }()

    /// A few lines first, so that the model is in the middle of the text as it was in training.
    static let forkPrime = "xacd\nxab5\nxa"

    func testOnATrainedModelTheBeamFindsAMoreLikelyTextThanGreedyDecoding() throws {
        let (model, vocabulary) = Self.forked
        let every = Self.everyText(model, vocabulary, prime: Self.forkPrime, length: 2)
        let greedyIDs = try Self.greedy(model, vocabulary, prime: Self.forkPrime, length: 2)
        XCTAssertEqual(vocabulary[greedyIDs[0]], "b", "the model did not learn that 'b' is likelier than 'c' after \"xa\"")
        let greedy = try XCTUnwrap(every.first { $0.ids == greedyIDs })
        let first = try search(model, vocabulary, prime: Self.forkPrime, length: 2, width: 3)
        XCTAssertEqual(first.text, "cd")
        XCTAssertGreaterThan(first.logProbability, greedy.logProbability + 0.5, "beam \(first), greedy \(greedy)")
        XCTAssertEqual(first.logProbability, every.first { $0.ids == ids("cd", vocabulary) }!.logProbability, accuracy: 1e-9)
        // Deterministic, and the same for longer texts over several lines.
        for length in [2, 40] {
            let a = try search(model, vocabulary, prime: Self.forkPrime, length: length, width: 4)
            XCTAssertEqual(try search(model, vocabulary, prime: Self.forkPrime, length: length, width: 4), a)
            XCTAssertEqual(a.text.unicodeScalars.count, length)
        }
    }

    /// A stop text ends a text early: with the total score the search returns the best text that
    /// ends there when nothing longer is likelier, and the text ends with the stop text's first occurrence.
    func testStopTextsEndTheBeamsTexts() throws {
        let (model, vocabulary) = Self.forked
        let found = try search(model, vocabulary, prime: Self.forkPrime, length: 30, width: 4, stops: ["\n"])
        XCTAssertEqual(found.text, "cd\n")
        XCTAssertEqual(found.end, .stopText)
        let without = try search(model, vocabulary, prime: Self.forkPrime, length: 30, width: 4)
        XCTAssertTrue(without.text.hasPrefix("cd\n"), without.text)
        XCTAssertGreaterThan(found.logProbability, without.logProbability)
    }

    /// The characters `decided` streams are the result's text, each given once every text that can
    /// still win begins with it (the kept texts, the best complete one, greedy decoding's once it
    /// left the beam): a search stopped part-way returns what it streamed, a prefix of the whole
    /// search's text. Width 1 keeps one text, so each character is decided as it is drawn.
    func testDecidedCharactersStreamAsTheSearchGoes() throws {
        let (model, vocabulary) = Self.small
        let search = BeamSearch(model: model, vocabulary: vocabulary)
        for (width, least) in [(4, 0), (1, 199)] {
            var options = BeamSearchOptions()
            (options.width, options.length, options.prime) = (width, 300, "ab")
            var streamed = ""
            let full = try search.run(options) { streamed.unicodeScalars.append($0) }
            XCTAssertEqual(streamed, full.text)
            XCTAssertEqual(full.text.unicodeScalars.count, 300)
            var steps = 0, partial = ""
            let cut = try search.run(options, shouldStop: { steps += 1; return steps > 200 }) { partial.unicodeScalars.append($0) }
            XCTAssertEqual(cut.end, .interrupted)
            XCTAssertTrue(cut.logProbability.isNaN)
            XCTAssertEqual(cut.text, partial)
            XCTAssertTrue(full.text.hasPrefix(cut.text), "\(cut.text) / \(full.text)")
            XCTAssertGreaterThanOrEqual(cut.text.unicodeScalars.count, least, "width \(width)")
            XCTAssertLessThanOrEqual(cut.text.unicodeScalars.count, 200)
        }
    }
}
