// bfloat16 products for training passes in `--precision bf16`: the same C = op(A)·op(B) + beta·C
// as `gemm`, with both operands rounded to bfloat16 as they are packed (pairs of k in 32-bit words,
// the form vdpbf16ps multiplies) and sums in fp32. The packing layout, cache blocks and thread
// split live here; the register tile and the conversion are C (CBF16).

import CBF16

private let tileRows = Int(CHARNN_BF16_TILE_ROWS)  // 8: a multiple of gemmRowBlock's, so stream groups waste none
private let tileCols = Int(CHARNN_BF16_TILE_COLS)  // 32
/// Cache blocks, in pairs of k and in rows and columns: a 128-pair × 32 panel of B (16 KiB) stays
/// in L1 while A's 128 × 128-pair block (64 KiB) streams from L2; 4096 columns (up to 2 MiB of B)
/// cover G·H up to 1024 units in one block, so A is packed once per product.
private let pairBlock = 128
private let rowBlock = 128
private let colBlock = 4096

private func tilePadded(_ n: Int) -> Int { (n + tileCols - 1) / tileCols * tileCols }

/// C (m × n, row stride ldc) = op(A) · op(B) + beta · C in bfloat16 operands, fp32 sums; the
/// arguments mean what they mean for `gemm`. Only where `Precision.bf16Hardware` holds.
func gemmBF16(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
              _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
              beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = Parallelism.threads) {
    guard m > 0, n > 0 else { return }
    guard k > 0 else { return scale(c, rows: m, cols: n, ldc: ldc, by: beta) }
    precondition(Precision.bf16Hardware, "bf16 products on a CPU without AVX-512 BF16")
    if beta != 0 { scale(c, rows: m, cols: n, ldc: ldc, by: beta) }
    BF16Product(transA: transA, transB: transB, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, overwrite: beta == 0)
        .run(m: m, n: n, threads: threads)
}

/// op(B) (k × n) rounded to bfloat16 and laid out once in the tile's panel order, for the
/// recurrent weights that every time step multiplies. Block pb (`pairBlock` pairs of k) starts at
/// pb · paddedColumns words; within it, the panel of columns j ..< j+32 starts at j · (its pairs).
final class PackedBF16Operand {
    private let capacity: Int
    private let storage: UnsafeMutablePointer<UInt32>
    private(set) var k = 0, n = 0, paddedColumns = 0

    /// Room for both op(B) = Wᵀ and op(B) = W of a rows × cols matrix W.
    init(fitting rows: Int, _ cols: Int) {
        capacity = max(1, max((rows + 1) / 2 * tilePadded(cols), (cols + 1) / 2 * tilePadded(rows)))
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity * 4, alignment: 64)
            .bindMemory(to: UInt32.self, capacity: capacity)
    }

    deinit { storage.deallocate() }

    /// Packs op(B) (k × n), stored as `gemm` describes for `transB`; later changes to B are not seen.
    func pack(_ transB: Transpose, _ b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int) {
        precondition((k + 1) / 2 * tilePadded(n) <= capacity, "packed bf16 operand too small")
        self.k = k; self.n = n
        paddedColumns = tilePadded(n)
        let op = BF16Product(transA: .none, transB: transB, k: k, a: b, lda: 0, b: b, ldb: ldb, c: nil, ldc: 0)
        var pb = 0
        while 2 * pb < k {
            let pairs = min(pairBlock, (k + 1) / 2 - pb)
            op.packB(into: storage + pb * paddedColumns, p0: 2 * pb, pairs: pairs, j0: 0, nc: n)
            pb += pairs
        }
    }

    var base: UnsafePointer<UInt32> { UnsafePointer(storage) }
}

/// C (m × n) = op(A) · op(B) + beta · C in bfloat16 operands, with op(B) packed beforehand.
func gemmBF16(_ transA: Transpose, m: Int, _ a: UnsafePointer<Float>, lda: Int, packed b: PackedBF16Operand,
              beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = Parallelism.threads) {
    let n = b.n, k = b.k
    guard m > 0, n > 0 else { return }
    guard k > 0 else { return scale(c, rows: m, cols: n, ldc: ldc, by: beta) }
    precondition(Precision.bf16Hardware, "bf16 products on a CPU without AVX-512 BF16")
    if beta != 0 { scale(c, rows: m, cols: n, ldc: ldc, by: beta) }
    var op = BF16Product(transA: transA, transB: .none, k: k, a: a, lda: lda, b: a, ldb: 0, c: c, ldc: ldc, overwrite: beta == 0)
    op.prepacked = b
    op.run(m: m, n: n, threads: threads)
}

/// One product's operands; `run` adds op(A)[rows, :] · op(B)[:, cols] into C[rows, cols].
private struct BF16Product: @unchecked Sendable {
    let transA: Transpose, transB: Transpose
    let k: Int
    let a: UnsafePointer<Float>, lda: Int
    let b: UnsafePointer<Float>, ldb: Int
    let c: UnsafeMutablePointer<Float>?, ldc: Int
    /// C's old value is not read: the first block of k stores its sums, so beta 0 needs no zeroing pass.
    var overwrite = false
    var prepacked: PackedBF16Operand? = nil

    /// The larger side split into stripes aligned to the tile, one per thread, as `gemm` splits.
    func run(m: Int, n: Int, threads: Int) {
        let splitCols = n >= m || m < 2 * tileRows
        Parallelism.forEachPart(of: splitCols ? n : m, unit: splitCols ? tileCols : tileRows, work: m * n * k,
                                threads: threads) { part in
            if splitCols { run(rows: 0..<m, cols: part) } else { run(rows: part, cols: 0..<n) }
        }
    }

    func run(rows: Range<Int>, cols: Range<Int>) {
        let totalPairs = (k + 1) / 2, blockPairs = min(pairBlock, totalPairs)
        let packedBCount = prepacked == nil ? blockPairs * tilePadded(min(colBlock, cols.count)) : 0
        let packedACount = blockPairs * (min(rowBlock, rows.count) + tileRows - 1) / tileRows * tileRows
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: packedBCount + packedACount) { scratch in
            let packedB = scratch.baseAddress!, packedA = packedB + packedBCount
            var jc = cols.lowerBound
            while jc < cols.upperBound {
                let nc = min(colBlock, cols.upperBound - jc)
                var pb = 0
                while pb < totalPairs {
                    let pairs = min(pairBlock, totalPairs - pb)
                    let blockB: UnsafePointer<UInt32>
                    if let prepacked {
                        blockB = prepacked.base + pb * prepacked.paddedColumns + jc * pairs
                    } else {
                        packB(into: packedB, p0: 2 * pb, pairs: pairs, j0: jc, nc: nc)
                        blockB = UnsafePointer(packedB)
                    }
                    var ic = rows.lowerBound
                    while ic < rows.upperBound {
                        let mc = min(rowBlock, rows.upperBound - ic)
                        packA(into: packedA, i0: ic, mc: mc, p0: 2 * pb, pairs: pairs)
                        tiles(a: packedA, b: blockB, pairs: pairs, i0: ic, mc: mc, j0: jc, nc: nc, add: pb > 0 || !overwrite)
                        ic += mc
                    }
                    pb += pairs
                }
                jc += nc
            }
        }
    }

    /// C[i0 ..< i0+mc, j0 ..< j0+nc] += the packed blocks' product (= when not `add`), one register tile at a time.
    /// A's block is in rows (op(A) = A, no transposition needed) or in 8-row panels; either way
    /// rows ir ..< ir+8 start at ir · pairs.
    private func tiles(a: UnsafePointer<UInt32>, b: UnsafePointer<UInt32>, pairs: Int, i0: Int, mc: Int, j0: Int, nc: Int,
                       add: Bool) {
        let (pairStride, rowStride) = transA == .none ? (1, pairs) : (tileRows, 1)
        var jr = 0
        while jr < nc {
            var ir = 0
            while ir < mc {
                charnn_bf16_tile(pairs, a + ir * pairs, pairStride, rowStride, b + jr * pairs, c! + (i0 + ir) * ldc + j0 + jr,
                                 ldc, min(tileRows, mc - ir), min(tileCols, nc - jr), add ? 1 : 0)
                ir += tileRows
            }
            jr += tileCols
        }
    }

    /// op(B)[p0 ..< p0+2·pairs, j0 ..< j0+nc] as 32-column panels of `pairs` pair-rows each.
    func packB(into dst: UnsafeMutablePointer<UInt32>, p0: Int, pairs: Int, j0: Int, nc: Int) {
        let kc = min(2 * pairs, k - p0)
        if transB == .none {
            charnn_bf16_pack_interleaved(b + p0 * ldb + j0, ldb, kc, nc, dst, tileCols)
            return
        }
        var jr = 0
        while jr < nc {
            charnn_bf16_pack_contiguous(b + (j0 + jr) * ldb + p0, ldb, kc, min(tileCols, nc - jr), dst + jr * pairs, tileCols)
            jr += tileCols
        }
    }

    /// op(A)[i0 ..< i0+mc, p0 ..< p0+2·pairs]: A's rows as they are (pairs in order, `pairs` words
    /// a row) when op(A) = A, or 8-row panels of `pairs` pair-rows each when op(A) = Aᵀ. In rows,
    /// the last tile's rows past mc are left as they are: the tile computes them and stores none.
    private func packA(into dst: UnsafeMutablePointer<UInt32>, i0: Int, mc: Int, p0: Int, pairs: Int) {
        let kc = min(2 * pairs, k - p0)
        if transA == .none {
            charnn_bf16_pack_rows(a + i0 * lda + p0, lda, kc, mc, dst)
        } else {
            charnn_bf16_pack_interleaved(a + p0 * lda + i0, lda, kc, mc, dst, tileRows)
        }
    }
}
