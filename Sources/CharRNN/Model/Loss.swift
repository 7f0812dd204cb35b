// Softmax cross-entropy over the decoder's logits: the loss in nats per character, and its
// gradient with respect to the logits. Rows are independent, so they are spread over threads,
// and each row is worked 16 classes at a time with the vector exp of Activations.swift.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Σ over rows of −log softmax(logits[row])[target[row]], accumulated in Double in row order
/// (so the value does not depend on the thread count).
/// If `gradient` is given, writes scale · (softmax − onehot(target)) into it, row by row.
func softmaxCrossEntropy(_ logits: UnsafePointer<Float>, rows: Int, classes V: Int,
                         targets: UnsafePointer<Int32>, gradient: UnsafeMutablePointer<Float>?,
                         scale: Float) -> Double {
    withUnsafeTemporaryAllocation(of: Double.self, capacity: rows) { losses in
        let loss = losses.baseAddress!  // (rows): each row's loss, summed in order below
        // A vector exp costs about as much as 32 multiply-adds of a product.
        Parallelism.forEachPart(of: rows, unit: 1, work: rows * V * 32) { part in
            for r in part {
                let x = logits + r * V
                // Padding lanes hold −∞: they never win the max, and their exp (clamped to
                // about 1e-38) vanishes in a sum of at least 1.
                var m = -Float.infinity
                forEachLaneBlock(V) { j, n in m = max(m, loadLanes(x + j, n, padding: -.infinity).max()) }
                var sums = Lanes()
                forEachLaneBlock(V) { j, n in sums += vectorExp(loadLanes(x + j, n, padding: -.infinity) - m) }
                let s = sums.sum()
                let target = Int(targets[r])
                loss[r] = Double(logf(s)) + Double(m) - Double(x[target])
                if let g = gradient?.advanced(by: r * V) {
                    let inv = scale / s
                    forEachLaneBlock(V) { j, n in
                        storeLanes(vectorExp(loadLanes(x + j, n) - m) * inv, g + j, n)
                    }
                    g[target] -= scale
                }
            }
        }
        var total = 0.0
        for r in 0..<rows { total += loss[r] }
        return total
    }
}
