// The one random generator used everywhere (initialisation, dropout, sampling), so that a seed
// reproduces a run bit for bit and tests can assert exact numbers.

/// SplitMix64 (Steele, Lea & Flood 2014): 64 bits of state, passes BigCrush, trivially saved in a
/// checkpoint as one integer.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    public var state: UInt64

    /// The seed of training, sampling, the report's sample and the benchmark when none is given.
    public static let defaultSeed: UInt64 = 123

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits: every value is an exact Float.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1) with 53 random bits, for sampling from a distribution.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in [-bound, bound).
    public mutating func nextUniform(bound: Float) -> Float {
        (nextUnitFloat() * 2 - 1) * bound
    }
}
