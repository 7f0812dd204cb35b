// `charnn train`: read the options, load the corpus (and the checkpoint to resume), hand both to
// the library's Trainer, and show its progress.

import CharRNN
import Foundation

enum TrainCommand: Command {
    static let spec = CommandSpec(
        name: "train",
        brief: "train a model on a text and save checkpoints",
        summary: "Train a character-level model on UTF-8 text files and save checkpoints.",
        positionals: [("CORPUS", "text files or directories to learn from (UTF-8), one or more; - reads standard input")],
        options: [
            Options.cell, Options.layers, Options.hidden, Options.dropout, Options.weightDrop, Options.seqLength, Options.batchSize, Options.optimizer,
            Options.learningRate, Options.schedule, Options.lrDecay, Options.lrDecayEvery, Options.gradClip, Options.clipNorm,
            Options.epochs, Options.iterations, Options.time, Options.patience, Options.validationFraction, Options.evalEvery,
            Options.printEvery, Options.trainOutput, Options.resume, Options.force, Options.keepLineEndings, Options.include,
            Options.exclude, Options.seed, Options.threads, Options.precision, Options.metrics, Options.rollbacks,
        ],
        notes: [
            "Without --epochs, --iterations or --time, training runs for 50 epochs. Iteration and epoch limits",
            "count from the start of training, so a resumed run continues towards the same total.",
            "On --resume the architecture and vocabulary come from the checkpoint, and so do the training",
            "settings unless given again on this command line.",
            "With --time and without --resume, options not given are chosen for the budget and the corpus from",
            "a short measurement of the training speed (the first line says what and why); a resumed automatic",
            "run continues towards the same budget and schedule.",
            "The text is read with CRLF and CR as LF and without a leading byte-order mark; the checkpoint",
            "records that, and eval, inspect-cells and sample --prime read their texts the same way.",
            "charnn never writes over a file it reads, never replaces a checkpoint another run wrote unless",
            "told --force, and two runs never write one checkpoint at once.",
            "A directory is read whole, every file in byte order of its path, leaving out hidden files, charnn's",
            "own files and files that are not UTF-8 text. A GLOB is matched against the path inside the",
            "directory: without a slash against each name (*.swift), with one against the whole path, where **",
            "is any number of directories (src/**/*.swift). Several files are joined by a document boundary the",
            "model learns, and sampling it ends where the model ends a document.",
        ],
        lastPositionalRepeats: true)

    /// A command line checked before any work starts.
    struct Validated {
        let args: ParsedArguments
        let request: TrainingRequest
        let resumePath: String?
        let threads: Int
        let rollbacks: Int
        /// The files: --output, --metrics, --force, --include and --exclude as given.
        let output: String?, metrics: String?, force: Bool
        let include: [PathGlob], exclude: [PathGlob]
    }

    /// Everything the command line can get wrong, checked before any file is read.
    static func validate(_ args: ParsedArguments) throws -> Validated {
        var r = TrainingRequest()
        (r.cell, r.layers, r.hidden, r.dropout) = (try args.value(Options.cell), try args.value(Options.layers),
                                                   try args.value(Options.hidden), try args.value(Options.dropout))
        r.weightDrop = try args.value(Options.weightDrop)
        r.optimizer = try args.value(Options.optimizer)
        (r.seqLength, r.batchSize) = (try args.value(Options.seqLength), try args.value(Options.batchSize))
        (r.learningRate, r.lrDecay, r.lrDecayEvery) = (try args.value(Options.learningRate), try args.value(Options.lrDecay),
                                                       try args.value(Options.lrDecayEvery))
        (r.gradClip, r.clipNorm) = (try args.value(Options.gradClip), try args.value(Options.clipNorm))
        (r.epochs, r.iterations, r.seconds) = (try args.value(Options.epochs), try args.value(Options.iterations),
                                               try args.value(Options.time))
        r.schedule = try scheduleKind(args)
        (r.patience, r.validationFraction) = (try args.value(Options.patience), try args.value(Options.validationFraction))
        (r.evalEvery, r.printEvery) = (try args.value(Options.evalEvery), try args.value(Options.printEvery))
        r.seed = try args.value(Options.seed)
        let threads = try args.threads()
        r.precision = try args.value(Options.precision)
        let rollbacks = try args.value(Options.rollbacks, default: 0)
        r.keepLineEndings = args.flag(Options.keepLineEndings)
        return Validated(args: args, request: r, resumePath: try args.value(Options.resume), threads: threads, rollbacks: rollbacks,
                         output: try args.value(Options.trainOutput), metrics: try args.value(Options.metrics),
                         force: args.flag(Options.force), include: args.strings(Options.include).map(PathGlob.init),
                         exclude: args.strings(Options.exclude).map(PathGlob.init))
    }

    /// The model, its vocabulary and text, the options and the state to start from.
    struct Start {
        let model: Model
        let vocabulary: Vocabulary
        let normalization: TextNormalization
        let corpus: TrainingCorpus
        let options: TrainingOptions
        let snapshot: TrainingSnapshot?
        let automatic: Bool
        /// What the run trains in, and why.
        let precision: (precision: Precision, reason: String)
    }

    static func run(_ v: Validated) throws -> Int32 {
        Parallelism.threads = v.threads
        Interruption.install()  // before any work: a signal while the corpus loads still ends the run with a checkpoint
        Interruption.ignoreBrokenPipes()
        // An automatic run claims its outputs before it measures the training speed.
        var claimed: TrainingOutputs?
        let start = try v.resumePath.map { try resume($0, v) } ?? newRun(v) { corpus in
            claimed = try TrainingOutputs(v, corpus: corpus, resume: nil, resumed: nil)
        }

        // The last input check (a text too short to train on) comes before the outputs are made safe.
        _ = try Trainer.trainableSplit(of: start.corpus.corpus, validationFraction: start.options.validationFraction)
        let files = try claimed ?? TrainingOutputs(v, corpus: start.corpus.inputs.map(\.path), resume: v.resumePath,
                                                   resumed: start.snapshot.map { ($0.options.metricsLog, $0.progress.iteration) })
        defer { files.release() }
        let output = files.output
        let record = TrainingRecord(checkpointPath: output, bestCheckpointPath: TrainingFiles.bestPath(for: output),
                                    metricsLog: files.recordedMetricsPath, textNormalization: start.normalization,
                                    corpusInputs: start.corpus.inputs)
        let trainer = try Trainer(model: start.model, vocabulary: start.vocabulary, corpus: start.corpus.corpus, options: start.options,
                                  resuming: start.snapshot, outputs: record, maxRollbacks: v.rollbacks)
        let stop = v.request.stopCondition(options: start.options, automatic: start.automatic)

        let display = ProgressDisplay(live: Console.stderrIsTerminal, config: start.model.config, metrics: files.metrics,
                                      precision: "\(start.precision.precision.rawValue) (\(start.precision.reason))")
        let summary = try trainer.run(until: stop, shouldStop: { Interruption.requested || display.metricsFailure != nil },
                                      report: display.handle)
        if let failure = display.metricsFailure {
            throw RuntimeError("\(failure); training stopped at iteration \(summary.iterations) and saved \(output)")
        }
        let bestOutput = TrainingFiles.bestPath(for: output)
        display.finish(summary, output: output, bestOutput: bestOutput,
                       bestHolder: TrainingFiles.bestHolder(bestOutput: bestOutput, resume: v.resumePath), patience: trainer.options.patience)
        return summary.interrupted ? Interruption.exitCode : ExitCode.success
    }

    /// A checkpoint's model, vocabulary and text, with the settings the command line changes
    /// (ResumePolicy: the architecture and line endings cannot change).
    static func resume(_ path: String, _ v: Validated) throws -> Start {
        let checkpoint = try loadCheckpoint(path)
        guard let training = checkpoint.training else { throw ModelFileError.notResumable }
        let snapshot: TrainingSnapshot
        do {
            snapshot = try ResumePolicy.resume(training, config: checkpoint.model.config, text: checkpoint.text, request: v.request)
        } catch let conflict as ResumeConflict {
            throw UsageError(message: message(conflict, path), command: spec)
        }
        let corpus = try TrainingCorpus(v, vocabulary: checkpoint.vocabulary, owner: path, normalization: checkpoint.text)
        try corpus.checkSameFiles(as: checkpoint, path)
        corpus.report()
        try checkMemory(checkpoint.model.config, snapshot.options, corpus.corpus.count)
        return Start(model: checkpoint.model, vocabulary: checkpoint.vocabulary, normalization: checkpoint.text, corpus: corpus,
                     options: snapshot.options, snapshot: snapshot, automatic: false,
                     precision: v.request.trainingPrecision(resuming: training.options.precision))
    }

    static func message(_ conflict: ResumeConflict, _ path: String) -> String {
        let flag: String
        switch conflict.setting {
        case .cell: flag = Options.cell.name
        case .layers: flag = Options.layers.name
        case .hidden: flag = Options.hidden.name
        case .dropout: flag = Options.dropout.name
        case .weightDrop: flag = Options.weightDrop.name
        case .keepLineEndings:
            let flag = Options.keepLineEndings.name
            return "\(flag) differs from \(path), trained on text with LF line endings; "
                + "drop \(flag) to resume, or start a new run without --resume"
        }
        return "\(flag) \(conflict.given ?? "") differs from the checkpoint's \(conflict.saved ?? "") in \(path); "
            + "drop \(flag) to resume, or start a new run without --resume"
    }

    /// A new model for the corpus's vocabulary (created once the memory it needs has been checked),
    /// sized automatically for a --time budget once `claimOutputs` has made the outputs safe for the
    /// files the corpus is read from.
    static func newRun(_ v: Validated, claimOutputs: ([String]) throws -> Void) throws -> Start {
        let normalization: TextNormalization = v.request.keepLineEndings ? .exact : .standard
        let corpus = try TrainingCorpus(v, vocabulary: nil, owner: "the model", normalization: normalization)
        let vocabulary = corpus.corpus.vocabulary
        if vocabulary.count > 10_000 {
            Console.warning("\(v.args.positionals.joined(separator: " ")) has \(vocabulary.count) distinct characters; the model's input "
                            + "and output layers grow with that (is it really text?)")
        }
        var config = v.request.newModel(vocabularySize: vocabulary.count)
        var options = v.request.overriding(v.request.newRunOptions)
        if v.request.seconds != nil {
            let plan = try AutoSizing.plan(request: v.request, corpus: corpus.corpus) { try claimOutputs(corpus.inputs.map(\.path)) }
            Console.writeStderr("charnn: \(plan.reason)\n")
            (config, options) = (plan.config, plan.options)
        }
        corpus.report()
        try checkMemory(config, options, corpus.corpus.count)
        return Start(model: Model(config: config, seed: options.seed), vocabulary: vocabulary, normalization: normalization,
                     corpus: corpus, options: options, snapshot: nil, automatic: v.request.seconds != nil,
                     precision: v.request.trainingPrecision(resuming: nil))
    }

    /// The library's memory rule, its refusal told in the options' names.
    static func checkMemory(_ config: ModelConfig, _ options: TrainingOptions, _ characters: Int) throws {
        do throws(MemoryShortfall) {
            try MemoryLimit.check(config: config, options: options, characters: characters)
        } catch {
            let gib = { (n: Int) in String(format: "%.1f GiB", Double(n) / 1_073_741_824) }
            let (config, limit) = (error.config, error.limit)
            throw RuntimeError("a \(config.cell.rawValue) \(config.layers)×\(config.hidden) model with batch \(error.batchSize) × "
                               + "sequence \(error.seqLength) needs about \(gib(error.neededBytes)) but \(limit.source.phrase) "
                               + "\(gib(limit.bytes)); use a smaller --hidden, --layers, --batch-size or --seq-length")
        }
    }
}
