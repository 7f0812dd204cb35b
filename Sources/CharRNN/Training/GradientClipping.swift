// Taming exploding gradients: element-wise clamping (char-rnn's and torch-rnn's grad_clip) and
// rescaling to a maximum global L2 norm. Both walk the one flat gradient buffer.

/// Clamps every gradient element to [-limit, limit]. NaN stays NaN so it is still detected.
public func clipGradients(_ parameters: Parameters, toValue limit: Float) {
    let g = parameters.gradients.base
    Parallelism.forEachChunk(of: parameters.count, cost: 16) { chunk in
        for i in chunk { g[i] = min(max(g[i], -limit), limit) }
    }
}

/// The global L2 norm of all gradients, accumulated in Double: each block of `normBlock`
/// elements is summed on its own (blocks spread over threads), then the blocks' sums in order,
/// so the result is the same for any thread count. Serially it was 1-2 % of an iteration.
public func gradientNorm(_ parameters: Parameters) -> Double {
    let g = parameters.gradients.base, n = parameters.count
    let blocks = (n + normBlock - 1) / normBlock
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: max(blocks, 1)) { partial in
        let sums = partial.baseAddress!
        Parallelism.forEachPart(of: blocks, unit: 1, work: n * 16) { range in
            for block in range {
                // Four running sums: one would wait on each Double addition's latency.
                var s = SIMD4<Double>()
                var i = block * normBlock
                let end = min(n, i + normBlock)
                while i + 4 <= end {
                    let x = SIMD4<Double>(Double(g[i]), Double(g[i + 1]), Double(g[i + 2]), Double(g[i + 3]))
                    s += x * x
                    i += 4
                }
                var total = s.sum()
                while i < end { total += Double(g[i]) * Double(g[i]); i += 1 }
                sums[block] = total
            }
        }
        var total = 0.0
        for block in 0..<blocks { total += sums[block] }
        return total.squareRoot()
    }
}

/// Elements per partial sum of `gradientNorm`: a fixed size, never derived from the thread count.
let normBlock = 1 << 14

/// Scales all gradients so their global norm is at most `maxNorm`; returns the norm before.
@discardableResult
public func clipGradients(_ parameters: Parameters, toNorm maxNorm: Float) -> Double {
    let norm = gradientNorm(parameters)
    if norm.isFinite && norm > Double(maxNorm) {
        let s = Float(Double(maxNorm) / norm)
        let g = parameters.gradients.base
        Parallelism.forEachChunk(of: parameters.count, cost: 16) { chunk in
            for i in chunk { g[i] *= s }
        }
    }
    return norm
}
