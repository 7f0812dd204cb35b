// Pearson correlations of many units with a few features, in one streaming pass: running sums in
// double precision, so a text of any length needs only (units × features) numbers.

public struct CorrelationAccumulator {
    public let units: Int, features: Int
    public private(set) var count = 0
    // Sums of values shifted by the first observation: the same r, far less cancellation
    // when a feature's mean is large next to its spread (line positions, depths).
    private var xShift: [Double], yShift: [Double]
    private var sx: [Double], sxx: [Double]   // (units)
    private var sy: [Double], syy: [Double]   // (features)
    private var sxy: [Double]                 // (units, features)
    private var dx: [Double]                  // (units) scratch

    public init(units: Int, features: Int) {
        self.units = units
        self.features = features
        xShift = .init(repeating: 0, count: units); yShift = .init(repeating: 0, count: features)
        sx = .init(repeating: 0, count: units); sxx = sx
        sy = .init(repeating: 0, count: features); syy = sy
        sxy = .init(repeating: 0, count: units * features)
        dx = sx
    }

    /// One observation: `x` units values, `y` features values.
    public mutating func add(x: UnsafePointer<Float>, y: UnsafePointer<Double>) {
        let U = units, F = features
        if count == 0 {
            for u in 0..<U { xShift[u] = Double(x[u]) }
            for f in 0..<F { yShift[f] = y[f] }
        }
        count += 1
        for u in 0..<U {
            let d = Double(x[u]) - xShift[u]
            dx[u] = d; sx[u] += d; sxx[u] += d * d
        }
        sxy.withUnsafeMutableBufferPointer { sxy in
            for f in 0..<F {
                let d = y[f] - yShift[f]
                sy[f] += d; syy[f] += d * d
                guard d != 0 else { continue }  // most features are 0/1 indicators
                for u in 0..<U { sxy[u * F + f] += dx[u] * d }
            }
        }
    }

    /// r of unit u with feature f; nil when either is constant over the text (r undefined).
    public func r(unit u: Int, feature f: Int) -> Double? {
        let n = Double(count)
        let vx = n * sxx[u] - sx[u] * sx[u], vy = n * syy[f] - sy[f] * sy[f]
        guard count >= 2, vx > 1e-12 * n * n, vy > 1e-12 * n * n else { return nil }
        let cov = n * sxy[u * features + f] - sx[u] * sy[f]
        return max(-1, min(1, cov / (vx * vy).squareRoot()))
    }
}

/// Which units follow which text features: `--explain`'s answer.
public struct Explanation: Sendable {
    public let units: [CellUnit]
    public let features: [TextFeature]
    public let characters: Int
    /// r[u][f], nil where undefined (a constant unit or feature).
    public let r: [[Double?]]

    public init(units: [CellUnit], features: [TextFeature], accumulator: CorrelationAccumulator) {
        self.units = units
        self.features = features
        characters = accumulator.count
        r = units.indices.map { u in features.indices.map { f in accumulator.r(unit: u, feature: f) } }
    }

    /// The `k` units with the largest |r| for feature f, strongest first (ties: the earlier unit).
    public func ranking(feature f: Int, count k: Int) -> [(unit: CellUnit, r: Double)] {
        strongestFirst(units.indices.map { r[$0][f] }, count: k).map { (units[$0.index], $0.r) }
    }

    /// A unit's strongest feature and its r, or nil if none is defined.
    public func bestFeature(of u: Int) -> (feature: TextFeature, r: Double)? {
        strongest(r[u]).map { (features[$0.index], $0.r) }
    }

    /// The `n` units whose strongest |r| over all features is largest (`--top N`), strongest first.
    public func strongestUnits(_ n: Int) -> [CellUnit] {
        let scored = units.indices.map { u in (u, bestFeature(of: u).map { abs($0.r) } ?? -1) }
        return scored.sorted { $0.1 > $1.1 || $0.1 == $1.1 && $0.0 < $1.0 }.prefix(n).map { units[$0.0] }
    }
}

/// The `k` defined values of `column` with the largest |r|, strongest first (ties: the earlier).
func strongestFirst(_ column: [Double?], count k: Int) -> [(index: Int, r: Double)] {
    let scored = column.indices.compactMap { i in column[i].map { (i, $0) } }
    return Array(scored.sorted { abs($0.1) > abs($1.1) || abs($0.1) == abs($1.1) && $0.0 < $1.0 }.prefix(k))
}

/// The first of the defined values of `row` with the largest |r|, or nil if none is defined.
func strongest(_ row: [Double?]) -> (index: Int, r: Double)? {
    var best: (index: Int, r: Double)?
    for (i, value) in row.enumerated() {
        guard let value else { continue }
        if best == nil || abs(value) > abs(best!.r) { best = (i, value) }
    }
    return best
}
