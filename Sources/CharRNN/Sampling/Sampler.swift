// Generating text: feed the priming text, then repeatedly turn the logits into a distribution
// (temperature, optional top-k), draw the next character and feed it back, one step at a time.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct SamplingOptions: Sendable, Equatable {
    public var length = 2000
    /// Divides the logits: < 1 sharper and more repetitive, > 1 more surprising.
    public var temperature: Float = 1
    /// Draw only among the k most likely characters (nil: all).
    public var topK: Int?
    /// Always take the most likely character (deterministic; ignores temperature and seed).
    public var argmax = false
    public var seed: UInt64 = 123
    /// Text the model reads before it starts writing; it is not part of `length`.
    public var prime = ""

    public init() {}
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

    /// Generates `options.length` characters, calling `emit` with each as soon as it is drawn.
    /// Throws if the priming text has characters outside the vocabulary.
    /// An error thrown by `emit` stops the sample there and is passed on.
    public func generate(_ options: SamplingOptions, emit: (Unicode.Scalar) throws -> Void) throws {
        // Made per call, from the weights as they are now, so a sampler never reads stale ones.
        let stepper = InferenceStep(model: model)
        try generate(options, step: { stepper.run($0); return UnsafePointer(stepper.logits.base) }, emit: emit)
    }

    /// The sampling loop over any way of stepping the model: `step(id)` feeds one character and
    /// returns the next character's logits (V). Tests pass the general forward pass here.
    func generate(_ options: SamplingOptions, step: (Int32) -> UnsafePointer<Float>,
                  emit: (Unicode.Scalar) throws -> Void) throws {
        let primeIDs = try vocabulary.encode(options.prime)
        var rng = SplitMix64(seed: options.seed)
        // Without a prime the model starts as after a line break (or its first character).
        var next: Int32 = primeIDs.first ?? vocabulary.id(of: "\n") ?? 0
        for id in primeIDs.dropFirst() {
            _ = step(next)
            next = id
        }
        for _ in 0..<options.length {
            next = draw(step(next), options, &rng)
            try emit(vocabulary[next])
        }
    }

    /// Picks the next id from the logits (V).
    private func draw(_ logits: UnsafePointer<Float>, _ options: SamplingOptions, _ rng: inout SplitMix64) -> Int32 {
        let V = vocabulary.count
        if options.argmax {
            var best = 0
            for j in 1..<V where logits[j] > logits[best] { best = j }
            return Int32(best)
        }
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
