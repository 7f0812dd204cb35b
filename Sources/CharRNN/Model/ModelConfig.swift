// The architecture of a model: everything needed to rebuild its parameter layout.

public struct ModelConfig: Sendable, Equatable, Codable {
    public var cell: CellKind
    public var layers: Int
    public var hidden: Int
    public var vocabularySize: Int
    /// Dropout probability on the outputs of every layer but the last (PyTorch's `dropout`).
    public var dropout: Float

    public init(cell: CellKind = .lstm, layers: Int = 2, hidden: Int = 128, vocabularySize: Int, dropout: Float = 0) {
        self.cell = cell
        self.layers = layers
        self.hidden = hidden
        self.vocabularySize = vocabularySize
        self.dropout = dropout
    }

    enum CodingKeys: String, CodingKey {
        case cell, layers, hidden, dropout
        case vocabularySize = "vocab_size"
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
