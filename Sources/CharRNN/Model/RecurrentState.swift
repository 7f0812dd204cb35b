// The hidden (and LSTM cell) state carried between batches: (L, B, H) each.

public final class RecurrentState: @unchecked Sendable {
    public let layers: Int, batch: Int, hidden: Int
    public let h: FloatBuffer            // (L, B, H)
    public let c: FloatBuffer            // (L, B, H) for LSTM, empty otherwise

    public init(config: ModelConfig, batch: Int) {
        layers = config.layers
        self.batch = batch
        hidden = config.hidden
        h = FloatBuffer(count: layers * batch * hidden)
        c = FloatBuffer(count: config.cell.hasCellState ? layers * batch * hidden : 0)
    }

    public func reset() {
        h.zero()
        c.zero()
    }

    public func copy(from other: RecurrentState) {
        h.copy(from: other.h)
        c.copy(from: other.c)
    }
}
