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

    func has(_ name: String) -> Bool { values[name] != nil || flags.contains(name) }
    func flag(_ name: String) -> Bool { flags.contains(name) }
    /// The value of an option given at most once (the typed reads below are for those too).
    func string(_ name: String) -> String? {
        assert(spec.option(name)?.repeatable != true, "read a repeatable option with strings(_:)")
        return values[name]?.first
    }

    /// Every value of a repeatable option, in the order given.
    func strings(_ name: String) -> [String] { values[name] ?? [] }

    private func fail(_ name: String, _ what: String) -> UsageError {
        UsageError(message: "\(name) \(what), got '\(string(name) ?? "")'", command: spec)
    }

    func int(_ name: String, default d: Int? = nil, min lo: Int? = nil, max hi: Int? = nil) throws -> Int? {
        guard let text = string(name) else { return d }
        guard let v = Int(text) else { throw fail(name, "needs a whole number") }
        if let lo, v < lo { throw fail(name, "must be at least \(lo)") }
        if let hi, v > hi { throw fail(name, "must be at most \(hi)") }
        return v
    }

    /// A finite real number in the given range; `above` excludes the bound itself.
    func double(_ name: String, default d: Double? = nil, min lo: Double? = nil, above: Double? = nil,
                max hi: Double? = nil, below: Double? = nil) throws -> Double? {
        guard let text = string(name) else { return d }
        guard let v = Double(text), v.isFinite else { throw fail(name, "needs a finite number") }
        if let lo, v < lo { throw fail(name, "must be at least \(lo)") }
        if let above, v <= above { throw fail(name, "must be greater than \(above)") }
        if let hi, v > hi { throw fail(name, "must be at most \(hi)") }
        if let below, v >= below { throw fail(name, "must be less than \(below)") }
        return v
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, default d: T? = nil) throws -> T? where T.RawValue == String {
        guard let text = string(name) else { return d }
        guard let v = T(rawValue: text.lowercased()) else {
            throw fail(name, "must be one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return v
    }

    /// A duration like 90, 90s, 10m, 1.5h, 2d (seconds when no unit).
    func duration(_ name: String) throws -> Double? {
        guard let text = string(name)?.lowercased() else { return nil }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var number = Substring(text), scale = 1.0
        if let last = text.last, let unit = units[last] { number = text.dropLast(); scale = unit }
        guard let v = Double(number), v.isFinite, v > 0 else {
            throw fail(name, "needs a positive duration such as 90s, 10m or 2h")
        }
        return v * scale
    }
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
