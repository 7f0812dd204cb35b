// What every inspect-cells output format shares: the renderer interface the dump pass drives
// (begin, one row per character, finish), the buffered byte writer renderers write through (the
// library never prints: the caller decides whether bytes go to a file, stdout or memory), and
// the ways a character is written down.

#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// What a renderer is told before the first row.
public struct InspectionContext: Sendable {
    /// The recorded units, in column order.
    public let columns: [CellUnit]
    /// Rows that will follow (known in advance, so headers can give shapes).
    public let characters: Int
    public let vocabulary: Vocabulary
    public let explanation: Explanation?
    public let saturation: SaturationReport?
    /// One line naming the model and the text, for headers.
    public let caption: String

    public init(columns: [CellUnit], characters: Int, vocabulary: Vocabulary, explanation: Explanation? = nil,
                saturation: SaturationReport? = nil, caption: String = "") {
        self.columns = columns
        self.characters = characters
        self.vocabulary = vocabulary
        self.explanation = explanation
        self.saturation = saturation
        self.caption = caption
    }

    /// The strongest feature of a column, if `--explain` ran over it.
    public func bestFeature(of unit: CellUnit) -> (feature: TextFeature, r: Double)? {
        guard let e = explanation, let u = e.units.firstIndex(of: unit) else { return nil }
        return e.bestFeature(of: u)
    }
}

/// A next-character prediction shown beside an activation.
public typealias Prediction = (character: Unicode.Scalar, probability: Double)

public protocol ActivationRenderer: AnyObject {
    /// Whether rows need the model's top-5 predictions (they cost a softmax per character).
    var wantsPredictions: Bool { get }
    func begin(_ context: InspectionContext) throws
    /// `values`: one per column, in column order.
    func row(position: Int, character: Unicode.Scalar, values: UnsafeBufferPointer<Float>,
             predictions: [Prediction]) throws
    func finish() throws
}

/// Collects bytes and hands them to `sink` in large blocks.
public final class ByteWriter {
    private var buffer: [UInt8] = []
    private let capacity: Int
    private let sink: (UnsafeRawBufferPointer) throws -> Void

    public init(capacity: Int = 1 << 16, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.capacity = capacity
        self.sink = sink
        buffer.reserveCapacity(capacity + 4096)
    }

    /// Writes to an open file descriptor (standard output, say), retrying short writes.
    public convenience init(fileDescriptor fd: Int32) {
        self.init { bytes in
            guard var p = bytes.baseAddress else { return }
            var left = bytes.count
            while left > 0 {
                let n = systemWrite(fd, p, left)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw OutputError.writeFailed(String(cString: strerror(errno))) }
                p += n
                left -= n
            }
        }
    }

    public func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= capacity { try flush() }
    }

    public func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { try flush() }
    }

    public func write(floats: UnsafeBufferPointer<Float>) throws {
        for v in floats {
            let bits = v.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { buffer.append(contentsOf: $0) }
        }
        if buffer.count >= capacity { try flush() }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try sink($0) }
        buffer.removeAll(keepingCapacity: true)
    }
}

public enum OutputError: Error, CustomStringConvertible {
    case writeFailed(String)
    public var description: String {
        switch self {
        case .writeFailed(let reason): return "cannot write the output: \(reason)"
        }
    }
}

enum Escaping {
    /// A character as one readable, tab-free token: `\n`, `\t`, `\r`, `\\`, other controls `\u{7}`.
    static func readable(_ s: Unicode.Scalar) -> String {
        switch s {
        case "\n": return "\\n"
        case "\t": return "\\t"
        case "\r": return "\\r"
        case "\\": return "\\\\"
        default:
            if s.properties.generalCategory == .control || s.properties.generalCategory == .format {
                return "\\u{" + String(s.value, radix: 16) + "}"
            }
            return String(Character(s))
        }
    }

    /// Text for HTML element content and attribute values.
    static func html(_ text: String) -> String {
        var out = ""
        for s in text.unicodeScalars {
            switch s {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n": out += "&#10;"
            default: out.unicodeScalars.append(s)
            }
        }
        return out
    }
}
