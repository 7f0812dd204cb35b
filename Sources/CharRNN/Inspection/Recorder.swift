// Runs a model over a text as one stream from a zero state, without dropout, and hands each
// character's recorded activations to a callback while they are still in the workspace, so that
// no pass over the text ever holds more than one chunk of activations.
//
// `RecordedStep.value(of:)` is the ONE place that reads the per-layer caches (LayerCache h, c, gates
// through the Workspace accessors); if the cells' cache layout changes, only it needs to follow.

import Foundation

public final class Recorder {
    public let model: Model
    private let workspace: Workspace    // (T, 1): one stream
    private let state: RecurrentState  // (L, 1, H): carried from chunk to chunk

    /// - Parameter chunk: characters per forward pass (T).
    public init(model: Model, chunk: Int = 256) {
        self.model = model
        workspace = Workspace(config: model.config, steps: chunk, batch: 1, training: false)
        state = RecurrentState(config: model.config, batch: 1)
    }

    /// Runs over `tokens[0 ..< count]` from a zero state, calling `body(position, step)` for every
    /// character in order. The step is valid only during the call.
    public func run(_ tokens: TokenSequence, count: Int, _ body: (Int, RecordedStep) throws -> Void) rethrows {
        precondition(count <= tokens.count, "count past the end of the text")
        state.reset()
        var rng = SplitMix64(seed: 0)  // unused: no dropout outside training
        var position = 0
        while position < count {
            let T = min(workspace.steps, count - position)
            for t in 0..<T { workspace.inputs[t] = tokens[position + t] }
            model.forward(workspace, steps: T, state: state, mode: .inference, rng: &rng)
            for t in 0..<T { try body(position + t, RecordedStep(workspace: workspace, step: t)) }
            position += T
        }
    }
}

/// One character's activations, after the model has read it.
public struct RecordedStep {
    let workspace: Workspace
    let step: Int

    /// The unit's value after this character: the one accessor of the layer caches.
    @inline(__always)
    public func value(of unit: CellUnit) -> Float {
        switch unit.source {
        case .hidden: return workspace.hidden(layer: unit.layer, step: step, stream: 0)[unit.index]
        case .cell: return workspace.cellState(layer: unit.layer, step: step, stream: 0)[unit.index]
        case .gate(let k): return workspace.gates(layer: unit.layer, step: step, stream: 0)[k * workspace.config.hidden + unit.index]
        }
    }

    /// The values of `units`, in order, into `row` (units.count values).
    public func values(of units: [CellUnit], into row: UnsafeMutablePointer<Float>) {
        for (k, u) in units.enumerated() { row[k] = value(of: u) }
    }

    /// The model's `k` most likely next characters (ids) with their probabilities, most likely first.
    public func predictions(top k: Int) -> [(id: Int32, probability: Double)] {
        let logits = workspace.logits(step: step, stream: 0)
        let top = logits.max() ?? 0
        var total = 0.0
        for v in logits { total += exp(Double(v - top)) }
        var best: [(id: Int32, probability: Double)] = []
        for (i, v) in logits.enumerated() {
            let p = exp(Double(v - top)) / total
            if best.count < k || p > best[best.count - 1].probability {
                best.append((Int32(i), p))
                best.sort { $0.probability > $1.probability }
                if best.count > k { best.removeLast() }
            }
        }
        return best
    }
}
