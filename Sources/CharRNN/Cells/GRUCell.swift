// The GRU cell, PyTorch's nn.GRU (gate blocks r, z, n in the weight rows):
//   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 - z) ⊙ n + z ⊙ h
// Per-step cache: r, z, n (act) and W_hn h + b_hn (aux), which the reset gate multiplies.
// Because of that product the recurrent-side gradient of the n block is r ⊙ (input-side one),
// so this cell keeps a separate dHProj. Gates and state update run over 16 units at a time.

enum GRUCell: RecurrentCell {
    static func forward(_ w: LayerParameters, _ cache: LayerCache, steps T: Int, batch B: Int, streams: Range<Int>) {
        let H = cache.hidden, GH = 3 * H
        let hp = cache.hProj.base
        let bias = w.biasHH
        for t in 0..<T {
            recurrentProjection(w, cache, step: t, batch: B, streams: streams)
            let xp = cache.xProj.pointer(at: t * B * GH)      // (B, 3H)
            let gates = cache.act.pointer(at: t * B * GH)     // (B, 3H)
            let hnCache = cache.aux.pointer(at: t * B * H)    // (B, H)
            let hPrev = cache.h.pointer(at: t * B * H)        // (B, H)
            let hNext = cache.h.pointer(at: (t + 1) * B * H)  // (B, H)
            for b in streams {
                let x = xp + b * GH, rr = hp + b * GH, a = gates + b * GH, k = b * H
                forEachLaneBlock(H) { j, cnt in
                    let u = units(x: x, r: rr, bias: bias, hPrev: loadLanes(hPrev + k + j, cnt), hidden: H, at: j, count: cnt)
                    storeLanes(u.r, a + j, cnt); storeLanes(u.z, a + H + j, cnt); storeLanes(u.n, a + 2 * H + j, cnt)
                    storeLanes(u.hn, hnCache + k + j, cnt)
                    storeLanes(u.h, hNext + k + j, cnt)
                }
            }
        }
    }

    /// The forward equations for units j ..< j+count of one stream, 16 at a time: the one place
    /// they are written, so the training pass and sampling's `InferenceStep` compute the same Floats.
    /// x, rr: the stream's (3H) input-side and recurrent pre-activations; hPrev: its h_t lanes.
    @inline(__always)
    static func units(x: UnsafePointer<Float>, r rr: UnsafePointer<Float>, bias: UnsafePointer<Float>, hPrev: Lanes,
                      hidden H: Int, at j: Int, count cnt: Int) -> (r: Lanes, z: Lanes, n: Lanes, hn: Lanes, h: Lanes) {
        let r = vectorSigmoid(loadLanes(x + j, cnt) + loadLanes(rr + j, cnt) + loadLanes(bias + j, cnt))
        let z = vectorSigmoid(loadLanes(x + H + j, cnt) + loadLanes(rr + H + j, cnt) + loadLanes(bias + H + j, cnt))
        let hn = loadLanes(rr + 2 * H + j, cnt) + loadLanes(bias + 2 * H + j, cnt)
        let n = vectorTanh(loadLanes(x + 2 * H + j, cnt) + r * hn)
        return (r, z, n, hn, (1 - z) * n + z * hPrev)
    }

    static func backward(_ w: LayerParameters, _ cache: LayerCache, dH: UnsafePointer<Float>,
                         steps T: Int, batch B: Int, streams: Range<Int>, fault: GradientFault) {
        let H = cache.hidden, GH = 3 * H
        let dh = cache.dh.base
        (dh + streams.lowerBound * H).update(repeating: 0, count: streams.count * H)
        let zSign: Float = fault == .flipUpdateGate ? -1 : 1
        for t in stride(from: T - 1, through: 0, by: -1) {
            let gates = cache.act.pointer(at: t * B * GH)
            let hnCache = cache.aux.pointer(at: t * B * H)
            let hPrev = cache.h.pointer(at: t * B * H)
            let dIn = dH + t * B * H
            let dx = cache.dXProj.pointer(at: t * B * GH)
            let dr = cache.dHProj.pointer(at: t * B * GH)
            for b in streams {
                let a = gates + b * GH, dxb = dx + b * GH, drb = dr + b * GH, k = b * H
                forEachLaneBlock(H) { j, cnt in
                    let r = loadLanes(a + j, cnt), z = loadLanes(a + H + j, cnt), n = loadLanes(a + 2 * H + j, cnt)
                    let dy = loadLanes(dIn + k + j, cnt) + loadLanes(dh + k + j, cnt)
                    let dnPre = dy * (1 - z) * (1 - n * n)
                    let dzPre = zSign * dy * (loadLanes(hPrev + k + j, cnt) - n) * z * (1 - z)
                    let drPre = dnPre * loadLanes(hnCache + k + j, cnt) * r * (1 - r)
                    storeLanes(drPre, dxb + j, cnt); storeLanes(dzPre, dxb + H + j, cnt)
                    storeLanes(dnPre, dxb + 2 * H + j, cnt)
                    storeLanes(drPre, drb + j, cnt); storeLanes(dzPre, drb + H + j, cnt)
                    storeLanes(dnPre * r, drb + 2 * H + j, cnt)
                    storeLanes(dy * z, dh + k + j, cnt)  // the direct path h → h'; the gate paths are added below
                }
            }
            recurrentGradient(w, cache, step: t, batch: B, streams: streams, beta: 1)
        }
    }
}
