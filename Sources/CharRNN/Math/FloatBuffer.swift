// A fixed-size, heap-allocated, 64-byte-aligned Float buffer: the storage behind parameters,
// gradients, optimizer moments and every per-batch scratch array. A class, so it is never copied
// on write and the hot loops can hold raw pointers into it.

public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let base: UnsafeMutablePointer<Float>

    /// A zero-filled buffer of `count` Floats.
    public init(count: Int) {
        precondition(count >= 0, "negative buffer size")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }

    @inline(__always) public subscript(i: Int) -> Float {
        get { base[i] }
        set { base[i] = newValue }
    }

    public func zero() { base.update(repeating: 0, count: count) }

    public func copy(from other: FloatBuffer) {
        precondition(other.count == count, "buffer size mismatch")
        base.update(from: other.base, count: count)
    }

    public func copy() -> FloatBuffer {
        let b = FloatBuffer(count: count)
        b.copy(from: self)
        return b
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// A pointer `offset` Floats into the buffer.
    @inline(__always) public func pointer(at offset: Int) -> UnsafeMutablePointer<Float> { base + offset }
}
