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
            guard let (object, iteration) = MetricsLog.parse(line) else {
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

    /// Reads the log at `path`, a regular file: a pipe or terminal (a log written to /dev/stdout)
    /// holds nothing to read back, and reading it would wait on the keyboard.
    public init(contentsOf path: String) throws {
        if let status = FileStatus(path: path), !status.isRegular, !status.isDirectory {
            throw FileError.unreadable(path: path, reason: "not a regular file")
        }
        self.init(parsing: Data(try readFileBytes(path)))
    }

    /// The lines of the log at `path` that a checkpoint at `iteration` continues from: each metrics
    /// line up to that iteration, in order (the parser's rule then drops lines a resumed run went back
    /// over). A run resumed into a new checkpoint starts its own log with them, so its report is whole.
    /// Nothing for a log that is not a regular file or cannot be read.
    public static func history(ofLogAt path: String, through iteration: Int) -> [String] {
        guard FileStatus(path: path)?.isRegular == true, let bytes = try? readFileBytes(path) else { return [] }
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            guard let (_, i) = parse(line), i <= iteration else { return nil }
            return String(decoding: line, as: UTF8.self)
        }
    }

    /// A line's JSON object and its iteration; nil for a line that is not a metrics object.
    static func parse<Line: Collection<UInt8>>(_ line: Line) -> (object: [String: Any], iteration: Int)? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
              let iteration = (object["iteration"] as? NSNumber)?.intValue else { return nil }
        return (object, iteration)
    }

    static func add(_ point: MetricsPoint, to series: inout [MetricsPoint]) {
        while let last = series.last, last.iteration >= point.iteration { series.removeLast() }
        series.append(point)
    }
}
