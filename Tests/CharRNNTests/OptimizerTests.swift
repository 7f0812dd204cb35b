// The update rules against values worked out by hand from PyTorch's formulas, and clipping.

import XCTest
@testable import CharRNN

final class OptimizerTests: XCTestCase {
    /// A one-tensor parameter set holding `values`, with gradients `grads`.
    func parameters(_ values: [Float], _ grads: [Float]) -> Parameters {
        let p = Parameters(shapes: [("w", [values.count])])
        for i in values.indices { p.values[i] = values[i]; p.gradients[i] = grads[i] }
        return p
    }

    func testAdamTwoSteps() {
        let p = parameters([1, -1], [0.5, -2])
        let opt = Optimizer(kind: .adam, learningRate: 0.1, parameterCount: 2)
        opt.step(p)
        // Step 1: m̂ = g, v̂ = g², so θ moves by lr · g/(|g| + ε) = lr · sign(g).
        XCTAssertEqual(p.values[0], 0.9, accuracy: 1e-6)
        XCTAssertEqual(p.values[1], -0.9, accuracy: 1e-6)
        p.gradients[0] = 1; p.gradients[1] = 0
        opt.step(p)
        // Step 2 for element 0: m = .9·.05 + .1·1 = .145, v = .999·.00025 + .001 = .00124975;
        // m̂ = .145/.19, v̂ = .00124975/.001999.
        let mHat = 0.145 / 0.19, vHat = 0.00124975 / 0.001999
        XCTAssertEqual(Double(p.values[0]), 0.9 - 0.1 * mHat / (vHat.squareRoot() + 1e-8), accuracy: 1e-5)
    }

    func testRMSpropAdagradSGD() {
        let r = parameters([1], [2])
        Optimizer(kind: .rmsprop, learningRate: 0.01, parameterCount: 1).step(r)
        // s = 0.01 · 4 = 0.04; θ = 1 − 0.01 · 2/0.2.
        XCTAssertEqual(r.values[0], 0.9, accuracy: 1e-6)

        let a = parameters([1], [2])
        let adagrad = Optimizer(kind: .adagrad, learningRate: 0.1, parameterCount: 1)
        adagrad.step(a)
        adagrad.step(a)
        // s = 4 then 8: θ = 1 − 0.1·2/2 − 0.1·2/√8.
        XCTAssertEqual(Double(a.values[0]), 1 - 0.1 - 0.2 / 8.0.squareRoot(), accuracy: 1e-6)

        let s = parameters([1], [2])
        let sgd = Optimizer(kind: .sgd, learningRate: 0.1, parameterCount: 1)
        sgd.step(s)
        sgd.step(s)
        // v = 2 then 0.9·2 + 2 = 3.8: θ = 1 − 0.2 − 0.38.
        XCTAssertEqual(s.values[0], 0.42, accuracy: 1e-6)
    }

    func testClipping() {
        let p = parameters([0, 0, 0], [3, -12, 4])
        clipGradients(p, toValue: 5)
        XCTAssertEqual(p.gradients.array, [3, -5, 4])
        let norm = clipGradients(p, toNorm: 1)
        XCTAssertEqual(norm, (9.0 + 25 + 16).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(gradientNorm(p), 1, accuracy: 1e-6)
        XCTAssertEqual(p.gradients[0] / p.gradients[2], 0.75, accuracy: 1e-6)
        // Under the limit nothing changes.
        let q = parameters([0], [0.5])
        clipGradients(q, toNorm: 1)
        XCTAssertEqual(q.gradients[0], 0.5)
    }

    /// The element-wise passes (clipping, every update rule, zeroing) split the flat buffer into
    /// chunks across threads: two threads must give bit-identical values, state and gradients to
    /// one, on a length that is not a multiple of the 64-float chunk unit.
    func testTwoThreadsMatchOneThread() {
        let savedThreads = Parallelism.threads, savedMinimum = Parallelism.minimumMultiplyAdds
        defer { Parallelism.threads = savedThreads; Parallelism.minimumMultiplyAdds = savedMinimum }
        Parallelism.minimumMultiplyAdds = 0
        let n = 1001
        for kind in OptimizerKind.allCases {
            func run(threads: Int) -> (values: [Float], grads: [Float], slots: [[Float]], zeroed: [Float]) {
                Parallelism.threads = threads
                var rng = SplitMix64(seed: 11)
                let p = parameters((0..<n).map { _ in rng.nextUniform(bound: 1) }, (0..<n).map { _ in rng.nextUniform(bound: 8) })
                let opt = Optimizer(kind: kind, learningRate: 0.01, parameterCount: n)
                clipGradients(p, toValue: 5)
                clipGradients(p, toNorm: 20)
                opt.step(p)
                opt.step(p)
                let grads = p.gradients.array
                p.zeroGradients()
                return (p.values.array, grads, opt.slots.map(\.array), p.gradients.array)
            }
            let one = run(threads: 1), two = run(threads: 2)
            XCTAssertEqual(one.values, two.values, "\(kind)")
            XCTAssertEqual(one.grads, two.grads, "\(kind)")
            XCTAssertEqual(one.slots, two.slots, "\(kind)")
            XCTAssertEqual(two.zeroed, [Float](repeating: 0, count: n), "\(kind)")
            XCTAssertNotEqual(one.values, (0..<n).map { _ in 0 }, "\(kind)")
        }
    }

    /// The gradient norm sums fixed blocks on whichever thread: the same Double for one or two
    /// threads over several blocks and a partial last one, and the plain sum to rounding.
    func testGradientNormIsTheSameOnAnyThreadCount() {
        let savedThreads = Parallelism.threads, savedMinimum = Parallelism.minimumMultiplyAdds
        defer { Parallelism.threads = savedThreads; Parallelism.minimumMultiplyAdds = savedMinimum }
        Parallelism.minimumMultiplyAdds = 0
        let n = 3 * normBlock + 7
        var rng = SplitMix64(seed: 5)
        let grads = (0..<n).map { _ in rng.nextUniform(bound: 3) }
        let p = parameters([Float](repeating: 0, count: n), grads)
        Parallelism.threads = 1
        let one = gradientNorm(p)
        Parallelism.threads = 2
        let two = gradientNorm(p)
        XCTAssertEqual(one, two)
        let plain = grads.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        XCTAssertEqual(one, plain, accuracy: plain * 1e-12)
        XCTAssertGreaterThan(one, 100)
    }
}
