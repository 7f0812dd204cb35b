// The architecture of a model: everything needed to rebuild its parameter layout.

public struct ModelConfig: Sendable, Equatable, Codable {
    public var cell: CellKind
    public var layers: Int
    public var hidden: Int
    public var vocabularySize: Int
    /// Dropout probability on the outputs of every layer but the last (PyTorch's `dropout`).
    public var dropout: Float
    /// Weight drop (DropConnect on W_hh, as AWD-LSTM): in training, each recurrent weight is kept
    /// with probability 1 − p and scaled by 1/(1 − p), one mask per layer and batch, so every step
    /// of a batch sees the same recurrent weights. The weights themselves, their names and inference
    /// are unchanged, so PyTorch loads and scores them as any other checkpoint's. 0 turns it off.
    public var weightDrop: Float

    public init(cell: CellKind = .lstm, layers: Int = 2, hidden: Int = 128, vocabularySize: Int, dropout: Float = 0,
                weightDrop: Float = 0) {
        self.cell = cell
        self.layers = layers
        self.hidden = hidden
        self.vocabularySize = vocabularySize
        self.dropout = dropout
        self.weightDrop = weightDrop
    }

    enum CodingKeys: String, CodingKey {
        case cell, layers, hidden, dropout
        case vocabularySize = "vocab_size", weightDrop = "weight_drop"
    }

    /// A file without `weight_drop` trained without it.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cell = try c.decode(CellKind.self, forKey: .cell)
        layers = try c.decode(Int.self, forKey: .layers)
        hidden = try c.decode(Int.self, forKey: .hidden)
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        dropout = try c.decode(Float.self, forKey: .dropout)
        weightDrop = try c.decodeIfPresent(Float.self, forKey: .weightDrop) ?? 0
    }

    /// `weight_drop` only where it is on, so a model without it is written as before.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cell, forKey: .cell)
        try c.encode(layers, forKey: .layers)
        try c.encode(hidden, forKey: .hidden)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(dropout, forKey: .dropout)
        if weightDrop != 0 { try c.encode(weightDrop, forKey: .weightDrop) }
    }

    /// Width of layer l's input: V for the first layer (one-hot), H above.
    public func inputSize(layer l: Int) -> Int { l == 0 ? vocabularySize : hidden }

    /// The tensors in PyTorch's state_dict order, with their shapes: each layer's as its cell
    /// type names them, then the decoder's.
    public var tensorShapes: [(String, [Int])] {
        var shapes: [(String, [Int])] = []
        for l in 0..<layers {
            shapes += cell.implementation.layerTensors(layer: l, inputSize: inputSize(layer: l), hidden: hidden)
        }
        shapes.append(("decoder.weight", [vocabularySize, hidden]))
        shapes.append(("decoder.bias", [vocabularySize]))
        return shapes
    }

    public var parameterCount: Int { tensorShapes.reduce(0) { $0 + $1.1.reduce(1, *) } }

    /// Multiply-adds per character for one forward pass (input, recurrent and decoder products),
    /// the basis of the GFLOP/s figures: forward + backward ≈ 3× this, 2 FLOPs per multiply-add.
    public var multiplyAddsPerCharacter: Int {
        let GH = cell.gateCount * hidden
        var n = 0
        for l in 0..<layers { n += (l == 0 ? 0 : GH * hidden) + GH * hidden }
        return n + vocabularySize * hidden
    }
}
