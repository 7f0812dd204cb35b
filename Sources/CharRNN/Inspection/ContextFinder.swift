// Each unit's K highest and K lowest local extremes over a text, in one streaming pass: rings of
// the last 2N+2 (rounded up to a power of two) characters and values, a monotonic deque per unit
// and direction (so a character is known to be its window's extreme once N more have been read),
// and a bounded heap per unit and direction whose entries copy their window when admitted.
// Memory is units × (2N+1) × K, whatever the text's length.

/// A character where a unit is at a local extreme, with the text and the unit's values around it.
public struct UnitContext: Sendable, Equatable {
    /// The character's position in the text, in Unicode scalars.
    public let position: Int
    public let value: Float
    /// Up to N characters each side of it, and the unit's value after each.
    public let characters: [Unicode.Scalar]
    public let values: [Float]
    /// Where the character itself is in `characters`.
    public let center: Int
}

/// A unit's highest and lowest contexts, most extreme first.
public struct UnitContexts: Sendable, Equatable {
    public let highest: [UnitContext]
    public let lowest: [UnitContext]
}

public final class ContextFinder {
    public let units: Int, limit: Int, window: Int
    // Rings hold position t at t & mask: at least 2N+2 positions, the window of the character
    // being decided and the one read before its oldest is dropped.
    private let mask: Int
    private var seen = 0                                  // characters added so far
    private let characters: UnsafeMutablePointer<Unicode.Scalar>  // (ring)
    private let values: UnsafeMutablePointer<Float>       // (ring, units)
    private let highDeques: MonotonicDeques, lowDeques: MonotonicDeques
    private var highest: [[UnitContext]], lowest: [[UnitContext]]  // (units) heaps, worst at 0

    /// - Parameters: units per row, `limit` contexts per unit and direction (K), `window` characters each side (N).
    public init(units: Int, limit: Int, window: Int) {
        precondition(units >= 0 && limit >= 1 && window >= 0, "a context finder needs K ≥ 1 and N ≥ 0")
        self.units = units
        self.limit = limit
        self.window = window
        var ring = 1
        while ring < 2 * window + 2 { ring *= 2 }
        mask = ring - 1
        characters = .allocate(capacity: ring)
        characters.initialize(repeating: " ", count: ring)
        values = .allocate(capacity: ring * units)
        values.initialize(repeating: 0, count: ring * units)
        highDeques = MonotonicDeques(units: units, capacity: ring, higher: true)
        lowDeques = MonotonicDeques(units: units, capacity: ring, higher: false)
        highest = Array(repeating: [], count: units)
        lowest = highest
    }

    deinit {
        characters.deallocate()
        values.deallocate()
    }

    /// The next character and the units' values after it.
    public func add(character: Unicode.Scalar, values row: UnsafePointer<Float>) {
        let t = seen
        characters[t & mask] = character
        (values + (t & mask) * units).update(from: row, count: units)
        highDeques.push(t, row: row)
        lowDeques.push(t, row: row)
        seen += 1
        if t >= window { decide(center: t - window) }
    }

    /// The contexts of every unit, in unit order; the last N characters are decided here.
    public func finish() -> [UnitContexts] {
        for c in max(0, seen - window)..<seen { decide(center: c) }
        let better = { (a: UnitContext, b: UnitContext, higher: Bool) in
            a.value != b.value ? (higher ? a.value > b.value : a.value < b.value) : a.position < b.position
        }
        return (0..<units).map { u in
            UnitContexts(highest: highest[u].sorted { better($0, $1, true) }, lowest: lowest[u].sorted { better($0, $1, false) })
        }
    }

    /// Whether `center` is each unit's extreme over [center − N, center + N] (the first of equal
    /// values: a plateau counts once), and if so offers it to that unit's heap.
    private func decide(center c: Int) {
        for u in 0..<units {
            if highDeques.front(u, droppingBefore: c - window) == c { offer(c, unit: u, higher: true) }
            if lowDeques.front(u, droppingBefore: c - window) == c { offer(c, unit: u, higher: false) }
        }
    }

    private func offer(_ c: Int, unit u: Int, higher: Bool) {
        let v = values[(c & mask) * units + u]
        // Worse: a less extreme value, or the same value later in the text.
        let worse = { (a: (Float, Int), b: (Float, Int)) in a.0 != b.0 ? (higher ? a.0 < b.0 : a.0 > b.0) : a.1 > b.1 }
        let heap = higher ? highest[u] : lowest[u]
        if heap.count == limit {
            guard worse((heap[0].value, heap[0].position), (v, c)) else { return }
        }
        let entry = context(c, unit: u)
        let insert = { (heap: inout [UnitContext]) in
            BoundedHeap.insert(entry, into: &heap, limit: self.limit) { worse(($0.value, $0.position), ($1.value, $1.position)) }
        }
        if higher { insert(&highest[u]) } else { insert(&lowest[u]) }
    }

    /// The window around `c`, from the rings (every character of it has been read and is still held).
    private func context(_ c: Int, unit u: Int) -> UnitContext {
        let first = max(0, c - window), last = min(seen - 1, c + window)
        let positions = first...last
        return UnitContext(position: c, value: values[(c & mask) * units + u],
                           characters: positions.map { characters[$0 & mask] },
                           values: positions.map { values[($0 & mask) * units + u] }, center: c - first)
    }
}

/// One deque of positions per unit, front to back in decreasing order of preference (higher or
/// lower values), so that the front is the most extreme value of the positions still in the
/// window, the earliest of equal ones.
final class MonotonicDeques {
    private let units: Int, mask: Int, higher: Bool
    private let slots: UnsafeMutablePointer<Int>   // (units, capacity) circular
    private let slotValues: UnsafeMutablePointer<Float>  // (units, capacity): each slot's value, read where it was pushed
    private let heads: UnsafeMutablePointer<Int>, counts: UnsafeMutablePointer<Int>  // (units)

    /// - Parameter capacity: a power of two, more than the positions a window can hold.
    init(units: Int, capacity: Int, higher: Bool) {
        precondition(capacity & (capacity - 1) == 0, "the capacity must be a power of two")
        self.units = units
        self.higher = higher
        mask = capacity - 1
        slots = .allocate(capacity: units * capacity)
        slots.initialize(repeating: 0, count: units * capacity)
        slotValues = .allocate(capacity: units * capacity)
        slotValues.initialize(repeating: 0, count: units * capacity)
        heads = .allocate(capacity: units)
        heads.initialize(repeating: 0, count: units)
        counts = .allocate(capacity: units)
        counts.initialize(repeating: 0, count: units)
    }

    deinit {
        slots.deallocate()
        slotValues.deallocate()
        heads.deallocate()
        counts.deallocate()
    }

    /// Adds position t to every unit's deque, dropping the positions behind it that it is preferred
    /// to (strictly: an earlier equal value stays in front). `row`: the units' values at t.
    func push(_ t: Int, row: UnsafePointer<Float>) {
        if higher { push(t, row: row) { $0 > $1 } } else { push(t, row: row) { $0 < $1 } }
    }

    @inline(__always)
    private func push(_ t: Int, row: UnsafePointer<Float>, prefer: (Float, Float) -> Bool) {
        let capacity = mask + 1
        for u in 0..<units {
            let v = row[u], base = u * capacity, head = heads[u]
            var n = counts[u]
            while n > 0 && prefer(v, slotValues[base + ((head + n - 1) & mask)]) { n -= 1 }
            slots[base + ((head + n) & mask)] = t
            slotValues[base + ((head + n) & mask)] = v
            counts[u] = n + 1
        }
    }

    /// The front position of unit u's deque after dropping those before `first`.
    func front(_ u: Int, droppingBefore first: Int) -> Int {
        let deque = slots + u * (mask + 1)
        while counts[u] > 1 && deque[heads[u]] < first {
            heads[u] = (heads[u] + 1) & mask
            counts[u] -= 1
        }
        return deque[heads[u]]
    }
}

/// A binary heap in an array with the worst element at index 0, kept to at most `limit` elements.
enum BoundedHeap {
    static func insert<T>(_ x: T, into heap: inout [T], limit: Int, worse: (T, T) -> Bool) {
        if heap.count < limit {
            heap.append(x)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard worse(heap[i], heap[parent]) else { break }
                heap.swapAt(i, parent)
                i = parent
            }
            return
        }
        heap[0] = x
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var w = i
            if l < heap.count && worse(heap[l], heap[w]) { w = l }
            if r < heap.count && worse(heap[r], heap[w]) { w = r }
            if w == i { return }
            heap.swapAt(i, w)
            i = w
        }
    }
}
