// charnn's entry point: pick the subcommand, run it, and turn every error into one line on
// stderr and an exit code (64 for a wrong command line, 1 for data and runtime errors).

import CharRNN
import Foundation

let commands: [CommandEntry] = [
    CommandEntry(TrainCommand.self), CommandEntry(SampleCommand.self), CommandEntry(EvalCommand.self),
    CommandEntry(InspectCellsCommand.self), CommandEntry(BenchCommand.self), CommandEntry(ReportCommand.self),
    CommandEntry(CompletionsCommand.self),
]

/// Commands this binary runs for itself and does not list: `bench` starts one worker per model,
/// the tests audit the option catalogue, `make install` writes the man page.
let hiddenCommands: [CommandEntry] = [CommandEntry(BenchWorker.self), CommandEntry(OptionAudit.self), CommandEntry(ManPageCommand.self)]

let topUsageLine = "usage: charnn <command> [arguments] [options]"

/// "  train          train a model …", names padded to one column.
let commandList: String = {
    let rows = commands.map { ($0.spec.name, $0.spec.brief) } + [("help", "show help for a command: charnn help <command>")]
    let width = rows.map(\.0.count).max()! + 2
    return rows.map { "  " + $0.0.padding(width) + $0.1 }.joined(separator: "\n")
}()

let topUsage = """
\(topUsageLine)

Character-level RNN / LSTM / GRU text models: train on any UTF-8 text, sample, evaluate.

commands:
\(commandList)

options:
  -h, --help     show this help
  --version      print the version and the commit it was built from

Quick start:
  charnn train corpora/shakespeare.txt --time 5m
  charnn sample checkpoints/shakespeare.ckpt --temperature 0.8
"""

/// A wrong command line: one line on stderr with the message, the usage and where to read more.
func usageError(_ message: String, usage: String, help: String) -> Int32 {
    Console.error("\(message) (\(usage); see '\(help)')")
    return ExitCode.usage
}

/// " (did you mean train?)" for a command name two edits or fewer from `word`.
func suggestion(_ word: String) -> String {
    didYouMean(word, among: commands.map(\.spec.name) + ["help"])
}

func run(_ words: [String]) -> Int32 {
    guard let first = words.first else {
        Console.writeStderr(topUsage + "\n")
        return ExitCode.usage
    }
    switch first {
    case "-h", "--help":
        print(topUsage)
        return ExitCode.success
    case "--version", "version":
        print("charnn \(CharRNNVersion.string) (commit \(buildCommit))")
        return ExitCode.success
    case "help":
        guard words.count > 1, !["-h", "--help"].contains(words[1]) else { print(topUsage); return ExitCode.success }
        guard let c = commands.first(where: { $0.spec.name == words[1] }) else {
            return usageError("unknown command '\(words[1])'" + suggestion(words[1]), usage: topUsageLine, help: "charnn help")
        }
        print(c.spec.help)
        return ExitCode.success
    default:
        break
    }
    guard let command = (commands + hiddenCommands).first(where: { $0.spec.name == first }) else {
        return usageError(first.hasPrefix("-") ? "unknown option '\(first)'" : "unknown command '\(first)'" + suggestion(first),
                          usage: topUsageLine, help: "charnn help")
    }
    do {
        let args = try ParsedArguments(Array(words.dropFirst()), spec: command.spec)
        return try command.prepare(args)()
    } catch let help as HelpRequested {
        print(help.command.help)
        return ExitCode.success
    } catch let usage as UsageError {
        return usageError(usage.message, usage: usage.command?.usageLine ?? topUsageLine,
                          help: "charnn help" + (usage.command.map { " " + $0.name } ?? ""))
    } catch let e as RuntimeError {
        Console.error(e.message)
    } catch let e as NamesSettings {
        Console.error(e.text(naming: \.option))
    } catch let e as CustomStringConvertible {
        Console.error(e.description)
    } catch {
        Console.error("\(error)")
    }
    return ExitCode.failure
}

/// A command's status, or 1 with one line when what it printed could not be written (a full disk).
func finishStandardOutput(_ status: Int32) -> Int32 {
    guard fflush(stdout) != 0 || ferror(stdout) != 0 else { return status }
    Console.error("cannot write standard output: \(StreamWriter.reason(errno))")
    return status == ExitCode.success ? ExitCode.failure : status
}

exit(finishStandardOutput(run(Array(CommandLine.arguments.dropFirst()))))
