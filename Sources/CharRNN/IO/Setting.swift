// The settings a library message can be about. The library words its messages with a name for each
// setting supplied by whoever shows them: the command line names its options, and a library caller
// that shows `description` reads the settings' own names.

/// A setting a message is about.
public enum Setting: String, CaseIterable, Sendable {
    case learningRate = "learning rate"
    case clipNorm = "gradient norm clip"
    case pattern
    case patternMode = "pattern mode"
}

/// A message whose words name settings: `text(naming:)` says it with the given names.
public protocol NamesSettings: CustomStringConvertible {
    func text(naming name: (Setting) -> String) -> String
}

extension NamesSettings {
    public var description: String { text { $0.rawValue } }
}
