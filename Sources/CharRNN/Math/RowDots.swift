// Products of a matrix with one vector, row by row, as sampling's one-stream steps need them:
// the same Floats as `dot` gives for each row, four rows at a time.

/// out[r] = dot(x, w[r, :]) (+ bias[r]) for the rows of a row-major (rows, length) matrix.
/// Each row's sum is formed exactly as `dot` forms it (two 16-lane accumulators over 32-float
/// chunks, their lane sum, then the tail in order), so results are bit-identical to it; four rows
/// share each load of x and their independent chains keep the FMA units busy.
func rowDots(_ w: UnsafePointer<Float>, rows: Int, length n: Int, x: UnsafePointer<Float>,
                     bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
    let chunks = n / 32 * 32
    @inline(__always) func tail(_ s: Float, _ row: UnsafePointer<Float>) -> Float {
        var s = s
        var i = chunks
        while i < n { s += x[i] * row[i]; i += 1 }
        return s
    }
    @inline(__always) func finish(_ r: Int, _ s: Float) {
        out[r] = bias.map { s + $0[r] } ?? s
    }
    var r = 0
    while r + 4 <= rows {
        let w0 = w + r * n, w1 = w0 + n, w2 = w1 + n, w3 = w2 + n
        var a0 = Lanes(), b0 = Lanes(), a1 = Lanes(), b1 = Lanes()
        var a2 = Lanes(), b2 = Lanes(), a3 = Lanes(), b3 = Lanes()
        var i = 0
        while i < chunks {
            let xl = loadLanes(x + i), xh = loadLanes(x + i + 16)
            a0 = a0.addingProduct(xl, loadLanes(w0 + i)); b0 = b0.addingProduct(xh, loadLanes(w0 + i + 16))
            a1 = a1.addingProduct(xl, loadLanes(w1 + i)); b1 = b1.addingProduct(xh, loadLanes(w1 + i + 16))
            a2 = a2.addingProduct(xl, loadLanes(w2 + i)); b2 = b2.addingProduct(xh, loadLanes(w2 + i + 16))
            a3 = a3.addingProduct(xl, loadLanes(w3 + i)); b3 = b3.addingProduct(xh, loadLanes(w3 + i + 16))
            i += 32
        }
        finish(r, tail(laneSum(a0 + b0), w0))
        finish(r + 1, tail(laneSum(a1 + b1), w1))
        finish(r + 2, tail(laneSum(a2 + b2), w2))
        finish(r + 3, tail(laneSum(a3 + b3), w3))
        r += 4
    }
    while r < rows {
        let row = w + r * n
        var a = Lanes(), b = Lanes()
        var i = 0
        while i < chunks {
            a = a.addingProduct(loadLanes(x + i), loadLanes(row + i))
            b = b.addingProduct(loadLanes(x + i + 16), loadLanes(row + i + 16))
            i += 32
        }
        finish(r, tail(laneSum(a + b), row))
        r += 1
    }
}

/// The standard library's `SIMD.sum()` for floating point, spelled out so that it is inlined
/// (the library's copy is an out-of-line call per row): lanes added in order onto -0, so the
/// result is the same bit for bit, and four rows' chains can overlap.
@inline(__always) private func laneSum(_ v: Lanes) -> Float {
    var s: Float = -0.0
    for i in 0..<16 { s += v[i] }
    return s
}
