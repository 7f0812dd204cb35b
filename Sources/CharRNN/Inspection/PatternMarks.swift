// Which characters of a text a pattern (a regular expression) covers, found over the whole text at
// once (no chunk cuts a match) and counted in Unicode scalars, as the model's characters are:
// NSRegularExpression reports UTF-16 offsets, which a single forward walk turns into positions.

import Foundation

/// Which characters of a match are marked.
public enum PatternMode: String, CaseIterable, Sendable {
    /// Every character of the match.
    case whole
    /// Only its first character.
    case start
    /// Every character but the first and the last (what a pair of delimiters encloses).
    case inside
    /// Only its last character.
    case end

    /// The marked part of a match covering scalars `range`.
    func marked(_ range: Range<Int>) -> Range<Int> {
        guard !range.isEmpty else { return range }
        switch self {
        case .whole: return range
        case .start: return range.lowerBound..<(range.lowerBound + 1)
        case .end: return (range.upperBound - 1)..<range.upperBound
        case .inside: return range.count < 2 ? range.lowerBound..<range.lowerBound : (range.lowerBound + 1)..<(range.upperBound - 1)
        }
    }
}

public enum PatternError: Error, Equatable, NamesSettings {
    /// Not a regular expression: why, and where (a scalar offset into the pattern) when known.
    case invalid(String, reason: String?, offset: Int?)
    case marksNothing(String, matched: Bool)
    case marksEverything(String, characters: Int)

    public func text(naming name: (Setting) -> String) -> String {
        switch self {
        case .invalid(let p, let reason, let offset):
            return "\(name(.pattern)) '\(p)' is not a valid regular expression" + (reason.map { ": \($0)" } ?? "")
                + (offset.map { " at offset \($0) of the pattern" } ?? "")
        case .marksNothing(let p, let matched):
            return matched ? "\(name(.pattern)) '\(p)' matches, but marks no character in this \(name(.patternMode))"
                : "\(name(.pattern)) '\(p)' never matches the text"
        case .marksEverything(let p, let n):
            return "\(name(.pattern)) '\(p)' marks all \(n) characters, so no unit can separate marked from unmarked ones"
        }
    }
}

/// A checked regular expression (ICU syntax, `^` and `$` at line ends).
public struct TextPattern {
    public let source: String
    let regex: NSRegularExpression

    public init(_ source: String) throws {
        self.source = source
        do {
            regex = try NSRegularExpression(pattern: source, options: [.anchorsMatchLines])
        } catch {
            throw Self.fault(in: source)
        }
    }

    /// Why ICU refused `source`: Foundation does not say, so ask Swift's own regex parser, whose error
    /// carries the faulty range (read by reflection: its type is not public).
    static func fault(in source: String) -> PatternError {
        guard #available(macOS 13, *) else { return .invalid(source, reason: nil, offset: nil) }
        do {
            _ = try Regex(source)
            return .invalid(source, reason: nil, offset: nil)
        } catch {
            let bound = Mirror(reflecting: error).descendant("location", "range") as? Range<String.Index>
            let offset = bound.flatMap { range -> Int? in
                guard range.lowerBound <= source.endIndex else { return nil }
                return source.unicodeScalars.distance(from: source.startIndex, to: range.lowerBound)
            }
            return .invalid(source, reason: "\(error)", offset: offset)
        }
    }
}

/// One bit per character and pattern: whether the pattern marks it.
public struct PatternMarks: Sendable {
    public let patterns: [String]
    public let characters: Int
    private var bits: [[UInt64]]  // (patterns, ⌈characters / 64⌉)
    /// Characters each pattern marks.
    public private(set) var marked: [Int]

    @inline(__always) public func isMarked(pattern p: Int, at t: Int) -> Bool {
        bits[p][t >> 6] & (1 << UInt64(t & 63)) != 0
    }

    /// Marks what each pattern covers in `text` (every match, `mode` choosing its characters).
    /// Throws when a pattern marks no character or every one (nothing to compare either way).
    public static func mark(_ patterns: [TextPattern], in text: String, mode: PatternMode) throws -> PatternMarks {
        let n = text.unicodeScalars.count
        var marks = PatternMarks(patterns: patterns.map(\.source), characters: n,
                                 bits: Array(repeating: Array(repeating: 0, count: (n + 63) / 64), count: patterns.count),
                                 marked: Array(repeating: 0, count: patterns.count))
        for (p, pattern) in patterns.enumerated() {
            var positions = ScalarPositions(text)
            var matched = false
            pattern.regex.enumerateMatches(in: text, range: NSRange(location: 0, length: text.utf16.count)) { result, _, _ in
                guard let range = result?.range, range.location != NSNotFound else { return }
                matched = true
                let scalars = positions.scalarRange(utf16: range.location..<(range.location + range.length))
                for t in mode.marked(scalars) where !marks.isMarked(pattern: p, at: t) {
                    marks.bits[p][t >> 6] |= 1 << UInt64(t & 63)
                    marks.marked[p] += 1
                }
            }
            if marks.marked[p] == 0 { throw PatternError.marksNothing(pattern.source, matched: matched) }
            if marks.marked[p] == n { throw PatternError.marksEverything(pattern.source, characters: n) }
        }
        return marks
    }

    /// The same, over the first `count` characters of a token sequence.
    public static func mark(_ patterns: [TextPattern], in tokens: TokenSequence, count: Int, vocabulary: Vocabulary,
                            mode: PatternMode) throws -> PatternMarks {
        var scalars = String.UnicodeScalarView()
        for t in 0..<count { scalars.append(vocabulary[tokens[t]]) }
        return try mark(patterns, in: String(scalars), mode: mode)
    }
}

/// UTF-16 offsets into a text as scalar positions, for offsets asked in increasing order: one walk
/// over the text in all (a scalar outside the BMP is two UTF-16 units, one position).
public struct ScalarPositions {
    private let scalars: String.UnicodeScalarView
    private var index: String.UnicodeScalarView.Index
    private var utf16 = 0, scalar = 0

    public init(_ text: String) {
        scalars = text.unicodeScalars
        index = scalars.startIndex
    }

    /// The position of the scalar that starts at UTF-16 offset `offset` (or the text's length at its end).
    public mutating func position(utf16 offset: Int) -> Int {
        precondition(offset >= utf16, "UTF-16 offsets must be asked in increasing order")
        while utf16 < offset && index < scalars.endIndex {
            utf16 += scalars[index].utf16.count
            scalar += 1
            scalars.formIndex(after: &index)
        }
        return scalar
    }

    /// The scalars a UTF-16 range covers.
    public mutating func scalarRange(utf16 range: Range<Int>) -> Range<Int> {
        let lower = position(utf16: range.lowerBound)
        return lower..<max(lower, position(utf16: range.upperBound))
    }
}
