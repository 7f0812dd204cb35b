// Every buffer one forward/backward pass of (T, B) needs, allocated once and reused for every
// batch, so the time loop never allocates. Training, evaluation and sampling each own one.

public final class Workspace: @unchecked Sendable {
    public let steps: Int   // T: the most steps one pass may run
    public let batch: Int   // B
    public let config: ModelConfig
    /// (T, B) token ids, time-major: the input and the next-character target of each position.
    public let inputs: UnsafeMutablePointer<Int32>
    public let targets: UnsafeMutablePointer<Int32>
    let layers: [LayerCache]
    let embedding: FloatBuffer      // (V, G·H): layer 0's W_ihᵀ + its biases, so a one-hot product is a row copy
    let embeddingGrad: FloatBuffer  // (V, G·H): its gradient, scattered back into W_ih after backward
    let logits: FloatBuffer         // (T, B, V)
    let dLogits: FloatBuffer        // (T, B, V)
    /// (T, B, H): ∂loss/∂(output of the layer being back-propagated). The decoder writes the top
    /// layer's; each layer above 0 writes the one below's over it once its time loop has read it.
    let dOutput: FloatBuffer
    /// The dropout this workspace's training passes apply (its buffers are sized for it).
    let dropout: ActiveDropout

    /// - Parameter training: allocate the buffers backward and dropout need.
    public init(config: ModelConfig, steps T: Int, batch B: Int, training: Bool) {
        precondition(T > 0 && B > 0, "workspace needs at least one step and one stream")
        steps = T
        batch = B
        self.config = config
        dropout = ActiveDropout(config: config, training: training)
        let V = config.vocabularySize, H = config.hidden, GH = config.cell.gateCount * H
        inputs = .allocate(capacity: T * B)
        inputs.initialize(repeating: 0, count: T * B)
        targets = .allocate(capacity: T * B)
        targets.initialize(repeating: 0, count: T * B)
        layers = (0..<config.layers).map { [dropout] l in
            LayerCache(Workspace.cacheSizes(config: config, layer: l, steps: T, batch: B, dropout: dropout))
        }
        embedding = FloatBuffer(count: V * GH)
        embeddingGrad = FloatBuffer(count: training ? V * GH : 0)
        logits = FloatBuffer(count: T * B * V)
        dLogits = FloatBuffer(count: training ? T * B * V : 0)
        dOutput = FloatBuffer(count: training ? T * B * H : 0)
    }

    /// Bytes a workspace of these dimensions allocates: the sizes `init` allocates, each layer's
    /// as its cell type counts them, so a caller can refuse sizes the machine cannot hold before
    /// allocating anything.
    public static func byteCount(config: ModelConfig, steps T: Int, batch B: Int, training: Bool) -> Int {
        let V = config.vocabularySize, H = config.hidden, GH = config.cell.gateCount * H, L = config.layers
        let dropout = ActiveDropout(config: config, training: training)
        var floats = 0
        for l in 0..<L { floats += cacheSizes(config: config, layer: l, steps: T, batch: B, dropout: dropout).total }
        floats += V * GH * (training ? 2 : 1)                                 // embedding (+ gradient)
        floats += T * B * V * (training ? 2 : 1)                              // logits (+ gradient)
        floats += training ? T * B * H : 0                                    // dOutput
        return floats * MemoryLayout<Float>.stride + 2 * T * B * MemoryLayout<Int32>.stride
    }

    /// Layer l's cache: the dropped copy of its input above layer 0 and the mask of its output
    /// below the top layer, with dropout between layers; its W_hh mask and dropped copy with weight drop.
    private static func cacheSizes(config: ModelConfig, layer l: Int, steps T: Int, batch B: Int,
                                   dropout: ActiveDropout) -> LayerCacheSizes {
        LayerCacheSizes(cell: config.cell.implementation, steps: T, batch: B, hidden: config.hidden,
                        inputSize: config.inputSize(layer: l), needsInput: dropout.betweenLayers && l > 0,
                        needsMask: dropout.betweenLayers && l < config.layers - 1,
                        needsWeightDrop: dropout.recurrentWeights)
    }

    deinit {
        inputs.deallocate()
        targets.deallocate()
    }

    /// Logits of position (t, b) after a forward pass: V values.
    public func logits(step t: Int, stream b: Int) -> UnsafeBufferPointer<Float> {
        let V = config.vocabularySize
        return UnsafeBufferPointer(start: logits.pointer(at: (t * batch + b) * V), count: V)
    }

    /// Layer l's hidden state after step t (t in 0..<steps) for stream b: H values.
    public func hidden(layer l: Int, step t: Int, stream b: Int) -> UnsafeBufferPointer<Float> {
        let H = config.hidden
        return UnsafeBufferPointer(start: layers[l].h.pointer(at: ((t + 1) * batch + b) * H), count: H)
    }

    /// Layer l's LSTM cell state after step t for stream b (empty for other cells).
    public func cellState(layer l: Int, step t: Int, stream b: Int) -> UnsafeBufferPointer<Float> {
        guard config.cell.hasCellState else { return UnsafeBufferPointer(start: nil, count: 0) }
        let H = config.hidden
        return UnsafeBufferPointer(start: layers[l].c.pointer(at: ((t + 1) * batch + b) * H), count: H)
    }

    /// Layer l's gate values at step t for stream b: G·H values in the cell's gate order, after a
    /// forward pass (a training backward pass writes its gradients over them).
    public func gates(layer l: Int, step t: Int, stream b: Int) -> UnsafeBufferPointer<Float> {
        let GH = config.cell.gateCount * config.hidden
        return UnsafeBufferPointer(start: layers[l].gates.pointer(at: (t * batch + b) * GH), count: GH)
    }
}

/// Which dropout a training pass applies, decided here once from the model's settings: between
/// layers (a mask on each output below the top layer) and on W_hh (DropConnect). Evaluation and
/// inference passes apply none (`none`).
struct ActiveDropout: Equatable, Sendable {
    let betweenLayers: Bool
    let recurrentWeights: Bool

    static let none = ActiveDropout(betweenLayers: false, recurrentWeights: false)

    init(config: ModelConfig, training: Bool) {
        self.init(betweenLayers: training && config.dropout > 0 && config.layers > 1,
                  recurrentWeights: training && config.weightDrop > 0)
    }

    private init(betweenLayers: Bool, recurrentWeights: Bool) {
        self.betweenLayers = betweenLayers
        self.recurrentWeights = recurrentWeights
    }
}
