// Row/column helpers shared by the model, the decoder and the loss (the cells' activations are
// in Activations.swift).

/// m[i, :] = bias for every row i of an m × n row-major matrix.
@inline(__always)
func fillRows(_ m: UnsafeMutablePointer<Float>, rows: Int, cols: Int, with bias: UnsafePointer<Float>) {
    for i in 0..<rows { (m + i * cols).update(from: bias, count: cols) }
}

/// m[i, :] += bias (then += second) for every row i. Rows are independent: split across threads.
func addToRows(_ m: UnsafeMutablePointer<Float>, rows: Int, cols: Int, _ bias: UnsafePointer<Float>,
               then second: UnsafePointer<Float>? = nil) {
    Parallelism.forEachPart(of: rows, unit: 1, work: rows * cols * 16) { part in
        for i in part {
            axpy(1, bias, m + i * cols, cols)
            if let second { axpy(1, second, m + i * cols, cols) }
        }
    }
}

/// sums[j] += Σ_i m[i, j]: how bias gradients gather over batch and time. Threads split the
/// columns, never the rows, so every sum still adds its rows in order 0, 1, 2, ...: the result
/// is bit-identical for any thread count. With `also`, the same column sums are added there too,
/// from one pass over m (an LSTM's or RNN's b_ih and b_hh have the same gradient).
func accumulateColumnSums(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>,
                          also second: UnsafeMutablePointer<Float>? = nil) {
    Parallelism.forEachPart(of: cols, unit: 16, work: rows * cols * 16) { part in
        let j = part.lowerBound
        guard let second else {
            for i in 0..<rows { axpy(1, m + i * cols + j, sums + j, part.count) }
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: part.count) { scratch in
            let s = scratch.baseAddress!
            s.update(repeating: 0, count: part.count)
            for i in 0..<rows { axpy(1, m + i * cols + j, s, part.count) }
            axpy(1, s, sums + j, part.count)
            axpy(1, s, second + j, part.count)
        }
    }
}
