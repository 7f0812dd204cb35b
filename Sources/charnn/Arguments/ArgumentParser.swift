// Turns a subcommand's words into positionals and option values, and typed, validated reads of
// them. Every mistake is a UsageError: one line saying what is wrong, then the usage (exit 64).

import Foundation

struct UsageError: Error {
    let message: String
    /// The command whose usage to print after the message (nil: the top-level usage).
    var command: CommandSpec?
}

/// Asked for help rather than work: print the command's help and exit 0.
struct HelpRequested: Error {
    let command: CommandSpec
}

struct ParsedArguments {
    let spec: CommandSpec
    let positionals: [String]
    /// Each option's values in the order given: one, except for repeatable options.
    private let values: [String: [String]]
    private let flags: Set<String>
    let reads = OptionReads()

    init(_ words: [String], spec: CommandSpec) throws {
        self.spec = spec
        precondition(spec.options.allSatisfy { !$0.repeatable || $0.value != nil }, "a repeatable option must take a value")
        var positionals: [String] = [], values: [String: [String]] = [:], flags = Set<String>()
        var i = 0
        var onlyPositionals = false
        while i < words.count {
            let word = words[i]
            i += 1
            if onlyPositionals || !word.hasPrefix("-") || word == "-" {
                positionals.append(word)
                continue
            }
            if word == "--" { onlyPositionals = true; continue }
            if word == "-h" || word == "--help" { throw HelpRequested(command: spec) }
            var name = word, inline: String?
            if let eq = word.firstIndex(of: "=") {
                name = String(word[..<eq])
                inline = String(word[word.index(after: eq)...])
            }
            guard let option = spec.option(name) else {
                let hint = didYouMean(name, among: spec.options.map(\.name))
                throw UsageError(message: "unknown option '\(name)' for 'charnn \(spec.name)'\(hint)", command: spec)
            }
            if !option.repeatable && (values[name] != nil || flags.contains(name)) {
                throw UsageError(message: "option \(name) is given more than once", command: spec)
            }
            if option.value == nil {
                if inline != nil { throw UsageError(message: "option \(name) takes no value", command: spec) }
                flags.insert(name)
            } else if let inline {
                values[name, default: []].append(inline)
            } else {
                guard i < words.count else { throw UsageError(message: "option \(name) needs a value (\(option.value!))", command: spec) }
                values[name, default: []].append(words[i])
                i += 1
            }
        }
        if positionals.count < spec.positionals.count {
            let missing = spec.positionals[positionals.count].name
            throw UsageError(message: "missing \(missing)", command: spec)
        }
        if positionals.count > spec.positionals.count && !spec.lastPositionalRepeats {
            throw UsageError(message: "unexpected argument '\(positionals[spec.positionals.count])'", command: spec)
        }
        self.positionals = positionals
        self.values = values
        self.flags = flags
    }

    /// Whether the option was given.
    func has(_ option: some OptionDeclaration) -> Bool {
        let name = consult(option)
        return values[name] != nil || flags.contains(name)
    }

    /// The text given for an option (the last word of a repeatable one), as typed.
    func text(_ option: some OptionDeclaration) -> String? { values[consult(option)]?.first }

    /// Every value of a repeatable option, in the order given.
    func strings(_ option: Option<String>) -> [String] { values[consult(option)] ?? [] }

    /// The value of a typed option, or nil when it is not given.
    func value<Value>(_ option: Option<Value>) throws -> Value? {
        assert(!option.spec.repeatable, "read a repeatable option with strings(_:)")
        guard let text = values[consult(option)]?.first else { return nil }
        do { return try option.read(text) } catch let invalid as InvalidValue {
            throw UsageError(message: invalid.message ?? "\(option.name) \(invalid.what), got '\(text)'", command: spec)
        }
    }

    func value<Value>(_ option: Option<Value>, default d: Value) throws -> Value { try value(option) ?? d }

    func flag(_ option: Option<Bool>) -> Bool { flags.contains(consult(option)) }

    /// --threads, or every core of the machine.
    func threads(_ option: Option<Int> = Options.threads) throws -> Int {
        try value(option) ?? ProcessInfo.processInfo.activeProcessorCount
    }

    /// Records that the command reads `option` (the catalogue audit compares these with the list).
    private func consult(_ option: some OptionDeclaration) -> String {
        let name = option.spec.name
        reads.names.insert(name)
        return name
    }
}

/// The options a command has read, so the audit can find one it reads but does not list, or lists
/// but never reads.
final class OptionReads {
    var names = Set<String>()
}

/// " (did you mean X?)" for the nearest of `names` within two edits of `word`, else "".
func didYouMean(_ word: String, among names: [String]) -> String {
    names.min { editDistance($0, word) < editDistance($1, word) }
        .flatMap { editDistance($0, word) <= 2 ? " (did you mean \($0)?)" : nil } ?? ""
}

/// Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(1, a.count) where !a.isEmpty {
        var previous = row[0]
        row[0] = i
        for j in 1...max(1, b.count) where !b.isEmpty {
            let old = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = old
        }
    }
    return a.isEmpty ? b.count : (b.isEmpty ? a.count : row[b.count])
}
