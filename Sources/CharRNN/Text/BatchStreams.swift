// How a stretch of text becomes (T, B) batches: it is cut into B equal contiguous streams, and
// batch k holds characters k·T ..< (k+1)·T of every stream, so consecutive batches continue each
// stream and the hidden state can be carried from one to the next (truncated BPTT).

public struct BatchStreams: Sendable {
    public let range: Range<Int>
    public let batch: Int          // B
    public let steps: Int          // T
    public let streamLength: Int   // characters of input per stream
    public var batchesPerEpoch: Int { streamLength / steps }

    /// nil if the range cannot fill even one (T, B) batch (it needs B·T + 1 characters).
    public init?(range: Range<Int>, batch B: Int, steps T: Int) {
        guard B > 0, T > 0 else { return nil }
        let usable = (range.count - 1) / (B * T) * (B * T)
        guard usable > 0 else { return nil }
        self.range = range
        batch = B
        steps = T
        streamLength = usable / B
    }

    /// Writes batch `k` (0 ..< batchesPerEpoch) of inputs and next-character targets into `ws`.
    public func fill(_ ws: Workspace, batch k: Int, from tokens: TokenSequence) {
        let B = batch, T = steps
        for b in 0..<B {
            let start = range.lowerBound + b * streamLength + k * T
            for t in 0..<T {
                ws.inputs[t * B + b] = tokens[start + t]
                ws.targets[t * B + b] = tokens[start + t + 1]
            }
        }
    }
}
