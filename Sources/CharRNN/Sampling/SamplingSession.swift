// Many primes, one after another, against one loaded model (`charnn sample --interactive`): each
// continuation starts from a fresh state, and the draws continue one seeded generator.

/// Continues one prime after another. The first continuation is the text `Sampler.generate` gives
/// for that prime and the options' seed; each later one draws on from where the previous left the
/// generator, so the same primes in the same order give the same texts.
public final class SamplingSession {
    public let sampler: Sampler
    /// The options every continuation uses; their `prime` is not used.
    public let options: SamplingOptions
    private let stepper: InferenceStep
    private var rng: SplitMix64

    public init(sampler: Sampler, options: SamplingOptions) {
        self.sampler = sampler
        self.options = options
        stepper = InferenceStep(model: sampler.model)
        rng = SplitMix64(seed: options.seed)
    }

    /// Generates the continuation of `prime` from a zero state, as `Sampler.generate` does. Throws
    /// `TextError.unknownCharacter` before anything is generated (and without drawing) if `prime`
    /// has a character outside the vocabulary; the session can go on with the next prime.
    @discardableResult
    public func continuation(of prime: String, shouldStop: () -> Bool = { false },
                             emit: (Unicode.Scalar) -> Void) throws -> SamplingEnd {
        stepper.reset()
        return try sampler.generate(options, prime: prime, rng: &rng, step: stepper.logits(after:), shouldStop: shouldStop, emit: emit)
    }
}
