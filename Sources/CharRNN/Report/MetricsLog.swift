// A run's metrics log as `charnn train` writes it (one JSON object per line: step lines, and
// validation lines with `val_loss`), read back into the series a report draws.

import Foundation

public struct MetricsPoint: Sendable, Equatable {
    public var iteration: Int
    /// Training seconds over all runs (older logs without `time_s`: this run's `elapsed_s`).
    public var seconds: Double
    public var value: Double
}

public struct MetricsLog: Sendable, Equatable {
    public var train: [MetricsPoint] = []
    public var validation: [MetricsPoint] = []
    public var learningRate: [MetricsPoint] = []
    /// Lines that were not a metrics object (a write cut short by a kill, say), skipped.
    public var skippedLines = 0

    public init() {}

    /// Parses a log. A line whose iteration is not past the previous one starts a resumed run
    /// from an earlier checkpoint: the points it goes back over are dropped, so each series is
    /// the history of the model in the checkpoint.
    public init(parsing data: Data) {
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.allSatisfy({ $0 == 32 || $0 == 13 }) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
                  let iteration = (object["iteration"] as? NSNumber)?.intValue else {
                skippedLines += 1
                continue
            }
            let seconds = ((object["time_s"] ?? object["elapsed_s"]) as? NSNumber)?.doubleValue ?? 0
            func number(_ key: String) -> Double? { (object[key] as? NSNumber)?.doubleValue }
            if let v = number("val_loss") {
                MetricsLog.add(MetricsPoint(iteration: iteration, seconds: seconds, value: v), to: &validation)
            } else if let t = number("train_loss") {
                MetricsLog.add(MetricsPoint(iteration: iteration, seconds: seconds, value: t), to: &train)
                if let lr = number("lr") {
                    MetricsLog.add(MetricsPoint(iteration: iteration, seconds: seconds, value: lr), to: &learningRate)
                }
            }
        }
    }

    public init(contentsOf path: String) throws {
        self.init(parsing: Data(try readFileBytes(path)))
    }

    static func add(_ point: MetricsPoint, to series: inout [MetricsPoint]) {
        while let last = series.last, last.iteration >= point.iteration { series.removeLast() }
        series.append(point)
    }
}
