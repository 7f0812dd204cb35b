// The LSTM cell, PyTorch's nn.LSTM (gate blocks i, f, g, o in the weight rows):
//   [i f g o] = [σ σ tanh σ](x_t·W_ihᵀ + b_ih + b_hh + h_t·W_hhᵀ)
//   c_{t+1} = f ⊙ c_t + i ⊙ g,   h_{t+1} = o ⊙ tanh(c_{t+1})
// Per-step cache: the four gate values (act), c, and tanh(c_{t+1}) (aux).
// The gate nonlinearities and the cell update run as one pass over 16 units at a time.

enum LSTMCell: RecurrentCell {
    static func forward(_ w: LayerParameters, _ cache: LayerCache, steps T: Int, batch B: Int, streams: Range<Int>) {
        let H = cache.hidden, GH = 4 * H
        for t in 0..<T {
            recurrentProjection(w, cache, step: t, batch: B, streams: streams)
            let pre = cache.xProj.pointer(at: t * B * GH)     // (B, 4H): all of each pre-activation
            let gates = cache.act.pointer(at: t * B * GH)     // (B, 4H)
            let cPrev = cache.c.pointer(at: t * B * H)        // (B, H)
            let cNext = cache.c.pointer(at: (t + 1) * B * H)  // (B, H)
            let hNext = cache.h.pointer(at: (t + 1) * B * H)  // (B, H)
            let tanhC = cache.aux.pointer(at: t * B * H)      // (B, H)
            for b in streams {
                let x = pre + b * GH, a = gates + b * GH, k = b * H
                forEachLaneBlock(H) { j, n in
                    let u = units(pre: x, cPrev: loadLanes(cPrev + k + j, n), hidden: H, at: j, count: n)
                    storeLanes(u.i, a + j, n); storeLanes(u.f, a + H + j, n)
                    storeLanes(u.g, a + 2 * H + j, n); storeLanes(u.o, a + 3 * H + j, n)
                    storeLanes(u.c, cNext + k + j, n)
                    storeLanes(u.tanhC, tanhC + k + j, n)
                    storeLanes(u.h, hNext + k + j, n)
                }
            }
        }
    }

    /// The forward equations for units j ..< j+n of one stream, 16 at a time: the one place they
    /// are written, so the training pass and sampling's `InferenceStep` compute the same Floats.
    /// pre: the stream's (4H) pre-activations, both biases and both products in; cPrev: its c_t lanes.
    @inline(__always)
    static func units(pre: UnsafePointer<Float>, cPrev: Lanes, hidden H: Int, at j: Int, count n: Int)
        -> (i: Lanes, f: Lanes, g: Lanes, o: Lanes, c: Lanes, tanhC: Lanes, h: Lanes) {
        @inline(__always) func preActivation(_ gate: Int) -> Lanes { loadLanes(pre + gate * H + j, n) }
        let i = vectorSigmoid(preActivation(0)), f = vectorSigmoid(preActivation(1))
        let g = vectorTanh(preActivation(2)), o = vectorSigmoid(preActivation(3))
        let c = f * cPrev + i * g
        let tc = vectorTanh(c)
        return (i, f, g, o, c, tc, o * tc)
    }

    static func backward(_ w: LayerParameters, _ cache: LayerCache, dH: UnsafePointer<Float>,
                         steps T: Int, batch B: Int, streams: Range<Int>, fault: GradientFault) {
        let H = cache.hidden, GH = 4 * H
        let dh = cache.dh.base, dc = cache.dc.base
        (dh + streams.lowerBound * H).update(repeating: 0, count: streams.count * H)
        (dc + streams.lowerBound * H).update(repeating: 0, count: streams.count * H)
        let carry: Float = fault == .dropCellCarry ? 0 : 1
        for t in stride(from: T - 1, through: 0, by: -1) {
            let gates = cache.act.pointer(at: t * B * GH)  // (B, 4H)
            let cPrev = cache.c.pointer(at: t * B * H)     // (B, H)
            let tanhC = cache.aux.pointer(at: t * B * H)   // (B, H)
            let dIn = dH + t * B * H                       // (B, H)
            let dpre = cache.dXProj.pointer(at: t * B * GH)  // (B, 4H)
            for b in streams {
                let a = gates + b * GH, d = dpre + b * GH, k = b * H
                forEachLaneBlock(H) { j, n in
                    let i = loadLanes(a + j, n), f = loadLanes(a + H + j, n)
                    let g = loadLanes(a + 2 * H + j, n), o = loadLanes(a + 3 * H + j, n)
                    let tc = loadLanes(tanhC + k + j, n)
                    let dy = loadLanes(dIn + k + j, n) + loadLanes(dh + k + j, n)
                    let dcTotal = loadLanes(dc + k + j, n) + dy * o * (1 - tc * tc)
                    storeLanes(dcTotal * g * i * (1 - i), d + j, n)
                    storeLanes(dcTotal * loadLanes(cPrev + k + j, n) * f * (1 - f), d + H + j, n)
                    storeLanes(dcTotal * i * (1 - g * g), d + 2 * H + j, n)
                    storeLanes(dy * tc * o * (1 - o), d + 3 * H + j, n)
                    storeLanes(dcTotal * f * carry, dc + k + j, n)
                }
            }
            recurrentGradient(w, cache, step: t, batch: B, streams: streams, beta: 0)
        }
    }
}
