// What the units page says of each unit besides its contexts, from one streaming pass: mean and
// spread (standard deviation), the largest |value| (the cell state's colour scale), and a small
// histogram of its values over its natural range, or over a symmetric range that doubles as
// larger values arrive (the unbounded cell state).

public struct UnitSummary: Sendable, Equatable {
    public let mean: Double
    /// Population standard deviation: the spread the page sorts by when nothing else ranks units.
    public let deviation: Double
    public let largestMagnitude: Float
    /// Counts of values in equal bins over `range`, low to high.
    public let histogram: [Int]
    public let range: ClosedRange<Float>
}

public struct UnitSummaryAccumulator {
    public static let bins = 16  // a multiple of 4: doubling a symmetric range merges pairs into the middle half
    private let units: [CellUnit]
    private var count = 0
    private var shift: [Double], sum: [Double], squares: [Double]  // (units)
    private var largest: [Float]                                    // (units)
    private var low: [Float], high: [Float]                         // (units) histogram ranges
    private let fixed: [Bool]                                       // (units) natural range, never widened
    private var counts: [Int]                                       // (units, bins)

    public init(units: [CellUnit]) {
        self.units = units
        let U = units.count
        shift = Array(repeating: 0, count: U); sum = shift; squares = shift
        largest = Array(repeating: 0, count: U)
        low = units.map { $0.naturalRange?.lowerBound ?? -1 }
        high = units.map { $0.naturalRange?.upperBound ?? 1 }
        fixed = units.map { $0.naturalRange != nil }
        counts = Array(repeating: 0, count: U * Self.bins)
    }

    public mutating func add(x: UnsafePointer<Float>) {
        let B = Self.bins
        if count == 0 { for u in units.indices { shift[u] = Double(x[u]) } }
        count += 1
        for u in units.indices {
            let v = x[u]
            guard v.isFinite else { continue }
            let d = Double(v) - shift[u]
            sum[u] += d; squares[u] += d * d
            largest[u] = max(largest[u], abs(v))
            while !fixed[u] && abs(v) > high[u] { widen(u) }
            let position = (v - low[u]) / (high[u] - low[u]) * Float(B)
            counts[u * B + max(0, min(B - 1, Int(position)))] += 1
        }
    }

    /// Doubles unit u's symmetric range: old bins 2j and 2j+1 become the middle half's bin j.
    private mutating func widen(_ u: Int) {
        let B = Self.bins, base = u * B
        let old = Array(counts[base..<(base + B)])
        for j in 0..<B { counts[base + j] = 0 }
        for j in 0..<(B / 2) { counts[base + B / 4 + j] = old[2 * j] + old[2 * j + 1] }
        low[u] *= 2; high[u] *= 2
    }

    public var summaries: [UnitSummary] {
        let n = Double(max(count, 1)), B = Self.bins
        return units.indices.map { u in
            let mean = sum[u] / n
            return UnitSummary(mean: shift[u] + mean, deviation: max(0, squares[u] / n - mean * mean).squareRoot(),
                               largestMagnitude: largest[u], histogram: Array(counts[(u * B)..<(u * B + B)]),
                               range: low[u]...high[u])
        }
    }
}
