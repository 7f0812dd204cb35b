// Beam search: the most likely continuation of a prime that a beam of N texts finds, one model
// state per text and N steps per character; never less likely than greedy decoding's text.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How complete texts are compared. Without stop texts every complete text has the same length
/// and the two agree; they differ only in how a text a stop text ended early compares with others.
public enum BeamScore: String, CaseIterable, Sendable {
    /// The total log-probability: the most likely text. A text ended early by a stop text has
    /// fewer characters to pay for, so it tends to win over a longer one.
    case sum
    /// The log-probability per generated character: length neither helps nor hurts.
    case mean
}

public struct BeamSearchOptions: Sendable, Equatable {
    /// Texts kept at each step (N); 1 is greedy decoding.
    public var width = 5
    /// Characters to generate: exactly this many unless a stop text ends the text first.
    public var length = 2000
    /// Text the model reads first; not part of `length` or the score.
    public var prime = ""
    /// A text that ends with one of these (in its generated part) is complete: see `run`. So is one
    /// that ends its document (a model trained on several files draws the boundary).
    public var stopTexts: [String] = []
    public var score = BeamScore.sum

    public init() {}
}

public struct BeamSearchResult: Sendable, Equatable {
    /// The generated characters, without the prime.
    public let text: String
    /// The natural log of the model's probability of `text` after the prime.
    public let logProbability: Double
    /// `.length`, `.stopText` or `.documentEnd` (the boundary's probability is in `logProbability`,
    /// the boundary itself not in `text`).
    public let end: SamplingEnd
}

public final class BeamSearch {
    public let model: Model
    public let vocabulary: Vocabulary

    public init(model: Model, vocabulary: Vocabulary) {
        precondition(model.config.vocabularySize == vocabulary.count, "vocabulary does not match the model")
        self.model = model
        self.vocabulary = vocabulary
    }

    /// Deterministic: the same model and options give the same text. At each step every kept text
    /// is extended by every character; of the extensions, one that ends with a stop text is
    /// complete and leaves the beam, and the `width` most likely of the rest are kept (ties: the
    /// earlier kept text, then the smaller id). A text of `length` characters is complete. The
    /// result is the best complete text by `score`, or greedy decoding's text (also ending at its
    /// first stop text) if that scores strictly higher. With `.sum` the search ends as soon as no
    /// kept text can still beat the best complete one (log-probabilities only fall as a text grows).
    /// Throws if the prime or a stop text has characters outside the vocabulary.
    /// `decided` gets each character as soon as every text that can still win begins with it (so the
    /// result's text, streamed); `shouldStop` is asked before each step, and when it says so the
    /// result is the text decided so far, ended `.interrupted`, its log-probability nan.
    public func run(_ options: BeamSearchOptions, shouldStop: () -> Bool = { false },
                    decided: (Unicode.Scalar) -> Void = { _ in }) throws -> BeamSearchResult {
        try run(options, greedyFallback: true, shouldStop: shouldStop, decided: decided)
    }

    /// `greedyFallback` false: the beam's own best text, to show in tests what the fallback is for.
    func run(_ options: BeamSearchOptions, greedyFallback: Bool, shouldStop: () -> Bool = { false },
             decided: (Unicode.Scalar) -> Void = { _ in }) throws -> BeamSearchResult {
        precondition(options.width >= 1 && options.length >= 1, "beam width and length must be positive")
        let primeIDs = try vocabulary.encode(options.prime)
        let stops = StopTextMatcher(try options.stopTexts.map { try vocabulary.encode($0) })
        let stepper = InferenceStep(model: model)
        let first = feedPrime(primeIDs, vocabulary: vocabulary) { stepper.run($0) }
        let search = BeamState(stepper: stepper, options: options, stops: stops, boundary: vocabulary.boundaryID)
        search.start(after: first)
        var emitted: [Int32] = []
        func emit(_ ids: [Int32]) {
            for id in ids.dropFirst(emitted.count) where vocabulary.isCharacter(id) { decided(vocabulary[id]) }
            if ids.count > emitted.count { emitted = ids }
        }
        func text(_ ids: [Int32]) -> String { String(String.UnicodeScalarView(ids.filter(vocabulary.isCharacter).map { vocabulary[$0] })) }
        for level in 0..<options.length {
            if shouldStop() { return BeamSearchResult(text: text(emitted), logProbability: .nan, end: .interrupted) }
            guard search.extend(level: level, isLast: level == options.length - 1) else { break }
            emit(search.decidedPrefix())
        }
        var best = search.bestText()
        if greedyFallback, let greedy = search.finishGreedy(), greedy.rank > best.rank { best = greedy }
        emit(best.ids)
        return BeamSearchResult(text: text(best.ids), logProbability: best.logProbability, end: best.end)
    }
}

/// A complete text and its score.
private struct CompleteText {
    var rank: Double
    var logProbability: Double
    var end: SamplingEnd
    var ids: [Int32]
}

/// Where a complete text's last character hangs in the beam's history, until the end (when only
/// the best one is spelled out).
private struct CompleteEnd {
    var rank: Double
    var logProbability: Double
    var end: SamplingEnd
    var level: Int      // characters in the text
    var parent: Int     // its text of level - 1 characters: a slot of that level (level 0: the prime)
    var id: Int32
}

/// Greedy decoding's text from where the beam dropped it: its ids so far (the last one not yet
/// fed to the model), its log-probability, its stop-text watch, and the state before that last id.
private struct GreedyFork {
    var ids: [Int32]
    var logProbability: Double
    var stops: StopTextMatcher
    var state: [Float]
}

/// The search in progress: N slots, each a kept text with its model state (after its last
/// character), the log-probabilities of its next character and its stop-text watch.
private final class BeamState {
    struct Beam {
        var logProbability: Double
        var stops: StopTextMatcher
    }

    struct Candidate {
        var logProbability: Double
        var beam: Int32
        var id: Int32
    }

    let stepper: InferenceStep
    let V: Int, S: Int, width: Int, length: Int
    let score: BeamScore
    private var states: FloatBuffer, nextStates: FloatBuffer      // (N, S)
    private var logProbs: [Double], nextLogProbs: [Double]        // (N, V): of each slot's next character
    private var argmax: [Int32], nextArgmax: [Int32]              // (N): each slot's most likely next character
    private var beams: [Beam] = []
    /// history[l][slot]: the slot of level l (l + 1 characters) came from `parent` at level l - 1 by `id`.
    private var history: [[(parent: Int32, id: Int32)]] = []
    private var best: CompleteEnd?
    private var candidates: [Candidate] = []
    /// The slot holding greedy decoding's text while the beam keeps it; nil once it left.
    private var greedySlot: Int? = 0
    private var greedyFork: GreedyFork?

    init(stepper: InferenceStep, options: BeamSearchOptions, stops: StopTextMatcher, boundary: Int32?) {
        self.stepper = stepper
        V = stepper.config.vocabularySize
        S = stepper.stateCount
        width = options.width
        length = options.length
        score = options.score
        states = FloatBuffer(count: width * S)
        nextStates = FloatBuffer(count: width * S)
        logProbs = [Double](repeating: 0, count: width * V)
        nextLogProbs = logProbs
        argmax = [Int32](repeating: 0, count: width)
        nextArgmax = argmax
        beams = [Beam(logProbability: 0, stops: stops)]
        self.boundary = boundary
    }

    /// The boundary's id, which ends a text as a stop text does.
    let boundary: Int32?

    /// How drawing `id` after `beam` ends its text, if it does.
    func ending(_ beam: Beam, _ id: Int32) -> SamplingEnd? {
        id == boundary ? .documentEnd : beam.stops.match(after: id) != nil ? .stopText : nil
    }

    /// Slot 0 of level 0: the prime, its last character `first` fed.
    func start(after first: Int32) {
        stepper.run(first)
        stepper.saveState(to: states.base)
        argmax[0] = logSoftmax(stepper.logits.base, into: &logProbs, row: 0)
    }

    func rank(_ logProbability: Double, characters: Int) -> Double {
        score == .sum ? logProbability : logProbability / Double(characters)
    }

    /// Extends the texts of `level` characters by one; false when the search is over.
    func extend(level: Int, isLast: Bool) -> Bool {
        candidates.removeAll(keepingCapacity: true)
        for b in beams.indices {
            for c in 0..<V {
                let lp = beams[b].logProbability + logProbs[b * V + c]
                let ended = ending(beams[b], Int32(c))
                if ended != nil || isLast {
                    consider(CompleteEnd(rank: rank(lp, characters: level + 1), logProbability: lp,
                                         end: ended ?? .length, level: level + 1, parent: b, id: Int32(c)))
                } else {
                    candidates.append(Candidate(logProbability: lp, beam: Int32(b), id: Int32(c)))
                }
            }
        }
        // Slot 0 is then the most likely kept text.
        candidates.sort { ($0.logProbability, -$0.beam, -$0.id) > ($1.logProbability, -$1.beam, -$1.id) }
        if candidates.count > width { candidates.removeLast(candidates.count - width) }
        followGreedy(level: level)
        if candidates.isEmpty { return false }
        advance()
        // Scores only fall as texts grow: a kept text below the best complete one stays below it.
        if score == .sum, let best, best.rank >= beams[0].logProbability { return false }
        return true
    }

    private func consider(_ text: CompleteEnd) {
        if best.map({ text.rank > $0.rank }) ?? true { best = text }
    }

    /// Notes where greedy decoding's text went: still kept (its new slot), complete (it was
    /// considered with the rest), or dropped, when it forks off to be finished on its own.
    private func followGreedy(level: Int) {
        guard let g = greedySlot else { return }
        greedySlot = nil
        let id = argmax[g]
        if let kept = candidates.firstIndex(where: { $0.beam == g && $0.id == id }) {
            greedySlot = kept
            return
        }
        guard level + 1 < length, ending(beams[g], id) == nil else { return }
        var stops = beams[g].stops
        _ = stops.append(id)
        greedyFork = GreedyFork(ids: spell(level: level, slot: g) + [id], logProbability: beams[g].logProbability + logProbs[g * V + Int(id)],
                                stops: stops, state: Array(UnsafeBufferPointer(start: states.pointer(at: g * S), count: S)))
    }

    /// The kept candidates become the next level's slots: each its parent's state advanced by its
    /// character.
    private func advance() {
        var links: [(parent: Int32, id: Int32)] = []
        var next: [Beam] = []
        for (i, c) in candidates.enumerated() {
            let parent = Int(c.beam)
            stepper.loadState(from: states.pointer(at: parent * S))
            stepper.run(c.id)
            stepper.saveState(to: nextStates.pointer(at: i * S))
            nextArgmax[i] = logSoftmax(stepper.logits.base, into: &nextLogProbs, row: i)
            var stops = beams[parent].stops
            _ = stops.append(c.id)
            next.append(Beam(logProbability: c.logProbability, stops: stops))
            links.append((c.beam, c.id))
        }
        history.append(links)
        beams = next
        swap(&states, &nextStates)
        swap(&logProbs, &nextLogProbs)
        swap(&argmax, &nextArgmax)
    }

    /// The ids of the text in `slot` of `level` (that many characters).
    private func spell(level: Int, slot: Int) -> [Int32] {
        var ids: [Int32] = []
        var slot = slot
        for l in stride(from: level - 1, through: 0, by: -1) {
            let link = history[l][slot]
            ids.append(link.id)
            slot = Int(link.parent)
        }
        return ids.reversed()
    }

    /// The ids every text that can still win begins with: the kept texts, the best complete one and
    /// greedy decoding's text once it left the beam.
    func decidedPrefix() -> [Int32] {
        var texts = beams.indices.map { spell(level: history.count, slot: $0) }
        if let b = best { texts.append(spell(level: b.level - 1, slot: b.parent) + [b.id]) }
        if let fork = greedyFork { texts.append(fork.ids) }
        guard var prefix = texts.first else { return [] }
        for t in texts.dropFirst() { prefix = Array(zip(prefix, t).prefix { $0 == $1 }.map(\.0)) }
        return prefix
    }

    /// The best complete text the beam found (there is one: the last level completes every text).
    func bestText() -> CompleteText {
        let b = best!
        return CompleteText(rank: b.rank, logProbability: b.logProbability, end: b.end,
                            ids: spell(level: b.level - 1, slot: b.parent) + [b.id])
    }

    /// Greedy decoding's text, finished on its own from where the beam dropped it; nil if the beam
    /// kept it to the end (it was then considered with the rest) or, with `.sum`, as soon as it
    /// falls to the best complete text's score, which it then cannot beat.
    func finishGreedy() -> CompleteText? {
        guard var fork = greedyFork else { return nil }
        fork.state.withUnsafeBufferPointer { stepper.loadState(from: $0.baseAddress!) }
        var end = SamplingEnd.length
        while fork.ids.count < length {
            if score == .sum, let best, fork.logProbability <= best.rank { return nil }
            stepper.run(fork.ids.last!)
            let id = logSoftmax(stepper.logits.base, into: &logProbs, row: 0)
            fork.logProbability += logProbs[Int(id)]
            fork.ids.append(id)
            if id == boundary { end = .documentEnd; break }
            if fork.stops.append(id) { end = .stopText; break }
        }
        return CompleteText(rank: rank(fork.logProbability, characters: fork.ids.count), logProbability: fork.logProbability,
                            end: end, ids: fork.ids)
    }

    /// Row `row` of `out` (V) = log softmax of `logits` (V), in Double; returns the most likely id.
    private func logSoftmax(_ logits: UnsafePointer<Float>, into out: inout [Double], row: Int) -> Int32 {
        let best = mostLikely(logits, count: V)
        let m = Double(logits[Int(best)])
        var sum = 0.0
        for j in 0..<V { sum += exp(Double(logits[j]) - m) }
        let logSum = m + log(sum)
        for j in 0..<V { out[row * V + j] = Double(logits[j]) - logSum }
        return best
    }
}
