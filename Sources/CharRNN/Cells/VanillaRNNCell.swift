// The vanilla (Elman) RNN cell, PyTorch's nn.RNN with tanh:
//   h_{t+1} = tanh(x_t·W_ihᵀ + b_ih + b_hh + h_t·W_hhᵀ)
// Per-step cache: only h (the derivative of tanh is 1 - h²). Its one weight block, after tanh,
// is h itself, so inspection records no gates for it.

enum VanillaRNNCell: RecurrentCell {
    static let gates = [Gate(letter: "h", name: "hidden state", nonlinearity: .tanh)]
    static var hasCellState: Bool { false }
    static var recordsGates: Bool { false }
    static var indefiniteName: String { "an RNN" }
    static var foldsRecurrentBias: Bool { true }
    static var savedValuesPerUnit: Int { 0 }
    static var separateRecurrentGradients: Bool { false }
    static var plantedFault: GradientFault { .dropRecurrence }

    static func forward(_ w: LayerParameters, _ cache: LayerCache, steps T: Int, batch B: Int, streams: Range<Int>) {
        let H = cache.hidden
        for t in 0..<T {
            recurrentProjection(w, cache, step: t, batch: B, streams: streams)
            let pre = cache.gates.pointer(at: t * B * H)      // (B, H): all of each pre-activation
            let hNext = cache.h.pointer(at: (t + 1) * B * H)  // (B, H)
            for b in streams {
                let k = b * H
                forEachLaneBlock(H) { j, n in
                    storeLanes(units(pre: pre + k, at: j, count: n), hNext + k + j, n)
                }
            }
        }
    }

    static func step(_ w: LayerParameters, inputSide: UnsafePointer<Float>, recurrent: UnsafePointer<Float>,
                     h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, hidden H: Int) {
        forEachLaneBlock(H) { j, n in
            storeLanes(units(pre: recurrent, at: j, count: n), h + j, n)
        }
    }

    /// h_{t+1} for units j ..< j+n of one stream, a vector at a time: the one place the equation
    /// is written, shared with sampling's `step`. pre: the stream's (H) pre-activations.
    @inline(__always)
    static func units(pre: UnsafePointer<Float>, at j: Int, count n: Int) -> Lanes {
        vectorTanh(loadLanes(pre + j, n))
    }

    static func referenceUnit(input: [Double], recurrent: [Double], h: Double, c: Double)
        -> (h: Double, c: Double, gates: [Double]) {
        let hNew = referenceTanh(input[0] + recurrent[0])
        return (hNew, c, [hNew])
    }

    static func backward(_ w: LayerParameters, _ cache: LayerCache, dH: UnsafePointer<Float>,
                         steps T: Int, batch B: Int, streams: Range<Int>, fault: GradientFault) {
        let H = cache.hidden
        let dh = cache.dh.base
        (dh + streams.lowerBound * H).update(repeating: 0, count: streams.count * H)
        for t in stride(from: T - 1, through: 0, by: -1) {
            let hNext = cache.h.pointer(at: (t + 1) * B * H)
            let dIn = dH + t * B * H
            let dPre = cache.gates.pointer(at: t * B * H)  // (B, H): the pre-activation gradients out
            let k0 = streams.lowerBound * H
            forEachLaneBlock(streams.count * H) { i, n in
                let k = k0 + i, y = loadLanes(hNext + k, n)
                storeLanes((loadLanes(dIn + k, n) + loadLanes(dh + k, n)) * (1 - y * y), dPre + k, n)
            }
            if fault == .dropRecurrence {
                (dh + streams.lowerBound * H).update(repeating: 0, count: streams.count * H)
            } else {
                recurrentGradient(w, cache, step: t, batch: B, streams: streams, beta: 0)
            }
        }
    }
}

extension GradientFault {
    /// RNN: forget the recurrent path from h_t back to h_{t-1}.
    static let dropRecurrence = GradientFault(description: "dropRecurrence")
}
