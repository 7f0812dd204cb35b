// What a training iteration costs: its floating-point work per character, and its time measured
// with the real Trainer. The benchmark reports both; automatic sizing plans with them.

import Foundation

public enum TrainingThroughput {
    /// Floating-point operations per training character (one position of a (T, B) batch),
    /// counting each multiply-add as 2 and ignoring the element-wise work (activations, loss,
    /// optimizer), which is O(G·H + V) against the products' O(G·H²):
    ///
    ///   forward   G·H·H  (layer 0, h·W_hhᵀ; its x·W_ihᵀ is a column lookup, no product)
    ///           + (L−1)·2·G·H·H  (layers above: x·W_ihᵀ and h·W_hhᵀ)
    ///           + V·H  (decoder)
    ///   backward  twice the forward: for every product, one for the input's gradient and one
    ///             for the weight's (layer 0's W_ih gradient is a scatter-add of rows, no product)
    ///   charnn    = 2 · 3 · (G·H·H + (L−1)·2·G·H·H + V·H)
    ///
    /// PyTorch multiplies the dense one-hot (V wide) by W_ih in layer 0: G·H·V forward and G·H·V
    /// for W_ih's gradient (the one-hot input needs none), so its count is charnn's + 2 · 2·G·H·V.
    public static func flopsPerCharacter(_ config: ModelConfig) -> (charnn: Double, pytorch: Double) {
        let G = Double(config.cell.gateCount), H = Double(config.hidden)
        let V = Double(config.vocabularySize), L = Double(config.layers)
        let forward = G * H * H + (L - 1) * 2 * G * H * H + V * H
        let charnn = 2 * 3 * forward
        return (charnn, charnn + 2 * 2 * G * H * V)
    }

    /// Trains `model` on `corpus` for `warmup` untimed and up to `iterations` timed iterations with
    /// the real Trainer (no checkpoint files), stopping early once all of them together have taken
    /// `timeLimit` seconds. Returns each timed iteration's seconds, each warm-up iteration's, and the
    /// B·T characters an iteration trains on (after the Trainer fits the batch to a short text), and
    /// the precision that ran (fp32 where bf16 was asked for on a CPU without it).
    public static func iterationSeconds(model: Model, corpus: Corpus, options: TrainingOptions, warmup: Int, iterations: Int,
                                        timeLimit: Double = .infinity)
        throws -> (seconds: [Double], warmupSeconds: [Double], charactersPerIteration: Int, precision: Precision) {
        var options = options
        options.printEvery = 1                 // a report, and so a timing, per iteration
        options.evalEvery = Int.max / 2        // validated once, after the timed iterations
        let trainer = try Trainer(model: model, vocabulary: corpus.vocabulary, corpus: corpus, options: options)
        let characters = trainer.options.batchSize * trainer.options.seqLength
        var seconds: [Double] = [], warmupSeconds: [Double] = []
        _ = try trainer.run(until: StopCondition(iterations: warmup + iterations),
                            shouldStop: { (seconds + warmupSeconds).reduce(0, +) >= timeLimit }) { event in
            // Each step report covers exactly one iteration (printEvery 1): its rate is B·T / time.
            if case .step(let r) = event, r.charsPerSecond > 0 {
                if r.iteration > warmup { seconds.append(Double(characters) / r.charsPerSecond) }
                else { warmupSeconds.append(Double(characters) / r.charsPerSecond) }
            }
        }
        return (seconds, warmupSeconds, characters, trainer.options.precision)
    }

    /// The middle value (the mean of the two middle ones for an even count); nil when empty.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted(), n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }
}
