// The description of a subcommand: its positional arguments and options, from which both the
// parser and the usage text are made, so the two never disagree.

struct OptionSpec {
    let name: String        // "--hidden"
    let value: String?      // "N" for options that take a value; nil for flags
    let help: String
    var defaultText: String? = nil
    /// May be given more than once; every value is kept, in order (`ParsedArguments.strings`).
    /// Only for options that take a value: a flag said twice says nothing more.
    var repeatable = false
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
