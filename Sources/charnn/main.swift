// charnn's entry point: pick the subcommand, run it, and turn every error into one line on
// stderr and an exit code (64 for a wrong command line, 1 for data and runtime errors).

import CharRNN
import Foundation

let commands: [(spec: CommandSpec, run: (ParsedArguments) throws -> Int32)] = [
    (TrainCommand.spec, TrainCommand.run),
    (SampleCommand.spec, SampleCommand.run),
    (EvalCommand.spec, EvalCommand.run),
    (BenchCommand.spec, BenchCommand.run),
]

/// Commands this binary runs for itself and does not list: `bench` starts one worker per model.
let hiddenCommands: [(spec: CommandSpec, run: (ParsedArguments) throws -> Int32)] = [
    (BenchCommand.workerSpec, BenchCommand.runWorker),
]

let topUsage = """
usage: charnn <command> [arguments] [options]

Character-level RNN / LSTM / GRU text models: train on any UTF-8 text, sample, evaluate.

commands:
\(commands.map { "  " + $0.spec.name.padding(10) + $0.spec.summary.split(separator: "\n")[0] }.joined(separator: "\n"))
  help      show help for a command: charnn help <command>

options:
  -h, --help     show this help
  --version      print the version

Quick start:
  charnn train corpora/shakespeare.txt --time 5m
  charnn sample checkpoints/shakespeare.ckpt --temperature 0.8
"""

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
        print("charnn \(CharRNNVersion.string)")
        return ExitCode.success
    case "help":
        guard words.count > 1 else { print(topUsage); return ExitCode.success }
        guard let c = commands.first(where: { $0.spec.name == words[1] }) else {
            Console.error("unknown command '\(words[1])'")
            Console.writeStderr(topUsage + "\n")
            return ExitCode.usage
        }
        print(c.spec.help)
        return ExitCode.success
    default:
        break
    }
    guard let command = (commands + hiddenCommands).first(where: { $0.spec.name == first }) else {
        Console.error(first.hasPrefix("-") ? "unknown option '\(first)'" : "unknown command '\(first)'")
        Console.writeStderr(topUsage + "\n")
        return ExitCode.usage
    }
    do {
        let args = try ParsedArguments(Array(words.dropFirst()), spec: command.spec)
        return try command.run(args)
    } catch let help as HelpRequested {
        print(help.command.help)
        return ExitCode.success
    } catch let usage as UsageError {
        Console.error(usage.message)
        Console.writeStderr((usage.command?.usageLine ?? "usage: charnn <command> ...") + "\n"
                            + "Run 'charnn help \(usage.command?.name ?? "")' for more.\n")
        return ExitCode.usage
    } catch let e as RuntimeError {
        Console.error(e.message)
    } catch let e as CustomStringConvertible {
        Console.error(e.description)
    } catch {
        Console.error("\(error)")
    }
    return ExitCode.failure
}

exit(run(Array(CommandLine.arguments.dropFirst())))
