// The text `charnn train` learns from: the files and directories named, listed and read by the
// library, with a line saying what was read and a few notes on what was left out.

import CharRNN

struct TrainingCorpus {
    let corpus: Corpus
    /// Every file read, as the checkpoint records it.
    let inputs: [CorpusInput]
    /// What was left out, and whether the text came from more than one file named.
    private let skipped: [SkippedPath]
    private let listed: Bool

    /// Lists and reads the positionals; `vocabulary` is a resumed model's (from `owner`).
    init(_ v: TrainCommand.Validated, vocabulary: Vocabulary?, owner: String, normalization: TextNormalization) throws {
        let list = try CorpusFiles.list(v.args.positionals, include: v.include, exclude: v.exclude)
        let loaded: DocumentCorpus
        do {
            loaded = try Corpus.load(list, vocabulary: vocabulary, normalization: normalization)
        } catch let e as CorpusFileError {
            throw RuntimeError(textErrorMessage(e.error, in: displayName(e.path), owner: owner))
        }
        corpus = loaded.corpus
        inputs = loaded.inputs
        skipped = loaded.skipped
        listed = loaded.inputs.count > 1 || list.files.contains(where: { !$0.named })
    }

    /// Notes on what was left out, and a line listing the files read unless the text is one file named.
    func report() {
        for note in CorpusFiles.notes(for: skipped) { Console.note(note) }
        if listed { Console.writeStderr("charnn: corpus: \(CorpusInput.summary(inputs))\n") }
    }

    /// Refuses to resume `checkpoint` (from `path`) on files other than those it was trained on, when
    /// it records them.
    func checkSameFiles(as checkpoint: Checkpoint, _ path: String) throws {
        guard let recorded = checkpoint.inputs, let change = CorpusInput.changes(from: recorded, to: inputs) else { return }
        throw RuntimeError("the corpus differs from the files \(path) was trained on (\(change)); resume on the same files, "
                           + "or start a new run without --resume")
    }
}
