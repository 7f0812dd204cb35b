// How often gates saturate, as in Karpathy et al. (2015), figure 3: the fraction of characters on
// which each sigmoid gate unit is left-saturated (< 0.1) or right-saturated (> 0.9), per unit and
// summarised per layer and gate. The tanh candidates (LSTM g, GRU n) are not gates and not counted.

public struct SaturationCounter {
    public static let leftThreshold: Float = 0.1, rightThreshold: Float = 0.9
    public let units: [CellUnit]
    private var left: [Int], right: [Int]
    public private(set) var steps = 0

    /// Counts every sigmoid gate unit of `layers` (all of them when nil).
    public init(config: ModelConfig, layers: [Int]? = nil) {
        let all = (try? CellUnit.select(config: config, layers: layers ?? Array(0..<config.layers), state: .gates)) ?? []
        units = all.filter(\.isSigmoidGate)
        left = .init(repeating: 0, count: units.count)
        right = left
    }

    public mutating func add(_ step: RecordedStep) {
        steps += 1
        for (k, u) in units.enumerated() {
            let v = step.value(of: u)
            if v < Self.leftThreshold { left[k] += 1 } else if v > Self.rightThreshold { right[k] += 1 }
        }
    }

    public var report: SaturationReport {
        let n = Double(max(steps, 1))
        return SaturationReport(units: units, left: left.map { Double($0) / n }, right: right.map { Double($0) / n },
                                steps: steps)
    }
}

public struct SaturationReport: Sendable {
    public let units: [CellUnit]
    /// Per unit: the fraction of steps below 0.1 and above 0.9.
    public let left: [Double], right: [Double]
    public let steps: Int

    /// One layer's one gate over its H units.
    public struct GateSummary: Sendable {
        public let layer: Int
        public let gate: String
        public let units: Int
        public let meanLeft: Double, meanRight: Double
        /// Units left- (right-) saturated on more than half of the characters.
        public let mostlyLeft: Int, mostlyRight: Int
    }

    public func fractions(of unit: CellUnit) -> (left: Double, right: Double)? {
        units.firstIndex(of: unit).map { (left[$0], right[$0]) }
    }

    public var summary: [GateSummary] {
        var groups: [(layer: Int, gate: String, members: [Int])] = []
        for (k, u) in units.enumerated() {
            if let last = groups.last, last.layer == u.layer, last.gate == u.letter {
                groups[groups.count - 1].members.append(k)
            } else {
                groups.append((u.layer, u.letter, [k]))
            }
        }
        return groups.map { g in
            let n = Double(g.members.count)
            return GateSummary(layer: g.layer, gate: g.gate, units: g.members.count,
                               meanLeft: g.members.reduce(0) { $0 + left[$1] } / n,
                               meanRight: g.members.reduce(0) { $0 + right[$1] } / n,
                               mostlyLeft: g.members.filter { left[$0] > 0.5 }.count,
                               mostlyRight: g.members.filter { right[$0] > 0.5 }.count)
        }
    }
}
