// How a text's bytes become the characters a model sees: a leading byte-order mark is not content,
// and CRLF and lone CR are line ends like LF. A checkpoint records the form it was trained on, so
// every text later read for it (eval, inspect-cells, --prime) gets the same treatment.

public struct TextNormalization: Equatable, Sendable, Codable {
    /// A U+FEFF at the very start of the text is dropped.
    public var dropsByteOrderMark: Bool
    /// CR LF and a CR on its own each become one LF.
    public var unifiesLineEndings: Bool

    public init(dropsByteOrderMark: Bool, unifiesLineEndings: Bool) {
        self.dropsByteOrderMark = dropsByteOrderMark
        self.unifiesLineEndings = unifiesLineEndings
    }

    /// What `charnn train` does unless told --keep-line-endings.
    public static let standard = TextNormalization(dropsByteOrderMark: true, unifiesLineEndings: true)
    /// The text byte for byte: what a checkpoint without a record was trained on.
    public static let exact = TextNormalization(dropsByteOrderMark: false, unifiesLineEndings: false)

    /// The `charnn.text` checkpoint metadata: {"bom":"dropped"|"kept","line_endings":"lf"|"kept"}.
    enum CodingKeys: String, CodingKey { case bom, lineEndings = "line_endings" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func flag(_ key: CodingKeys, _ yes: String) throws -> Bool {
            let value = try c.decode(String.self, forKey: key)
            guard value == yes || value == "kept" else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "'\(value)'")
            }
            return value == yes
        }
        self.init(dropsByteOrderMark: try flag(.bom, "dropped"), unifiesLineEndings: try flag(.lineEndings, "lf"))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dropsByteOrderMark ? "dropped" : "kept", forKey: .bom)
        try c.encode(unifiesLineEndings ? "lf" : "kept", forKey: .lineEndings)
    }

    /// `text` as a model trained in this form reads it.
    public func apply(to text: String) -> String {
        var out = String.UnicodeScalarView()
        var filter = NormalizingFilter(self)
        let append = { (v: UInt32, _: Int) in out.append(Unicode.Scalar(v)!) }
        for s in text.unicodeScalars { filter.feed(s.value, append) }
        filter.finish(append)
        return String(out)
    }
}

/// Applies a `TextNormalization` to a stream of scalars, one at a time, so a text read in chunks is
/// normalised as it is decoded: a CR that ends one chunk waits for the next scalar to know whether an
/// LF follows. Character indices passed on count the normalised text.
struct NormalizingFilter {
    let form: TextNormalization
    private var atStart = true
    private var pendingCR = false
    private var index = 0

    init(_ form: TextNormalization) { self.form = form }

    mutating func feed(_ value: UInt32, _ body: (UInt32, Int) throws -> Void) rethrows {
        defer { atStart = false }
        if atStart && form.dropsByteOrderMark && value == 0xFEFF { return }
        guard form.unifiesLineEndings else { return try emit(value, body) }
        if pendingCR {
            pendingCR = false
            try emit(0x0A, body)
            if value == 0x0A { return }
        }
        if value == 0x0D { pendingCR = true; return }
        try emit(value, body)
    }

    /// Passes on a CR that ended the text.
    mutating func finish(_ body: (UInt32, Int) throws -> Void) rethrows {
        if pendingCR { pendingCR = false; try emit(0x0A, body) }
    }

    private mutating func emit(_ value: UInt32, _ body: (UInt32, Int) throws -> Void) rethrows {
        try body(value, index)
        index += 1
    }
}
