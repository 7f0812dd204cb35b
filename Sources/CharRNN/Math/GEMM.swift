// The matrix products every layer is made of: one general GEMM with transpose flags, a packed,
// register-blocked SIMD micro-kernel, a GEMV path for single-row products (sampling, eval), and
// the split of large products across threads. The only file that knows about SIMD widths.

public enum Transpose: Sendable { case none, transposed }

/// How many threads large products may use. Set once from `--threads`; 1 means no worker thread at all.
public enum Parallelism {
    nonisolated(unsafe) public static var threads: Int = 1
    /// Products smaller than this many multiply-adds run on one thread: starting a parallel
    /// region costs more than it saves on them. With Dispatch (28-40 µs a region) this was 2^23;
    /// the spinning `WorkerPool` starts one in a few µs, so the softmax, the decoder's bias sums
    /// and the clipping pass of an LSTM-128 iteration (2-7 million) now split too. The per-step
    /// products stay inside their stream group's thread whatever this says.
    nonisolated(unsafe) public static var minimumMultiplyAdds: Int = 1 << 21

    /// Runs body on contiguous, disjoint parts of 0 ..< extent, one per thread, each part's
    /// bounds a multiple of `unit` (except the end), or on the whole range on the calling thread
    /// when there is one thread, one part, or fewer than `minimumMultiplyAdds` of `work`.
    /// `partsPerThread` > 1 cuts smaller parts that threads take as they become free, so a thread
    /// the OS pauses (a busy machine) delays the others less.
    static func forEachPart(of extent: Int, unit: Int, work: Int, threads: Int = threads, partsPerThread: Int = 1,
                            _ body: (Range<Int>) -> Void) {
        let units = (extent + unit - 1) / unit
        let parts = threads <= 1 ? 1 : min(threads * partsPerThread, units)
        if parts <= 1 || work < minimumMultiplyAdds {
            body(0..<extent)
            return
        }
        WorkerPool.shared.run(parts: parts, threads: threads) { p in
            let lo = min(extent, (units * p / parts) * unit)
            let hi = min(extent, (units * (p + 1) / parts) * unit)
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs an element-wise loop over 0 ..< count on contiguous chunks, one per thread. Each
    /// element's result depends on that element alone, so any split gives bit-identical output.
    /// `cost` weighs an element against the GEMM's multiply-adds in `minimumMultiplyAdds` (one
    /// memory-bound pass ≈ 4-16, Adam's sqrt and division ≈ 64), so small buffers stay on one thread.
    /// Chunks start at multiples of 64 floats: whole SIMD16 vectors and cache lines.
    static func forEachChunk(of count: Int, cost: Int, _ body: (Range<Int>) -> Void) {
        forEachPart(of: count, unit: 64, work: count * cost, body)
    }
}

// Register block: MR rows of op(A) times NR columns of op(B) live in 8 × 2 SIMD16 accumulators
// (16 of AVX-512's 32 vector registers). Cache blocks: a KC × NR panel of B stays in L1 while
// the MC × KC block of A streams from L2.
private let MR = 8
/// The register block's height: row ranges split at multiples of it cost no padded rows.
let gemmRowBlock = MR
private let NR = 32
private let KC = 256
private let MC = 128
private let NC = 1024

/// C (m × n, row stride ldc) = alpha · op(A) · op(B) + beta · C, all row-major.
/// op(A) is m × k: A is stored m × k (lda ≥ k) for `.none`, k × m (lda ≥ m) for `.transposed`.
/// op(B) is k × n: B is stored k × n (ldb ≥ n) for `.none`, n × k (ldb ≥ k) for `.transposed`.
/// `beta == 0` overwrites C without reading it (so C may hold garbage or NaN).
/// `threads` caps the threads this product may use (1 inside work already split across threads).
public func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
                 _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = Parallelism.threads) {
    guard m > 0, n > 0 else { return }
    scale(c, rows: m, cols: n, ldc: ldc, by: beta)
    guard k > 0, alpha != 0 else { return }
    let op = Product(transA: transA, transB: transB, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
    op.run(m: m, n: n, threads: threads)
}

/// op(B) (k × n) laid out once in the micro-kernel's panel order, for many products with the same
/// B: the recurrent weights are multiplied at every time step, and repacking them each step cost
/// as much as a fifth of the step's product. Block pc (KC rows) starts at pc · paddedColumns;
/// within it, the panel of columns j ..< j+NR starts at j · kc.
final class PackedOperand {
    private let storage: FloatBuffer
    private(set) var k = 0, n = 0, paddedColumns = 0
    private(set) var source: UnsafePointer<Float>?, transB = Transpose.none, ldb = 0

    /// Room for both op(B) = Wᵀ and op(B) = W of a rows × cols matrix W.
    init(fitting rows: Int, _ cols: Int) {
        storage = FloatBuffer(count: max(cols * Self.padded(rows), rows * Self.padded(cols)))
    }

    private static func padded(_ n: Int) -> Int { (n + NR - 1) / NR * NR }

    /// Packs op(B) (k × n), stored as `gemm` describes for `transB`. B must not change while the
    /// packed copy is used.
    func pack(_ transB: Transpose, _ b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int) {
        precondition(k * Self.padded(n) <= storage.count, "packed operand too small")
        self.k = k; self.n = n; self.transB = transB; self.ldb = ldb; source = b
        paddedColumns = Self.padded(n)
        let op = Product(transA: .none, transB: transB, k: k, alpha: 1, a: b, lda: 0, b: b, ldb: ldb, c: storage.base, ldc: 0)
        var pc = 0
        while pc < k {
            let kc = min(KC, k - pc)
            op.packB(into: storage.base + pc * paddedColumns, p0: pc, kc: kc, j0: 0, nc: n)
            pc += kc
        }
    }

    var base: UnsafePointer<Float> { UnsafePointer(storage.base) }
}

/// C (m × n) = alpha · op(A) · op(B) + beta · C with op(B) packed beforehand (k and n are its).
func gemm(_ transA: Transpose, m: Int, alpha: Float = 1, _ a: UnsafePointer<Float>, lda: Int,
                 packed b: PackedOperand, beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int,
                 threads: Int = Parallelism.threads) {
    let n = b.n, k = b.k
    guard m > 0, n > 0, let source = b.source else { return }
    scale(c, rows: m, cols: n, ldc: ldc, by: beta)
    guard k > 0, alpha != 0 else { return }
    var op = Product(transA: transA, transB: b.transB, k: k, alpha: alpha, a: a, lda: lda, b: source, ldb: b.ldb, c: c, ldc: ldc)
    op.prepackedB = b.base
    op.prepackedColumns = b.paddedColumns
    op.run(m: m, n: n, threads: threads)
}

@inline(__always)
func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ldc: Int, by beta: Float) {
    if beta == 1 { return }
    for i in 0..<rows {
        let row = c + i * ldc
        if beta == 0 { row.update(repeating: 0, count: cols) } else { for j in 0..<cols { row[j] *= beta } }
    }
}

/// One product's operands; `run` computes the block C[rows, cols] += alpha · op(A)[rows, :] · op(B)[:, cols].
private struct Product: @unchecked Sendable {
    let transA: Transpose, transB: Transpose
    let k: Int, alpha: Float
    let a: UnsafePointer<Float>, lda: Int
    let b: UnsafePointer<Float>, ldb: Int
    let c: UnsafeMutablePointer<Float>, ldc: Int
    /// op(B) already in panel order (see `PackedOperand`), or nil to pack it block by block.
    var prepackedB: UnsafePointer<Float>? = nil
    var prepackedColumns = 0

    @inline(__always) func elementA(_ i: Int, _ p: Int) -> Float {
        transA == .none ? a[i * lda + p] : a[p * lda + i]
    }

    /// The whole m × n product, its larger side split into contiguous stripes aligned to the
    /// register block, one per thread.
    func run(m: Int, n: Int, threads: Int) {
        let splitCols = n >= m || m < 2 * MR
        Parallelism.forEachPart(of: splitCols ? n : m, unit: splitCols ? NR : MR, work: m * n * k, threads: threads) { part in
            if splitCols { run(rows: 0..<m, cols: part) } else { run(rows: part, cols: 0..<n) }
        }
    }

    func run(rows: Range<Int>, cols: Range<Int>) {
        if rows.count == 1 { return gemv(row: rows.lowerBound, cols: cols) }
        let ncMax = min(NC, cols.count), kcMax = min(KC, k), mcMax = min(MC, rows.count)
        let packedBCount = prepackedB == nil ? kcMax * ((ncMax + NR - 1) / NR) * NR : 0
        let packedACount = kcMax * ((mcMax + MR - 1) / MR) * MR
        // Unscaled, untransposed A is read in place by the micro-kernel (row panels of 8 rows are
        // a few cache lines per step of k); packing it cost up to a third of a product with
        // n = 128. A transposed A is packed: read in place, each step of k is a new row of A,
        // lda apart, and with lda a power of two (4H = 2048) those rows fall in the same few L1
        // sets; packing made the weight-gradient product dW_hh = dGᵀ·h 11 % faster at H = 512.
        let readsADirectly = alpha == 1 && transA == .none
        withUnsafeTemporaryAllocation(of: Float.self, capacity: packedBCount + packedACount + MR * NR) { scratch in
            let packedB = scratch.baseAddress!
            let packedA = packedB + packedBCount
            let tile = packedA + packedACount
            var jc = cols.lowerBound
            while jc < cols.upperBound {
                let nc = min(NC, cols.upperBound - jc)
                var pc = 0
                while pc < k {
                    let kc = min(KC, k - pc)
                    let blockB: UnsafePointer<Float>
                    if let prepackedB {
                        blockB = prepackedB + pc * prepackedColumns + jc * kc
                    } else {
                        packB(into: packedB, p0: pc, kc: kc, j0: jc, nc: nc)
                        blockB = UnsafePointer(packedB)
                    }
                    var ic = rows.lowerBound
                    while ic < rows.upperBound {
                        let mc = min(MC, rows.upperBound - ic)
                        // Read in place, A still needs its partial last row panel packed (zero-padded).
                        let tailRows = mc % MR, tailStart = mc - tailRows
                        if !readsADirectly {
                            packA(into: packedA, i0: ic, mc: mc, p0: pc, kc: kc)
                        } else if tailRows > 0 {
                            packA(into: packedA, i0: ic + tailStart, mc: tailRows, p0: pc, kc: kc)
                        }
                        var jr = 0
                        while jr < nc {
                            var ir = 0
                            while ir < mc {
                                let height = min(MR, mc - ir), width = min(NR, nc - jr)
                                let cBlock = c + (ic + ir) * ldc + jc + jr, bPanel = blockB + jr * kc
                                // The packed panel of these rows: all of A's block was packed, or its tail only.
                                let panel = UnsafePointer(readsADirectly ? packedA : packedA + ir * kc)
                                if readsADirectly && height == MR {
                                    microKernel(kc: kc, a: a + (ic + ir) * lda + pc, rowStride: lda, colStride: 1, b: bPanel,
                                                c: cBlock, ldc: ldc, rows: height, cols: width, tile: tile)
                                } else if height <= MR / 2 {
                                    halfKernel(kc: kc, a: panel, b: bPanel, c: cBlock, ldc: ldc, rows: height,
                                               cols: width, tile: tile)
                                } else {
                                    microKernel(kc: kc, a: panel, rowStride: 1, colStride: MR, b: bPanel,
                                                c: cBlock, ldc: ldc, rows: height, cols: width, tile: tile)
                                }
                                ir += MR
                            }
                            jr += NR
                        }
                        ic += mc
                    }
                    pc += kc
                }
                jc += nc
            }
        }
    }

    /// Lays op(B)[p0 ..< p0+kc, j0 ..< j0+nc] out as NR-wide column panels, each kc × NR
    /// contiguous, zero-padded past the last column.
    func packB(into dst: UnsafeMutablePointer<Float>, p0: Int, kc: Int, j0: Int, nc: Int) {
        var jr = 0
        while jr < nc {
            let width = min(NR, nc - jr)
            let panel = dst + jr * kc
            for p in 0..<kc {
                let out = panel + p * NR
                if transB == .none {
                    let src = b + (p0 + p) * ldb + j0 + jr
                    out.update(from: src, count: width)
                } else {
                    let src = b + (j0 + jr) * ldb + p0 + p
                    for j in 0..<width { out[j] = src[j * ldb] }
                }
                if width < NR { (out + width).update(repeating: 0, count: NR - width) }
            }
            jr += NR
        }
    }

    /// Lays alpha · op(A)[i0 ..< i0+mc, p0 ..< p0+kc] out as MR-tall row panels, each kc × MR
    /// (column-interleaved), zero-padded past the last row.
    private func packA(into dst: UnsafeMutablePointer<Float>, i0: Int, mc: Int, p0: Int, kc: Int) {
        var ir = 0
        while ir < mc {
            let height = min(MR, mc - ir)
            let panel = dst + ir * kc
            if transA == .transposed && height == MR {
                // op(A)'s rows are A's columns: each p reads MR adjacent Floats, one vector.
                let src = a + p0 * lda + i0 + ir, s = SIMD8<Float>(repeating: alpha)
                for p in 0..<kc {
                    let v = UnsafeRawPointer(src + p * lda).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(panel + p * MR).storeBytes(of: v * s, as: SIMD8<Float>.self)
                }
            } else {
                for p in 0..<kc {
                    let out = panel + p * MR
                    for r in 0..<height { out[r] = alpha * elementA(i0 + ir + r, p0 + p) }
                    for r in height..<MR { out[r] = 0 }
                }
            }
            ir += MR
        }
    }

    /// Single-row products (batch of one: sampling and eval): a dot product per output for a
    /// transposed B, a row-scaled accumulation for a plain B. Both read B contiguously.
    private func gemv(row i: Int, cols: Range<Int>) {
        let out = c + i * ldc
        withUnsafeTemporaryAllocation(of: Float.self, capacity: k) { xs in
            let x = xs.baseAddress!
            for p in 0..<k { x[p] = alpha * elementA(i, p) }
            if transB == .transposed {
                for j in cols { out[j] += dot(x, b + j * ldb, k) }
            } else {
                for p in 0..<k {
                    let s = x[p]
                    if s != 0 { axpy(s, b + p * ldb + cols.lowerBound, out + cols.lowerBound, cols.count) }
                }
            }
        }
    }
}

typealias F16 = SIMD16<Float>

@inline(__always) private func load(_ p: UnsafePointer<Float>) -> F16 {
    UnsafeRawPointer(p).loadUnaligned(as: F16.self)
}

@inline(__always) private func store(_ v: F16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: F16.self)
}

/// C[rows, cols] += Apanel (MR × kc; element (r, p) at a[r·rowStride + p·colStride]) · Bpanel
/// (kc × NR). Full tiles update C in place; edge tiles go through `tile` so the kernel itself
/// never branches on shape.
@inline(__always)
private func microKernel(kc: Int, a: UnsafePointer<Float>, rowStride rs: Int, colStride cs: Int, b: UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                         tile: UnsafeMutablePointer<Float>) {
    var c00 = F16(), c01 = F16(), c10 = F16(), c11 = F16(), c20 = F16(), c21 = F16(), c30 = F16(), c31 = F16()
    var c40 = F16(), c41 = F16(), c50 = F16(), c51 = F16(), c60 = F16(), c61 = F16(), c70 = F16(), c71 = F16()
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0 = load(pb), b1 = load(pb + 16)
        c00 = c00.addingProduct(pa[0], b0); c01 = c01.addingProduct(pa[0], b1)
        c10 = c10.addingProduct(pa[rs], b0); c11 = c11.addingProduct(pa[rs], b1)
        c20 = c20.addingProduct(pa[2 * rs], b0); c21 = c21.addingProduct(pa[2 * rs], b1)
        c30 = c30.addingProduct(pa[3 * rs], b0); c31 = c31.addingProduct(pa[3 * rs], b1)
        c40 = c40.addingProduct(pa[4 * rs], b0); c41 = c41.addingProduct(pa[4 * rs], b1)
        c50 = c50.addingProduct(pa[5 * rs], b0); c51 = c51.addingProduct(pa[5 * rs], b1)
        c60 = c60.addingProduct(pa[6 * rs], b0); c61 = c61.addingProduct(pa[6 * rs], b1)
        c70 = c70.addingProduct(pa[7 * rs], b0); c71 = c71.addingProduct(pa[7 * rs], b1)
        pa += cs
        pb += NR
    }
    let full = rows == MR && cols == NR
    let dst = full ? c : tile
    let ld = full ? ldc : NR
    @inline(__always) func put(_ r: Int, _ v0: F16, _ v1: F16) {
        let p = dst + r * ld
        if full {
            store(load(p) + v0, p); store(load(p + 16) + v1, p + 16)
        } else {
            store(v0, p); store(v1, p + 16)
        }
    }
    put(0, c00, c01); put(1, c10, c11); put(2, c20, c21); put(3, c30, c31)
    put(4, c40, c41); put(5, c50, c51); put(6, c60, c61); put(7, c70, c71)
    if !full {
        for r in 0..<rows {
            for j in 0..<cols { c[r * ldc + j] += tile[r * NR + j] }
        }
    }
}

/// The last row panel of a block when it holds at most MR/2 rows (a stream group of 10 is 8 + 2):
/// C[rows, cols] += the first MR/2 rows of a packed A panel (element (r, p) at a[p·MR + r]) · B
/// panel, in 4 × 2 accumulators, so a short panel costs half a full one rather than all of it.
/// Each element sums its k terms in the same order as `microKernel`, so results do not depend on
/// which kernel a row went through.
@inline(__always)
private func halfKernel(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                        ldc: Int, rows: Int, cols: Int, tile: UnsafeMutablePointer<Float>) {
    var c00 = F16(), c01 = F16(), c10 = F16(), c11 = F16(), c20 = F16(), c21 = F16(), c30 = F16(), c31 = F16()
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0 = load(pb), b1 = load(pb + 16)
        c00 = c00.addingProduct(pa[0], b0); c01 = c01.addingProduct(pa[0], b1)
        c10 = c10.addingProduct(pa[1], b0); c11 = c11.addingProduct(pa[1], b1)
        c20 = c20.addingProduct(pa[2], b0); c21 = c21.addingProduct(pa[2], b1)
        c30 = c30.addingProduct(pa[3], b0); c31 = c31.addingProduct(pa[3], b1)
        pa += MR
        pb += NR
    }
    @inline(__always) func put(_ r: Int, _ v0: F16, _ v1: F16) {
        let p = tile + r * NR
        store(v0, p); store(v1, p + 16)
    }
    put(0, c00, c01); put(1, c10, c11); put(2, c20, c21); put(3, c30, c31)
    for r in 0..<rows {
        for j in 0..<cols { c[r * ldc + j] += tile[r * NR + j] }
    }
}

/// Σ x[i] · y[i] over n elements, 16 lanes at a time.
@inline(__always)
public func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = F16(), acc1 = F16()
    var i = 0
    while i + 32 <= n {
        acc0 = acc0.addingProduct(load(x + i), load(y + i))
        acc1 = acc1.addingProduct(load(x + i + 16), load(y + i + 16))
        i += 32
    }
    var s = (acc0 + acc1).sum()
    while i < n { s += x[i] * y[i]; i += 1 }
    return s
}

/// y[0..<n] += s · x[0..<n].
@inline(__always)
public func axpy(_ s: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    let sv = F16(repeating: s)
    while i + 16 <= n {
        store(load(y + i).addingProduct(sv, load(x + i)), y + i)
        i += 16
    }
    while i < n { y[i] += s * x[i]; i += 1 }
}
