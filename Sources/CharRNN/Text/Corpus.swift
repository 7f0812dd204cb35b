// A UTF-8 text file as compact character ids plus its vocabulary, and its train/validation split.

public struct Corpus: Sendable {
    public let vocabulary: Vocabulary
    public let tokens: TokenSequence

    public var count: Int { tokens.count }

    /// Decodes `bytes` and builds the vocabulary from the characters it contains.
    public init(bytes: [UInt8]) throws {
        var seen = [Bool](repeating: false, count: 0x10000)
        var rare = Set<UInt32>()
        try bytes.withUnsafeBufferPointer { buf in
            try forEachScalar(in: buf) { v, _ in
                if v < 0x10000 { seen[Int(v)] = true } else { rare.insert(v) }
            }
        }
        var scalars: [Unicode.Scalar] = []
        for v in 0..<0x10000 where seen[v] { scalars.append(Unicode.Scalar(UInt32(v))!) }
        for v in rare.sorted() { scalars.append(Unicode.Scalar(v)!) }
        guard !scalars.isEmpty else { throw TextError.empty }
        try self.init(bytes: bytes, vocabulary: Vocabulary(scalars: scalars), skipUnknown: false)
    }

    /// Decodes `bytes` with a given vocabulary (a trained model's). A character outside it is an
    /// error, or, with `skipUnknown`, dropped and counted in `skipped`.
    public init(bytes: [UInt8], vocabulary: Vocabulary, skipUnknown: Bool = false) throws {
        self.vocabulary = vocabulary
        var skipped = 0
        func encode<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
            var out: [T] = []
            out.reserveCapacity(bytes.count)
            try bytes.withUnsafeBufferPointer { buf in
                try forEachScalar(in: buf) { v, index in
                    if let id = vocabulary.id(of: v) {
                        out.append(T(truncatingIfNeeded: id))
                    } else if skipUnknown {
                        skipped += 1
                    } else {
                        throw TextError.unknownCharacter(Unicode.Scalar(v)!, offset: index)
                    }
                }
            }
            return out
        }
        if vocabulary.count <= 256 {
            tokens = TokenSequence(storage: .narrow(try encode(UInt8.self)))
        } else if vocabulary.count <= 65536 {
            tokens = TokenSequence(storage: .medium(try encode(UInt16.self)))
        } else {
            tokens = TokenSequence(storage: .wide(try encode(UInt32.self)))
        }
        self.skipped = skipped
    }

    /// Characters dropped because they were outside the vocabulary (`skipUnknown`).
    public private(set) var skipped = 0

    public static func load(path: String) throws -> Corpus {
        try Corpus(bytes: readFileBytes(path))
    }

    public static func load(path: String, vocabulary: Vocabulary, skipUnknown: Bool = false) throws -> Corpus {
        try Corpus(bytes: readFileBytes(path), vocabulary: vocabulary, skipUnknown: skipUnknown)
    }

    /// The last `fraction` of the text (rounded down, as `int(n * fraction)`) is validation,
    /// the rest training, as in char-rnn and the PyTorch reference.
    public func split(validationFraction fraction: Double) -> (train: Range<Int>, validation: Range<Int>) {
        let nVal = Int(Double(count) * fraction)
        return (0..<(count - nVal), (count - nVal)..<count)
    }
}
