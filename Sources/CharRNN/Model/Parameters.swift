// One flat Float buffer for every parameter, one for their gradients, and named views into both.
// The optimizer, clipping, checkpoints and parameter counts each walk one array; the names are
// exactly those of PyTorch's `nn.LSTM/GRU/RNN(V, H, L, batch_first=True)` + `nn.Linear(H, V)`.

public struct TensorView: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

public final class Parameters: @unchecked Sendable {
    public let views: [TensorView]
    public let values: FloatBuffer
    public let gradients: FloatBuffer
    private let index: [String: Int]

    public var count: Int { values.count }

    init(shapes: [(String, [Int])]) {
        var views: [TensorView] = []
        var offset = 0
        for (name, shape) in shapes {
            views.append(TensorView(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        self.views = views
        values = FloatBuffer(count: offset)
        gradients = FloatBuffer(count: offset)
        index = Dictionary(uniqueKeysWithValues: views.enumerated().map { ($1.name, $0) })
    }

    public func view(named name: String) -> TensorView? { index[name].map { views[$0] } }

    public func values(of view: TensorView) -> UnsafeMutablePointer<Float> { values.pointer(at: view.offset) }
    public func gradients(of view: TensorView) -> UnsafeMutablePointer<Float> { gradients.pointer(at: view.offset) }

    /// A copy of one tensor's values, in row-major order.
    public func array(named name: String) -> [Float]? {
        guard let v = view(named: name) else { return nil }
        return Array(UnsafeBufferPointer(start: values(of: v), count: v.count))
    }

    public func zeroGradients() {
        let g = gradients.base
        Parallelism.forEachChunk(of: count, cost: 4) { chunk in (g + chunk.lowerBound).update(repeating: 0, count: chunk.count) }
    }
}
