// `charnn train`: read the options, load the corpus (and the checkpoint to resume), hand both to
// the library's Trainer, and show its progress.

import CharRNN
import Foundation

enum TrainCommand {
    static let spec = CommandSpec(
        name: "train",
        brief: "train a model on a text and save checkpoints",
        summary: "Train a character-level model on UTF-8 text files and save checkpoints.",
        positionals: [("CORPUS", "text files or directories to learn from (UTF-8), one or more; - reads standard input")],
        options: [
            OptionSpec(name: "--cell", value: "lstm|gru|rnn", help: "recurrent cell type", defaultText: "lstm"),
            OptionSpec(name: "--layers", value: "N", help: "stacked recurrent layers", defaultText: "2"),
            OptionSpec(name: "--hidden", value: "N", help: "hidden units per layer", defaultText: "128"),
            OptionSpec(name: "--dropout", value: "P", help: "dropout between layers, 0 ≤ P < 1", defaultText: "0"),
            OptionSpec(name: "--seq-length", value: "T", help: "time steps per batch (truncated BPTT)", defaultText: "50"),
            OptionSpec(name: "--batch-size", value: "B", help: "parallel streams per batch", defaultText: "50"),
            OptionSpec(name: "--optimizer", value: "NAME", help: "adam, rmsprop, adagrad or sgd (momentum 0.9)", defaultText: "adam"),
            OptionSpec(name: "--lr", value: "RATE", help: "learning rate", defaultText: "2e-3"),
            OptionSpec(name: "--lr-schedule", value: "NAME", help: "constant, cosine (warmup, then down to a tenth at the end of "
                       + "--time or --iterations) or step (--lr-decay)", defaultText: "constant; cosine with --time"),
            OptionSpec(name: "--lr-decay", value: "F", help: "multiply the learning rate by F every --lr-decay-every epochs", defaultText: "1"),
            OptionSpec(name: "--lr-decay-every", value: "E", help: "epochs between learning-rate decays", defaultText: "1"),
            OptionSpec(name: "--grad-clip", value: "C", help: "clamp each gradient element to [-C, C]; 0 turns it off", defaultText: "5"),
            OptionSpec(name: "--clip-norm", value: "X", help: "rescale gradients to global L2 norm ≤ X", defaultText: "off"),
            OptionSpec(name: "--epochs", value: "N", help: "stop after N epochs in total (fractions allowed)"),
            OptionSpec(name: "--iterations", value: "N", help: "stop after N iterations in total"),
            OptionSpec(name: "--time", value: "DURATION", help: "stop after this long, e.g. 90s, 10m, 2h; without --resume, "
                       + "also choose the model and schedule for that budget"),
            OptionSpec(name: "--patience", value: "N", help: "stop after N validations without a new best; 0 turns it off",
                       defaultText: "off; \(EarlyStopping.automaticPatience) with --time"),
            OptionSpec(name: "--val-frac", value: "F", help: "fraction at the end of the text held out for validation", defaultText: "0.05"),
            OptionSpec(name: "--eval-every", value: "N", help: "validate and save a checkpoint every N iterations", defaultText: "1000"),
            OptionSpec(name: "--print-every", value: "N", help: "report progress every N iterations", defaultText: "10"),
            OptionSpec(name: "--output", value: "FILE", help: "latest checkpoint; the best one goes beside it as <stem>.best.ckpt",
                       defaultText: "the --resume file, else a new checkpoints/<corpus stem>[-N].ckpt"),
            OptionSpec(name: "--resume", value: "FILE", help: "continue training from this checkpoint"),
            OptionSpec(name: "--force", value: nil, help: "let --output replace an existing checkpoint of another run"),
            OptionSpec(name: "--keep-line-endings", value: nil, help: "train on the bytes as they are: keep CR and a leading BOM"),
            OptionSpec(name: "--include", value: "GLOB", help: "in a CORPUS directory, read only files whose path matches",
                       repeatable: true),
            OptionSpec(name: "--exclude", value: "GLOB", help: "in a CORPUS directory, leave out files and directories that match",
                       repeatable: true),
            OptionSpec(name: "--seed", value: "N", help: "seed for initialisation and dropout", defaultText: "123"),
            OptionSpec(name: "--threads", value: "N", help: "threads for the matrix products", defaultText: "all cores"),
            OptionSpec(name: "--precision", value: "fp32|bf16", help: "training products in fp32, or with bfloat16 operands "
                       + "and fp32 sums (CPUs with AVX-512 BF16; validation, weights and checkpoints stay fp32)",
                       defaultText: "fp32"),
            OptionSpec(name: "--metrics", value: "FILE", help: "append one JSON object per log line to FILE",
                       defaultText: "<checkpoint stem>.metrics.jsonl beside it, continued on --resume"),
            OptionSpec(name: "--rollbacks", value: "N", help: "when the loss or gradients become NaN/inf, go back to the last "
                       + "checkpoint's state with half the learning rate, up to N times, before stopping", defaultText: "0"),
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

    static func run(_ args: ParsedArguments) throws -> Int32 {

        // Everything the command line can get wrong is checked before any work starts.
        let cell: CellKind? = try args.choice("--cell")
        let layers = try args.int("--layers", min: 1, max: 64)
        let hidden = try args.int("--hidden", min: 1, max: 16384)
        let dropout = try args.double("--dropout", min: 0, below: 1)
        let optimizer: OptimizerKind? = try args.choice("--optimizer")
        let seqLength = try args.int("--seq-length", min: 1, max: 100_000)
        let batchSize = try args.int("--batch-size", min: 1, max: 100_000)
        let lr = try args.double("--lr", above: 0, max: 1000)
        let lrDecay = try args.double("--lr-decay", above: 0, max: 1)
        let lrDecayEvery = try args.int("--lr-decay-every", min: 1)
        let gradClip = try args.double("--grad-clip", min: 0)
        let clipNorm = try args.double("--clip-norm", above: 0)
        let epochs = try args.double("--epochs", above: 0)
        let iterations = try args.int("--iterations", min: 1)
        let seconds = try args.duration("--time")
        let schedule = try scheduleKind(args)
        let patience = try args.int("--patience", min: 0)
        let valFrac = try args.double("--val-frac", min: 0, below: 1)
        let evalEvery = try args.int("--eval-every", min: 1)
        let printEvery = try args.int("--print-every", min: 1)
        let seed = try args.int("--seed", min: 0)
        let threads = try args.int("--threads", min: 1, max: 256)
        let precision: Precision? = try args.choice("--precision")
        let rollbacks = try args.int("--rollbacks", default: 0, min: 0, max: 1000)!
        Parallelism.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount

        // The model: resumed, or new with the corpus's vocabulary (created once the memory it
        // needs has been checked).
        let resumed: Model?, config: ModelConfig, vocabulary: Vocabulary, corpus: TrainingCorpus
        var options: TrainingOptions
        var snapshot: TrainingSnapshot?
        var automatic = false
        let resumePath = args.string("--resume")
        let normalization: TextNormalization
        if let resumePath {
            let checkpoint = try loadCheckpoint(resumePath)
            guard let training = checkpoint.training else { throw ModelFileError.notResumable }
            let c = checkpoint.model.config
            let asked: [(String, String?, String)] = [
                ("--cell", cell?.rawValue, c.cell.rawValue), ("--layers", layers.map(String.init), String(c.layers)),
                ("--hidden", hidden.map(String.init), String(c.hidden)), ("--dropout", dropout.map { "\(Float($0))" }, "\(c.dropout)"),
            ]
            for (flag, given, saved) in asked where given != nil && given != saved {
                throw UsageError(message: "\(flag) \(given!) differs from the checkpoint's \(saved) in \(resumePath); "
                                 + "drop \(flag) to resume, or start a new run without --resume", command: spec)
            }
            if args.flag("--keep-line-endings") && checkpoint.text != .exact {
                throw UsageError(message: "--keep-line-endings differs from \(resumePath), trained on text with LF line endings; "
                                 + "drop --keep-line-endings to resume, or start a new run without --resume", command: spec)
            }
            resumed = checkpoint.model
            config = c
            vocabulary = checkpoint.vocabulary
            normalization = checkpoint.text
            corpus = try TrainingCorpus(args, vocabulary: vocabulary, owner: resumePath, normalization: normalization)
            try corpus.checkSameFiles(as: checkpoint, resumePath)
            options = training.options
            snapshot = training
        } else {
            normalization = args.flag("--keep-line-endings") ? .exact : .standard
            corpus = try TrainingCorpus(args, vocabulary: nil, owner: "the model", normalization: normalization)
            vocabulary = corpus.corpus.vocabulary
            if vocabulary.count > 10_000 {
                Console.warning("\(args.positionals.joined(separator: " ")) has \(vocabulary.count) distinct characters; the model's input and output "
                                + "layers grow with that (is it really text?)")
            }
            resumed = nil
            var c = ModelConfig(cell: cell ?? .lstm, layers: layers ?? 2, hidden: hidden ?? 128,
                                vocabularySize: vocabulary.count, dropout: Float(dropout ?? 0))
            options = TrainingOptions()
            options.seed = UInt64(seed ?? 123)
            options.validationFraction = valFrac ?? options.validationFraction
            if let seconds {
                (c, options) = try chooseAutomatically(args, budget: seconds, measuring: c, corpus: corpus.corpus, options: options)
                automatic = true
            }
            config = c
        }
        if let schedule { options.lrSchedule = LearningRateSchedule(kind: schedule) }
        if let patience { options.patience = patience > 0 ? patience : nil }
        if let seqLength { options.seqLength = seqLength }
        if let batchSize { options.batchSize = batchSize }
        if let optimizer { options.optimizer = optimizer }
        if let lr { options.learningRate = Float(lr) }
        if let lrDecay { options.lrDecay = Float(lrDecay) }
        if let lrDecayEvery { options.lrDecayEvery = lrDecayEvery }
        if let gradClip { options.gradClip = Float(gradClip) }
        if let clipNorm { options.clipNorm = Float(clipNorm) }
        if let valFrac { options.validationFraction = valFrac }
        if let evalEvery { options.evalEvery = evalEvery }
        if let printEvery { options.printEvery = printEvery }
        if let precision { options.precision = precision }
        if var s = snapshot, let lr {
            s.progress.learningRate = Float(lr)  // an explicit --lr on resume replaces the decayed rate
            snapshot = s
        }
        corpus.report()
        try checkMemory(config, options, corpus.corpus.count)
        let model = resumed ?? Model(config: config, seed: options.seed)

        // The last input check (a text too short to train on) comes before the outputs are made safe.
        let trainer = try Trainer(model: model, vocabulary: vocabulary, corpus: corpus.corpus, options: options, resuming: snapshot)
        let files = try TrainingOutputs(args, corpus: corpus.inputs.map(\.path), resume: resumePath,
                                        resumedLog: snapshot?.options.metricsLog)
        defer { files.release() }
        let output = files.output
        trainer.metricsLog = files.recordedMetricsPath
        trainer.checkpointPath = output
        trainer.bestCheckpointPath = TrainingFiles.bestPath(for: output)
        trainer.textNormalization = normalization
        trainer.corpusInputs = corpus.inputs
        trainer.maxRollbacks = rollbacks
        var stop = StopCondition(iterations: iterations, epochs: epochs ?? ((iterations == nil && seconds == nil) ? 50 : nil),
                                 seconds: seconds)
        if let budget = options.budgetSeconds, automatic || (iterations == nil && epochs == nil && seconds == nil) {
            stop = StopCondition(iterations: iterations, epochs: epochs, totalSeconds: budget)  // automatic: the whole run's budget
        }

        let display = ProgressDisplay(live: Console.stderrIsTerminal, config: model.config, metrics: files.metrics)
        Interruption.install()
        let summary = try trainer.run(until: stop, shouldStop: { Interruption.requested }, report: display.handle)
        display.finish(summary, output: output, bestOutput: TrainingFiles.bestPath(for: output), patience: trainer.options.patience)
        return summary.interrupted ? Interruption.exitCode : ExitCode.success
    }

    /// Refuses a model and batch that cannot fit in this machine's memory, before allocating them.
    static func checkMemory(_ config: ModelConfig, _ options: TrainingOptions, _ characters: Int) throws {
        let needed = Trainer.estimatedBytes(config: config, options: options, characters: characters)
        let available = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        guard needed > available * 9 / 10 else { return }
        let gib = { (n: Int) in String(format: "%.1f GiB", Double(n) / 1_073_741_824) }
        throw RuntimeError("a \(config.cell.rawValue) \(config.layers)×\(config.hidden) model with batch \(options.batchSize) × "
                           + "sequence \(options.seqLength) needs about \(gib(needed)) but this machine has \(gib(available)); "
                           + "use a smaller --hidden, --layers, --batch-size or --seq-length")
    }
}
