// Every option more than one command takes, and every option of `train`, declared once: name, value,
// range, help, and a default read from the library's own types. Commands list the ones they take.

import CharRNN

enum Options {
    private static let model = ModelConfig(vocabularySize: 1)
    private static let training = TrainingOptions()

    // The model.
    static let cell = Option<CellKind>.choice("--cell", CellKind.listed.map(\.rawValue).joined(separator: "|"),
                                              help: "recurrent cell type", default: model.cell)
    static let layers = Option<Int>.integer("--layers", "N", help: "stacked recurrent layers", default: "\(model.layers)", in: 1...64)
    static let hidden = Option<Int>.integer("--hidden", "N", help: "hidden units per layer", default: "\(model.hidden)", in: 1...16384)
    static let dropout = Option<Float>.real("--dropout", "P", help: "dropout between layers, 0 ≤ P < 1",
                                            default: defaultText(model.dropout), min: 0, below: 1)
    static let weightDrop = Option<Float>.real("--weight-drop", "P", help: "in training, drop each recurrent weight (W_hh) with probability "
                                               + "P, one mask per batch (AWD-LSTM's weight drop), 0 ≤ P < 1",
                                               default: defaultText(model.weightDrop), min: 0, below: 1)

    // The batch and the optimizer.
    static let seqLength = Option<Int>.integer("--seq-length", "T", help: "time steps per batch (truncated BPTT)",
                                               default: "\(training.seqLength)", in: 1...100_000)
    static let batchSize = Option<Int>.integer("--batch-size", "B", help: "parallel streams per batch",
                                               default: "\(training.batchSize)", in: 1...100_000)
    static let optimizer = Option<OptimizerKind>.choice("--optimizer", "NAME", help: "adam, rmsprop, adagrad or sgd (momentum 0.9)",
                                                        default: training.optimizer)
    static let learningRate = Option<Float>.real("--lr", "RATE", help: "learning rate", default: defaultText(training.learningRate),
                                                 above: 0, max: 1000)
    static let schedule = Option<LearningRateScheduleKind>.choice(
        "--lr-schedule", "NAME", help: "constant, cosine (warmup, then down to a tenth at the end of --time or --iterations) "
            + "or step (--lr-decay)").with(default: "constant; cosine with --time")
    static let lrDecay = Option<Float>.real("--lr-decay", "F", help: "multiply the learning rate by F every --lr-decay-every epochs",
                                            default: defaultText(training.lrDecay), above: 0, max: 1)
    static let lrDecayEvery = Option<Int>.integer("--lr-decay-every", "E", help: "epochs between learning-rate decays",
                                                  default: "\(training.lrDecayEvery)", in: 1...)
    static let gradClip = Option<Float>.real("--grad-clip", "C", help: "clamp each gradient element to [-C, C]; 0 turns it off",
                                             default: defaultText(training.gradClip), min: 0)
    static let clipNorm = Option<Float>.real("--clip-norm", "X", help: "rescale gradients to global L2 norm ≤ X",
                                             default: training.clipNorm.map(defaultText) ?? "off", above: 0)
    static let precision = Option<PrecisionChoice>.choice(
        "--precision", "auto|fp32|bf16", help: "training products in fp32, or with bfloat16 operands and fp32 sums (CPUs with "
            + "AVX-512 BF16; validation, weights and checkpoints stay fp32); auto: bf16 where the CPU has it and runs it faster than fp32",
        default: PrecisionChoice.auto).with(default: "auto; a resumed run keeps its checkpoint's")

    // How long, and what happens meanwhile.
    static let epochs = Option<Double>.real("--epochs", "N", help: "stop after N epochs in total (fractions allowed)", above: 0)
    static let iterations = Option<Int>.integer("--iterations", "N", help: "stop after N iterations in total", in: 1...)
    static let time = Option<Double>.duration("--time", help: "stop after this long, e.g. 90s, 10m, 2h; without --resume, "
                                              + "also choose the model and schedule for that budget")
    static let patience = Option<Int>.integer("--patience", "N", help: "stop after N validations without a new best; 0 turns it off",
                                              default: "off; \(EarlyStopping.automaticPatience) with --time", in: 0...)
    static let validationFraction = Option<Double>.real("--val-frac", "F", help: "fraction at the end of the text held out for validation",
                                                        default: defaultText(training.validationFraction), min: 0, below: 1)
    static let evalEvery = Option<Int>.integer("--eval-every", "N", help: "validate and save a checkpoint every N iterations",
                                               default: "\(training.evalEvery)", in: 1...)
    static let printEvery = Option<Int>.integer("--print-every", "N", help: "report progress every N iterations",
                                                default: "\(training.printEvery)", in: 1...)
    static let rollbacks = Option<Int>.integer("--rollbacks", "N", help: "when the loss or gradients become NaN/inf, go back to the last "
                                               + "checkpoint's state with half the learning rate, up to N times, before stopping",
                                               default: "0", in: 0...1000)

    // Files.
    static let trainOutput = Option<String>.text("--output", "FILE", help: "latest checkpoint; the best one goes beside it as <stem>.best.ckpt",
                                                 default: "the --resume file, else a new checkpoints/<corpus stem>[-N].ckpt")
    static let resume = Option<String>.text("--resume", "FILE", help: "continue training from this checkpoint")
    static let force = Option<Bool>.flag("--force", help: "let --output replace an existing checkpoint of another run")
    static let keepLineEndings = Option<Bool>.flag("--keep-line-endings", help: "train on the bytes as they are: keep CR and a leading BOM")
    static let include = Option<String>.text("--include", "GLOB", help: "in a CORPUS directory, read only files whose path matches",
                                             repeatable: true)
    static let exclude = Option<String>.text("--exclude", "GLOB", help: "in a CORPUS directory, leave out files and directories that match",
                                             repeatable: true)
    static let metrics = Option<String>.text("--metrics", "FILE", help: "append one JSON object per log line to FILE",
                                             default: "<checkpoint stem>.metrics.jsonl beside it, continued on --resume")
    static let skipUnknown = Option<Bool>.flag("--skip-unknown", help: "drop characters outside the model's vocabulary")

    // Every command that computes.
    static let seed = Option<UInt64>.seed("--seed", help: "seed for initialisation and dropout", default: training.seed)
    static let threads = Option<Int>.integer("--threads", "N", help: "threads for the matrix products", default: "all cores", in: 1...256)
    /// For the commands that run one stream, where more threads rarely pay.
    static let singleThread = threads.with(default: "1")
}
