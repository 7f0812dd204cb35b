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
        let base = 4 * l
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

    private var decoderWeight: TensorView { parameters.views[4 * config.layers] }
    private var decoderBias: TensorView { parameters.views[4 * config.layers + 1] }

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
        let B = ws.batch, H = config.hidden, V = config.vocabularySize
        let L = config.layers, GH = config.cell.gateCount * H
        let cell = config.cell.implementation
        let dropout = mode == .training && config.dropout > 0
        if let state { precondition(state.batch == B, "state batch size differs from the workspace's") }
        precondition(mode != .training || ws.dLogits.count > 0, "a training pass needs a workspace made with training: true")

        // Layer 0's one-hot product is a column of W_ih. A batch with more positions than
        // characters reads them as rows of the input table, laid out once; a short pass (sampling
        // reads one character at a time) gathers the column directly instead.
        let folds = config.cell.foldsRecurrentBias
        let transposeEmbedding = T * B >= V
        if transposeEmbedding { fillInputTable(ws.embedding.base) }

        for l in 0..<L {
            let cache = ws.layers[l], w = layer(l, in: parameters.values)
            if let state {
                cache.h.base.update(from: state.h.pointer(at: l * B * H), count: B * H)
                if config.cell.hasCellState { cache.c.base.update(from: state.c.pointer(at: l * B * H), count: B * H) }
            } else {
                cache.h.base.update(repeating: 0, count: B * H)
                if config.cell.hasCellState { cache.c.base.update(repeating: 0, count: B * H) }
            }

            let xProj = cache.xProj.base  // (T, B, G·H)
            if l == 0 {
                // Rows are independent: threads gather disjoint positions.
                Parallelism.forEachPart(of: T * B, unit: 1, work: T * B * GH * 16) { positions in
                    for s in positions {
                        let row = xProj + s * GH, id = Int(ws.inputs[s])
                        if transposeEmbedding {
                            row.update(from: ws.embedding.pointer(at: id * GH), count: GH)
                        } else {
                            for g in 0..<GH { row[g] = w.weightIH[g * V + id] }
                            axpy(1, w.biasIH, row, GH)
                            if folds { axpy(1, w.biasHH, row, GH) }
                        }
                    }
                }
            } else {
                precision.gemm(.none, .transposed, m: T * B, n: GH, k: H, layerInput(ws, l, dropout: dropout), lda: H,
                               w.weightIH, ldb: H, beta: 0, xProj, ldc: GH)
                addToRows(xProj, rows: T * B, cols: GH, w.biasIH, then: folds ? UnsafePointer(w.biasHH) : nil)
            }

            cache.packRecurrentWeights(w, forward: true, precision: precision)
            forEachStreamGroup(T, B) { streams in cell.forward(w, cache, steps: T, batch: B, streams: streams) }

            if dropout && l < L - 1 {
                // Inverted dropout: kept units are scaled by 1/(1-p) so inference needs no change.
                let keep = 1 - config.dropout, scale = 1 / keep
                let out = cache.h.pointer(at: B * H), mask = cache.dropMask.base, next = ws.layers[l + 1].input.base
                for s in 0..<(T * B * H) {
                    mask[s] = rng.nextUnitFloat() < keep ? scale : 0
                    next[s] = out[s] * mask[s]
                }
            }
            if let state {
                state.h.pointer(at: l * B * H).update(from: cache.h.pointer(at: T * B * H), count: B * H)
                if config.cell.hasCellState {
                    state.c.pointer(at: l * B * H).update(from: cache.c.pointer(at: T * B * H), count: B * H)
                }
            }
        }

        let top = ws.layers[L - 1].h.pointer(at: B * H)  // (T, B, H)
        precision.gemm(.none, .transposed, m: T * B, n: V, k: H, top, lda: H, parameters.values(of: decoderWeight), ldb: H,
                       beta: 0, ws.logits.base, ldc: V)
        addToRows(ws.logits.base, rows: T * B, cols: V, parameters.values(of: decoderBias))

        switch mode {
        case .inference:
            return 0
        case .evaluation:
            return softmaxCrossEntropy(ws.logits.base, rows: T * B, classes: V, targets: ws.targets,
                                       gradient: nil, scale: 0)
        case .training:
            // The gradient is that of the mean over the T·B positions, as PyTorch's cross_entropy;
            // the value returned is the sum, as in the other modes.
            return softmaxCrossEntropy(ws.logits.base, rows: T * B, classes: V, targets: ws.targets,
                                       gradient: ws.dLogits.base, scale: 1 / Float(T * B))
        }
    }

    /// Backpropagation through time for the last `.training` forward pass of `steps` T.
    /// Adds ∂(mean loss)/∂θ into `parameters.gradients`; leaves ∂/∂h_0 (and c_0) per layer
    /// readable through `initialStateGradient`. `precision`: of the large products, as for `forward`.
    public func backward(_ ws: Workspace, steps T: Int, precision: Precision = .fp32) {
        let B = ws.batch, H = config.hidden, V = config.vocabularySize
        let L = config.layers, GH = config.cell.gateCount * H
        let cell = config.cell.implementation
        // A training workspace of a model with dropout holds the dropped inputs of layers above 0.
        let dropout = config.dropout > 0 && L > 1 && ws.layers[1].input.count > 0
        let grads = parameters.gradients

        // Decoder: dW += dLogitsᵀ·top, db += Σ dLogits, dOutput = dLogits·W.
        let top = ws.layers[L - 1].h.pointer(at: B * H)
        precision.gemm(.transposed, .none, m: V, n: H, k: T * B, ws.dLogits.base, lda: V, top, ldb: H,
                       beta: 1, parameters.gradients(of: decoderWeight), ldc: H)
        accumulateColumnSums(ws.dLogits.base, rows: T * B, cols: V, into: parameters.gradients(of: decoderBias))
        precision.gemm(.none, .none, m: T * B, n: H, k: V, ws.dLogits.base, lda: V, parameters.values(of: decoderWeight),
                       ldb: H, beta: 0, ws.dOutput.base, ldc: H)

        let dH = ws.dOutput.base
        for l in stride(from: L - 1, through: 0, by: -1) {
            let cache = ws.layers[l], w = layer(l, in: parameters.values), g = layer(l, in: grads)
            let dIn = UnsafePointer(dH)
            cache.packRecurrentWeights(w, forward: false, precision: precision)
            forEachStreamGroup(T, B) { streams in
                cell.backward(w, cache, dH: dIn, steps: T, batch: B, streams: streams, fault: fault)
            }

            // All T steps' weight gradients as one product each, after the time loop.
            precision.gemm(.transposed, .none, m: GH, n: H, k: T * B, cache.dHProj.base, lda: GH, cache.h.base, ldb: H,
                           beta: 1, g.weightHH, ldc: H)
            if cache.dHProj.base == cache.dXProj.base {
                accumulateColumnSums(cache.dXProj.base, rows: T * B, cols: GH, into: g.biasIH, also: g.biasHH)
            } else {
                accumulateColumnSums(cache.dHProj.base, rows: T * B, cols: GH, into: g.biasHH)
                accumulateColumnSums(cache.dXProj.base, rows: T * B, cols: GH, into: g.biasIH)
            }

            if l == 0 {
                let eg = ws.embeddingGrad
                eg.zero()
                // (V, G·H) += scatter of dXProj's rows by input id. Positions with the same id
                // add into the same row, so threads split the G·H columns instead: each element
                // still adds its positions in order s = 0, 1, 2, ..., whatever the thread count.
                Parallelism.forEachPart(of: GH, unit: 16, work: T * B * GH * 16) { columns in
                    let j = columns.lowerBound
                    for s in 0..<(T * B) {
                        axpy(1, cache.dXProj.pointer(at: s * GH + j), eg.pointer(at: Int(ws.inputs[s]) * GH + j), columns.count)
                    }
                }
                for gi in 0..<GH {
                    for v in 0..<V { g.weightIH[gi * V + v] += eg[v * GH + gi] }
                }
            } else {
                let input = layerInput(ws, l, dropout: dropout)
                precision.gemm(.transposed, .none, m: GH, n: H, k: T * B, cache.dXProj.base, lda: GH, input, ldb: H,
                               beta: 1, g.weightIH, ldc: H)
                precision.gemm(.none, .none, m: T * B, n: H, k: GH, cache.dXProj.base, lda: GH, w.weightIH, ldb: H,
                               beta: 0, dH, ldc: H)
                if dropout {
                    let mask = ws.layers[l - 1].dropMask.base
                    for s in 0..<(T * B * H) { dH[s] *= mask[s] }
                }
            }
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
