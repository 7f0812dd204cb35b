// Taming exploding gradients: element-wise clamping (char-rnn's and torch-rnn's grad_clip) and
// rescaling to a maximum global L2 norm. Both walk the one flat gradient buffer.

/// Clamps every gradient element to [-limit, limit]. NaN stays NaN so it is still detected.
public func clipGradients(_ parameters: Parameters, toValue limit: Float) {
    let g = parameters.gradients.base
    for i in 0..<parameters.count { g[i] = min(max(g[i], -limit), limit) }
}

/// The global L2 norm of all gradients, accumulated in Double.
public func gradientNorm(_ parameters: Parameters) -> Double {
    let g = parameters.gradients.base
    var sum = 0.0
    for i in 0..<parameters.count { sum += Double(g[i]) * Double(g[i]) }
    return sum.squareRoot()
}

/// Scales all gradients so their global norm is at most `maxNorm`; returns the norm before.
@discardableResult
public func clipGradients(_ parameters: Parameters, toNorm maxNorm: Float) -> Double {
    let norm = gradientNorm(parameters)
    if norm.isFinite && norm > Double(maxNorm) {
        let s = Float(Double(maxNorm) / norm)
        let g = parameters.gradients.base
        for i in 0..<parameters.count { g[i] *= s }
    }
    return norm
}
