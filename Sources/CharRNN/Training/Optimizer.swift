// The update rules, each one loop over the flat parameter buffer. Hyper-parameters and formulas
// follow PyTorch's torch.optim defaults, so a run can be compared with the reference script.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum OptimizerKind: String, CaseIterable, Sendable, Codable {
    case adam, rmsprop, adagrad, sgd

    /// Per-parameter state buffers the rule keeps (saved in checkpoints as `optimizer.<name>`).
    public var slotNames: [String] {
        switch self {
        case .adam: return ["exp_avg", "exp_avg_sq"]
        case .rmsprop: return ["square_avg"]
        case .adagrad: return ["sum"]
        case .sgd: return ["momentum_buffer"]
        }
    }
}

public final class Optimizer: @unchecked Sendable {
    public let kind: OptimizerKind
    public var learningRate: Float
    /// Updates applied so far (Adam's bias correction depends on it).
    public var stepCount: Int = 0
    /// State buffers, one per slot name, each the size of the parameter buffer.
    public let slots: [FloatBuffer]

    public static let adamBetas: (Float, Float) = (0.9, 0.999)
    public static let adamEpsilon: Float = 1e-8
    public static let rmspropAlpha: Float = 0.99
    public static let rmspropEpsilon: Float = 1e-8
    public static let adagradEpsilon: Float = 1e-10
    public static let sgdMomentum: Float = 0.9

    public init(kind: OptimizerKind, learningRate: Float, parameterCount: Int) {
        self.kind = kind
        self.learningRate = learningRate
        slots = kind.slotNames.map { _ in FloatBuffer(count: parameterCount) }
    }

    /// θ ← update(θ, ∂loss/∂θ): one pass over `parameters.values` and `.gradients`, split in
    /// chunks across threads (every element is updated on its own: same result for any split).
    public func step(_ parameters: Parameters) {
        stepCount += 1
        let n = parameters.count
        let p = parameters.values.base, g = parameters.gradients.base
        let lr = learningRate
        switch kind {
        case .adam:
            let (b1, b2) = Optimizer.adamBetas, eps = Optimizer.adamEpsilon
            let m = slots[0].base, v = slots[1].base
            let bc1 = 1 - powf(b1, Float(stepCount)), bc2 = 1 - powf(b2, Float(stepCount))
            let stepSize = lr / bc1, bc2Root = bc2.squareRoot()
            Parallelism.forEachChunk(of: n, cost: 64) { chunk in
                for i in chunk {
                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                    p[i] -= stepSize * m[i] / (v[i].squareRoot() / bc2Root + eps)
                }
            }
        case .rmsprop:
            let alpha = Optimizer.rmspropAlpha, eps = Optimizer.rmspropEpsilon
            let s = slots[0].base
            Parallelism.forEachChunk(of: n, cost: 64) { chunk in
                for i in chunk {
                    s[i] = alpha * s[i] + (1 - alpha) * g[i] * g[i]
                    p[i] -= lr * g[i] / (s[i].squareRoot() + eps)
                }
            }
        case .adagrad:
            let eps = Optimizer.adagradEpsilon
            let s = slots[0].base
            Parallelism.forEachChunk(of: n, cost: 64) { chunk in
                for i in chunk {
                    s[i] += g[i] * g[i]
                    p[i] -= lr * g[i] / (s[i].squareRoot() + eps)
                }
            }
        case .sgd:
            let mu = Optimizer.sgdMomentum
            let v = slots[0].base, first = stepCount == 1
            Parallelism.forEachChunk(of: n, cost: 64) { chunk in
                for i in chunk {
                    // PyTorch's first step stores the gradient itself as the buffer.
                    v[i] = first ? g[i] : mu * v[i] + g[i]
                    p[i] -= lr * v[i]
                }
            }
        }
    }
}
