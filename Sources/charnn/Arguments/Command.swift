// What every subcommand is: its spec, the checks of its command line (every option read, no file
// touched), then its work; and the table entry main.swift, the help and the generators use.

protocol Command {
    associatedtype Validated
    static var spec: CommandSpec { get }
    /// Reads every option the spec lists and refuses what is wrong with the command line alone.
    static func validate(_ args: ParsedArguments) throws -> Validated
    static func run(_ validated: Validated) throws -> Int32
}

struct CommandEntry {
    let spec: CommandSpec
    /// Checks the command line and returns the work it asks for.
    let prepare: (ParsedArguments) throws -> () throws -> Int32

    init<C: Command>(_ command: C.Type) {
        spec = C.spec
        prepare = { args in
            let validated = try C.validate(args)
            return { try C.run(validated) }
        }
    }
}
