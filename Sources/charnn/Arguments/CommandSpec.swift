// The description of a subcommand: its positional arguments and options, from which both the
// parser and the usage text are made, so the two never disagree.

struct OptionSpec {
    var name: String        // "--hidden"
    let value: String?      // "N" for options that take a value; nil for flags
    var help: String
    var defaultText: String? = nil
    /// May be given more than once; every value is kept, in order (`ParsedArguments.strings`).
    /// Only for options that take a value: a flag said twice says nothing more.
    var repeatable = false
    /// The values it accepts when they are a fixed list (completed by the shells, listed by the man page).
    var choices: [String]? = nil
    /// What a shell offers for its value.
    var completion: ValueCompletion = .none
}

/// What a shell completes an option's value or a positional argument with.
enum ValueCompletion {
    case none, file, checkpoint, directory

    /// A positional argument's, from its name.
    static func positional(_ name: String) -> ValueCompletion {
        name == "CHECKPOINT" ? .checkpoint : (name == "CORPUS" || name == "TEXTFILE" ? .file : .none)
    }
}

struct CommandSpec {
    let name: String
    /// One short line for the command list of `charnn --help`.
    let brief: String
    let summary: String
    let positionals: [(name: String, help: String)]
    let options: [OptionSpec]
    var notes: [String] = []
    /// The last positional may be given more than once (`charnn train a.txt b.txt src/`).
    var lastPositionalRepeats = false

    init(name: String, brief: String, summary: String, positionals: [(name: String, help: String)],
         options: [any OptionDeclaration], notes: [String] = [], lastPositionalRepeats: Bool = false) {
        self.name = name
        self.brief = brief
        self.summary = summary
        self.positionals = positionals
        self.options = options.map(\.spec)
        self.notes = notes
        self.lastPositionalRepeats = lastPositionalRepeats
    }

    func option(_ name: String) -> OptionSpec? { options.first { $0.name == name } }

    var usageLine: String {
        let pos = positionals.map { $0.name }.joined(separator: " ")
        return "usage: charnn \(name)" + (pos.isEmpty ? "" : " \(pos)") + (options.isEmpty ? "" : " [options]")
    }

    /// The full help text.
    var help: String {
        var lines = [usageLine, "", summary]
        if !positionals.isEmpty {
            lines += ["", "arguments:"]
            for p in positionals { lines.append("  " + p.name.padding(26) + p.help) }
        }
        if !options.isEmpty {
            lines += ["", "options:"]
            for o in options {
                let left = o.name + (o.value.map { " \($0)" } ?? "")
                let right = o.help + (o.defaultText.map { " (default: \($0))" } ?? "") + (o.repeatable ? " (repeatable)" : "")
                if left.count >= 26 {
                    lines.append("  " + left)
                    lines.append("  " + "".padding(26) + right)
                } else {
                    lines.append("  " + left.padding(26) + right)
                }
            }
            lines.append("  " + "-h, --help".padding(26) + "show this help")
        }
        if !notes.isEmpty { lines += [""] + notes }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
