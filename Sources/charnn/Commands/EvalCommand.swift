// `charnn eval`: how well a checkpoint predicts a text, character by character.

import CharRNN
import Foundation

enum EvalCommand {
    static let spec = CommandSpec(
        name: "eval",
        brief: "score how well a checkpoint predicts a text",
        summary: "Mean cross-entropy of predicting each character of TEXTFILE from the ones before it\n"
            + "(one stream from a zero state): loss in nats/char, bits/char, perplexity, characters.",
        positionals: [("CHECKPOINT", "a checkpoint written by charnn train"),
                      ("TEXTFILE", "the text to score (UTF-8); - reads standard input")],
        options: [
            OptionSpec(name: "--json", value: nil, help: "print one JSON object: loss, bpc, perplexity, chars"),
            OptionSpec(name: "--skip-unknown", value: nil, help: "drop characters outside the model's vocabulary"),
            OptionSpec(name: "--threads", value: "N", help: "threads for the matrix products", defaultText: "1"),
        ])

    static func run(_ args: ParsedArguments) throws -> Int32 {
        Parallelism.threads = try args.int("--threads", default: 1, min: 1, max: 256)!
        let checkpoint = try loadCheckpoint(args.positionals[0])
        let path = args.positionals[1]
        let corpus = try loadCorpus(path, vocabulary: checkpoint.vocabulary, owner: args.positionals[0],
                                    skipUnknown: args.flag("--skip-unknown"), normalization: checkpoint.text)
        warnSkipped(corpus, path)
        guard let result = evaluate(checkpoint.model, tokens: corpus.tokens) else {
            throw RuntimeError("\(displayName(path)): need at least 2 characters to score a prediction")
        }
        if args.flag("--json") {
            // JSON has no inf or NaN: a model that is certain and wrong gets null.
            print(JSONValue.object([("loss", JSONValue(result.loss)), ("bpc", JSONValue(result.bitsPerCharacter)),
                                    ("perplexity", JSONValue(result.perplexity)), ("chars", JSONValue(result.characters))]).text)
        } else {
            print(String(format: "loss        %.6f nats/char", result.loss))
            print(String(format: "bpc         %.6f bits/char", result.bitsPerCharacter))
            print(String(format: "perplexity  %.4f", result.perplexity))
            print("chars       \(result.characters)")
        }
        return ExitCode.success
    }
}
