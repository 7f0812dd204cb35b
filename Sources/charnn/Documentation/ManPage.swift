// The hidden `charnn man`: the man page charnn(1) in roff, made from the command table and each
// command's option catalogue (what `make install` puts in share/man/man1).

import CharRNN

enum ManPageCommand: Command {
    static let spec = CommandSpec(name: "man", brief: "(internal) print the man page",
                                  summary: "Print the man page charnn(1) in roff (man -l <(charnn man) shows it).",
                                  positionals: [], options: [])

    static func validate(_ args: ParsedArguments) throws {}

    static func run(_: Void) throws -> Int32 {
        print(ManPage.text, terminator: "")
        return ExitCode.success
    }
}

enum ManPage {
    static var text: String {
        var lines = [
            ".TH CHARNN 1 \"\" \"charnn \(CharRNNVersion.string)\" \"User Commands\"",
            ".SH NAME",
            "charnn \\- train, sample and evaluate character\\-level RNN, LSTM and GRU text models",
            ".SH SYNOPSIS",
            ".B charnn",
            ".I command",
            "[\\fIarguments\\fR] [\\fIoptions\\fR]",
            ".br",
            ".B charnn",
            "[\\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR]",
            ".SH DESCRIPTION",
            roff("charnn trains a character-level recurrent model on any UTF-8 text, samples text from it, scores how well it "
                 + "predicts a text, shows what its hidden units do, measures its speed and reports on a training run. "
                 + "Every command has its own help: charnn help COMMAND."),
            ".SH COMMANDS",
        ]
        for spec in commands.map(\.spec) { lines += section(spec) }
        lines += [
            ".SH EXIT STATUS",
            ".TP", "0", "success",
            ".TP", "1", roff("a data or runtime error: one line on standard error says what and where"),
            ".TP", "64", roff("a wrong command line: the message, then the command's usage"),
            ".TP", "130, 143", roff("interrupted by Ctrl-C (SIGINT) or SIGTERM; training saves a checkpoint first"),
            ".SH SEE ALSO",
            roff("charnn help COMMAND; charnn completions bash|zsh|fish; the README in the source repository."),
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A command's usage, summary, arguments, options (with defaults and fixed values) and notes.
    static func section(_ spec: CommandSpec) -> [String] {
        var lines = [".SS " + quoted(String(spec.usageLine.dropFirst("usage: ".count))), roff(spec.summary)]
        for p in spec.positionals { lines += [".TP", "\\fI\(p.name)\\fR", roff(p.help)] }
        for o in spec.options {
            let value = o.value.map { " \\fI\(roff($0))\\fR" } ?? ""
            var help = o.help
            if let d = o.defaultText { help += " (default: \(d))" }
            if let choices = o.choices { help += " (one of: \(choices.joined(separator: ", ")))" }
            if o.repeatable { help += " (repeatable)" }
            lines += [".TP", "\\fB\(roff(o.name))\\fR" + value, roff(help)]
        }
        if !spec.notes.isEmpty { lines += [".PP", roff(spec.notes.joined(separator: " "))] }
        return lines
    }

    static func quoted(_ s: String) -> String { "\"" + roff(s).replacingOccurrences(of: "\"", with: "\\(dq") + "\"" }

    /// Text as roff reads it literally: backslashes and dashes escaped, no line starting a request,
    /// characters beyond ASCII by their Unicode names.
    static func roff(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\e"
            case "-": out += "\\-"
            case "\n": out += " "
            default:
                if scalar.isASCII { out.unicodeScalars.append(scalar) } else { out += "\\[u" + hex(scalar.value) + "]" }
            }
        }
        return out.hasPrefix(".") || out.hasPrefix("'") ? "\\&" + out : out
    }

    /// At least four upper-case hex digits, as groff's \[uXXXX] wants them.
    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
