// A strict UTF-8 decoder that reports where a text stops being UTF-8: the byte offset of the first
// bad sequence (the standard library's decoders repair or stop without saying where).

public enum TextError: Error, Equatable, CustomStringConvertible {
    case invalidUTF8(offset: Int)
    case empty
    case tooShort(characters: Int, needed: Int)
    case unknownCharacter(Unicode.Scalar, offset: Int)
    /// A file that did not keep its size while it was read (it is read twice: characters, then ids).
    case changed(bytes: Int, read: Int)

    public var description: String {
        switch self {
        case .invalidUTF8(let offset):
            return "invalid UTF-8 at byte offset \(offset); convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)"
        case .empty:
            return "the text is empty"
        case .tooShort(let n, let needed):
            return "the text is too short: \(n) characters, need at least \(needed)"
        case .unknownCharacter(let s, let offset):
            return "character \(Vocabulary.display(s)) at character \(offset) is not in the model's vocabulary"
        case .changed(let bytes, let read):
            return "the file changed while charnn read it (\(bytes) bytes, then \(read)); leave it unchanged until training starts"
        }
    }
}

/// Calls `body` with each Unicode scalar of `bytes` and its character index, in order.
/// Rejects overlong forms, surrogates, values past U+10FFFF and truncated sequences.
@inline(__always)
func forEachScalar(in bytes: UnsafeBufferPointer<UInt8>, _ body: (UInt32, Int) throws -> Void) throws {
    var i = 0, index = 0
    let n = bytes.count
    while i < n {
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 {
            try body(b0, index)
            i += 1; index += 1
            continue
        }
        let length: Int, minimum: UInt32
        var value: UInt32
        switch b0 {
        case 0xC2...0xDF: length = 2; minimum = 0x80; value = b0 & 0x1F
        case 0xE0...0xEF: length = 3; minimum = 0x800; value = b0 & 0x0F
        case 0xF0...0xF4: length = 4; minimum = 0x10000; value = b0 & 0x07
        default: throw TextError.invalidUTF8(offset: i)
        }
        guard i + length <= n else { throw TextError.invalidUTF8(offset: i) }
        for k in 1..<length {
            let b = UInt32(bytes[i + k])
            guard b & 0xC0 == 0x80 else { throw TextError.invalidUTF8(offset: i) }
            value = value << 6 | (b & 0x3F)
        }
        guard value >= minimum, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else {
            throw TextError.invalidUTF8(offset: i)
        }
        try body(value, index)
        i += length; index += 1
    }
}

/// Decodes a text that arrives in pieces (a file read a megabyte at a time), so that it is never
/// held whole: a piece may end inside a character, whose first bytes wait for the next piece.
/// Errors and character indices count from the start of the whole text, as `forEachScalar` does.
struct ChunkedUTF8Decoder {
    private var pending: [UInt8] = []     // the bytes not yet decoded, from a character boundary
    private var byteOffset = 0            // of pending[0] in the whole text
    private(set) var characterCount = 0   // characters decoded so far

    /// Decodes `chunk` after what came before, except a character cut at its end; `isLast`
    /// decodes everything (a character cut by the end of the text is then invalid).
    mutating func decode(_ chunk: UnsafeBufferPointer<UInt8>, isLast: Bool, _ body: (UInt32, Int) throws -> Void) throws {
        pending.append(contentsOf: chunk)
        let end = isLast ? pending.count : Self.completePrefix(pending)
        let first = characterCount, base = byteOffset
        var decoded = 0
        do {
            try pending.withUnsafeBufferPointer { all in
                try forEachScalar(in: UnsafeBufferPointer(rebasing: all[..<end])) { value, index in
                    try body(value, first + index)
                    decoded += 1
                }
            }
        } catch TextError.invalidUTF8(let offset) {
            throw TextError.invalidUTF8(offset: base + offset)
        }
        characterCount += decoded
        byteOffset += end
        pending.removeFirst(end)
    }

    /// The length of `bytes` without a last character whose lead byte is there but not all of its
    /// continuation bytes. Anything malformed is left in, for the decoder to report.
    static func completePrefix(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        for back in 1...max(1, min(3, n)) where back <= n {
            let byte = bytes[n - back]
            if byte < 0x80 { return n }                      // ASCII ends a character
            if byte >= 0xC0 {                                // a lead byte: is its character complete?
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                return length > back ? n - back : n
            }
        }
        return n
    }
}
