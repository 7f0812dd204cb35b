// The LSTM cell, PyTorch's nn.LSTM (gate blocks i, f, g, o in the weight rows):
//   [i f g o] = [σ σ tanh σ](x_t·W_ihᵀ + b_ih + h_t·W_hhᵀ + b_hh)
//   c_{t+1} = f ⊙ c_t + i ⊙ g,   h_{t+1} = o ⊙ tanh(c_{t+1})
// Per-step cache: the four gate values (act), c, and tanh(c_{t+1}) (aux).

enum LSTMCell: RecurrentCell {
    static func forward(_ w: LayerParameters, _ cache: LayerCache, steps T: Int, batch B: Int) {
        let H = cache.hidden, GH = 4 * H
        let hp = cache.hProj.base
        let bias = w.biasHH
        for t in 0..<T {
            recurrentProjection(w, cache, step: t, batch: B)
            let xp = cache.xProj.pointer(at: t * B * GH)      // (B, 4H)
            let gates = cache.act.pointer(at: t * B * GH)     // (B, 4H)
            let cPrev = cache.c.pointer(at: t * B * H)        // (B, H)
            let cNext = cache.c.pointer(at: (t + 1) * B * H)  // (B, H)
            let hNext = cache.h.pointer(at: (t + 1) * B * H)  // (B, H)
            let tanhC = cache.aux.pointer(at: t * B * H)      // (B, H)
            for b in 0..<B {
                let x = xp + b * GH, r = hp + b * GH, a = gates + b * GH
                for j in 0..<H {
                    let i = sigmoid(x[j] + r[j] + bias[j])
                    let f = sigmoid(x[H + j] + r[H + j] + bias[H + j])
                    let g = tanhf_(x[2 * H + j] + r[2 * H + j] + bias[2 * H + j])
                    let o = sigmoid(x[3 * H + j] + r[3 * H + j] + bias[3 * H + j])
                    a[j] = i; a[H + j] = f; a[2 * H + j] = g; a[3 * H + j] = o
                    let k = b * H + j
                    let c = f * cPrev[k] + i * g
                    let tc = tanhf_(c)
                    cNext[k] = c
                    tanhC[k] = tc
                    hNext[k] = o * tc
                }
            }
        }
    }

    static func backward(_ w: LayerParameters, _ cache: LayerCache, dH: UnsafePointer<Float>,
                         steps T: Int, batch B: Int, fault: GradientFault) {
        let H = cache.hidden, GH = 4 * H
        let dh = cache.dh.base, dc = cache.dc.base
        dh.update(repeating: 0, count: B * H)
        dc.update(repeating: 0, count: B * H)
        for t in stride(from: T - 1, through: 0, by: -1) {
            let gates = cache.act.pointer(at: t * B * GH)
            let cPrev = cache.c.pointer(at: t * B * H)
            let tanhC = cache.aux.pointer(at: t * B * H)
            let dIn = dH + t * B * H
            let dpre = cache.dXProj.pointer(at: t * B * GH)
            for b in 0..<B {
                let a = gates + b * GH, d = dpre + b * GH
                for j in 0..<H {
                    let k = b * H + j
                    let i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j]
                    let tc = tanhC[k]
                    let dy = dIn[k] + dh[k]
                    let dcTotal = dc[k] + dy * o * (1 - tc * tc)
                    d[j] = dcTotal * g * i * (1 - i)
                    d[H + j] = dcTotal * cPrev[k] * f * (1 - f)
                    d[2 * H + j] = dcTotal * i * (1 - g * g)
                    d[3 * H + j] = dy * tc * o * (1 - o)
                    dc[k] = fault == .dropCellCarry ? 0 : dcTotal * f
                }
            }
            recurrentGradient(w, cache, step: t, batch: B, beta: 0)
        }
    }
}
