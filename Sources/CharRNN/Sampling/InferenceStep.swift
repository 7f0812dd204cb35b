// Sampling's forward pass: one character of one stream at a time, with no allocation and no
// work per step that does not depend on the step. It computes exactly what `Model.forward`
// computes for T = 1, B = 1, in the same order of Float operations and with the same 16-lane
// activations, so its logits are bit-identical (InferenceStepTests) and a seed gives the same text;
// only the memory traffic and call overhead are gone.

/// The recurrent state and scratch of a batch-of-one model, advanced one character per `run`.
/// Reads the model's weights in place except layer 0's input weights, which it copies once
/// (transposed, with their bias added): make a new one after the weights change.
final class InferenceStep {
    let config: ModelConfig
    private let model: Model
    private let embedding: FloatBuffer   // (V, G·H): row v = layer 0's W_ih column v + b_ih (+ b_hh if folded)
    private let h: FloatBuffer           // (L, H)
    private let c: FloatBuffer           // (L, H): the cell state, for a cell that has one; empty otherwise
    private let inputSide: FloatBuffer   // (G·H): x·W_ihᵀ + b_ih (+ b_hh if folded) of the current layer (above 0)
    /// (G·H): h·W_hhᵀ of the current layer; where the cell folds b_hh in, inputSide +
    /// h·W_hhᵀ, the whole pre-activation, as the training pass accumulates it.
    private let recurrent: FloatBuffer
    /// The logits of the last `run`: (V).
    let logits: FloatBuffer

    init(model: Model) {
        let config = model.config
        let H = config.hidden, V = config.vocabularySize, GH = config.cell.gateCount * H
        self.config = config
        self.model = model
        embedding = FloatBuffer(count: V * GH)
        h = FloatBuffer(count: config.layers * H)
        c = FloatBuffer(count: config.cell.hasCellState ? config.layers * H : 0)
        inputSide = FloatBuffer(count: GH)
        recurrent = FloatBuffer(count: GH)
        logits = FloatBuffer(count: V)
        // The one-hot product of layer 0 is a column of W_ih; laid out as rows, a step reads
        // G·H contiguous floats instead of G·H floats V apart.
        model.fillInputTable(embedding.base)
    }

    /// inputSide (G·H) = input·W_ihᵀ + b_ih (+ b_hh where the cell folds it in; when there is an
    /// input to multiply) and recurrent (G·H) = state·W_hhᵀ (+ inputSide where folded). Large
    /// layers split their rows across threads in one parallel region; each row's sum is formed the
    /// same way whichever thread forms it.
    private func projections(_ w: LayerParameters, input: UnsafePointer<Float>?, state: UnsafePointer<Float>,
                             inputSide: UnsafeMutablePointer<Float>, recurrent: UnsafeMutablePointer<Float>) {
        let H = config.hidden, GH = config.cell.gateCount * H, folds = config.cell.foldsRecurrentBias
        let rows = { (lo: Int, hi: Int) in
            if let input {
                rowDots(w.weightIH + lo * H, rows: hi - lo, length: H, x: input, bias: w.biasIH + lo, into: inputSide + lo)
                if folds { axpy(1, w.biasHH + lo, inputSide + lo, hi - lo) }
            }
            rowDots(w.weightHH + lo * H, rows: hi - lo, length: H, x: state, bias: folds ? UnsafePointer(inputSide) + lo : nil,
                    into: recurrent + lo)
        }
        let multiplyAdds = GH * H * (input == nil ? 1 : 2)
        let parts = min(Parallelism.threads, GH / 64)
        guard parts > 1, multiplyAdds >= InferenceStep.minimumParallelMultiplyAdds else { return rows(0, GH) }
        WorkerPool.shared.run(parts: parts, threads: parts) { p in
            rows(GH * p / parts / 4 * 4, p == parts - 1 ? GH : GH * (p + 1) / parts / 4 * 4)
        }
    }

    /// Layers with fewer multiply-adds per step run on one thread: waking another costs more
    /// than it saves on them.
    nonisolated(unsafe) static var minimumParallelMultiplyAdds = 1 << 19

    /// `run(id)`, then the next character's logits (V), valid until the next step.
    func logits(after id: Int32) -> UnsafePointer<Float> {
        run(id)
        return UnsafePointer(logits.base)
    }

    /// Every layer back to a zero state.
    func reset() {
        h.zero()
        c.zero()
    }

    /// Floats in a saved state: every layer's h, then every layer's c where the cell has one.
    var stateCount: Int { h.count + c.count }

    /// Copies the recurrent state to `state` (`stateCount` Floats), so that one step object can
    /// advance several texts in turn (beam search) by saving and restoring their states.
    func saveState(to state: UnsafeMutablePointer<Float>) {
        state.update(from: h.base, count: h.count)
        (state + h.count).update(from: c.base, count: c.count)
    }

    /// Restores a state that `saveState` copied.
    func loadState(from state: UnsafePointer<Float>) {
        h.base.update(from: state, count: h.count)
        c.base.update(from: state + h.count, count: c.count)
    }

    /// Feeds character `id`: advances every layer's state and leaves the next character's
    /// logits in `logits`.
    func run(_ id: Int32) {
        let H = config.hidden, V = config.vocabularySize, GH = config.cell.gateCount * H
        let cell = config.cell.implementation, rec = recurrent.base
        for l in 0..<config.layers {
            let w = model.layer(l, in: model.parameters.values)
            let state = h.pointer(at: l * H)  // (H): h_t in, h_{t+1} out
            let xp = l == 0 ? embedding.pointer(at: Int(id) * GH) : inputSide.base
            projections(w, input: l == 0 ? nil : h.pointer(at: (l - 1) * H), state: state, inputSide: xp, recurrent: rec)
            // The cell's own per-unit equations, so a step computes the Floats the general forward
            // pass computes and a sampled text is the one it would give.
            let cellState = c.count > 0 ? c.pointer(at: l * H) : c.base  // (H), where the cell has one
            cell.step(w, inputSide: xp, recurrent: rec, h: state, c: cellState, hidden: H)
        }
        let top = h.pointer(at: (config.layers - 1) * H)
        rowDots(model.parameters.values(of: model.decoderWeight), rows: V, length: H, x: top,
                bias: model.parameters.values(of: model.decoderBias), into: logits.base)
    }
}
