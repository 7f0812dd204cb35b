// The vanilla (Elman) RNN cell, PyTorch's nn.RNN with tanh:
//   h_{t+1} = tanh(x_t·W_ihᵀ + b_ih + b_hh + h_t·W_hhᵀ)
// Per-step cache: only h (the derivative of tanh is 1 - h²).

enum VanillaRNNCell: RecurrentCell {
    static func forward(_ w: LayerParameters, _ cache: LayerCache, steps T: Int, batch B: Int, streams: Range<Int>) {
        let H = cache.hidden
        for t in 0..<T {
            recurrentProjection(w, cache, step: t, batch: B, streams: streams)
            let pre = cache.xProj.pointer(at: t * B * H)      // (B, H): all of each pre-activation
            let hNext = cache.h.pointer(at: (t + 1) * B * H)  // (B, H)
            for b in streams {
                let k = b * H
                forEachLaneBlock(H) { j, n in
                    storeLanes(units(pre: pre + k, at: j, count: n), hNext + k + j, n)
                }
            }
        }
    }

    /// h_{t+1} for units j ..< j+n of one stream, 16 at a time: the one place the equation is
    /// written, shared with sampling's `InferenceStep`. pre: the stream's (H) pre-activations.
    @inline(__always)
    static func units(pre: UnsafePointer<Float>, at j: Int, count n: Int) -> Lanes {
        vectorTanh(loadLanes(pre + j, n))
    }

    static func backward(_ w: LayerParameters, _ cache: LayerCache, dH: UnsafePointer<Float>,
                         steps T: Int, batch B: Int, streams: Range<Int>, fault: GradientFault) {
        let H = cache.hidden
        let dh = cache.dh.base
        (dh + streams.lowerBound * H).update(repeating: 0, count: streams.count * H)
        for t in stride(from: T - 1, through: 0, by: -1) {
            let hNext = cache.h.pointer(at: (t + 1) * B * H)
            let dIn = dH + t * B * H
            let dpre = cache.dXProj.pointer(at: t * B * H)
            let k0 = streams.lowerBound * H
            forEachLaneBlock(streams.count * H) { i, n in
                let k = k0 + i, y = loadLanes(hNext + k, n)
                storeLanes((loadLanes(dIn + k, n) + loadLanes(dh + k, n)) * (1 - y * y), dpre + k, n)
            }
            if fault == .dropRecurrence {
                (dh + streams.lowerBound * H).update(repeating: 0, count: streams.count * H)
            } else {
                recurrentGradient(w, cache, step: t, batch: B, streams: streams, beta: 0)
            }
        }
    }
}
