// The sixteen-lane exp, sigmoid and tanh against Double references over a dense sweep of
// inputs, the extremes, and the partial-vector tails the cells use for widths not divisible by 16.

import XCTest
@testable import CharRNN

final class ActivationTests: XCTestCase {
    /// Every Float spaced 2⁻⁸ apart over [-100, 100], plus tiny, huge and infinite inputs.
    private var inputs: [Float] {
        var xs = stride(from: Float(-100), through: 100, by: 1.0 / 256).map { $0 }
        xs += [0, -0, 1e-30, -1e-30, .leastNonzeroMagnitude, -.leastNormalMagnitude, 0.624_999_9, 0.625, -0.625,
               9.099_999, 9.1, 87.3, -87.3, 88.3, 88.4, -88.4, 1e30, -1e30, .greatestFiniteMagnitude,
               -.greatestFiniteMagnitude, .infinity, -.infinity]
        return xs
    }

    /// Applies f to xs 16 at a time (the last vector partial) and returns the results.
    private func apply(_ f: (Lanes) -> Lanes, _ xs: [Float]) -> [Float] {
        var out = [Float](repeating: .nan, count: xs.count)
        xs.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var i = 0
                while i < xs.count {
                    let n = min(16, xs.count - i)
                    storeLanes(f(loadLanes(src.baseAddress! + i, n)), dst.baseAddress! + i, n)
                    i += 16
                }
            }
        }
        return out
    }

    private func worstRelativeError(_ got: [Float], _ xs: [Float], where keep: (Float) -> Bool = { _ in true },
                                    _ reference: (Double) -> Double) -> (error: Double, at: Float) {
        var worst = (error: 0.0, at: Float(0))
        for (x, y) in zip(xs, got) where keep(x) {
            let r = reference(Double(x))
            let e = r == 0 ? abs(Double(y)) : abs(Double(y) - r) / abs(r)
            if !(e <= worst.error) { worst = (e, x) }
        }
        return worst
    }

    func testTanhIsAccurateEverywhere() {
        let xs = inputs, ys = apply(vectorTanh, xs)
        XCTAssertTrue(ys.allSatisfy { $0.isFinite && abs($0) <= 1 })
        let worst = worstRelativeError(ys, xs) { Foundation.tanh($0) }
        XCTAssertLessThan(worst.error, 2.5e-7, "worst at x = \(worst.at)")
        XCTAssertEqual(apply(vectorTanh, [20, -20, .infinity, -.infinity]), [1, -1, 1, -1])
        XCTAssertEqual(apply(vectorTanh, [0]), [0])
        // Odd: the sign is restored exactly.
        let negated = apply(vectorTanh, xs.map { -$0 })
        XCTAssertEqual(negated, ys.map { -$0 })
    }

    func testSigmoidIsAccurateAboveItsClamp() {
        let xs = inputs, ys = apply(vectorSigmoid, xs)
        XCTAssertTrue(ys.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        let worst = worstRelativeError(ys, xs, where: { $0 >= -87 }) { 1 / (1 + Foundation.exp(-$0)) }
        XCTAssertLessThan(worst.error, 2.5e-7, "worst at x = \(worst.at)")
        // Far below, the result is a tiny positive number rather than the true, smaller one.
        for (x, y) in zip(xs, ys) where x < -87 { XCTAssertLessThan(y, 2e-38) }
        XCTAssertEqual(apply(vectorSigmoid, [100, .infinity]), [1, 1])
    }

    func testExpIsAccurateInsideItsRange() {
        let xs = inputs, ys = apply(vectorExp, xs)
        XCTAssertTrue(ys.allSatisfy { $0.isFinite && $0 > 0 })
        let worst = worstRelativeError(ys, xs, where: { $0 >= -87.3 && $0 <= 88.3 }) { Foundation.exp($0) }
        XCTAssertLessThan(worst.error, 2.5e-7, "worst at x = \(worst.at)")
    }

    func testPartialVectorsTouchOnlyTheirLanes() {
        var out = [Float](repeating: 7, count: 20)
        let xs: [Float] = (0..<20).map { Float($0) / 10 }
        xs.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                storeLanes(vectorTanh(loadLanes(src.baseAddress!, 5)), dst.baseAddress!, 5)
            }
        }
        for i in 0..<5 { XCTAssertEqual(Double(out[i]), Foundation.tanh(Double(xs[i])), accuracy: 1e-7) }
        XCTAssertEqual(Array(out[5...]), [Float](repeating: 7, count: 15))
    }
}
