// Finite-difference gradient checking for a whole model: every parameter element and every
// initial-state element, compared with what `Model.backward` accumulates.
//
// Tolerance, and why: the engine is Float32, so a plain central difference is limited by
// rounding in the loss (≈1e-7 relative) divided by the step. A five-point stencil with step
// 1e-2 has truncation error O(h⁴) ≈ 1e-8 and rounding error ≈ 1e-5, so an element passes when
// |analytic − numeric| ≤ 5e-5 + 1e-2 · max(|analytic|, |numeric|). A wrong sign (error ≈ 2|g|)
// or a dropped term of more than ~1 % of an element is far outside that; the tests show it.

import Foundation
@testable import CharRNN

public struct GradientMismatch: CustomStringConvertible {
    public let tensor: String
    public let index: Int
    public let analytic: Double
    public let numeric: Double
    public var description: String { "\(tensor)[\(index)]: analytic \(analytic), numeric \(numeric)" }
}

public struct GradientReport {
    /// Elements checked per tensor name (parameters plus "h0_l*" / "c0_l*").
    public var checked: [String: Int] = [:]
    public var mismatches: [GradientMismatch] = []
    /// The largest |analytic − numeric| / max(|analytic|, |numeric|, 1e-3) seen per tensor.
    public var worstRelativeError: [String: Double] = [:]
    public var passed: Bool { mismatches.isEmpty }
}

public enum GradientCheck {
    public static let absoluteTolerance = 5e-5
    public static let relativeTolerance = 1e-2
    static let step: Float = 1e-2

    public static func agrees(_ a: Double, _ n: Double) -> Bool {
        abs(a - n) <= absoluteTolerance + relativeTolerance * max(abs(a), abs(n))
    }

    /// A batch's setting: the ids (time-major (T, B)), targets, and a nonzero initial state.
    public struct Problem {
        public let steps: Int, batch: Int
        public let inputs: [Int32], targets: [Int32]
        public let state: RecurrentState
        public let dropoutSeed: UInt64

        public init(model: Model, steps: Int, batch: Int, seed: UInt64) {
            self.steps = steps
            self.batch = batch
            var rng = SplitMix64(seed: seed)
            let V = model.config.vocabularySize
            inputs = (0..<(steps * batch)).map { _ in Int32(rng.next() % UInt64(V)) }
            targets = (0..<(steps * batch)).map { _ in Int32(rng.next() % UInt64(V)) }
            state = RecurrentState(config: model.config, batch: batch)
            for i in 0..<state.h.count { state.h[i] = rng.nextUniform(bound: 0.5) }
            for i in 0..<state.c.count { state.c[i] = rng.nextUniform(bound: 0.5) }
            dropoutSeed = rng.next()
        }
    }

    /// The mean loss of the problem. Dropout masks come from the same seed every time, so the
    /// function being differentiated is fixed.
    static func loss(_ model: Model, _ ws: Workspace, _ p: Problem, state: RecurrentState) -> Double {
        load(ws, p)
        let s = RecurrentState(config: model.config, batch: p.batch)
        s.copy(from: state)
        var rng = SplitMix64(seed: p.dropoutSeed)
        let mode: ForwardMode = model.config.dropout > 0 || model.config.weightDrop > 0 ? .training : .evaluation
        let total = model.forward(ws, steps: p.steps, state: s, mode: mode, rng: &rng)
        return total / Double(p.steps * p.batch)
    }

    static func load(_ ws: Workspace, _ p: Problem) {
        for i in 0..<p.inputs.count {
            ws.inputs[i] = p.inputs[i]
            ws.targets[i] = p.targets[i]
        }
    }

    /// Analytic gradients: parameters (flat) and initial states (per layer h, c).
    public static func analytic(_ model: Model, _ p: Problem) -> (params: [Float], h0: [[Float]], c0: [[Float]]) {
        let ws = Workspace(config: model.config, steps: p.steps, batch: p.batch, training: true)
        load(ws, p)
        let s = RecurrentState(config: model.config, batch: p.batch)
        s.copy(from: p.state)
        var rng = SplitMix64(seed: p.dropoutSeed)
        model.parameters.zeroGradients()
        model.forward(ws, steps: p.steps, state: s, mode: .training, rng: &rng)
        model.backward(ws, steps: p.steps)
        let states = (0..<model.config.layers).map { model.initialStateGradient(ws, layer: $0) }
        return (model.parameters.gradients.array, states.map(\.h), states.map(\.c))
    }

    static func derivative(_ f: (Float) -> Double) -> Double {
        let h = step
        return (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * Double(h))
    }

    /// Checks every parameter and initial-state element. `corrupt` may alter the analytic
    /// gradients before comparison (to show that the check catches a broken gradient).
    public static func run(_ model: Model, _ p: Problem, corrupt: ((inout [Float]) -> Void)? = nil) -> GradientReport {
        var (grads, dh0, dc0) = analytic(model, p)
        corrupt?(&grads)
        let ws = Workspace(config: model.config, steps: p.steps, batch: p.batch, training: true)
        var report = GradientReport()
        func record(_ name: String, _ index: Int, _ a: Double, _ n: Double) {
            report.checked[name, default: 0] += 1
            let rel = abs(a - n) / max(abs(a), abs(n), 1e-3)
            report.worstRelativeError[name] = max(report.worstRelativeError[name] ?? 0, rel)
            if !agrees(a, n) { report.mismatches.append(GradientMismatch(tensor: name, index: index, analytic: a, numeric: n)) }
        }
        let values = model.parameters.values
        for view in model.parameters.views {
            for i in 0..<view.count {
                let k = view.offset + i
                let original = values[k]
                let n = derivative { d in
                    values[k] = original + d
                    defer { values[k] = original }
                    return loss(model, ws, p, state: p.state)
                }
                record(view.name, i, Double(grads[k]), n)
            }
        }
        let H = model.config.hidden, B = p.batch
        for l in 0..<model.config.layers {
            for (name, buffer, analytic) in [("h0_l\(l)", p.state.h, dh0[l]), ("c0_l\(l)", p.state.c, dc0[l])] where buffer.count > 0 {
                for i in 0..<(B * H) {
                    let k = l * B * H + i
                    let original = buffer[k]
                    let n = derivative { d in
                        buffer[k] = original + d
                        defer { buffer[k] = original }
                        return loss(model, ws, p, state: p.state)
                    }
                    record(name, i, Double(analytic[i]), n)
                }
            }
        }
        return report
    }
}
