// A text as character ids, stored in the narrowest integer that holds its vocabulary: one byte
// per character for vocabularies up to 256, two up to 65,536. A 100 MB corpus stays ~100 MB.

public struct TokenSequence: Sendable {
    enum Storage: Sendable {
        case narrow([UInt8])
        case medium([UInt16])
        case wide([UInt32])
    }

    let storage: Storage

    public var count: Int {
        switch storage {
        case .narrow(let a): return a.count
        case .medium(let a): return a.count
        case .wide(let a): return a.count
        }
    }

    /// Bytes per character of the storage.
    public var bytesPerToken: Int {
        switch storage {
        case .narrow: return 1
        case .medium: return 2
        case .wide: return 4
        }
    }

    @inline(__always) public subscript(i: Int) -> Int32 {
        switch storage {
        case .narrow(let a): return Int32(a[i])
        case .medium(let a): return Int32(a[i])
        case .wide(let a): return Int32(bitPattern: a[i])
        }
    }

    public init(ids: [Int32], vocabularySize: Int) {
        if vocabularySize <= 256 {
            storage = .narrow(ids.map { UInt8(truncatingIfNeeded: $0) })
        } else if vocabularySize <= 65536 {
            storage = .medium(ids.map { UInt16(truncatingIfNeeded: $0) })
        } else {
            storage = .wide(ids.map { UInt32(bitPattern: $0) })
        }
    }

    init(storage: Storage) { self.storage = storage }

    public var ids: [Int32] { (0..<count).map { self[$0] } }
}
