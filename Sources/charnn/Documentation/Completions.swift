// `charnn completions bash|zsh|fish`: the shells' completion scripts, made from the command table and
// each command's option catalogue, so they complete exactly what the parser accepts.

enum Shell: String, CaseIterable {
    case bash, zsh, fish
}

enum CompletionsCommand: Command {
    static let spec = CommandSpec(
        name: "completions", brief: "print a shell completion script: charnn completions bash|zsh|fish",
        summary: "Print the completion script for SHELL: commands, options, their fixed values and file arguments.",
        positionals: [("SHELL", "bash, zsh or fish")], options: [],
        notes: [
            "make install puts them where the shells look; by hand, for example:",
            "  charnn completions bash > ~/.local/share/bash-completion/completions/charnn",
            "  charnn completions zsh > ~/.zfunc/_charnn      (a directory on $fpath)",
            "  charnn completions fish > ~/.config/fish/completions/charnn.fish",
        ])

    static func validate(_ args: ParsedArguments) throws -> Shell {
        guard let shell = Shell(rawValue: args.positionals[0]) else {
            throw UsageError(message: "completions are for bash, zsh or fish, got '\(args.positionals[0])'", command: spec)
        }
        return shell
    }

    static func run(_ shell: Shell) throws -> Int32 {
        switch shell {
        case .bash: print(Completions.bash, terminator: "")
        case .zsh: print(Completions.zsh, terminator: "")
        case .fish: print(Completions.fish, terminator: "")
        }
        return ExitCode.success
    }
}

enum Completions {
    /// The commands a user types (`help` is spelled out by each script).
    static var specs: [CommandSpec] { commands.map(\.spec) }

    /// The words that may follow an option: its fixed values, or the shells for `completions`.
    static func values(_ option: OptionSpec) -> [String]? { option.choices }

    static func positionalValues(_ spec: CommandSpec) -> [String]? {
        spec.name == CompletionsCommand.spec.name ? Shell.allCases.map(\.rawValue) : nil
    }

    static var bash: String {
        var cases: [String] = []
        for spec in specs {
            var valueCases: [String] = []
            for o in spec.options where o.value != nil {
                valueCases.append("        \(o.name)) \(bashValue(values(o), o.completion)); return ;;")
            }
            let names = (spec.options.map(\.name) + ["--help"]).joined(separator: " ")
            let taking = spec.options.filter { $0.value != nil }.map(\.name).joined(separator: " ")
            cases.append("""
                \(spec.name))
                    case "$prev" in
            \(valueCases.joined(separator: "\n"))
                    esac
                    if [[ "$cur" == -* ]]; then _charnn_words "\(names)"; return; fi
                    case $(_charnn_position "\(taking)") in
            \(bashPositionals(spec))
                    esac ;;
            """)
        }
        let commandNames = (specs.map(\.name) + ["help", "--help", "--version"]).joined(separator: " ")
        return """
        # bash completion for charnn (written by `charnn completions bash`)
        _charnn_words() { COMPREPLY=($(compgen -W "$1" -- "$cur")); }
        # The index of the argument being completed among the command's positionals ($1: the options
        # that take a value, whose values are not positionals).
        _charnn_position() {
            local i n=0
            for ((i = 2; i < COMP_CWORD; i++)); do
                if [[ " $1 " == *" ${COMP_WORDS[i]} "* ]]; then ((i++)); elif [[ "${COMP_WORDS[i]}" != -* ]]; then ((n++)); fi
            done
            echo $n
        }
        _charnn_files() {
            local IFS=$'\\n'
            compopt -o filenames 2>/dev/null
            if [[ -n "$1" ]]; then COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X "!$1" -- "$cur"))
            else COMPREPLY=($(compgen -f -- "$cur")); fi
        }
        _charnn() {
            local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
            COMPREPLY=()
            if [[ $COMP_CWORD -eq 1 ]]; then _charnn_words "\(commandNames)"; return; fi
            case "${COMP_WORDS[1]}" in
            help) [[ $COMP_CWORD -eq 2 ]] && _charnn_words "\(specs.map(\.name).joined(separator: " "))" ;;
        \(cases.joined(separator: "\n"))
            esac
        }
        complete -F _charnn charnn

        """
    }

    /// One `case` branch per positional (the last also for those after it when it repeats).
    static func bashPositionals(_ spec: CommandSpec) -> String {
        spec.positionals.enumerated().map { i, p in
            let last = i == spec.positionals.count - 1
            let action = bashValue(i == 0 ? positionalValues(spec) : nil, ValueCompletion.positional(p.name))
            return "        \(last && spec.lastPositionalRepeats ? "*" : "\(i)")) \(action) ;;"
        }.joined(separator: "\n")
    }

    /// What bash offers for a value: fixed words, checkpoints, any file, or nothing.
    static func bashValue(_ values: [String]?, _ completion: ValueCompletion) -> String {
        if let values { return "_charnn_words \"\(values.joined(separator: " "))\"" }
        switch completion {
        case .checkpoint: return "_charnn_files '*.ckpt'"
        case .file: return "_charnn_files"
        case .directory: return "compopt -o dirnames 2>/dev/null"
        case .none: return ":"
        }
    }

    static var zsh: String {
        let described = specs.map { "'\($0.name):\(zshText($0.brief))'" } + ["'help:show help for a command'"]
        var cases: [String] = []
        for spec in specs {
            var lines = spec.options.map { o -> String in
                let spelled = (o.repeatable ? "*" : "") + o.name + "[\(zshText(o.help))]"
                guard let value = o.value else { return "'\(spelled)'" }
                return "'\(spelled):\(zshText(value)):\(zshAction(values(o), o.completion))'"
            }
            lines.append("'(- *)--help[show this help]'")
            for (i, p) in spec.positionals.enumerated() {
                let isLast = i == spec.positionals.count - 1
                let position = isLast && spec.lastPositionalRepeats ? "*" : "\(i + 1)"
                let action = zshAction(i == 0 ? positionalValues(spec) : nil, ValueCompletion.positional(p.name))
                lines.append("'\(position):\(p.name):\(action)'")
            }
            cases.append("    \(spec.name)) _arguments -s \\\n        " + lines.joined(separator: " \\\n        ") + " ;;")
        }
        return """
        #compdef charnn
        # zsh completion for charnn (written by `charnn completions zsh`)
        _charnn() {
            local -a commands
            commands=(\(described.joined(separator: " ")))
            if (( CURRENT == 2 )); then
                _describe -t commands 'charnn command' commands
                _arguments '--help[show help]' '--version[print the version]'
                return
            fi
            local command=$words[2]
            shift words
            (( CURRENT-- ))
            case $command in
            help) _describe -t commands 'charnn command' commands ;;
        \(cases.joined(separator: "\n"))
            esac
        }
        _charnn "$@"

        """
    }

    static func zshAction(_ values: [String]?, _ completion: ValueCompletion) -> String {
        if let values { return "(\(values.joined(separator: " ")))" }
        switch completion {
        case .checkpoint: return "_files -g \"*.ckpt\""
        case .file: return "_files"
        case .directory: return "_files -/"
        case .none: return " "
        }
    }

    /// Help text inside a single-quoted zsh word and an _arguments description.
    static func zshText(_ text: String) -> String {
        text.replacingOccurrences(of: "'", with: "'\\''").replacingOccurrences(of: ":", with: "\\:")
            .replacingOccurrences(of: "[", with: "(").replacingOccurrences(of: "]", with: ")")
    }

    static var fish: String {
        var lines = ["# fish completion for charnn (written by `charnn completions fish`)", "complete -c charnn -f"]
        let all = specs.map(\.name).joined(separator: " ")
        for spec in specs {
            lines.append("complete -c charnn -n '__fish_use_subcommand' -a \(spec.name) -d '\(fishText(spec.brief))'")
        }
        lines.append("complete -c charnn -n '__fish_use_subcommand' -a help -d 'show help for a command'")
        lines.append("complete -c charnn -n '__fish_seen_subcommand_from help' -a '\(all)'")
        lines.append("complete -c charnn -n '__fish_use_subcommand' -l version -d 'print the version'")
        for spec in specs {
            let when = "-n '__fish_seen_subcommand_from \(spec.name)'"
            for o in spec.options {
                var line = "complete -c charnn \(when) -l \(o.name.dropFirst(2))"
                if o.value != nil { line += " " + fishValue(values(o), o.completion) }
                lines.append(line + " -d '\(fishText(o.help))'")
            }
            lines.append("complete -c charnn \(when) -l help -d 'show this help'")
            if let values = positionalValues(spec) {
                lines.append("complete -c charnn \(when) -a '\(values.joined(separator: " "))'")
            }
            let kinds = spec.positionals.map { ValueCompletion.positional($0.name) }
            if kinds.contains(.checkpoint) { lines.append("complete -c charnn \(when) -k -a '(__fish_complete_suffix .ckpt)'") }
            if kinds.contains(.file) { lines.append("complete -c charnn \(when) -F") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func fishValue(_ values: [String]?, _ completion: ValueCompletion) -> String {
        if let values { return "-x -a '\(values.joined(separator: " "))'" }
        switch completion {
        case .checkpoint: return "-r -k -a '(__fish_complete_suffix .ckpt)'"
        case .file: return "-r -F"
        case .directory: return "-r -a '(__fish_complete_directories)'"
        case .none: return "-x"
        }
    }

    static func fishText(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
    }
}
