// Generating text: feed the priming text, then repeatedly turn the logits into a distribution
// (temperature, optional top-k), draw the next character and feed it back, one step at a time.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct SamplingOptions: Sendable, Equatable {
    /// Characters to generate; nil: no limit (until a stop text or `shouldStop`).
    public var length: Int? = 2000
    /// Divides the logits: < 1 sharper and more repetitive, > 1 more surprising.
    public var temperature: Float = 1
    /// Draw only among the k most likely characters (nil: all).
    public var topK: Int?
    /// Always take the most likely character (deterministic; ignores temperature and seed).
    public var argmax = false
    public var seed = SplitMix64.defaultSeed
    /// Text the model reads before it starts writing; it is not part of `length`.
    public var prime = ""
    /// Generation ends right after the first occurrence of any of these in the generated text
    /// (see `StopTextMatcher`); the stop text itself is generated and emitted.
    public var stopTexts: [String] = []

    public init() {}

    /// What is out of range or contradictory, or nil if a sampler can use these options. The
    /// temperature divides the logits, so it must be a normal positive number (at most 1000, past
    /// which every character is as likely as any other); argmax ignores temperature and top-k, so
    /// setting either beside it would do nothing.
    public var problem: String? {
        if let length, length < 1 { return "length \(length) is below 1" }
        if !(temperature.isNormal && temperature > 0 && temperature <= 1000) { return "temperature \(temperature) is not in (0, 1000]" }
        if let topK, topK < 1 { return "top_k \(topK) is below 1" }
        if argmax && (temperature != 1 || topK != nil) { return "argmax takes the most likely character, so temperature and top_k do nothing" }
        if stopTexts.contains("") { return "a stop text is empty" }
        return nil
    }
}

/// Options a sampler refuses, with what is wrong with them (`SamplingOptions.problem`).
public struct InvalidSamplingOptions: Error, Sendable, Equatable, CustomStringConvertible {
    public let problem: String
    public var description: String { "invalid sampling options: \(problem)" }
}

/// Why a generation ended.
public enum SamplingEnd: Sendable, Equatable {
    /// `length` characters were generated.
    case length
    /// The generated text ended with a stop text.
    case stopText
    /// The model ended the document: it drew the boundary of a model trained on several files.
    case documentEnd
    /// `shouldStop` said so.
    case interrupted
}

public final class Sampler {
    public let model: Model
    public let vocabulary: Vocabulary
    private var probabilities: [Double]
    private var order: [Int32]

    public init(model: Model, vocabulary: Vocabulary) {
        precondition(model.config.vocabularySize == vocabulary.count, "vocabulary does not match the model")
        self.model = model
        self.vocabulary = vocabulary
        probabilities = [Double](repeating: 0, count: vocabulary.count)
        order = (0..<Int32(vocabulary.count)).map { $0 }
    }

    /// Generates up to `options.length` characters, calling `emit` with each as soon as it is
    /// drawn; `shouldStop` is asked before each one (Ctrl-C). Throws `InvalidSamplingOptions` if
    /// `options.problem` says so, and if the priming text or a stop text has characters outside the
    /// vocabulary.
    @discardableResult
    public func generate(_ options: SamplingOptions, shouldStop: () -> Bool = { false },
                         emit: (Unicode.Scalar) -> Void) throws -> SamplingEnd {
        // Made per call, from the weights as they are now, so a sampler never reads stale ones.
        let stepper = InferenceStep(model: model)
        return try generate(options, step: stepper.logits(after:), shouldStop: shouldStop, emit: emit)
    }

    /// The sampling loop over any way of stepping the model: `step(id)` feeds one character and
    /// returns the next character's logits (V). Tests pass the general forward pass here.
    @discardableResult
    func generate(_ options: SamplingOptions, step: (Int32) -> UnsafePointer<Float>, shouldStop: () -> Bool = { false },
                  emit: (Unicode.Scalar) -> Void) throws -> SamplingEnd {
        var rng = SplitMix64(seed: options.seed)
        return try generate(options, prime: options.prime, rng: &rng, step: step, shouldStop: shouldStop, emit: emit)
    }

    /// One generation from the state `step` starts in, drawing from `rng` (which a session carries
    /// from one prime to the next).
    func generate(_ options: SamplingOptions, prime: String, rng: inout SplitMix64, step: (Int32) -> UnsafePointer<Float>,
                  shouldStop: () -> Bool, emit: (Unicode.Scalar) -> Void) throws -> SamplingEnd {
        if let problem = options.problem { throw InvalidSamplingOptions(problem: problem) }
        let primeIDs = try vocabulary.encode(prime)
        var stops = StopTextMatcher(try options.stopTexts.map { try vocabulary.encode($0) })
        var next = feedPrime(primeIDs, vocabulary: vocabulary) { _ = step($0) }
        var generated = 0
        while options.length.map({ generated < $0 }) ?? true {
            if shouldStop() { return .interrupted }
            next = draw(step(next), options, &rng)
            if next == vocabulary.boundaryID { return .documentEnd }
            emit(vocabulary[next])
            generated += 1
            if stops.append(next) { return .stopText }
        }
        return .length
    }

    /// Picks the next id from the logits (V).
    private func draw(_ logits: UnsafePointer<Float>, _ options: SamplingOptions, _ rng: inout SplitMix64) -> Int32 {
        let V = vocabulary.count
        if options.argmax { return mostLikely(logits, count: V) }
        let invT = 1 / Double(options.temperature)
        var m = -Double.infinity
        for j in 0..<V { m = max(m, Double(logits[j]) * invT) }
        var candidates = V
        if let k = options.topK, k < V {
            // Keep the k largest logits; the rest get probability zero.
            order.sort { logits[Int($0)] > logits[Int($1)] }
            candidates = max(1, k)
        } else {
            for j in 0..<V { order[j] = Int32(j) }
        }
        var sum = 0.0
        for c in 0..<candidates {
            let p = exp(Double(logits[Int(order[c])]) * invT - m)
            probabilities[c] = p
            sum += p
        }
        var u = rng.nextUnitDouble() * sum
        for c in 0..<candidates {
            u -= probabilities[c]
            if u < 0 { return order[c] }
        }
        return order[candidates - 1]
    }
}

/// Feeds all but the last character of a prime through `step` and returns that last one: the
/// input whose step gives the first generated character's logits. A model trained on several
/// documents starts a new one: the boundary comes first. Without a prime or a boundary the model
/// starts as after a line break (or its first character).
func feedPrime(_ primeIDs: [Int32], vocabulary: Vocabulary, step: (Int32) -> Void) -> Int32 {
    let ids = (vocabulary.boundaryID.map { [$0] } ?? []) + primeIDs
    for id in ids.dropLast() { step(id) }
    return ids.last ?? vocabulary.id(of: "\n") ?? 0
}

/// The id of the largest of `count` logits (the first of equal ones): greedy decoding's choice.
func mostLikely(_ logits: UnsafePointer<Float>, count: Int) -> Int32 {
    var best = 0
    for j in 1..<count where logits[j] > logits[best] { best = j }
    return Int32(best)
}
