// The packed SIMD matrix product against a naive triple loop in Double, for every transpose
// combination, shapes that do and do not fill the 8 × 32 register block (tails of 1-4 rows go
// through the half-height kernel, 5-7 through the full one), and 1 or 2 threads.

import XCTest
@testable import CharRNN

final class GEMMTests: XCTestCase {
    override func tearDown() { Parallelism.threads = 1 }

    func check(_ ta: Transpose, _ tb: Transpose, m: Int, n: Int, k: Int, alpha: Float, beta: Float, threads: Int) {
        Parallelism.threads = threads
        var rng = SplitMix64(seed: UInt64(m * 1000 + n * 10 + k))
        let lda = (ta == .none ? k : m) + 3, ldb = (tb == .none ? n : k) + 1, ldc = n + 2
        let aRows = ta == .none ? m : k, bRows = tb == .none ? k : n
        let a = (0..<(aRows * lda)).map { _ in rng.nextUniform(bound: 1) }
        let b = (0..<(bRows * ldb)).map { _ in rng.nextUniform(bound: 1) }
        var c = (0..<(m * ldc)).map { _ in rng.nextUniform(bound: 1) }
        let c0 = c
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    gemm(ta, tb, m: m, n: n, k: k, alpha: alpha, pa.baseAddress!, lda: lda, pb.baseAddress!, ldb: ldb,
                         beta: beta, pc.baseAddress!, ldc: ldc)
                }
            }
        }
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let x = ta == .none ? a[i * lda + p] : a[p * lda + i]
                    let y = tb == .none ? b[p * ldb + j] : b[j * ldb + p]
                    s += Double(x) * Double(y)
                }
                let expected = Double(alpha) * s + (beta == 0 ? 0 : Double(beta) * Double(c0[i * ldc + j]))
                worst = max(worst, abs(Double(c[i * ldc + j]) - expected))
            }
            // Padding columns past n are never touched.
            for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], c0[i * ldc + j]) }
        }
        XCTAssertLessThan(worst, 1e-5 * Double(max(k, 1)), "\(ta) \(tb) m=\(m) n=\(n) k=\(k) threads=\(threads)")
    }

    func testAllTransposesAndEdgeShapes() {
        let shapes = [(1, 1, 1), (1, 65, 128), (7, 31, 3), (8, 32, 256), (9, 33, 257), (12, 64, 40), (13, 40, 70),
                      (50, 512, 128), (65, 17, 300), (130, 70, 20)]
        for (m, n, k) in shapes {
            for ta in [Transpose.none, .transposed] {
                for tb in [Transpose.none, .transposed] {
                    check(ta, tb, m: m, n: n, k: k, alpha: 1, beta: 0, threads: 1)
                }
            }
        }
    }

    func testAlphaBetaAndThreads() {
        check(.none, .transposed, m: 50, n: 512, k: 128, alpha: 0.5, beta: 1, threads: 2)
        check(.transposed, .none, m: 512, n: 128, k: 300, alpha: 1, beta: 1, threads: 2)
        check(.none, .none, m: 300, n: 40, k: 64, alpha: -2, beta: 0.25, threads: 2)
        check(.none, .transposed, m: 1, n: 300, k: 70, alpha: 1, beta: 1, threads: 2)
    }

    func testBetaZeroIgnoresGarbage() {
        var c = [Float](repeating: .nan, count: 4)
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [1, 0, 0, 1]
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            gemm(.none, .none, m: 2, n: 2, k: 2, pa.baseAddress!, lda: 2, pb.baseAddress!, ldb: 2, beta: 0, pc.baseAddress!, ldc: 2)
        } } }
        XCTAssertEqual(c, [1, 2, 3, 4])
    }

    /// A B packed once gives bit-for-bit the product of packing it per call, for both layouts,
    /// k past one cache block (KC = 256), n not a multiple of the panel width, m of 1 (the GEMV
    /// path reads the original B) and a column split across two threads.
    func testPrepackedOperandMatchesPerCallPacking() {
        let savedMinimum = Parallelism.minimumMultiplyAdds
        defer { Parallelism.threads = 1; Parallelism.minimumMultiplyAdds = savedMinimum }
        Parallelism.minimumMultiplyAdds = 0
        var rng = SplitMix64(seed: 99)
        for (m, n, k, threads) in [(13, 70, 300, 1), (1, 45, 20, 1), (24, 96, 17, 2), (50, 512, 128, 1)] {
            Parallelism.threads = threads
            for tb in [Transpose.none, .transposed] {
                let ldb = tb == .none ? n + 1 : k + 2
                let b = FloatBuffer((0..<((tb == .none ? k : n) * ldb)).map { _ in rng.nextUniform(bound: 1) })
                let a = FloatBuffer((0..<(m * (k + 3))).map { _ in rng.nextUniform(bound: 1) })
                let c0 = (0..<(m * n)).map { _ in rng.nextUniform(bound: 1) }
                let perCall = FloatBuffer(c0), prepacked = FloatBuffer(c0)
                gemm(.none, tb, m: m, n: n, k: k, alpha: 0.5, a.base, lda: k + 3, b.base, ldb: ldb, beta: 1, perCall.base, ldc: n)
                // Sized for a k × n and an n × k operand, like a layer's W_hh in both directions.
                let packed = PackedOperand(fitting: k, n)
                packed.pack(tb, b.base, ldb: ldb, k: k, n: n)
                gemm(.none, m: m, alpha: 0.5, a.base, lda: k + 3, packed: packed, beta: 1, prepacked.base, ldc: n)
                XCTAssertEqual(perCall.array, prepacked.array, "m=\(m) n=\(n) k=\(k) \(tb)")
                XCTAssertNotEqual(perCall.array, c0)
            }
        }
    }
}
