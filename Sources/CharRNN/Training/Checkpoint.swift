// A model file: the parameters under their PyTorch names, the vocabulary and architecture in the
// metadata, and — for resuming — optimizer moments, carried state and counters.
//
// Metadata keys: charnn.format (this layout's version), charnn.vocab (JSON array of one-scalar
// strings in id order), charnn.config (JSON: cell, layers, hidden, vocab_size, dropout[, weight_drop]),
// charnn.training (JSON: options and progress; resumable files only), charnn.generator, charnn.text
// (JSON: how the text was normalised, TextNormalization; absent: byte for byte), charnn.inputs (JSON
// array of {path, bytes}: the files trained on, CorpusInput; absent: not recorded).
// Extra tensors in resumable files: optimizer.<slot> (P), training.state.h / .c (L, B, H).

import Foundation

public enum ModelFileError: Error, Equatable, CustomStringConvertible {
    case missingMetadata(String)
    case badMetadata(key: String, reason: String)
    case newerFormat(found: Int, supported: Int)
    case missingTensor(String)
    case shapeMismatch(tensor: String, expected: [Int], found: [Int])
    case nonFinite(tensor: String)
    case notResumable

    public var description: String {
        switch self {
        case .missingMetadata(let key):
            return "not a charnn checkpoint: metadata '\(key)' is missing"
        case .badMetadata(let key, let reason):
            return "checkpoint metadata '\(key)' is invalid: \(reason)"
        case .newerFormat(let found, let supported):
            return "checkpoint format \(found) was written by a newer charnn (this one reads up to \(supported)); upgrade charnn"
        case .missingTensor(let name):
            return "checkpoint lacks tensor '\(name)'"
        case .shapeMismatch(let name, let expected, let found):
            return "checkpoint tensor '\(name)' has shape \(found) but its config needs \(expected)"
        case .nonFinite(let name):
            return "checkpoint tensor '\(name)' holds NaN or infinite values; the file is corrupt or from a diverged run"
        case .notResumable:
            return "checkpoint holds no training state (optimizer, counters) to resume from"
        }
    }
}

public struct Checkpoint {
    public static let formatVersion = 1

    public let model: Model
    public let vocabulary: Vocabulary
    public let training: TrainingSnapshot?
    /// How the texts this model reads are normalised: as its training text was.
    public let text: TextNormalization
    /// The files the model was trained on.
    public let inputs: [CorpusInput]?

    public init(model: Model, vocabulary: Vocabulary, training: TrainingSnapshot? = nil, text: TextNormalization = .exact,
                inputs: [CorpusInput]? = nil) {
        self.model = model
        self.vocabulary = vocabulary
        self.training = training
        self.text = text
        self.inputs = inputs
    }

    /// JSON text of a metadata value. Metadata holds only finite numbers (the trainer stops on a
    /// non-finite loss, and options and progress are checked), so encoding cannot fail.
    static func json<T: Encodable>(_ value: T) -> String {
        try! JSONValueEncoder.encode(value).text
    }

    struct TrainingMetadata: Codable {
        var options: TrainingOptions
        var progress: TrainingProgress
    }

    /// Every metadata key this checkpoint writes.
    var metadata: [String: String] {
        var metadata = [
            "charnn.format": String(Checkpoint.formatVersion),
            "charnn.vocab": Checkpoint.json(vocabulary.entries),
            "charnn.config": Checkpoint.json(model.config),
            "charnn.generator": "charnn \(CharRNNVersion.string)",
            "charnn.text": Checkpoint.json(text),
        ]
        if let inputs { metadata["charnn.inputs"] = Checkpoint.json(inputs) }
        if let training {
            metadata["charnn.training"] = Checkpoint.json(TrainingMetadata(options: training.options, progress: training.progress))
        }
        return metadata
    }

    /// The file's tensors in file order, read from where they live: the model's flat parameter
    /// buffer, then (resumable files) the optimizer's slots and the carried state.
    var tensorSources: [SafeTensorsWriter.Source] {
        let p = model.parameters
        var sources = p.views.map { SafeTensorsWriter.Source(name: $0.name, shape: $0.shape, buffer: p.values, offset: $0.offset) }
        if let training {
            for (name, slot) in zip(training.optimizer.kind.slotNames, training.optimizer.slots) {
                sources.append(SafeTensorsWriter.Source(name: "optimizer.\(name)", shape: [slot.count], buffer: slot))
            }
            let s = training.state
            let stateShape = [s.layers, s.batch, s.hidden]
            sources.append(SafeTensorsWriter.Source(name: "training.state.h", shape: stateShape, buffer: s.h))
            if model.config.cell.hasCellState {
                sources.append(SafeTensorsWriter.Source(name: "training.state.c", shape: stateShape, buffer: s.c))
            }
        }
        return sources
    }

    /// The file, ready to be streamed to one path or more (the latest and the best checkpoint):
    /// no copy of the tensors is made.
    public var writer: SafeTensorsWriter { SafeTensorsWriter(tensors: tensorSources, metadata: metadata) }

    /// The file's contents copied into memory.
    public var safeTensors: SafeTensors {
        let tensors = tensorSources.map { source in
            var values: [Float] = []
            try! source.withValues { values = Array($0) }
            return SafeTensors.Tensor(name: source.name, shape: source.shape, values: values)
        }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    /// Atomically replaces `path`; the previous file stays intact if anything fails.
    public func write(to path: String) throws {
        try writer.write(to: path)
    }

    public static func read(from path: String) throws -> Checkpoint {
        try Checkpoint(try SafeTensors.read(from: path))
    }

    /// Rebuilds a checkpoint from a parsed file, checking every tensor against the config.
    public init(_ file: SafeTensors) throws {
        let fields = MetadataReader(file)
        let format = try fields.format()
        guard format <= Checkpoint.formatVersion else {
            throw ModelFileError.newerFormat(found: format, supported: Checkpoint.formatVersion)
        }
        vocabulary = try fields.vocabulary()
        let config = try fields.config(vocabularySize: vocabulary.count)
        model = try Checkpoint.readModel(file, config: config)
        // Written before texts were normalised: trained on the bytes as they were.
        text = file.metadata["charnn.text"] == nil ? .exact : try fields.decode(TextNormalization.self, "charnn.text")
        inputs = file.metadata["charnn.inputs"] == nil ? nil : try fields.decode([CorpusInput].self, "charnn.inputs")
        training = try Checkpoint.readTraining(file, fields: fields, config: config)
    }

    /// Every tensor is checked against the config before anything is allocated from the config's
    /// numbers: a hostile header could claim a model of terabytes.
    private static func readModel(_ file: SafeTensors, config: ModelConfig) throws -> Model {
        var found: [SafeTensors.Tensor] = []
        for (name, shape) in config.tensorShapes {
            found.append(try checkedTensor(file, name, shape: shape))
        }
        var values = [Float]()
        values.reserveCapacity(config.parameterCount)
        for t in found { values += t.values }
        return values.withUnsafeBufferPointer { Model(config: config, values: $0) }
    }

    /// The optimizer moments, counters and carried state of a resumable file; nil for a model-only file.
    private static func readTraining(_ file: SafeTensors, fields: MetadataReader, config: ModelConfig) throws -> TrainingSnapshot? {
        guard file.metadata["charnn.training"] != nil else { return nil }
        let meta = try fields.decode(TrainingMetadata.self, "charnn.training")
        if let problem = meta.options.problem ?? meta.progress.problem {
            throw ModelFileError.badMetadata(key: "charnn.training", reason: problem)
        }
        let optimizer = Optimizer(kind: meta.options.optimizer, learningRate: meta.progress.learningRate,
                                  parameterCount: config.parameterCount)
        optimizer.stepCount = meta.progress.optimizerSteps
        for (name, slot) in zip(meta.options.optimizer.slotNames, optimizer.slots) {
            let t = try checkedTensor(file, "optimizer.\(name)", shape: [slot.count])
            t.values.withUnsafeBufferPointer { slot.base.update(from: $0.baseAddress!, count: slot.count) }
        }
        let batch = meta.options.batchSize
        let stateShape = [config.layers, batch, config.hidden]
        let stateNames = config.cell.hasCellState ? ["training.state.h", "training.state.c"] : ["training.state.h"]
        // Checked before the state is allocated from the file's batch size.
        let stateTensors = try stateNames.map { try checkedTensor(file, $0, shape: stateShape) }
        let state = RecurrentState(config: config, batch: batch)
        for (t, buffer) in zip(stateTensors, [state.h, state.c]) {
            t.values.withUnsafeBufferPointer { buffer.base.update(from: $0.baseAddress!, count: buffer.count) }
        }
        return TrainingSnapshot(options: meta.options, progress: meta.progress, optimizer: optimizer, state: state)
    }

    /// The tensor `name`, present, of `shape`, and finite.
    private static func checkedTensor(_ file: SafeTensors, _ name: String, shape: [Int]) throws -> SafeTensors.Tensor {
        guard let t = file[name] else { throw ModelFileError.missingTensor(name) }
        guard t.shape == shape else { throw ModelFileError.shapeMismatch(tensor: name, expected: shape, found: t.shape) }
        guard t.values.allSatisfy(\.isFinite) else { throw ModelFileError.nonFinite(tensor: name) }
        return t
    }
}

/// Reads and checks the metadata values of a checkpoint, each failure naming its key.
private struct MetadataReader {
    let file: SafeTensors

    init(_ file: SafeTensors) { self.file = file }

    func string(_ key: String) throws -> String {
        guard let value = file.metadata[key] else { throw ModelFileError.missingMetadata(key) }
        return value
    }

    func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
        let text = try string(key)
        do { return try JSONDecoder().decode(type, from: Data(text.utf8)) } catch {
            throw ModelFileError.badMetadata(key: key, reason: "not the expected JSON")
        }
    }

    func format() throws -> Int {
        guard let format = Int(try string("charnn.format")), format >= 1 else {
            throw ModelFileError.badMetadata(key: "charnn.format", reason: "not a positive integer")
        }
        return format
    }

    /// The vocabulary's entries in id order: each exactly one character, none twice, and perhaps a
    /// last empty string, the document boundary.
    func vocabulary() throws -> Vocabulary {
        guard let vocabulary = Vocabulary(entries: try decode([String].self, "charnn.vocab")) else {
            throw ModelFileError.badMetadata(key: "charnn.vocab", reason: "empty, has duplicates, or an entry is not exactly one "
                                             + "character (or a last empty string, the document boundary)")
        }
        return vocabulary
    }

    func config(vocabularySize: Int) throws -> ModelConfig {
        let config = try decode(ModelConfig.self, "charnn.config")
        guard config.layers >= 1, config.layers <= 64, config.hidden >= 1, config.hidden <= 1 << 16,
              config.dropout >= 0, config.dropout < 1, config.weightDrop >= 0, config.weightDrop < 1 else {
            throw ModelFileError.badMetadata(key: "charnn.config", reason: "layers, hidden, dropout or weight_drop out of range")
        }
        guard config.vocabularySize == vocabularySize else {
            throw ModelFileError.badMetadata(key: "charnn.config",
                                             reason: "vocab_size \(config.vocabularySize) but the vocabulary has \(vocabularySize) entries")
        }
        return config
    }
}
