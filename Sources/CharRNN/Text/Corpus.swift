// A UTF-8 text file as compact character ids plus its vocabulary, and its train/validation split.

public struct Corpus: Sendable {
    public let vocabulary: Vocabulary
    public let tokens: TokenSequence

    public var count: Int { tokens.count }

    /// Calls its argument with each Unicode scalar of a text and its character index, in order.
    typealias ScalarSource = ((UInt32, Int) throws -> Void) throws -> Void

    /// Decodes `bytes`, normalised as `normalization` says, and builds the vocabulary from the
    /// characters it contains.
    public init(bytes: [UInt8], normalization: TextNormalization = .exact) throws {
        let scalars = Corpus.byteScalars(bytes, normalization)
        try self.init(vocabulary: Corpus.vocabulary(of: scalars), capacity: bytes.count, skipUnknown: false, scalars: scalars)
    }

    /// Decodes `bytes` with a given vocabulary (a trained model's). A character outside it is an
    /// error, or, with `skipUnknown`, dropped and counted in `skipped`.
    public init(bytes: [UInt8], vocabulary: Vocabulary, skipUnknown: Bool = false, normalization: TextNormalization = .exact) throws {
        try self.init(vocabulary: vocabulary, capacity: bytes.count, skipUnknown: skipUnknown,
                      scalars: Corpus.byteScalars(bytes, normalization))
    }

    /// The scalars of `bytes`, normalised.
    static func byteScalars(_ bytes: [UInt8], _ normalization: TextNormalization) -> ScalarSource {
        return { body in
            var filter = NormalizingFilter(normalization)
            try bytes.withUnsafeBufferPointer { try forEachScalar(in: $0) { v, _ in try filter.feed(v, body) } }
            try filter.finish(body)
        }
    }

    /// The sorted characters of a text: the vocabulary of a new model.
    static func vocabulary(of scalars: ScalarSource) throws -> Vocabulary {
        var characters = CharacterCollector()
        try scalars { v, _ in characters.insert(v) }
        return try characters.vocabulary()
    }

    /// Encodes a text as ids in the narrowest integer type for `vocabulary`; `capacity` (its length in
    /// bytes) bounds its length in characters.
    init(vocabulary: Vocabulary, capacity: Int, skipUnknown: Bool, scalars: ScalarSource) throws {
        self.vocabulary = vocabulary
        var skipped = 0
        func encode<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
            var out: [T] = []
            out.reserveCapacity(capacity)  // pages past the text's length in characters are never touched
            try scalars { v, index in
                if let id = vocabulary.id(of: v) {
                    out.append(T(truncatingIfNeeded: id))
                } else if skipUnknown {
                    skipped += 1
                } else {
                    throw TextError.unknownCharacter(Unicode.Scalar(v)!, offset: index)
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

    /// Reads and decodes a text file a chunk at a time, twice (once for the vocabulary, once for the
    /// ids), so that memory holds only the ids: one byte per character for up to 256 characters.
    /// A pipe or device can be read only once: it is read whole instead.
    /// Normalisation happens as the text is decoded, so error byte offsets count the file's own bytes.
    /// "-" is standard input.
    public static func load(path: String, normalization: TextNormalization = .exact, chunkSize: Int = 1 << 20) throws -> Corpus {
        guard let size = regularFileSize(path) else { return try Corpus(bytes: readFileBytes(path), normalization: normalization) }
        let scalars = fileScalars(path, chunkSize, normalization, bytes: size)
        return try Corpus(vocabulary: vocabulary(of: scalars), capacity: size, skipUnknown: false, scalars: scalars)
    }

    /// Reads and decodes a text file with a given vocabulary (see `init(bytes:vocabulary:skipUnknown:normalization:)`).
    public static func load(path: String, vocabulary: Vocabulary, skipUnknown: Bool = false,
                            normalization: TextNormalization = .exact, chunkSize: Int = 1 << 20) throws -> Corpus {
        guard let size = regularFileSize(path) else {
            return try Corpus(bytes: readFileBytes(path), vocabulary: vocabulary, skipUnknown: skipUnknown, normalization: normalization)
        }
        return try Corpus(vocabulary: vocabulary, capacity: size, skipUnknown: skipUnknown,
                          scalars: fileScalars(path, chunkSize, normalization, bytes: size))
    }

    /// The scalars of a file of `bytes` bytes, read `chunkSize` bytes at a time and normalised. Each
    /// reading checks the size, so a file cut short or grown between the readings of one load (the
    /// vocabulary, then the ids) is refused rather than trained on in part.
    static func fileScalars(_ path: String, _ chunkSize: Int, _ normalization: TextNormalization, bytes: Int) -> ScalarSource {
        return { body in
            var decoder = ChunkedUTF8Decoder()
            var filter = NormalizingFilter(normalization)
            var read = 0
            func normalized(_ v: UInt32, _: Int) throws { try filter.feed(v, body) }
            try forEachChunk(ofFileAt: path, chunkSize: chunkSize) {
                read += $0.count
                if read > bytes { throw TextError.changed(bytes: bytes, read: read) }
                try decoder.decode($0, isLast: false, normalized)
            }
            if read != bytes { throw TextError.changed(bytes: bytes, read: read) }
            try decoder.decode(UnsafeBufferPointer(start: nil, count: 0), isLast: true, normalized)
            try filter.finish(body)
        }
    }

    /// The last `fraction` of the text (rounded down, as `int(n * fraction)`) is validation,
    /// the rest training, as in char-rnn and the PyTorch reference.
    public func split(validationFraction fraction: Double) -> (train: Range<Int>, validation: Range<Int>) {
        let nVal = Int(Double(count) * fraction)
        return (0..<(count - nVal), (count - nVal)..<count)
    }
}
