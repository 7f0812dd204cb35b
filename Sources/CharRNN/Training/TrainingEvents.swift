// What the Trainer tells its caller while it runs (events) and when it ends (summary), and the
// errors that end a run.

public enum TrainingEvent: Sendable {
    case warning(SettingsMessage)
    case started(TrainingStart)
    case step(StepReport)
    case validated(ValidationReport)
    case saved(path: String)
}

public struct TrainingStart: Sendable {
    public let parameterCount: Int
    public let trainCharacters: Int
    public let validationCharacters: Int
    public let batchesPerEpoch: Int
    public let resumedAt: Int?
}

public struct StepReport: Sendable {
    public let iteration: Int
    public let epoch: Double
    /// Mean training loss (nats/char) over the iterations since the previous report.
    public let trainLoss: Double
    public let learningRate: Float
    public let gradientNorm: Double
    public let charsPerSecond: Double
    public let elapsedSeconds: Double
    /// Training seconds over all runs of this model (elapsedSeconds is this run's).
    public let trainingSeconds: Double
    public let etaSeconds: Double?
    /// Fraction of the stop condition reached, when there is one to measure against.
    public let completion: Double?
}

public struct ValidationReport: Sendable {
    public let iteration: Int
    public let epoch: Double
    public let loss: Double
    public let isBest: Bool
}

public struct TrainingSummary: Sendable {
    public let iterations: Int
    public let lastTrainLoss: Double?
    public let validationLoss: Double?
    public let bestValidationLoss: Double?
    public let interrupted: Bool
    /// Set when early stopping ended the run: the iteration of the best validation loss.
    public let stoppedEarlyWithBestAt: Int?
}

public enum TrainingError: Error, Equatable, NamesSettings {
    case corpusTooShort(characters: Int)
    case nonFinite(iteration: Int, what: String)

    public func text(naming name: (Setting) -> String) -> String {
        switch self {
        case .corpusTooShort(let n):
            return "the training text is too short: \(n) character\(n == 1 ? "" : "s"), and training needs at least 2 characters"
        case .nonFinite(let it, let what):
            return "\(what) became non-finite at iteration \(it); the last checkpoint was kept. "
                + "Try a lower \(name(.learningRate)) or \(name(.clipNorm))"
        }
    }
}
