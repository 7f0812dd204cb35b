// The bfloat16 product (`gemmBF16`) against Double references, for every transpose combination
// and the shapes the model gives it: tiles cut at 1-8 rows and 1-32 columns, k odd or even and
// across the 256-value cache block, n across the 4096-column block, a prepacked B, and 2 threads.

import XCTest
@testable import CharRNN

final class BF16GEMMTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Precision.bf16Hardware, "this CPU has no AVX-512 BF16")
    }

    override func tearDown() { Parallelism.threads = 1 }

    /// x rounded to bfloat16's 8 significant bits, ties to even, computed independently of the
    /// kernels' bit manipulation: x / 2^(e−7) rounded to an integer, where 2^e ≤ |x| < 2^(e+1).
    static func roundedToBF16(_ x: Float) -> Double {
        guard x != 0, x.isFinite else { return Double(x) }
        let quantum = Double(sign: .plus, exponent: Int(x.exponent) - 7, significand: 1)
        return (Double(x) / quantum).rounded(.toNearestOrEven) * quantum
    }

    /// γ_n = n·2⁻²⁴ / (1 − n·2⁻²⁴): the bound on the relative error of n − 1 fp32 additions in any order
    /// (plus one for C's previous value).
    static func gamma(_ n: Int) -> Double { Double(n) * 0x1p-24 / (1 - Double(n) * 0x1p-24) }

    /// Checks one product element by element against two Double references.
    ///
    /// Exact operands: RNE to bfloat16 keeps 8 significant bits, so each operand's relative error is
    /// at most u = 2⁻⁸ and a product's |bf(a)·bf(b) − a·b| ≤ (2u + u²)·|a·b|. bf(a)·bf(b) has 16
    /// significant bits, exact in fp32, so the only other error is the fp32 sum of the K products and
    /// C's old value (vdpbf16ps adds each product with a rounding, the tiles add partial sums into C),
    /// at most γ_{K+1}·Σ|terms| in any order. With S = Σ_p |a_ip·b_pj| + |β·c_ij|:
    ///     |ĉ_ij − c_ij| ≤ ((2u + u²) + γ_{K+1}·(1 + u)²) · S.
    /// That holds for any correct bf16 product and fails for a wrong index or a missing term.
    ///
    /// Rounded operands: against Σ bf(a)·bf(b) in Double, only the fp32 sums remain:
    ///     |ĉ_ij − Σ_p bf(a_ip)·bf(b_pj) − β·c_ij| ≤ γ_{K+1} · (Σ_p |bf(a_ip)·bf(b_pj)| + |β·c_ij|).
    /// γ_{K+1} ≈ K·2⁻²⁴ is far below 2⁻⁸ for these K, so this also shows the operands were rounded to
    /// nearest even: truncating them, or keeping them in fp32, would miss it by about u·S.
    func check(_ ta: Transpose, _ tb: Transpose, m: Int, n: Int, k: Int, beta: Float, threads: Int = 1,
               file: StaticString = #filePath, line: UInt = #line) {
        Parallelism.threads = threads
        var rng = SplitMix64(seed: UInt64(m * 7919 + n * 31 + k))
        let lda = (ta == .none ? k : m) + 3, ldb = (tb == .none ? n : k) + 1, ldc = n + 2
        let a = (0..<((ta == .none ? m : k) * lda)).map { _ in rng.nextUniform(bound: 1) }
        let b = (0..<((tb == .none ? k : n) * ldb)).map { _ in rng.nextUniform(bound: 1) }
        let c0 = (0..<(m * ldc)).map { _ in rng.nextUniform(bound: 1) }
        let c = FloatBuffer(c0)
        gemmBF16(ta, tb, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, beta: beta, c.base, ldc: ldc)
        let u = 0x1p-8, g = Self.gamma(k + 1)
        var failures = 0
        for i in 0..<m {
            for j in 0..<n {
                var exact = 0.0, rounded = 0.0, size = 0.0, roundedSize = 0.0
                for p in 0..<k {
                    let x = ta == .none ? a[i * lda + p] : a[p * lda + i]
                    let y = tb == .none ? b[p * ldb + j] : b[j * ldb + p]
                    exact += Double(x) * Double(y)
                    size += abs(Double(x) * Double(y))
                    let r = Self.roundedToBF16(x) * Self.roundedToBF16(y)
                    rounded += r
                    roundedSize += abs(r)
                }
                let old = Double(beta) * Double(c0[i * ldc + j]), got = Double(c[i * ldc + j])
                let exactBound = (2 * u + u * u + g * (1 + u) * (1 + u)) * (size + abs(old))
                let roundedBound = g * (roundedSize + abs(old))
                if abs(got - exact - old) > exactBound || abs(got - rounded - old) > roundedBound {
                    failures += 1
                    if failures <= 3 {
                        XCTFail("\(ta) \(tb) m=\(m) n=\(n) k=\(k) (\(i), \(j)): \(got) against \(exact + old) "
                                + "(bound \(exactBound)) and \(rounded + old) (bound \(roundedBound))", file: file, line: line)
                    }
                }
            }
            for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], c0[i * ldc + j], "padding column written", file: file, line: line) }
        }
    }

    func testAllTransposesAndEdgeShapes() {
        let shapes = [(1, 1, 1), (2, 31, 2), (5, 33, 3), (8, 32, 256), (9, 65, 257), (4, 40, 255),
                      (13, 17, 300), (16, 64, 513), (50, 70, 65), (130, 40, 20)]
        for (m, n, k) in shapes {
            for ta in [Transpose.none, .transposed] {
                for tb in [Transpose.none, .transposed] {
                    check(ta, tb, m: m, n: n, k: k, beta: 0)
                }
            }
        }
    }

    /// The model's products: C accumulated into (β = 1) for the weight gradients, columns past
    /// the 4096-column block, and both ways of splitting across two threads.
    func testAccumulationWideProductsAndThreads() {
        let savedMinimum = Parallelism.minimumMultiplyAdds
        defer { Parallelism.minimumMultiplyAdds = savedMinimum }
        Parallelism.minimumMultiplyAdds = 0
        check(.transposed, .none, m: 96, n: 40, k: 700, beta: 1, threads: 2)   // dW += dGᵀ·h
        check(.none, .transposed, m: 20, n: 4200, k: 40, beta: 1, threads: 2)  // columns split
        check(.none, .none, m: 200, n: 24, k: 96, beta: 0, threads: 2)         // rows split
    }

    /// Thread count and a prepacked B change nothing: every element sums the same terms in the
    /// same order whichever thread and path computes it.
    func testPrepackedAndThreadedProductsAreBitIdentical() {
        let savedMinimum = Parallelism.minimumMultiplyAdds
        defer { Parallelism.minimumMultiplyAdds = savedMinimum }
        Parallelism.minimumMultiplyAdds = 0
        var rng = SplitMix64(seed: 5)
        for (m, n, k) in [(10, 200, 64), (16, 64, 257), (24, 4200, 33)] {
            for tb in [Transpose.none, .transposed] {
                let ldb = tb == .none ? n + 1 : k + 2
                let b = (0..<((tb == .none ? k : n) * ldb)).map { _ in rng.nextUniform(bound: 1) }
                let a = (0..<(m * (k + 3))).map { _ in rng.nextUniform(bound: 1) }
                let c0 = (0..<(m * n)).map { _ in rng.nextUniform(bound: 1) }
                let one = FloatBuffer(c0), two = FloatBuffer(c0), prepacked = FloatBuffer(c0)
                gemmBF16(.none, tb, m: m, n: n, k: k, a, lda: k + 3, b, ldb: ldb, beta: 1, one.base, ldc: n, threads: 1)
                gemmBF16(.none, tb, m: m, n: n, k: k, a, lda: k + 3, b, ldb: ldb, beta: 1, two.base, ldc: n, threads: 2)
                let packed = PackedBF16Operand(fitting: k, n)
                packed.pack(tb, b, ldb: ldb, k: k, n: n)
                gemmBF16(.none, m: m, a, lda: k + 3, packed: packed, beta: 1, prepacked.base, ldc: n, threads: 2)
                XCTAssertEqual(one.array, two.array, "threads, m=\(m) n=\(n) k=\(k) \(tb)")
                XCTAssertEqual(one.array, prepacked.array, "prepacked, m=\(m) n=\(n) k=\(k) \(tb)")
                XCTAssertNotEqual(one.array, c0)
            }
        }
    }

    /// NaN and infinity in an operand reach C, as in fp32, so a diverging bf16 run is caught.
    func testNonFiniteOperandsPropagate() {
        let a: [Float] = [1, .nan, 2, 3, .infinity, 1], b: [Float] = [1, 1, 1]
        let c = FloatBuffer(count: 2)
        gemmBF16(.none, .none, m: 2, n: 1, k: 3, a, lda: 3, b, ldb: 1, beta: 0, c.base, ldc: 1)
        XCTAssertTrue(c[0].isNaN)
        XCTAssertEqual(c[1], .infinity)
    }

    /// β = 0 does not read C (as BLAS and the fp32 `gemm`): a C full of NaN is replaced, whether
    /// the product is one block of k or several, by exactly the result into a zeroed C; β = 2 doubles C first.
    func testBetaZeroOverwritesAndOtherBetasScale() {
        var rng = SplitMix64(seed: 11)
        for (m, n, k, ta) in [(9, 40, 7, Transpose.none), (12, 33, 600, .none), (10, 20, 300, .transposed)] {
            let lda = ta == .none ? k : m
            let a = (0..<((ta == .none ? m : k) * lda)).map { _ in rng.nextUniform(bound: 1) }
            let b = (0..<(k * n)).map { _ in rng.nextUniform(bound: 1) }
            let zeroed = FloatBuffer(count: m * n), poisoned = FloatBuffer([Float](repeating: .nan, count: m * n))
            gemmBF16(ta, .none, m: m, n: n, k: k, a, lda: lda, b, ldb: n, beta: 1, zeroed.base, ldc: n)
            gemmBF16(ta, .none, m: m, n: n, k: k, a, lda: lda, b, ldb: n, beta: 0, poisoned.base, ldc: n)
            XCTAssertEqual(poisoned.array, zeroed.array, "m=\(m) n=\(n) k=\(k) \(ta)")
            let c0 = (0..<(m * n)).map { _ in Float(rng.nextUniform(bound: 1)) }
            let doubled = FloatBuffer(c0), added = FloatBuffer(c0.map { 2 * $0 })
            gemmBF16(ta, .none, m: m, n: n, k: k, a, lda: lda, b, ldb: n, beta: 2, doubled.base, ldc: n)
            gemmBF16(ta, .none, m: m, n: n, k: k, a, lda: lda, b, ldb: n, beta: 1, added.base, ldc: n)
            XCTAssertEqual(doubled.array, added.array, "m=\(m) n=\(n) k=\(k) \(ta)")
        }
        let packed = PackedBF16Operand(fitting: 300, 24), a = (0..<(5 * 300)).map { _ in rng.nextUniform(bound: 1) }
        let b = (0..<(300 * 24)).map { _ in rng.nextUniform(bound: 1) }
        packed.pack(.none, b, ldb: 24, k: 300, n: 24)
        let zeroed = FloatBuffer(count: 5 * 24), poisoned = FloatBuffer([Float](repeating: .nan, count: 5 * 24))
        gemmBF16(.none, m: 5, a, lda: 300, packed: packed, beta: 1, zeroed.base, ldc: 24)
        gemmBF16(.none, m: 5, a, lda: 300, packed: packed, beta: 0, poisoned.base, ldc: 24)
        XCTAssertEqual(poisoned.array, zeroed.array, "prepacked")
    }
}
