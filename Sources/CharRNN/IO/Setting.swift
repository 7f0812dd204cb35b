// The settings a library message can be about. The library words its messages with a name for each
// setting supplied by whoever shows them: the command line names its options, and a library caller
// that shows `description` reads the settings' own names.

/// A setting a message is about.
public enum Setting: String, CaseIterable, Sendable {
    case learningRate = "learning rate"
    case clipNorm = "gradient norm clip"
    case pattern
    case patternMode = "pattern mode"
    case output
    case metrics = "metrics log"
    case resume = "checkpoint to resume"
    case force
    case precision
    case batchSize = "batch size"
    case seqLength = "sequence length"
}

/// A message whose words name settings: `text(naming:)` says it with the given names.
public protocol NamesSettings: CustomStringConvertible {
    func text(naming name: (Setting) -> String) -> String
}

extension NamesSettings {
    public var description: String { text { $0.rawValue } }
}

/// A message of text and settings, written as a string with `\(setting: .output)` where a setting is
/// named: "choose another \(setting: .output)".
public struct SettingsMessage: NamesSettings, Equatable, Sendable, ExpressibleByStringInterpolation {
    enum Piece: Equatable, Sendable {
        case text(String)
        case setting(Setting)
    }

    private let pieces: [Piece]

    public init(_ text: String) { pieces = Self.joined([.text(text)]) }
    public init(stringLiteral text: String) { self.init(text) }
    public init(stringInterpolation: StringInterpolation) { pieces = stringInterpolation.pieces }

    /// Adjacent texts joined, so two messages that say the same are equal however they were written.
    private static func joined(_ pieces: [Piece]) -> [Piece] {
        pieces.reduce(into: []) { out, piece in
            if case .text(let next) = piece, case .text(let last)? = out.last {
                out[out.count - 1] = .text(last + next)
            } else if piece != .text("") {
                out.append(piece)
            }
        }
    }

    public func text(naming name: (Setting) -> String) -> String {
        pieces.map { piece in
            switch piece {
            case .text(let text): return text
            case .setting(let setting): return name(setting)
            }
        }.joined()
    }

    public static func + (lhs: SettingsMessage, rhs: SettingsMessage) -> SettingsMessage {
        SettingsMessage(pieces: joined(lhs.pieces + rhs.pieces))
    }

    private init(pieces: [Piece]) { self.pieces = pieces }

    /// Whether the message, with the settings' own names, contains `text`.
    public func contains(_ text: String) -> Bool { description.contains(text) }

    public struct StringInterpolation: StringInterpolationProtocol {
        private(set) var pieces: [Piece] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}
        public mutating func appendLiteral(_ text: String) { pieces = joined(pieces + [.text(text)]) }
        public mutating func appendInterpolation(_ value: some CustomStringConvertible) { appendLiteral(value.description) }
        public mutating func appendInterpolation(setting: Setting) { pieces.append(.setting(setting)) }
        public mutating func appendInterpolation(_ message: SettingsMessage) { pieces = joined(pieces + message.pieces) }
    }
}
