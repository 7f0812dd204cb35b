// Softmax cross-entropy over the decoder's logits: the loss in nats per character, and its
// gradient with respect to the logits.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Σ over rows of −log softmax(logits[row])[target[row]], accumulated in Double.
/// If `gradient` is given, writes scale · (softmax − onehot(target)) into it, row by row.
func softmaxCrossEntropy(_ logits: UnsafePointer<Float>, rows: Int, classes V: Int,
                         targets: UnsafePointer<Int32>, gradient: UnsafeMutablePointer<Float>?,
                         scale: Float) -> Double {
    var total = 0.0
    for r in 0..<rows {
        let x = logits + r * V
        var m = x[0]
        for j in 1..<V where x[j] > m { m = x[j] }
        var s: Float = 0
        for j in 0..<V { s += expf(x[j] - m) }
        let target = Int(targets[r])
        total += Double(logf(s)) + Double(m) - Double(x[target])
        if let g = gradient?.advanced(by: r * V) {
            let inv = scale / s
            for j in 0..<V { g[j] = expf(x[j] - m) * inv }
            g[target] -= scale
        }
    }
    return total
}
