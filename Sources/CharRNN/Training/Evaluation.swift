// `charnn eval`: the mean cross-entropy of predicting each character of a text from all the
// characters before it, as one stream from a zero state (the same quantity as the PyTorch
// reference's `score` mode).

import Foundation

public struct EvaluationResult: Sendable, Equatable {
    /// Mean cross-entropy, nats per character.
    public let loss: Double
    /// Characters predicted (the text's length minus one).
    public let characters: Int

    public var bitsPerCharacter: Double { loss / log(2.0) }
    public var perplexity: Double { exp(loss) }
}

/// Runs the model over `tokens` in chunks of `chunk` steps, carrying the state, and averages
/// the loss of every next-character prediction. Returns nil for fewer than two characters.
public func evaluate(_ model: Model, tokens: TokenSequence, chunk: Int = 256) -> EvaluationResult? {
    let n = tokens.count - 1
    guard n >= 1 else { return nil }
    let ws = Workspace(config: model.config, steps: min(chunk, n), batch: 1, training: false)
    let state = RecurrentState(config: model.config, batch: 1)
    var rng = SplitMix64(seed: 0)
    var total = 0.0, position = 0
    while position < n {
        let T = min(ws.steps, n - position)
        for t in 0..<T {
            ws.inputs[t] = tokens[position + t]
            ws.targets[t] = tokens[position + t + 1]
        }
        total += model.forward(ws, steps: T, state: state, mode: .evaluation, rng: &rng)
        position += T
    }
    return EvaluationResult(loss: total / Double(n), characters: n)
}
