// Early stopping: the run ends once the validation loss has not improved for `patience`
// validations in a row; the best checkpoint, written when that loss was reached, is what remains.

public struct EarlyStopping: Sendable, Equatable {
    public let patience: Int

    /// Automatic mode validates about 20 times a run; 4 validations without a new best is a fifth
    /// of the run spent getting worse, which on a fixed held-out text (no sampling noise) means
    /// the model has begun to overfit rather than that a measurement was unlucky.
    public static let automaticPatience = 4

    public init(patience: Int) { self.patience = patience }

    /// Whether the run should end after its latest validation.
    public func shouldStop(_ progress: TrainingProgress) -> Bool {
        (progress.validationsSinceBest ?? 0) >= patience
    }
}

extension TrainingProgress {
    /// Records a validation loss: the best so far (with its iteration), or one more validation
    /// since the best. Returns whether it is a new best.
    public mutating func recordValidation(_ loss: Double) -> Bool {
        let isBest = bestValidationLoss.map { loss < $0 } ?? true
        if isBest {
            bestValidationLoss = loss
            bestIteration = iteration
            validationsSinceBest = 0
        } else {
            validationsSinceBest = (validationsSinceBest ?? 0) + 1
        }
        return isBest
    }
}
