// `--pattern`'s ranking: how well each unit's value separates the characters a pattern marks from
// the rest, as the point-biserial correlation (Pearson's r against a 0/1 mark), from running sums
// in double precision: per unit Σx and Σx², per pattern and unit Σx over the marked characters.

public struct PointBiserialAccumulator {
    public let units: Int, patterns: Int
    public private(set) var count = 0
    public private(set) var marked: [Int]        // (patterns)
    // Values are shifted by the first observation: the same r, less cancellation.
    private var shift: [Double]                  // (units)
    private var sx: [Double], sxx: [Double]      // (units)
    private var sxMarked: [Double]               // (patterns, units)

    public init(units: Int, patterns: Int) {
        self.units = units
        self.patterns = patterns
        marked = Array(repeating: 0, count: patterns)
        shift = Array(repeating: 0, count: units)
        sx = shift; sxx = shift
        sxMarked = Array(repeating: 0, count: units * patterns)
    }

    /// One character: the units' values and whether each pattern marks it.
    public mutating func add(x: UnsafePointer<Float>, isMarked: (Int) -> Bool) {
        let U = units
        if count == 0 { for u in 0..<U { shift[u] = Double(x[u]) } }
        count += 1
        for u in 0..<U {
            let d = Double(x[u]) - shift[u]
            sx[u] += d; sxx[u] += d * d
        }
        for p in 0..<patterns where isMarked(p) {
            marked[p] += 1
            sxMarked.withUnsafeMutableBufferPointer { s in
                for u in 0..<U { s[p * U + u] += Double(x[u]) - shift[u] }
            }
        }
    }

    /// r of unit u with pattern p's marks, positive when the unit is higher on marked characters;
    /// nil when either is constant over the text.
    public func r(unit u: Int, pattern p: Int) -> Double? {
        let n = Double(count), n1 = Double(marked[p])
        let vx = n * sxx[u] - sx[u] * sx[u], vy = n1 * (n - n1)
        guard count >= 2, vx > 1e-12 * n * n, vy > 0 else { return nil }
        let cov = n * sxMarked[p * units + u] - sx[u] * n1
        return max(-1, min(1, cov / (vx * vy).squareRoot()))
    }
}

/// Which units follow which patterns: `--pattern`'s answer, in the form of `Explanation`.
public struct PatternRanking: Sendable {
    public let units: [CellUnit]
    public let patterns: [String]
    public let characters: Int
    /// Characters each pattern marks.
    public let marked: [Int]
    /// r[u][p], nil where undefined.
    public let r: [[Double?]]

    public init(units: [CellUnit], patterns: [String], accumulator: PointBiserialAccumulator) {
        self.units = units
        self.patterns = patterns
        characters = accumulator.count
        marked = accumulator.marked
        r = units.indices.map { u in patterns.indices.map { p in accumulator.r(unit: u, pattern: p) } }
    }

    /// The `k` units with the largest |r| for pattern p, strongest first (ties: the earlier unit).
    public func ranking(pattern p: Int, count k: Int) -> [(unit: CellUnit, r: Double)] {
        strongestFirst(units.indices.map { r[$0][p] }, count: k).map { (units[$0.index], $0.r) }
    }

    /// A unit's strongest pattern (its index) and r, or nil if none is defined.
    public func bestPattern(of u: Int) -> (pattern: Int, r: Double)? {
        strongest(r[u]).map { ($0.index, $0.r) }
    }
}
