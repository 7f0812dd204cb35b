// A model file: the parameters under their PyTorch names, the vocabulary and architecture in the
// metadata, and — for resuming — optimizer moments, carried state and counters.
//
// Metadata keys: charnn.format (this layout's version), charnn.vocab (JSON array of one-scalar
// strings in id order), charnn.config (JSON: cell, layers, hidden, vocab_size, dropout),
// charnn.training (JSON: options and progress; resumable files only), charnn.generator, charnn.text
// (JSON: how the text was normalised, TextNormalization; absent: byte for byte).
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

    public init(model: Model, vocabulary: Vocabulary, training: TrainingSnapshot? = nil, text: TextNormalization = .exact) {
        self.model = model
        self.vocabulary = vocabulary
        self.training = training
        self.text = text
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    struct TrainingMetadata: Codable {
        var options: TrainingOptions
        var progress: TrainingProgress
    }

    /// The safetensors image of this checkpoint.
    public var safeTensors: SafeTensors {
        let p = model.parameters
        var tensors = p.views.map { v in
            SafeTensors.Tensor(name: v.name, shape: v.shape, values: Array(UnsafeBufferPointer(start: p.values(of: v), count: v.count)))
        }
        var metadata = [
            "charnn.format": String(Checkpoint.formatVersion),
            "charnn.vocab": Checkpoint.json(vocabulary.scalars.map { String($0) }),
            "charnn.config": Checkpoint.json(model.config),
            "charnn.generator": "charnn \(CharRNNVersion.string)",
            "charnn.text": Checkpoint.json(text),
        ]
        if let training {
            metadata["charnn.training"] = Checkpoint.json(TrainingMetadata(options: training.options, progress: training.progress))
            for (name, slot) in zip(training.optimizer.kind.slotNames, training.optimizer.slots) {
                tensors.append(SafeTensors.Tensor(name: "optimizer.\(name)", shape: [slot.count], values: slot.array))
            }
            let s = training.state
            tensors.append(SafeTensors.Tensor(name: "training.state.h", shape: [s.layers, s.batch, s.hidden], values: s.h.array))
            if model.config.cell.hasCellState {
                tensors.append(SafeTensors.Tensor(name: "training.state.c", shape: [s.layers, s.batch, s.hidden], values: s.c.array))
            }
        }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    /// Atomically replaces `path`; the previous file stays intact if anything fails.
    public func write(to path: String) throws {
        try safeTensors.write(to: path)
    }

    public static func read(from path: String) throws -> Checkpoint {
        try Checkpoint(try SafeTensors.read(from: path))
    }

    /// Rebuilds a checkpoint from a parsed file, checking every tensor against the config.
    public init(_ file: SafeTensors) throws {
        func meta(_ key: String) throws -> String {
            guard let v = file.metadata[key] else { throw ModelFileError.missingMetadata(key) }
            return v
        }
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
            do { return try JSONDecoder().decode(type, from: Data(try meta(key).utf8)) } catch let e as ModelFileError { throw e } catch {
                throw ModelFileError.badMetadata(key: key, reason: "not the expected JSON")
            }
        }
        guard let format = Int(try meta("charnn.format")), format >= 1 else {
            throw ModelFileError.badMetadata(key: "charnn.format", reason: "not a positive integer")
        }
        guard format <= Checkpoint.formatVersion else {
            throw ModelFileError.newerFormat(found: format, supported: Checkpoint.formatVersion)
        }
        let strings = try decode([String].self, "charnn.vocab")
        var scalars: [Unicode.Scalar] = []
        for s in strings {
            guard s.unicodeScalars.count == 1, let scalar = s.unicodeScalars.first else {
                throw ModelFileError.badMetadata(key: "charnn.vocab", reason: "an entry is not exactly one character")
            }
            scalars.append(scalar)
        }
        guard !scalars.isEmpty, Set(scalars).count == scalars.count else {
            throw ModelFileError.badMetadata(key: "charnn.vocab", reason: "empty or has duplicates")
        }
        let config = try decode(ModelConfig.self, "charnn.config")
        guard config.layers >= 1, config.layers <= 64, config.hidden >= 1, config.hidden <= 1 << 16,
              config.dropout >= 0, config.dropout < 1 else {
            throw ModelFileError.badMetadata(key: "charnn.config", reason: "layers, hidden or dropout out of range")
        }
        guard config.vocabularySize == scalars.count else {
            throw ModelFileError.badMetadata(key: "charnn.config",
                                             reason: "vocab_size \(config.vocabularySize) but the vocabulary has \(scalars.count) characters")
        }
        // Every tensor is checked against the config before anything is allocated from the config's
        // numbers: a hostile header could claim a model of terabytes.
        var found: [SafeTensors.Tensor] = []
        for (name, shape) in config.tensorShapes {
            guard let t = file[name] else { throw ModelFileError.missingTensor(name) }
            guard t.shape == shape else { throw ModelFileError.shapeMismatch(tensor: name, expected: shape, found: t.shape) }
            guard t.values.allSatisfy(\.isFinite) else { throw ModelFileError.nonFinite(tensor: name) }
            found.append(t)
        }
        var values = [Float]()
        values.reserveCapacity(config.parameterCount)
        for t in found { values += t.values }
        model = values.withUnsafeBufferPointer { Model(config: config, values: $0) }
        vocabulary = Vocabulary(scalars: scalars)
        // Written before texts were normalised: trained on the bytes as they were.
        text = file.metadata["charnn.text"] == nil ? .exact : try decode(TextNormalization.self, "charnn.text")

        guard file.metadata["charnn.training"] != nil else {
            training = nil
            return
        }
        let meta = try decode(TrainingMetadata.self, "charnn.training")
        if let problem = meta.options.problem ?? meta.progress.problem {
            throw ModelFileError.badMetadata(key: "charnn.training", reason: problem)
        }
        let optimizer = Optimizer(kind: meta.options.optimizer, learningRate: meta.progress.learningRate,
                                  parameterCount: config.parameterCount)
        optimizer.stepCount = meta.progress.optimizerSteps
        for (name, slot) in zip(meta.options.optimizer.slotNames, optimizer.slots) {
            guard let t = file["optimizer.\(name)"] else { throw ModelFileError.missingTensor("optimizer.\(name)") }
            guard t.shape == [slot.count] else {
                throw ModelFileError.shapeMismatch(tensor: t.name, expected: [slot.count], found: t.shape)
            }
            guard t.values.allSatisfy(\.isFinite) else { throw ModelFileError.nonFinite(tensor: t.name) }
            t.values.withUnsafeBufferPointer { slot.base.update(from: $0.baseAddress!, count: slot.count) }
        }
        let batch = meta.options.batchSize
        let stateShape = [config.layers, batch, config.hidden]
        let stateNames = config.cell.hasCellState ? ["training.state.h", "training.state.c"] : ["training.state.h"]
        for name in stateNames {  // checked before the state is allocated from the file's batch size
            guard let t = file[name] else { throw ModelFileError.missingTensor(name) }
            guard t.shape == stateShape else { throw ModelFileError.shapeMismatch(tensor: name, expected: stateShape, found: t.shape) }
            guard t.values.allSatisfy(\.isFinite) else { throw ModelFileError.nonFinite(tensor: name) }
        }
        let state = RecurrentState(config: config, batch: batch)
        for (name, buffer) in [("training.state.h", state.h), ("training.state.c", state.c)] where buffer.count > 0 {
            guard let t = file[name] else { throw ModelFileError.missingTensor(name) }
            t.values.withUnsafeBufferPointer { buffer.base.update(from: $0.baseAddress!, count: buffer.count) }
        }
        training = TrainingSnapshot(options: meta.options, progress: meta.progress, optimizer: optimizer, state: state)
    }
}
