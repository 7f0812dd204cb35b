// The GRU cell, PyTorch's nn.GRU (gate blocks r, z, n in the weight rows):
//   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 - z) ⊙ n + z ⊙ h
// Per-step cache: r, z, n and W_hn h + b_hn (`candidateRecurrence`), which the reset gate
// multiplies. Because of that product the recurrent-side gradient of the n block is r ⊙ (the
// input-side one), so this cell keeps the recurrent-side gradients apart. Gates and state update
// run over a vector of units at a time.

enum GRUCell: RecurrentCell {
    static let gates = [Gate(letter: "r", name: "reset gate", nonlinearity: .sigmoid),
                        Gate(letter: "z", name: "update gate", nonlinearity: .sigmoid),
                        Gate(letter: "n", name: "candidate (tanh)", nonlinearity: .tanh)]
    static var hasCellState: Bool { false }
    static var recordsGates: Bool { true }
    static var indefiniteName: String { "a GRU" }
    static var foldsRecurrentBias: Bool { false }  // the reset gate multiplies W_hn·h + b_hn on its own
    static var savedValuesPerUnit: Int { 1 }       // W_hn·h + b_hn
    static var separateRecurrentGradients: Bool { true }
    static var plantedFault: GradientFault { .flipUpdateGate }

    static func forward(_ w: LayerParameters, _ cache: LayerCache, steps T: Int, batch B: Int, streams: Range<Int>) {
        let H = cache.hidden, GH = 3 * H
        let recurrent = cache.recurrentProduct.base       // (B, 3H): h_t·W_hhᵀ
        let bias = w.biasHH
        for t in 0..<T {
            recurrentProjection(w, cache, step: t, batch: B, streams: streams)
            // (B, 3H): the input-side pre-activations in, the gate values out.
            let gates = cache.gates.pointer(at: t * B * GH)
            let hn = cache.candidateRecurrence.pointer(at: t * B * H)  // (B, H)
            let hPrev = cache.h.pointer(at: t * B * H)        // (B, H)
            let hNext = cache.h.pointer(at: (t + 1) * B * H)  // (B, H)
            for b in streams {
                let a = gates + b * GH, rec = recurrent + b * GH, k = b * H
                forEachLaneBlock(H) { j, cnt in
                    let u = units(inputSide: a, recurrent: rec, bias: bias, hPrev: loadLanes(hPrev + k + j, cnt), hidden: H,
                                  at: j, count: cnt)
                    storeLanes(u.r, a + j, cnt); storeLanes(u.z, a + H + j, cnt); storeLanes(u.n, a + 2 * H + j, cnt)
                    storeLanes(u.hn, hn + k + j, cnt)
                    storeLanes(u.h, hNext + k + j, cnt)
                }
            }
        }
    }

    static func step(_ w: LayerParameters, inputSide: UnsafePointer<Float>, recurrent: UnsafePointer<Float>,
                     h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, hidden H: Int) {
        forEachLaneBlock(H) { j, n in
            let u = units(inputSide: inputSide, recurrent: recurrent, bias: w.biasHH, hPrev: loadLanes(h + j, n), hidden: H,
                          at: j, count: n)
            storeLanes(u.h, h + j, n)
        }
    }

    /// The forward equations for units j ..< j+count of one stream, a vector at a time: the one
    /// place they are written, so the training pass and sampling's `step` compute the same Floats.
    /// inputSide, recurrent: the stream's (3H) x·W_ihᵀ + b_ih and h·W_hhᵀ; bias: b_hh; hPrev: its h_t lanes.
    @inline(__always)
    static func units(inputSide x: UnsafePointer<Float>, recurrent rec: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                      hPrev: Lanes, hidden H: Int, at j: Int, count cnt: Int)
        -> (r: Lanes, z: Lanes, n: Lanes, hn: Lanes, h: Lanes) {
        let r = vectorSigmoid(loadLanes(x + j, cnt) + loadLanes(rec + j, cnt) + loadLanes(bias + j, cnt))
        let z = vectorSigmoid(loadLanes(x + H + j, cnt) + loadLanes(rec + H + j, cnt) + loadLanes(bias + H + j, cnt))
        let hn = loadLanes(rec + 2 * H + j, cnt) + loadLanes(bias + 2 * H + j, cnt)
        let n = vectorTanh(loadLanes(x + 2 * H + j, cnt) + r * hn)
        return (r, z, n, hn, (1 - z) * n + z * hPrev)
    }

    static func referenceUnit(input: [Double], recurrent: [Double], h: Double, c: Double)
        -> (h: Double, c: Double, gates: [Double]) {
        let r = referenceSigmoid(input[0] + recurrent[0])
        let z = referenceSigmoid(input[1] + recurrent[1])
        let n = referenceTanh(input[2] + r * recurrent[2])
        return ((1 - z) * n + z * h, c, [r, z, n])
    }

    static func backward(_ w: LayerParameters, _ cache: LayerCache, dH: UnsafePointer<Float>,
                         steps T: Int, batch B: Int, streams: Range<Int>, fault: GradientFault) {
        let H = cache.hidden, GH = 3 * H
        let dh = cache.dh.base
        (dh + streams.lowerBound * H).update(repeating: 0, count: streams.count * H)
        let zSign: Float = fault == .flipUpdateGate ? -1 : 1
        for t in stride(from: T - 1, through: 0, by: -1) {
            // (B, 3H): the gate values in, the input-side pre-activation gradients out.
            let gates = cache.gates.pointer(at: t * B * GH)
            let hn = cache.candidateRecurrence.pointer(at: t * B * H)
            let hPrev = cache.h.pointer(at: t * B * H)
            let dIn = dH + t * B * H
            let dRecurrent = cache.recurrentSideGradients.pointer(at: t * B * GH)
            for b in streams {
                let a = gates + b * GH, drb = dRecurrent + b * GH, k = b * H
                forEachLaneBlock(H) { j, cnt in
                    let r = loadLanes(a + j, cnt), z = loadLanes(a + H + j, cnt), n = loadLanes(a + 2 * H + j, cnt)
                    let dy = loadLanes(dIn + k + j, cnt) + loadLanes(dh + k + j, cnt)
                    let dnPre = dy * (1 - z) * (1 - n * n)
                    let dzPre = zSign * dy * (loadLanes(hPrev + k + j, cnt) - n) * z * (1 - z)
                    let drPre = dnPre * loadLanes(hn + k + j, cnt) * r * (1 - r)
                    storeLanes(drPre, a + j, cnt); storeLanes(dzPre, a + H + j, cnt)
                    storeLanes(dnPre, a + 2 * H + j, cnt)
                    storeLanes(drPre, drb + j, cnt); storeLanes(dzPre, drb + H + j, cnt)
                    storeLanes(dnPre * r, drb + 2 * H + j, cnt)
                    storeLanes(dy * z, dh + k + j, cnt)  // the direct path h → h'; the gate paths are added below
                }
            }
            recurrentGradient(w, cache, step: t, batch: B, streams: streams, beta: 1)
        }
    }
}

extension LayerCache {
    /// GRU: (T, B, H) W_hn·h_t + b_hn of every step, the term the reset gate scales.
    fileprivate var candidateRecurrence: FloatBuffer { savedForBackward }
}

extension GradientFault {
    /// GRU: wrong sign on the update gate's gradient.
    static let flipUpdateGate = GradientFault(description: "flipUpdateGate")
}
