// Row/column helpers shared by the model, the decoder and the loss (the cells' activations are
// in Activations.swift).

/// m[i, :] = bias for every row i of an m × n row-major matrix.
@inline(__always)
func fillRows(_ m: UnsafeMutablePointer<Float>, rows: Int, cols: Int, with bias: UnsafePointer<Float>) {
    for i in 0..<rows { (m + i * cols).update(from: bias, count: cols) }
}

/// m[i, :] += bias for every row i.
@inline(__always)
func addToRows(_ m: UnsafeMutablePointer<Float>, rows: Int, cols: Int, _ bias: UnsafePointer<Float>) {
    for i in 0..<rows { axpy(1, bias, m + i * cols, cols) }
}

/// sums[j] += Σ_i m[i, j]: how bias gradients gather over batch and time.
@inline(__always)
func accumulateColumnSums(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>) {
    for i in 0..<rows { axpy(1, m + i * cols, sums, cols) }
}
