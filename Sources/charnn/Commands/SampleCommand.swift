// `charnn sample`: generate text from a checkpoint, streaming each character to stdout.

import CharRNN
import Foundation

enum SampleCommand {
    static let spec = CommandSpec(
        name: "sample",
        brief: "generate text from a checkpoint",
        summary: "Generate text from a trained checkpoint, written to stdout as it is produced.",
        positionals: [("CHECKPOINT", "a checkpoint written by charnn train")],
        options: [
            OptionSpec(name: "--length", value: "N", help: "characters to generate", defaultText: "2000"),
            OptionSpec(name: "--temperature", value: "T", help: "softmax temperature > 0: lower is safer, higher wilder", defaultText: "1.0"),
            OptionSpec(name: "--prime", value: "TEXT", help: "text the model reads first; printed before the sample"),
            OptionSpec(name: "--top-k", value: "K", help: "draw only among the K most likely characters"),
            OptionSpec(name: "--argmax", value: nil, help: "always take the most likely character"),
            OptionSpec(name: "--seed", value: "N", help: "random seed; the same seed gives the same text", defaultText: "123"),
            OptionSpec(name: "--threads", value: "N", help: "threads for large layers' products (H ≥ 512 or so)", defaultText: "all cores"),
        ])

    static func run(_ args: ParsedArguments) throws -> Int32 {
        var options = SamplingOptions()
        options.length = try args.int("--length", default: 2000, min: 1)!
        options.temperature = Float(try args.double("--temperature", default: 1, above: 0, max: 1000)!)
        guard options.temperature.isNormal else {
            throw UsageError(message: "--temperature is too small to represent, got '\(args.string("--temperature")!)'", command: spec)
        }
        options.topK = try args.int("--top-k", min: 1)
        options.argmax = args.flag("--argmax")
        if options.argmax, let other = ["--temperature", "--top-k"].first(where: args.has) {
            throw UsageError(message: "--argmax always takes the most likely character, so \(other) would have no effect; "
                             + "drop one of them", command: spec)
        }
        options.seed = UInt64(try args.int("--seed", default: 123, min: 0)!)
        // Only layers of at least InferenceStep.minimumParallelMultiplyAdds split across threads;
        // smaller models run on one whatever this says.
        Parallelism.threads = try args.int("--threads", min: 1, max: 256) ?? ProcessInfo.processInfo.activeProcessorCount

        let checkpoint = try loadCheckpoint(args.positionals[0])
        // The prime is read as the training text was (CRLF as LF, no byte-order mark, if so trained).
        options.prime = checkpoint.text.apply(to: args.string("--prime") ?? "")
        let sampler = Sampler(model: checkpoint.model, vocabulary: checkpoint.vocabulary)
        do {
            _ = try checkpoint.vocabulary.encode(options.prime)
        } catch TextError.unknownCharacter(let s, let offset) {
            throw RuntimeError("--prime: character \(Vocabulary.display(s)) at position \(offset) is not in the model's vocabulary")
        }
        // Ctrl-C ends the sample where it is, with the final newline, so a shell prompt starts on a line of its own.
        Interruption.install()
        let out = StandardOutput()
        out.write(options.prime)
        do {
            try sampler.generate(options) { s in
                if Interruption.requested { throw SampleInterrupted() }
                out.write(s)
            }
        } catch is SampleInterrupted {
            out.write("\n")
            return Interruption.exitCode
        }
        out.write("\n")
        return ExitCode.success
    }
}

struct SampleInterrupted: Error {}

/// Unbuffered-enough stdout: a terminal sees each character as it is drawn; a pipe gets lines.
final class StandardOutput {
    private let flushEachCharacter = isatty(STDOUT_FILENO) == 1
    private var buffer: [UInt8] = []

    func write(_ s: Unicode.Scalar) {
        UTF8.encode(s) { buffer.append($0) }
        if flushEachCharacter || s == "\n" || buffer.count >= 4096 { flush() }
    }

    func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        flush()
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(STDOUT_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { if errno == EINTR { continue }; exit(ExitCode.failure) }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
