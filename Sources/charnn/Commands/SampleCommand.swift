// `charnn sample`: generate text from a checkpoint, streaming each character to stdout.

import CharRNN
import Foundation

enum SampleCommand: Command {
    typealias O = Options.Sample

    static let spec = CommandSpec(
        name: "sample",
        brief: "generate text from a checkpoint",
        summary: "Generate text from a trained checkpoint, written to stdout as it is produced.",
        positionals: [("CHECKPOINT", "a checkpoint written by charnn train")],
        options: [O.length, O.temperature, O.prime, O.primeFile, O.stop, O.topK, O.argmax, O.beam, O.beamScore, O.interactive,
                  O.seed, O.threads],
        notes: [
            "--interactive echoes each prime, then its continuation and a newline; a line with a character the model",
            "does not know is reported on stderr and skipped. End the session with Ctrl-D (end of input).",
            "A model trained on several files starts each sample as a document starts and ends it where the",
            "model ends the document, which may come before --length or a stop text.",
        ])

    /// A command line checked before the checkpoint is read.
    struct Validated {
        let checkpoint: String
        var options: SamplingOptions
        let primeFile: String?
        let beamWidth: Int?
        let beamScore: BeamScore
        let interactive: Bool
        let threads: Int
    }

    static func validate(_ args: ParsedArguments) throws -> Validated {
        try checkCombinations(args)
        var options = SamplingOptions()
        options.length = try args.value(O.length, default: options.length)
        options.temperature = try args.value(O.temperature, default: options.temperature)
        options.topK = try args.value(O.topK)
        options.argmax = args.flag(O.argmax)
        options.seed = try args.value(O.seed, default: options.seed)
        options.stopTexts = args.strings(O.stop)
        if options.stopTexts.contains("") { throw UsageError(message: "--stop needs a text, got ''", command: spec) }
        options.prime = args.text(O.prime) ?? ""
        return Validated(checkpoint: args.positionals[0], options: options, primeFile: args.text(O.primeFile),
                         beamWidth: try args.value(O.beam), beamScore: try args.value(O.beamScore, default: .sum),
                         interactive: args.flag(O.interactive), threads: try args.threads(O.threads))
    }

    static func run(_ v: Validated) throws -> Int32 {
        // Only layers of at least InferenceStep.minimumParallelMultiplyAdds split across threads;
        // smaller models run on one whatever this says.
        Parallelism.threads = v.threads
        var options = v.options
        let checkpoint = try loadCheckpoint(v.checkpoint)
        let vocabulary = checkpoint.vocabulary
        // Primes are read as the training text was (CRLF as LF, no byte-order mark, if so trained).
        options.prime = try prime(options.prime, file: v.primeFile, vocabulary: vocabulary, text: checkpoint.text)
        for stop in options.stopTexts {
            try checkCharacters(stop, of: vocabulary, "--stop '\(stop)'", ", so the model can never write it")
        }
        let sampler = Sampler(model: checkpoint.model, vocabulary: vocabulary)
        if v.interactive { return try interact(SamplingSession(sampler: sampler, options: options), text: checkpoint.text) }
        let out = StandardOutput()
        defer { out.endLine(interrupted: Interruption.requested) }
        out.write(options.prime)
        Interruption.install()
        if let beamWidth = v.beamWidth, let length = options.length {
            var beam = BeamSearchOptions()
            (beam.width, beam.length, beam.prime, beam.stopTexts, beam.score) = (beamWidth, length, options.prime, options.stopTexts, v.beamScore)
            let search = BeamSearch(model: checkpoint.model, vocabulary: vocabulary)
            let result = try search.run(beam, shouldStop: { Interruption.requested }) { out.write($0) }
            return result.end == .interrupted ? Interruption.exitCode : ExitCode.success
        }
        let end = try sampler.generate(options, shouldStop: { Interruption.requested }) { out.write($0) }
        return end == .interrupted ? Interruption.exitCode : ExitCode.success
    }

    /// Options that contradict each other or do nothing together, refused before any work.
    static func checkCombinations(_ args: ParsedArguments) throws {
        func refuse(_ message: String) -> UsageError { UsageError(message: message, command: spec) }
        let given = { (options: [any OptionDeclaration]) in options.first(where: { args.has($0) })?.spec.name }
        if args.has(O.prime) && args.has(O.primeFile) { throw refuse("--prime and --prime-file cannot be used together") }
        if args.flag(O.interactive), let given = given([O.prime, O.primeFile]) {
            throw refuse("--interactive reads its primes from standard input, so \(given) cannot be used with it")
        }
        if args.flag(O.argmax), let other = given([O.temperature, O.topK]) {
            throw refuse("--argmax always takes the most likely character, so \(other) would have no effect; drop one of them")
        }
        if args.has(O.beam) {
            if let given = given([O.temperature, O.topK, O.argmax, O.interactive]) {
                throw refuse("--beam searches for the most likely text, so \(given) cannot be used with it")
            }
            if args.text(O.length)?.lowercased() == "inf" { throw refuse("--beam needs a finite --length, got 'inf'") }
        } else if args.has(O.beamScore) {
            throw refuse("--beam-score ranks the texts of a beam search: it needs --beam")
        }
    }

    /// The text of --prime or --prime-file (empty if neither), every character known to the model.
    static func prime(_ given: String, file: String?, vocabulary: Vocabulary, text normalization: TextNormalization) throws -> String {
        if let path = file {
            let text: String
            do { text = normalization.apply(to: try readTextFile(path)) } catch let e as TextError { throw RuntimeError("\(path): \(e)") }
            try checkCharacters(text, of: vocabulary, "--prime-file \(path)")
            return text
        }
        let text = normalization.apply(to: given)
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

    /// `--interactive`: a continuation per line of stdin until its end or Ctrl-C. A line that is not
    /// UTF-8 or has a character outside the vocabulary gets a warning and the session goes on.
    static func interact(_ session: SamplingSession, text normalization: TextNormalization) throws -> Int32 {
        let out = StandardOutput()
        Interruption.install(interruptingReads: true)
        var lines = LineReader(fileDescriptor: STDIN_FILENO, name: "standard input")
        lines.shouldStop = { Interruption.requested }
        var number = 0
        while !Interruption.requested, let bytes = try lines.next() {
            number += 1
            do {
                let prime = normalization.apply(to: try decodeUTF8(bytes))
                _ = try session.sampler.vocabulary.encode(prime)  // before the echo: a refused line prints nothing
                out.write(prime)
                try session.continuation(of: prime, shouldStop: { Interruption.requested }) { out.write($0) }
                out.write("\n")
            } catch TextError.unknownCharacter(let s, let offset) {
                Console.warning("line \(number): \(unknownCharacter(s, at: offset)); skipped")
            } catch let e as TextError {
                Console.warning("line \(number): \(e); skipped")
            }
        }
        if Interruption.requested {
            out.endLine(interrupted: true)
            return Interruption.exitCode
        }
        return ExitCode.success
    }
}

/// Unbuffered-enough stdout: a terminal sees each character as it is drawn; a pipe gets lines.
final class StandardOutput {
    private let isTerminal = isatty(STDOUT_FILENO) == 1
    private var buffer: [UInt8] = []
    /// The last byte written, to end a terminal's line only where the text did not.
    private var lastByte: UInt8?

    func write(_ s: Unicode.Scalar) {
        UTF8.encode(s) { buffer.append($0) }
        lastByte = buffer.last
        if isTerminal || s == "\n" || buffer.count >= 4096 { flush() }
    }

    func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        lastByte = buffer.last ?? lastByte
        flush()
    }

    /// A newline for a terminal's prompt, or after a text cut short by Ctrl-C, when the text does not
    /// end with one; a complete sample goes to a pipe or a file exactly as generated.
    func endLine(interrupted: Bool = false) {
        if isTerminal || interrupted, let lastByte, lastByte != UInt8(ascii: "\n") { write("\n") }
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
