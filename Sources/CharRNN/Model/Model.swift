// The network: a stack of recurrent layers over one-hot characters, a linear decoder to logits,
// and softmax cross-entropy. Forward runs a (T, B) batch through every layer; backward
// (backpropagation through time) accumulates into `parameters.gradients`.

public enum ForwardMode: Sendable {
    /// Dropout on, loss and ∂loss/∂logits computed, ready for `backward`.
    case training
    /// No dropout; the loss is computed from `targets`.
    case evaluation
    /// No dropout, no loss: only logits and states (sampling, inspection).
    case inference
}

public final class Model: @unchecked Sendable {
    public let config: ModelConfig
    public let parameters: Parameters
    /// Tests only: makes a backward pass deliberately wrong (see `GradientFault`).
    var fault: GradientFault = .none

    /// A freshly initialised model. Every weight and bias is uniform in ±1/√H, exactly as PyTorch
    /// initialises nn.LSTM/GRU/RNN and nn.Linear(H, V). (char-rnn's +1 forget-gate bias was
    /// tried: on Tiny Shakespeare it reached a worse validation loss after 1000 iterations.)
    public init(config: ModelConfig, seed: UInt64) {
        self.config = config
        parameters = Parameters(shapes: config.tensorShapes)
        var rng = SplitMix64(seed: seed)
        let bound = 1 / Float(config.hidden).squareRoot()
        let p = parameters.values.base
        for i in 0..<parameters.count { p[i] = rng.nextUniform(bound: bound) }
    }

    /// A model holding the given parameter values (flat, in `config.tensorShapes` order).
    public init(config: ModelConfig, values: UnsafeBufferPointer<Float>) {
        precondition(values.count == config.parameterCount, "parameter count does not match the config")
        self.config = config
        parameters = Parameters(shapes: config.tensorShapes)
        parameters.values.base.update(from: values.baseAddress!, count: values.count)
    }

    /// Layer l's weights (or gradients) inside `buffer`: the values or the gradients.
    func layer(_ l: Int, in buffer: FloatBuffer) -> LayerParameters {
        let base = LayerParameters.tensorCount * l
        func at(_ i: Int) -> UnsafeMutablePointer<Float> { buffer.pointer(at: parameters.views[base + i].offset) }
        return LayerParameters(weightIH: at(0), weightHH: at(1), biasIH: at(2), biasHH: at(3))
    }

    /// Lays out layer 0's input table (V, G·H): row v is W_ih's column v + b_ih (+ b_hh where the
    /// cell folds it in), the pre-activation a one-hot v contributes. The batch forward pass and
    /// sampling's `InferenceStep` both build it here, so the biases are added once per table
    /// instead of once per position, with the same roundings in the same order on both paths.
    func fillInputTable(_ table: UnsafeMutablePointer<Float>) {
        let V = config.vocabularySize, GH = config.cell.gateCount * config.hidden
        let w0 = layer(0, in: parameters.values), folds = config.cell.foldsRecurrentBias
        for g in 0..<GH {
            let column = w0.weightIH + g * V, bias = w0.biasIH[g], second = folds ? w0.biasHH[g] : 0
            for v in 0..<V { table[v * GH + g] = folds ? column[v] + bias + second : column[v] + bias }
        }
    }

    /// The decoder's tensors, after every layer's.
    var decoderWeight: TensorView { parameters.views[LayerParameters.tensorCount * config.layers] }     // (V, H)
    var decoderBias: TensorView { parameters.views[LayerParameters.tensorCount * config.layers + 1] }  // (V)

    /// Layer l's input for steps 0 ..< T: the layer below's outputs h[1...T], or their dropped
    /// copy when dropout is active. (T, B, I).
    private func layerInput(_ ws: Workspace, _ l: Int, dropout: Bool) -> UnsafeMutablePointer<Float> {
        dropout ? ws.layers[l].input.base : ws.layers[l - 1].h.pointer(at: ws.batch * config.hidden)
    }

    /// Runs steps 0 ..< T of the batch in `ws.inputs` (time-major (T, B) ids).
    /// - Parameters:
    ///   - state: initial state, replaced by the final one; nil starts from zeros and keeps nothing.
    ///   - precision: of the large products (see `Precision`); `.bf16` only where
    ///     `Precision.bf16Available` says so.
    /// - Returns: Σ cross-entropy (nats) over the T·B positions (0 for `.inference`).
    @discardableResult
    public func forward(_ ws: Workspace, steps T: Int, state: RecurrentState?, mode: ForwardMode,
                        precision: Precision = .fp32, rng: inout SplitMix64) -> Double {
        precondition(T >= 1 && T <= ws.steps, "steps out of the workspace's range")
        if let state { precondition(state.batch == ws.batch, "state batch size differs from the workspace's") }
        precondition(mode != .training || ws.dLogits.count > 0, "a training pass needs a workspace made with training: true")
        let B = ws.batch, cell = config.cell.implementation
        let dropout = mode == .training ? ws.dropout : .none
        for l in 0..<config.layers {
            let cache = ws.layers[l]
            var w = layer(l, in: parameters.values)
            if dropout.recurrentWeights { w = dropRecurrentWeights(w, cache, rng: &rng) }
            startState(of: cache, layer: l, from: state)
            if l == 0 {
                embedInputs(ws, steps: T, w)
            } else {
                projectInputs(ws, layer: l, steps: T, w, dropout: dropout.betweenLayers, precision: precision)
            }
            cache.packRecurrentWeights(w, forward: true, precision: precision)
            forEachStreamGroup(T, B) { streams in cell.forward(w, cache, steps: T, batch: B, streams: streams) }
            if dropout.betweenLayers && l < config.layers - 1 { dropOutputs(of: l, ws, steps: T, rng: &rng) }
            if let state { keepFinalState(of: cache, layer: l, steps: T, in: state) }
        }
        decode(ws, steps: T, precision: precision)
        return loss(ws, steps: T, mode: mode)
    }

    /// Layer l's h[0] (and c[0]): its rows of `state`, or zeros.
    private func startState(of cache: LayerCache, layer l: Int, from state: RecurrentState?) {
        let BH = cache.batch * config.hidden
        if let state {
            cache.h.base.update(from: state.h.pointer(at: l * BH), count: BH)
            if config.cell.hasCellState { cache.c.base.update(from: state.c.pointer(at: l * BH), count: BH) }
        } else {
            cache.h.base.update(repeating: 0, count: BH)
            if config.cell.hasCellState { cache.c.base.update(repeating: 0, count: BH) }
        }
    }

    /// Layer l's h[T] (and c[T]) into its rows of `state`, to carry into the next pass.
    private func keepFinalState(of cache: LayerCache, layer l: Int, steps T: Int, in state: RecurrentState) {
        let BH = cache.batch * config.hidden
        state.h.pointer(at: l * BH).update(from: cache.h.pointer(at: T * BH), count: BH)
        if config.cell.hasCellState { state.c.pointer(at: l * BH).update(from: cache.c.pointer(at: T * BH), count: BH) }
    }

    /// Layer 0's pre-activations (T, B, G·H) from the input ids. A one-hot product is a column of
    /// W_ih: a batch with more positions than characters reads them as rows of the input table,
    /// laid out once; a short pass (sampling reads one character at a time) gathers the column
    /// directly instead. Rows are independent: threads gather disjoint positions.
    private func embedInputs(_ ws: Workspace, steps T: Int, _ w: LayerParameters) {
        let B = ws.batch, V = config.vocabularySize, GH = config.cell.gateCount * config.hidden
        let folds = config.cell.foldsRecurrentBias, pre = ws.layers[0].gates.base
        let useTable = T * B >= V
        if useTable { fillInputTable(ws.embedding.base) }
        Parallelism.forEachPart(of: T * B, unit: 1, work: T * B * GH * 16) { positions in
            for s in positions {
                let row = pre + s * GH, id = Int(ws.inputs[s])
                if useTable {
                    row.update(from: ws.embedding.pointer(at: id * GH), count: GH)
                } else {
                    for g in 0..<GH { row[g] = w.weightIH[g * V + id] }
                    axpy(1, w.biasIH, row, GH)
                    if folds { axpy(1, w.biasHH, row, GH) }
                }
            }
        }
    }

    /// Layer l's (above 0) pre-activations (T, B, G·H): its input · W_ihᵀ + b_ih (+ b_hh where folded).
    private func projectInputs(_ ws: Workspace, layer l: Int, steps T: Int, _ w: LayerParameters, dropout: Bool,
                               precision: Precision) {
        let B = ws.batch, H = config.hidden, GH = config.cell.gateCount * H, pre = ws.layers[l].gates.base
        precision.gemm(.none, .transposed, m: T * B, n: GH, k: H, layerInput(ws, l, dropout: dropout), lda: H,
                       w.weightIH, ldb: H, beta: 0, pre, ldc: GH)
        addToRows(pre, rows: T * B, cols: GH, w.biasIH, then: config.cell.foldsRecurrentBias ? UnsafePointer(w.biasHH) : nil)
    }

    /// Inverted dropout on layer l's outputs into layer l+1's input: kept units are scaled by
    /// 1/(1-p) so inference needs no change. The mask is kept for backward.
    private func dropOutputs(of l: Int, _ ws: Workspace, steps T: Int, rng: inout SplitMix64) {
        let B = ws.batch, H = config.hidden
        let keep = 1 - config.dropout, scale = 1 / keep
        let out = ws.layers[l].h.pointer(at: B * H), mask = ws.layers[l].dropMask.base, next = ws.layers[l + 1].input.base
        for s in 0..<(T * B * H) {
            mask[s] = rng.nextUnitFloat() < keep ? scale : 0
            next[s] = out[s] * mask[s]
        }
    }

    /// Weight drop: a fresh mask of W_hh (each element kept with probability 1 − p, scaled by
    /// 1/(1 − p)) and W_hh times it, which this batch's time loops read in place of W_hh.
    private func dropRecurrentWeights(_ w: LayerParameters, _ cache: LayerCache, rng: inout SplitMix64) -> LayerParameters {
        let keep = 1 - config.weightDrop, scale = 1 / keep
        let mask = cache.weightMask.base, dropped = cache.droppedWeightHH.base
        for i in 0..<cache.weightMask.count {
            mask[i] = rng.nextUnitFloat() < keep ? scale : 0
            dropped[i] = w.weightHH[i] * mask[i]
        }
        return w.replacingWeightHH(dropped)
    }

    /// logits (T, B, V) = top layer's h[1...T] · W_decᵀ + b_dec.
    private func decode(_ ws: Workspace, steps T: Int, precision: Precision) {
        let B = ws.batch, H = config.hidden, V = config.vocabularySize
        let top = ws.layers[config.layers - 1].h.pointer(at: B * H)  // (T, B, H)
        precision.gemm(.none, .transposed, m: T * B, n: V, k: H, top, lda: H, parameters.values(of: decoderWeight), ldb: H,
                       beta: 0, ws.logits.base, ldc: V)
        addToRows(ws.logits.base, rows: T * B, cols: V, parameters.values(of: decoderBias))
    }

    /// The loss the mode asks for, and in training its gradient with respect to the logits.
    private func loss(_ ws: Workspace, steps T: Int, mode: ForwardMode) -> Double {
        let rows = T * ws.batch, V = config.vocabularySize
        switch mode {
        case .inference:
            return 0
        case .evaluation:
            return softmaxCrossEntropy(ws.logits.base, rows: rows, classes: V, targets: ws.targets, gradient: nil, scale: 0)
        case .training:
            // The gradient is that of the mean over the T·B positions, as PyTorch's cross_entropy;
            // the value returned is the sum, as in the other modes.
            return softmaxCrossEntropy(ws.logits.base, rows: rows, classes: V, targets: ws.targets,
                                       gradient: ws.dLogits.base, scale: 1 / Float(rows))
        }
    }

    /// Backpropagation through time for the last `.training` forward pass of `steps` T.
    /// Adds ∂(mean loss)/∂θ into `parameters.gradients`; leaves ∂/∂h_0 (and c_0) per layer
    /// readable through `initialStateGradient`. `precision`: of the large products, as for `forward`.
    public func backward(_ ws: Workspace, steps T: Int, precision: Precision = .fp32) {
        let B = ws.batch, H = config.hidden, L = config.layers, GH = config.cell.gateCount * H
        let cell = config.cell.implementation
        let dropout = ws.dropout  // a backward pass follows a training pass
        backpropagateDecoder(ws, steps: T, precision: precision)

        let dH = ws.dOutput.base
        for l in stride(from: L - 1, through: 0, by: -1) {
            let cache = ws.layers[l], g = layer(l, in: parameters.gradients)
            var w = layer(l, in: parameters.values)
            if dropout.recurrentWeights { w = w.replacingWeightHH(cache.droppedWeightHH.base) }
            let dIn = UnsafePointer(dH)
            cache.packRecurrentWeights(w, forward: false, precision: precision)
            forEachStreamGroup(T, B) { streams in
                cell.backward(w, cache, dH: dIn, steps: T, batch: B, streams: streams, fault: fault)
            }
            accumulateRecurrentGradients(cache, into: g, steps: T, precision: precision, weightMask: dropout.recurrentWeights)
            if l == 0 {
                scatterEmbeddingGradient(ws, steps: T, into: g)
            } else {
                // The pre-activation gradients are in `gates`: W_ih's gradient, and ∂loss/∂(layer l-1's output).
                let input = layerInput(ws, l, dropout: dropout.betweenLayers)
                precision.gemm(.transposed, .none, m: GH, n: H, k: T * B, cache.gates.base, lda: GH, input, ldb: H,
                               beta: 1, g.weightIH, ldc: H)
                precision.gemm(.none, .none, m: T * B, n: H, k: GH, cache.gates.base, lda: GH, w.weightIH, ldb: H,
                               beta: 0, dH, ldc: H)
                if dropout.betweenLayers {
                    let mask = ws.layers[l - 1].dropMask.base
                    for s in 0..<(T * B * H) { dH[s] *= mask[s] }
                }
            }
        }
    }

    /// Decoder: dW += dLogitsᵀ·top, db += Σ dLogits, dOutput = dLogits·W.
    private func backpropagateDecoder(_ ws: Workspace, steps T: Int, precision: Precision) {
        let B = ws.batch, H = config.hidden, V = config.vocabularySize
        let top = ws.layers[config.layers - 1].h.pointer(at: B * H)
        precision.gemm(.transposed, .none, m: V, n: H, k: T * B, ws.dLogits.base, lda: V, top, ldb: H,
                       beta: 1, parameters.gradients(of: decoderWeight), ldc: H)
        accumulateColumnSums(ws.dLogits.base, rows: T * B, cols: V, into: parameters.gradients(of: decoderBias))
        precision.gemm(.none, .none, m: T * B, n: H, k: V, ws.dLogits.base, lda: V, parameters.values(of: decoderWeight),
                       ldb: H, beta: 0, ws.dOutput.base, ldc: H)
    }

    /// All T steps' W_hh, b_hh and b_ih gradients as one product or column sum each, after the
    /// time loop. Where the cell keeps no recurrent-side gradients of their own, both biases have
    /// the input side's, summed in one pass. With weight drop the product is the gradient of the
    /// masked W_hh, so it goes through the dropped copy (no longer needed) and the mask first.
    private func accumulateRecurrentGradients(_ cache: LayerCache, into g: LayerParameters, steps T: Int,
                                              precision: Precision, weightMask: Bool) {
        let rows = T * cache.batch, H = config.hidden, GH = config.cell.gateCount * H
        if weightMask {
            let masked = cache.droppedWeightHH.base, mask = cache.weightMask.base
            precision.gemm(.transposed, .none, m: GH, n: H, k: rows, cache.recurrentSideGradients.base, lda: GH,
                           cache.h.base, ldb: H, beta: 0, masked, ldc: H)
            for i in 0..<(GH * H) { g.weightHH[i] += masked[i] * mask[i] }
        } else {
            precision.gemm(.transposed, .none, m: GH, n: H, k: rows, cache.recurrentSideGradients.base, lda: GH,
                           cache.h.base, ldb: H, beta: 1, g.weightHH, ldc: H)
        }
        if let recurrentSide = cache.recurrentGateGradients {
            accumulateColumnSums(recurrentSide.base, rows: rows, cols: GH, into: g.biasHH)
            accumulateColumnSums(cache.gates.base, rows: rows, cols: GH, into: g.biasIH)
        } else {
            accumulateColumnSums(cache.gates.base, rows: rows, cols: GH, into: g.biasIH, also: g.biasHH)
        }
    }

    /// Layer 0's W_ih gradient: (V, G·H) += scatter of the pre-activation gradients' rows by
    /// input id, then added into W_ih transposed. Positions with the same id add into the same
    /// row, so threads split the G·H columns instead: each element still adds its positions in
    /// order s = 0, 1, 2, ..., whatever the thread count.
    private func scatterEmbeddingGradient(_ ws: Workspace, steps T: Int, into g: LayerParameters) {
        let V = config.vocabularySize, GH = config.cell.gateCount * config.hidden
        let eg = ws.embeddingGrad, dPre = ws.layers[0].gates
        eg.zero()
        Parallelism.forEachPart(of: GH, unit: 16, work: T * ws.batch * GH * 16) { columns in
            let j = columns.lowerBound
            for s in 0..<(T * ws.batch) {
                axpy(1, dPre.pointer(at: s * GH + j), eg.pointer(at: Int(ws.inputs[s]) * GH + j), columns.count)
            }
        }
        for gi in 0..<GH {
            for v in 0..<V { g.weightIH[gi * V + v] += eg[v * GH + gi] }
        }
    }

    /// Runs a layer's time loop on groups of streams spread over the threads: streams are
    /// independent within a layer, so each group runs all T steps of its own rows with no
    /// synchronisation per step. Groups are multiples of the GEMM's row block, so the per-step
    /// products waste no rows on the split; two per thread keep both cores busy when the OS
    /// pauses one thread for a while.
    private func forEachStreamGroup(_ T: Int, _ B: Int, _ body: (Range<Int>) -> Void) {
        let H = config.hidden, GH = config.cell.gateCount * H
        Parallelism.forEachPart(of: B, unit: gemmRowBlock, work: T * B * GH * H, partsPerThread: 2, body)
    }

    /// ∂loss/∂h_0 of layer l after `backward`: (B, H).
    public func initialStateGradient(_ ws: Workspace, layer l: Int) -> (h: [Float], c: [Float]) {
        (ws.layers[l].dh.array, ws.layers[l].dc.array)
    }
}
