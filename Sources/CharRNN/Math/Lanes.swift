// `Lanes`, the one vector type of every hand-vectorised loop, and the loads, stores and row walk
// they share. Its width, 16 Floats, is one AVX-512 register (two AVX2 or four NEON ones, which
// the compiler splits it into); the loops that step through rows a vector or two at a time
// (the cells, the loss, the kernels in Math/) are written for that width.

typealias Lanes = SIMD16<Float>

/// All of a vector at p, which need not be aligned.
@inline(__always)
func loadLanes(_ p: UnsafePointer<Float>) -> Lanes {
    UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
}

/// Stores all of v at p, which need not be aligned.
@inline(__always)
func storeLanes(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
}

/// A partial vector: the first `count` (< Lanes.scalarCount) values at p, the rest `padding`. For the tails of
/// rows whose width is not a multiple of the vector.
@inline(__always)
func loadLanes(_ p: UnsafePointer<Float>, _ count: Int, padding: Float = 0) -> Lanes {
    if count >= Lanes.scalarCount { return loadLanes(p) }
    var v = Lanes(repeating: padding)
    for i in 0..<count { v[i] = p[i] }
    return v
}

/// Stores the first `count` lanes of v at p (all of them when count ≥ Lanes.scalarCount).
@inline(__always)
func storeLanes(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    if count >= Lanes.scalarCount { storeLanes(v, p); return }
    for i in 0..<count { p[i] = v[i] }
}

/// Calls body(j, n) for j = 0, 16, 32, … < width (steps of `Lanes.scalarCount`), with n = width − j
/// lanes left (a full vector or more when n ≥ 16): how the cells walk a row of H units.
@inline(__always)
func forEachLaneBlock(_ width: Int, _ body: (_ j: Int, _ n: Int) -> Void) {
    var j = 0
    while j < width {
        body(j, width - j)
        j += Lanes.scalarCount
    }
}
