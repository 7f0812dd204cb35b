// The hidden `charnn audit-options`: checks each command's line with its positionals alone and
// compares the options it read with the ones it lists, so the catalogue cannot drift from the code.

enum OptionAudit: Command {
    static let spec = CommandSpec(name: "audit-options", brief: "(internal) check the option catalogue",
                                  summary: "(internal) every command's options read against the options it lists.",
                                  positionals: [], options: [])

    static func validate(_ args: ParsedArguments) throws {}

    /// One line per option read but not listed, or listed but never read; exit 1 if there is any.
    static func run(_: Void) throws -> Int32 {
        var problems: [String] = []
        for entry in commands + hiddenCommands where entry.spec.name != spec.name {
            let words = entry.spec.positionals.map { Completions.positionalValues(entry.spec)?.first ?? "audit-" + $0.name.lowercased() }
            let args = try ParsedArguments(words, spec: entry.spec)
            _ = try entry.prepare(args)
            let listed = Set(entry.spec.options.map(\.name))
            for name in args.reads.names.subtracting(listed).sorted() {
                problems.append("\(entry.spec.name) reads \(name) but does not list it")
            }
            for name in listed.subtracting(args.reads.names).sorted() {
                problems.append("\(entry.spec.name) lists \(name) but never reads it")
            }
        }
        for problem in problems { print(problem) }
        return problems.isEmpty ? ExitCode.success : ExitCode.failure
    }
}
