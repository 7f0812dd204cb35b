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
            OptionSpec(name: "--length", value: "N", help: "characters to generate; inf: until a stop text or Ctrl-C", defaultText: "2000"),
            OptionSpec(name: "--temperature", value: "T", help: "softmax temperature > 0: lower is safer, higher wilder", defaultText: "1.0"),
            OptionSpec(name: "--prime", value: "TEXT", help: "text the model reads first; printed before the sample"),
            OptionSpec(name: "--prime-file", value: "FILE", help: "the same, the whole text of FILE (newlines included)"),
            OptionSpec(name: "--stop", value: "TEXT", help: "end right after TEXT first appears in the generated text", repeatable: true),
            OptionSpec(name: "--top-k", value: "K", help: "draw only among the K most likely characters"),
            OptionSpec(name: "--argmax", value: nil, help: "always take the most likely character"),
            OptionSpec(name: "--beam", value: "N", help: "beam search of width N: the most likely text it finds (deterministic)"),
            OptionSpec(name: "--beam-score", value: "S", help: "with --beam and --stop: rank texts by their total log-probability "
                       + "(sum) or per character (mean)", defaultText: "sum"),
            OptionSpec(name: "--interactive", value: nil, help: "read a prime per line from stdin and continue each"),
            seed, threads,
        ],
        notes: [
            "--interactive echoes each prime, then its continuation and a newline; a line with a character the model",
            "does not know is reported on stderr and skipped. End the session with Ctrl-D (end of input).",
            "A model trained on several files starts each sample as a document starts and ends it where the",
            "model ends the document, which may come before --length or a stop text.",
        ])

    static let seed = Options.seed.with(help: "random seed; the same seed gives the same text", default: "\(SamplingOptions().seed)")
    static let threads = Options.threads.with(help: "threads for large layers' products (H ≥ 512 or so)")

    static func run(_ args: ParsedArguments) throws -> Int32 {
        try checkCombinations(args)
        var options = SamplingOptions()
        options.length = endless(args) ? nil : try args.int("--length", default: 2000, min: 1)!
        options.temperature = Float(try args.double("--temperature", default: 1, above: 0, max: 1000)!)
        guard options.temperature.isNormal else {
            throw UsageError(message: "--temperature is too small to represent, got '\(args.string("--temperature")!)'", command: spec)
        }
        options.topK = try args.int("--top-k", min: 1)
        options.argmax = args.flag("--argmax")
        options.seed = try args.value(seed, default: options.seed)
        options.stopTexts = args.strings("--stop")
        if options.stopTexts.contains("") { throw UsageError(message: "--stop needs a text, got ''", command: spec) }
        let beamWidth = try args.int("--beam", min: 1, max: 1000)
        let beamScore: BeamScore = try args.choice("--beam-score", default: .sum)!
        // Only layers of at least InferenceStep.minimumParallelMultiplyAdds split across threads;
        // smaller models run on one whatever this says.
        Parallelism.threads = try args.threads(threads)

        let checkpoint = try loadCheckpoint(args.positionals[0])
        let vocabulary = checkpoint.vocabulary
        // Primes are read as the training text was (CRLF as LF, no byte-order mark, if so trained).
        options.prime = try prime(args, vocabulary: vocabulary, text: checkpoint.text)
        for stop in options.stopTexts {
            try checkCharacters(stop, of: vocabulary, "--stop '\(stop)'", ", so the model can never write it")
        }
        let sampler = Sampler(model: checkpoint.model, vocabulary: vocabulary)
        if args.flag("--interactive") { return try interact(SamplingSession(sampler: sampler, options: options), text: checkpoint.text) }
        let out = StandardOutput()
        defer { out.write("\n") }
        out.write(options.prime)
        if let beamWidth, let length = options.length {
            var beam = BeamSearchOptions()
            (beam.width, beam.length, beam.prime, beam.stopTexts, beam.score) = (beamWidth, length, options.prime, options.stopTexts, beamScore)
            out.write(try BeamSearch(model: checkpoint.model, vocabulary: vocabulary).run(beam).text)
            return ExitCode.success
        }
        Interruption.install()
        let end = try sampler.generate(options, shouldStop: { Interruption.requested }) { out.write($0) }
        return end == .interrupted ? Interruption.exitCode : ExitCode.success
    }

    /// Options that contradict each other or do nothing together, refused before any work.
    static func checkCombinations(_ args: ParsedArguments) throws {
        func refuse(_ message: String) -> UsageError { UsageError(message: message, command: spec) }
        if args.has("--prime") && args.has("--prime-file") { throw refuse("--prime and --prime-file cannot be used together") }
        if args.flag("--interactive"), let given = ["--prime", "--prime-file"].first(where: args.has) {
            throw refuse("--interactive reads its primes from standard input, so \(given) cannot be used with it")
        }
        if args.flag("--argmax"), let other = ["--temperature", "--top-k"].first(where: args.has) {
            throw refuse("--argmax always takes the most likely character, so \(other) would have no effect; drop one of them")
        }
        if args.has("--beam") {
            let deterministic = ["--temperature", "--top-k", "--argmax", "--interactive"]
            if let given = deterministic.first(where: args.has) {
                throw refuse("--beam searches for the most likely text, so \(given) cannot be used with it")
            }
            if endless(args) { throw refuse("--beam needs a finite --length, got 'inf'") }
        } else if args.has("--beam-score") {
            throw refuse("--beam-score ranks the texts of a beam search: it needs --beam")
        }
    }

    /// `--length inf`: no limit.
    static func endless(_ args: ParsedArguments) -> Bool { args.string("--length")?.lowercased() == "inf" }

    /// The text of --prime or --prime-file (empty if neither), every character known to the model.
    static func prime(_ args: ParsedArguments, vocabulary: Vocabulary, text normalization: TextNormalization) throws -> String {
        if let path = args.string("--prime-file") {
            let text: String
            do { text = normalization.apply(to: try readTextFile(path)) } catch let e as TextError { throw RuntimeError("\(path): \(e)") }
            try checkCharacters(text, of: vocabulary, "--prime-file \(path)")
            return text
        }
        let text = normalization.apply(to: args.string("--prime") ?? "")
        try checkCharacters(text, of: vocabulary, "--prime")
        return text
    }

    /// Throws the one-line error for the first character of `text` that `vocabulary` lacks, naming
    /// where the text came from (`source`).
    static func checkCharacters(_ text: String, of vocabulary: Vocabulary, _ source: String, _ consequence: String = "") throws {
        do {
            _ = try vocabulary.encode(text)
        } catch TextError.unknownCharacter(let s, let offset) {
            throw RuntimeError("\(source): \(unknownCharacter(s, at: offset))\(consequence)")
        }
    }

    static func unknownCharacter(_ s: Unicode.Scalar, at offset: Int) -> String {
        "character \(Vocabulary.display(s)) at position \(offset) is not in the model's vocabulary"
    }

    /// `--interactive`: a continuation per line of stdin until its end. A line that is not UTF-8 or
    /// has a character outside the vocabulary gets a warning and the session goes on.
    static func interact(_ session: SamplingSession, text normalization: TextNormalization) throws -> Int32 {
        let out = StandardOutput()
        var lines = LineReader(fileDescriptor: STDIN_FILENO, name: "standard input")
        var number = 0
        while let bytes = try lines.next() {
            number += 1
            do {
                let prime = normalization.apply(to: try decodeUTF8(bytes))
                _ = try session.sampler.vocabulary.encode(prime)  // before the echo: a refused line prints nothing
                out.write(prime)
                try session.continuation(of: prime) { out.write($0) }
                out.write("\n")
            } catch TextError.unknownCharacter(let s, let offset) {
                Console.warning("line \(number): \(unknownCharacter(s, at: offset)); skipped")
            } catch let e as TextError {
                Console.warning("line \(number): \(e); skipped")
            }
        }
        return ExitCode.success
    }
}

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
        let code = StreamWriter.write(buffer, to: STDOUT_FILENO)
        if code != 0 {
            Console.error("cannot write standard output: \(StreamWriter.reason(code))")
            exit(ExitCode.failure)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
