// `charnn eval`: how well a checkpoint predicts a text, character by character.

import CharRNN
import Foundation

enum EvalCommand: Command {
    static let spec = CommandSpec(
        name: "eval",
        brief: "score how well a checkpoint predicts a text",
        summary: "Mean cross-entropy of predicting each character of TEXTFILE from the ones before it\n"
            + "(one stream from a zero state): loss in nats/char, bits/char, perplexity, characters.",
        positionals: [("CHECKPOINT", "a checkpoint written by charnn train"),
                      ("TEXTFILE", "the text to score (UTF-8); - reads standard input")],
        options: [Options.json, Options.skipUnknown, Options.singleThread])

    struct Validated {
        let checkpoint: String, text: String
        let json: Bool, skipUnknown: Bool
        let threads: Int
    }

    static func validate(_ args: ParsedArguments) throws -> Validated {
        Validated(checkpoint: args.positionals[0], text: args.positionals[1], json: args.flag(Options.json),
                  skipUnknown: args.flag(Options.skipUnknown), threads: try args.value(Options.singleThread, default: 1))
    }

    static func run(_ v: Validated) throws -> Int32 {
        Parallelism.threads = v.threads
        let checkpoint = try loadCheckpoint(v.checkpoint)
        let path = v.text
        let corpus = try loadCorpus(path, vocabulary: checkpoint.vocabulary, owner: v.checkpoint,
                                    skipUnknown: v.skipUnknown, normalization: checkpoint.text)
        warnSkipped(corpus, path)
        guard let result = evaluate(checkpoint.model, tokens: corpus.tokens) else {
            throw RuntimeError("\(displayName(path)): need at least 2 characters to score a prediction")
        }
        if v.json {
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
