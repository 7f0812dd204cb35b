// The character set of a model: Unicode scalars in ascending order, each with its id (its
// one-hot position). Sorting by scalar value matches Python's sorted(set(text)). A model trained on
// several documents has one more symbol after the characters: the document boundary.

public struct Vocabulary: Sendable, Equatable {
    /// The characters, ids 0 ..< scalars.count.
    public let scalars: [Unicode.Scalar]
    /// The id of the document boundary, after every character; nil for a model of one text.
    public let boundaryID: Int32?
    // Scalars below U+10000 map through a dense table (every corpus character, in practice) that
    // reaches only as far as the largest of them (128 entries for ASCII text); the rest through a dictionary.
    private let dense: [Int32]
    private let sparse: [UInt32: Int32]

    /// The value that stands for the document boundary where texts are decoded into values: past
    /// U+10FFFF, so no character of any text can be it.
    static let boundaryValue: UInt32 = 0x110000

    public init(scalars: [Unicode.Scalar], documentBoundary: Bool = false) {
        precondition(!scalars.isEmpty, "a vocabulary needs at least one character")
        self.scalars = scalars
        boundaryID = documentBoundary ? Int32(scalars.count) : nil
        let denseCount = scalars.lazy.map(\.value).filter { $0 < 0x10000 }.max().map { Int($0) + 1 } ?? 0
        var dense = [Int32](repeating: -1, count: denseCount)
        var sparse: [UInt32: Int32] = [:]
        for (i, s) in scalars.enumerated() {
            if s.value < 0x10000 { dense[Int(s.value)] = Int32(i) } else { sparse[s.value] = Int32(i) }
        }
        if let boundaryID { sparse[Vocabulary.boundaryValue] = boundaryID }
        self.dense = dense
        self.sparse = sparse
    }

    public static func == (a: Vocabulary, b: Vocabulary) -> Bool { a.scalars == b.scalars && a.boundaryID == b.boundaryID }

    /// Symbols the model knows: its characters and the boundary, if it has one.
    public var count: Int { scalars.count + (boundaryID == nil ? 0 : 1) }

    /// Whether `id` is a character (not the document boundary).
    public func isCharacter(_ id: Int32) -> Bool { id != boundaryID }

    /// The checkpoint's `charnn.vocab` entries in id order: each character as a one-character
    /// string, the boundary as the empty string, which no character can be.
    public var entries: [String] { scalars.map { String($0) } + (boundaryID == nil ? [] : [""]) }

    /// The vocabulary of `entries`; nil unless each is one character, or the last is the empty
    /// string (the boundary), and no two are equal.
    public init?(entries: [String]) {
        let boundary = entries.last == "" && entries.count > 1
        var scalars: [Unicode.Scalar] = []
        for entry in boundary ? entries.dropLast() : entries[...] {
            guard entry.unicodeScalars.count == 1, let scalar = entry.unicodeScalars.first else { return nil }
            scalars.append(scalar)
        }
        guard !scalars.isEmpty, Set(scalars).count == scalars.count else { return nil }
        self.init(scalars: scalars, documentBoundary: boundary)
    }

    @inline(__always) public func id(of value: UInt32) -> Int32? {
        if value < 0x10000 {
            guard Int(value) < dense.count else { return nil }
            let id = dense[Int(value)]
            return id >= 0 ? id : nil
        }
        return sparse[value]
    }

    public func id(of scalar: Unicode.Scalar) -> Int32? { id(of: scalar.value) }

    /// The character of `id`, which must not be the boundary.
    public subscript(id: Int32) -> Unicode.Scalar { scalars[Int(id)] }

    /// The ids of `text`, or the first character not in the vocabulary.
    public func encode(_ text: String) throws -> [Int32] {
        var ids: [Int32] = []
        for (offset, s) in text.unicodeScalars.enumerated() {
            guard let id = id(of: s) else { throw TextError.unknownCharacter(s, offset: offset) }
            ids.append(id)
        }
        return ids
    }

    /// A scalar as a user can read it in a one-line message: printable ones quoted, others as U+XXXX.
    public static func display(_ s: Unicode.Scalar) -> String {
        switch s {
        case "\n": return "'\\n'"
        case "\t": return "'\\t'"
        case "\r": return "'\\r'"
        default:
            if s.properties.generalCategory == .control || s.properties.isWhitespace && s != " " {
                return "U+" + String(s.value, radix: 16, uppercase: true).leftPadded(to: 4)
            }
            return "'\(Character(s))'"
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
