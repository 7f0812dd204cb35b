// The built-in text features `--explain` correlates units with: quote state, bracket depth, line
// position and so on, the properties Karpathy et al. (2015) found single LSTM cells tracking.
// Each is a number per character, taken as the model stands after reading that character.

public enum TextFeature: String, CaseIterable, Sendable {
    case insideQuotes = "quote"
    case nestingDepth = "depth"
    case positionInLine = "column"
    case charactersToLineEnd = "to_eol"
    case indentation = "indent"
    case wordStart = "word_start"
    case insideWord = "in_word"
    case afterNewline = "newline"
    case uppercase = "upper"
    case digit = "digit"
    case whitespace = "space"

    /// What the number means, for tables.
    public var title: String {
        switch self {
        case .insideQuotes: return "inside double quotes"
        case .nestingDepth: return "() [] {} nesting depth"
        case .positionInLine: return "position in line"
        case .charactersToLineEnd: return "characters to end of line"
        case .indentation: return "indentation depth"
        case .wordStart: return "start of a word"
        case .insideWord: return "inside a word"
        case .afterNewline: return "after a newline"
        case .uppercase: return "uppercase letter"
        case .digit: return "digit"
        case .whitespace: return "whitespace"
        }
    }
}

/// Computes the features of a text's characters in order, in one pass (the only look-ahead is to
/// the next newline, for `charactersToLineEnd`).
///
/// Definitions, for the character at position t:
/// - insideQuotes: 1 from an opening `"` (or `“`) up to the character before its closing `"`
///   (or `”`); the quote state after reading t.
/// - nestingDepth: opened minus closed `(`, `[`, `{` so far, including t (never below 0).
/// - positionInLine: characters read since the last newline, t included (0 on a newline).
/// - charactersToLineEnd: characters after t before the next newline (or the end of the text).
/// - indentation: spaces and tabs that open the current line, read so far (0 on a newline).
/// - wordStart / insideWord: t is a letter, digit or `_` and the one before is not / also is one.
/// - afterNewline: t is a newline (the next character starts a line).
/// - uppercase, digit, whitespace: the class of t.
public struct TextFeatureTracker {
    public static let features = TextFeature.allCases
    private let tokens: TokenSequence
    private let vocabulary: Vocabulary
    private let count: Int
    private var next = 0
    private var quoted = false, depth = 0, column = 0, indent = 0, inIndent = true, previousWord = false
    private var nextNewline = -1  // position of the first newline after the current one (or count)
    // Per-id character classes, so the pass does no Unicode property look-ups.
    private let classes: [UInt8]

    private static let word: UInt8 = 1, upper: UInt8 = 2, digitClass: UInt8 = 4, space: UInt8 = 8, newline: UInt8 = 16,
                       open: UInt8 = 32, close: UInt8 = 64

    public init(tokens: TokenSequence, vocabulary: Vocabulary, count: Int) {
        self.tokens = tokens
        self.vocabulary = vocabulary
        self.count = count
        classes = vocabulary.scalars.map { s in
            let p = s.properties
            var c: UInt8 = 0
            let isDigit = p.numericType == .decimal
            if p.isAlphabetic || isDigit || s == "_" { c |= Self.word }
            if p.isUppercase { c |= Self.upper }
            if isDigit { c |= Self.digitClass }
            if p.isWhitespace { c |= Self.space }
            if s == "\n" { c |= Self.newline }
            if s == "(" || s == "[" || s == "{" { c |= Self.open }
            if s == ")" || s == "]" || s == "}" { c |= Self.close }
            return c
        }
    }

    /// The features of the next character, in `TextFeature.allCases` order, into `out`.
    public mutating func advance(into out: UnsafeMutablePointer<Double>) {
        precondition(next < count, "past the end of the text")
        let t = next
        next += 1
        let id = tokens[t], s = vocabulary[id], c = classes[Int(id)]
        let isNewline = c & Self.newline != 0

        if s == "\"" { quoted.toggle() } else if s == "“" { quoted = true } else if s == "”" { quoted = false }
        if c & Self.open != 0 { depth += 1 }
        if c & Self.close != 0 { depth = max(0, depth - 1) }
        if isNewline {
            column = 0; indent = 0; inIndent = true
        } else {
            column += 1
            if inIndent && (s == " " || s == "\t") { indent += 1 } else { inIndent = false }
        }
        while nextNewline <= t {
            nextNewline += 1
            while nextNewline < count && classes[Int(tokens[nextNewline])] & Self.newline == 0 { nextNewline += 1 }
        }
        let isWord = c & Self.word != 0

        out[0] = quoted ? 1 : 0
        out[1] = Double(depth)
        out[2] = Double(column)
        out[3] = Double(nextNewline - t - 1)
        out[4] = Double(indent)
        out[5] = isWord && !previousWord ? 1 : 0
        out[6] = isWord && previousWord ? 1 : 0
        out[7] = isNewline ? 1 : 0
        out[8] = c & Self.upper != 0 ? 1 : 0
        out[9] = c & Self.digitClass != 0 ? 1 : 0
        out[10] = c & Self.space != 0 ? 1 : 0
        previousWord = isWord
    }
}
