// Each unit's K highest and K lowest local extremes over a text, in one streaming pass: a sliding
// window of the last 2N+2 characters and values, a monotonic deque per unit and direction (so a
// character is known to be its window's extreme once N more have been read), and a bounded heap
// per unit and direction whose entries copy their window when they are admitted. Memory is
// units × (2N+1) × K, whatever the text's length.

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

public struct ContextFinder {
    public let units: Int, limit: Int, window: Int
    // 2N+2: the characters a decision needs, and the one read before the oldest is dropped
    private let span: Int
    private var seen = 0                   // characters added so far
    private var characters: [Unicode.Scalar]  // (span) ring: position t at t % span
    private var values: [Float]            // (span, units) ring
    private var highDeques: MonotonicDeques, lowDeques: MonotonicDeques
    private var highest: [[UnitContext]], lowest: [[UnitContext]]  // (units) heaps, worst at 0

    /// - Parameters: units per row, `limit` contexts per unit and direction (K), `window` characters each side (N).
    public init(units: Int, limit: Int, window: Int) {
        precondition(units >= 0 && limit >= 1 && window >= 0, "a context finder needs K ≥ 1 and N ≥ 0")
        self.units = units
        self.limit = limit
        self.window = window
        span = 2 * window + 2
        characters = Array(repeating: " ", count: span)
        values = Array(repeating: 0, count: span * units)
        highDeques = MonotonicDeques(units: units, capacity: span)
        lowDeques = MonotonicDeques(units: units, capacity: span)
        highest = Array(repeating: [], count: units)
        lowest = highest
    }

    /// The next character and the units' values after it.
    public mutating func add(character: Unicode.Scalar, values row: UnsafePointer<Float>) {
        let t = seen, slot = t % span
        characters[slot] = character
        values.withUnsafeMutableBufferPointer { ring in
            let base = ring.baseAddress! + slot * units
            base.update(from: row, count: units)
            highDeques.push(t, ring: ring.baseAddress!, span: span) { $0 > $1 }
            lowDeques.push(t, ring: ring.baseAddress!, span: span) { $0 < $1 }
        }
        seen += 1
        if t >= window { decide(center: t - window) }
    }

    /// The contexts of every unit, in unit order; the last N characters are decided here.
    public mutating func finish() -> [UnitContexts] {
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
    private mutating func decide(center c: Int) {
        for u in 0..<units {
            if highDeques.front(u, droppingBefore: c - window) == c { offer(c, unit: u, higher: true) }
            if lowDeques.front(u, droppingBefore: c - window) == c { offer(c, unit: u, higher: false) }
        }
    }

    private mutating func offer(_ c: Int, unit u: Int, higher: Bool) {
        let v = values[(c % span) * units + u]
        // Worse: a less extreme value, or the same value later in the text.
        let worse = { (a: (Float, Int), b: (Float, Int)) in a.0 != b.0 ? (higher ? a.0 < b.0 : a.0 > b.0) : a.1 > b.1 }
        var heap = higher ? highest[u] : lowest[u]
        if higher { highest[u] = [] } else { lowest[u] = [] }  // unique, so the heap is changed in place
        defer { if higher { highest[u] = heap } else { lowest[u] = heap } }
        if heap.count == limit {
            guard worse((heap[0].value, heap[0].position), (v, c)) else { return }
        }
        let entry = context(c, unit: u)
        BoundedHeap.insert(entry, into: &heap, limit: limit) { worse(($0.value, $0.position), ($1.value, $1.position)) }
    }

    /// The window around `c`, from the rings (every character of it has been read and is still held).
    private func context(_ c: Int, unit u: Int) -> UnitContext {
        let first = max(0, c - window), last = min(seen - 1, c + window)
        let positions = first...last
        return UnitContext(position: c, value: values[(c % span) * units + u],
                           characters: positions.map { characters[$0 % span] },
                           values: positions.map { values[($0 % span) * units + u] }, center: c - first)
    }
}

/// One deque of positions per unit, front to back in decreasing order of preference (`prefer`),
/// so that the front is the preferred value of the positions still in the window, the earliest
/// of equal ones.
struct MonotonicDeques {
    private let units: Int, capacity: Int
    private var slots: [Int]   // (units, capacity) circular
    private var heads: [Int], counts: [Int]  // (units)

    init(units: Int, capacity: Int) {
        self.units = units
        self.capacity = capacity
        slots = Array(repeating: 0, count: units * capacity)
        heads = Array(repeating: 0, count: units)
        counts = heads
    }

    /// Adds position t to every unit's deque, dropping the positions behind it that it is preferred
    /// to (strictly: an earlier equal value stays in front). `ring` holds the values by position % span.
    mutating func push(_ t: Int, ring: UnsafeMutablePointer<Float>, span: Int, prefer: (Float, Float) -> Bool) {
        let row = ring + (t % span) * units
        for u in 0..<units {
            let v = row[u], base = u * capacity
            var n = counts[u]
            let head = heads[u]
            while n > 0 {
                let back = slots[base + (head + n - 1) % capacity]
                guard prefer(v, ring[(back % span) * units + u]) else { break }
                n -= 1
            }
            slots[base + (head + n) % capacity] = t
            counts[u] = n + 1
        }
    }

    /// The front position of unit u's deque after dropping those before `first`.
    mutating func front(_ u: Int, droppingBefore first: Int) -> Int {
        let base = u * capacity
        while counts[u] > 1 && slots[base + heads[u]] < first {
            heads[u] = (heads[u] + 1) % capacity
            counts[u] -= 1
        }
        return slots[base + heads[u]]
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
