// The LSTM cell, PyTorch's nn.LSTM (gate blocks i, f, g, o in the weight rows):
//   [i f g o] = [σ σ tanh σ](x_t·W_ihᵀ + b_ih + b_hh + h_t·W_hhᵀ)
//   c_{t+1} = f ⊙ c_t + i ⊙ g,   h_{t+1} = o ⊙ tanh(c_{t+1})
// Per-step cache: the four gate values, c, and tanh(c_{t+1}) (`tanhC`). The gate nonlinearities
// and the cell update run as one pass over a vector of units at a time.

enum LSTMCell: RecurrentCell {
    static let gates = [Gate(letter: "i", name: "input gate", nonlinearity: .sigmoid),
                        Gate(letter: "f", name: "forget gate", nonlinearity: .sigmoid),
                        Gate(letter: "g", name: "candidate (tanh)", nonlinearity: .tanh),
                        Gate(letter: "o", name: "output gate", nonlinearity: .sigmoid)]
    static var hasCellState: Bool { true }
    static var recordsGates: Bool { true }
    static var indefiniteName: String { "an LSTM" }
    static var foldsRecurrentBias: Bool { true }
    static var savedValuesPerUnit: Int { 1 }  // tanh(c_{t+1}), which both h's and c's gradients use
    static var separateRecurrentGradients: Bool { false }
    static var plantedFault: GradientFault { .dropCellCarry }

    static func forward(_ w: LayerParameters, _ cache: LayerCache, steps T: Int, batch B: Int, streams: Range<Int>) {
        let H = cache.hidden, GH = 4 * H
        for t in 0..<T {
            recurrentProjection(w, cache, step: t, batch: B, streams: streams)
            // (B, 4H): all of each pre-activation in, the gate values out.
            let gates = cache.gates.pointer(at: t * B * GH)
            let cPrev = cache.c.pointer(at: t * B * H)        // (B, H)
            let cNext = cache.c.pointer(at: (t + 1) * B * H)  // (B, H)
            let hNext = cache.h.pointer(at: (t + 1) * B * H)  // (B, H)
            let tanhC = cache.tanhC.pointer(at: t * B * H)    // (B, H)
            for b in streams {
                let a = gates + b * GH, k = b * H
                forEachLaneBlock(H) { j, n in
                    let u = units(pre: a, cPrev: loadLanes(cPrev + k + j, n), hidden: H, at: j, count: n)
                    storeLanes(u.i, a + j, n); storeLanes(u.f, a + H + j, n)
                    storeLanes(u.g, a + 2 * H + j, n); storeLanes(u.o, a + 3 * H + j, n)
                    storeLanes(u.c, cNext + k + j, n)
                    storeLanes(u.tanhC, tanhC + k + j, n)
                    storeLanes(u.h, hNext + k + j, n)
                }
            }
        }
    }

    static func step(_ w: LayerParameters, inputSide: UnsafePointer<Float>, recurrent: UnsafePointer<Float>,
                     h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, hidden H: Int) {
        forEachLaneBlock(H) { j, n in
            let u = units(pre: recurrent, cPrev: loadLanes(c + j, n), hidden: H, at: j, count: n)
            storeLanes(u.c, c + j, n)
            storeLanes(u.h, h + j, n)
        }
    }

    /// The forward equations for units j ..< j+n of one stream, a vector at a time: the one place
    /// they are written, so the training pass and sampling's `step` compute the same Floats.
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

    static func referenceUnit(input: [Double], recurrent: [Double], h: Double, c: Double)
        -> (h: Double, c: Double, gates: [Double]) {
        let i = referenceSigmoid(input[0] + recurrent[0])
        let f = referenceSigmoid(input[1] + recurrent[1])
        let g = referenceTanh(input[2] + recurrent[2])
        let o = referenceSigmoid(input[3] + recurrent[3])
        let cNew = f * c + i * g
        return (o * referenceTanh(cNew), cNew, [i, f, g, o])
    }

    static func backward(_ w: LayerParameters, _ cache: LayerCache, dH: UnsafePointer<Float>,
                         steps T: Int, batch B: Int, streams: Range<Int>, fault: GradientFault) {
        let H = cache.hidden, GH = 4 * H
        let dh = cache.dh.base, dc = cache.dc.base
        (dh + streams.lowerBound * H).update(repeating: 0, count: streams.count * H)
        (dc + streams.lowerBound * H).update(repeating: 0, count: streams.count * H)
        let carry: Float = fault == .dropCellCarry ? 0 : 1
        for t in stride(from: T - 1, through: 0, by: -1) {
            // (B, 4H): the gate values in, the pre-activation gradients out.
            let gates = cache.gates.pointer(at: t * B * GH)
            let cPrev = cache.c.pointer(at: t * B * H)       // (B, H)
            let tanhC = cache.tanhC.pointer(at: t * B * H)   // (B, H)
            let dIn = dH + t * B * H                         // (B, H)
            for b in streams {
                let a = gates + b * GH, k = b * H
                forEachLaneBlock(H) { j, n in
                    let i = loadLanes(a + j, n), f = loadLanes(a + H + j, n)
                    let g = loadLanes(a + 2 * H + j, n), o = loadLanes(a + 3 * H + j, n)
                    let tc = loadLanes(tanhC + k + j, n)
                    let dy = loadLanes(dIn + k + j, n) + loadLanes(dh + k + j, n)
                    let dcTotal = loadLanes(dc + k + j, n) + dy * o * (1 - tc * tc)
                    storeLanes(dcTotal * g * i * (1 - i), a + j, n)
                    storeLanes(dcTotal * loadLanes(cPrev + k + j, n) * f * (1 - f), a + H + j, n)
                    storeLanes(dcTotal * i * (1 - g * g), a + 2 * H + j, n)
                    storeLanes(dy * tc * o * (1 - o), a + 3 * H + j, n)
                    storeLanes(dcTotal * f * carry, dc + k + j, n)
                }
            }
            recurrentGradient(w, cache, step: t, batch: B, streams: streams, beta: 0)
        }
    }
}

extension LayerCache {
    /// LSTM: (T, B, H) tanh(c_{t+1}) of every step.
    fileprivate var tanhC: FloatBuffer { savedForBackward }
}

extension GradientFault {
    /// LSTM: forget the cell-state path from c_t back to c_{t-1}.
    static let dropCellCarry = GradientFault(description: "dropCellCarry")
}
