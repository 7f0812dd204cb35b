// Sigmoid, tanh and exp of a whole `Lanes` vector, for the cells' gate loops and the loss. libm's
// scalar tanhf/expf cost 39% of an LSTM-128 training profile; these take a few FMAs, no branches.
//
// Accuracy contract (tested against Double in ActivationTests): relative error below 2.5e-7
// (about 2 ulp; measured 1.2e-7 exp, 1.7e-7 sigmoid, 1.0e-7 tanh) for sigmoid on x ≥ -87 and
// tanh everywhere, no NaN or infinity from a finite input, tanh exactly ±1 far out. The polynomial coefficients were fitted for this file (iteratively
// reweighted least squares towards the minimax fit of relative error: fit error 3e-9 for exp on
// |r| ≤ ln2/2, 4e-9 for tanh on |x| < 0.625), so Float rounding, not the fit, sets the error.

private typealias Bits = SIMD16<UInt32>  // the bit patterns of `Lanes`

/// e^x lane by lane for x in [-87.3, 88.3]; inputs outside are clamped, so the result is always a
/// normal, finite Float and 1/(1 + e^x) never divides by infinity.
/// e^x = 2^n · e^r with n = round(x / ln 2), |r| ≤ ln2/2, e^r = 1 + r + r²·P(r), P of degree 4.
@_transparent
func vectorExp(_ x: Lanes) -> Lanes {
    let x = clamp(x, -87.3, 88.3)
    // Adding 1.5·2²³ rounds x/ln2 to the integer n, which then sits in the low mantissa bits.
    let shifter = Lanes(repeating: 12_582_912)
    let shifted = shifter.addingProduct(x, Lanes(repeating: 1.442_695_04))
    let n = shifted - shifter
    // r = x − n·ln2, with ln2 split in two (Cody–Waite) so that n·0.693359375 is exact.
    var r = x.addingProduct(n, Lanes(repeating: -0.693_359_375))
    r = r.addingProduct(n, Lanes(repeating: 2.121_944_4e-4))
    var p = Lanes(repeating: 0.008_368_710_5).addingProduct(Lanes(repeating: 0.001_381_464_7), r)
    p = Lanes(repeating: 0.041_668_387).addingProduct(p, r)
    p = Lanes(repeating: 0.166_665_21).addingProduct(p, r)
    p = Lanes(repeating: 0.499_999_93).addingProduct(p, r)
    let er = (r + 1).addingProduct(p, r * r)
    // 2^n: shifting the bits of `shifted` left by 23 leaves n·2²³ (the rest overflows away);
    // adding the exponent bias makes it the Float 2^n, for n in [-126, 127].
    let scale = unsafeBitCast((unsafeBitCast(shifted, to: Bits.self) &<< 23) &+ (127 << 23), to: Lanes.self)
    return er * scale
}

/// Lanes limited to [lower, upper]. Written with compares and selects, which become two
/// vector instructions; the standard library's generic `clamped` was not vectorised (measured:
/// 29% of a training profile).
@_transparent
private func clamp(_ x: Lanes, _ lower: Float, _ upper: Float) -> Lanes {
    let low = x.replacing(with: lower, where: x .< lower)
    return low.replacing(with: upper, where: low .> upper)
}

/// 1 / (1 + e^−x) lane by lane. Below x = -87.3 it returns about 1e-38 instead of smaller values.
@_transparent
func vectorSigmoid(_ x: Lanes) -> Lanes {
    1 / (1 + vectorExp(-x))
}

/// tanh lane by lane: an odd polynomial x + x³·Q(x²) for |x| < 0.625, where 1 − 2/(e^2|x| + 1)
/// would cancel, and that formula with the sign restored above it.
@_transparent
func vectorTanh(_ x: Lanes) -> Lanes {
    let negative = x .< 0
    let ax = x.replacing(with: -x, where: negative)
    // Past 9.1, tanh rounds to 1 in Float; clamping keeps e^2|x| finite.
    let e = vectorExp(2 * clamp(ax, 0, 9.1))
    let large = 1 - 2 / (e + 1)
    let x2 = x * x
    var q = Lanes(repeating: 0.020_638_969).addingProduct(Lanes(repeating: -0.005_704_863_4), x2)
    q = Lanes(repeating: -0.053_739_676).addingProduct(q, x2)
    q = Lanes(repeating: 0.133_314_42).addingProduct(q, x2)
    q = Lanes(repeating: -0.333_332_82).addingProduct(q, x2)
    let small = x.addingProduct(x * x2, q)
    return small.replacing(with: large.replacing(with: -large, where: negative), where: ax .>= 0.625)
}
