// What charnn may write: every output is checked against every file the command reads, by file
// identity, before anything is written. An output never replaces an input (the one exception: a
// resumed checkpoint, by the run continuing it), nor another output, nor goes through a link to
// nowhere; it replaces or extends only a file of its own kind; and a run never replaces a checkpoint
// that existed before it started unless it continues that checkpoint or is told --force.

import Foundation

/// A refusal to write, as one line saying which file and what to do instead; its words name the
/// settings that give the paths (the command line says its options).
public enum OutputRefusal: Error, Equatable, NamesSettings {
    case readsIt(output: SettingsMessage, input: String, role: SettingsMessage)
    case sameOutput(output: SettingsMessage, other: SettingsMessage)
    case brokenLink(output: SettingsMessage, target: String)
    case isDirectory(output: SettingsMessage)
    case foreign(output: SettingsMessage, kind: OutputKind, setting: Setting)
    case existingCheckpoint(output: SettingsMessage, resume: String)
    case locked(checkpoint: String, pid: Int32?)
    case lockFailed(checkpoint: String, lock: String, reason: String)
    case replacesBest(output: String, latest: String)
    case logLocked(log: String, pid: Int32?)
    case othersLog(log: String, owner: String)
    case notAFile(output: String)
    case missingDirectory(output: String, directory: String)
    case notADirectory(output: String, directory: String)
    case notWritable(output: String, directory: String, reason: String)

    public func text(naming name: (Setting) -> String) -> String { message.text(naming: name) }

    private var message: SettingsMessage {
        switch self {
        case .readsIt(let output, let input, let role):
            return "\(output) is the same file as \(input), \(role); charnn never writes over a file it reads: choose another name"
        case .sameOutput(let output, let other):
            return "\(output) and \(other) are the same file; give them different names"
        case .brokenLink(let output, let target):
            return "\(output) is a symbolic link to \(target), which does not exist; charnn does not write through it: "
                + "remove the link or choose another name"
        case .isDirectory(let output):
            return "cannot write \(output): it is a directory"
        case .foreign(let output, let kind, let setting):
            let verb = kind == .metricsLog ? "appends only to its own metrics logs" : "replaces only a file of the kind it writes"
            return "\(output) exists and is not \(kind.noun); charnn \(verb): choose another \(setting: setting)"
        case .existingCheckpoint(let output, let resume):
            return "\(output) is an existing checkpoint; to continue it use \(setting: .resume) \(resume), to keep it choose another "
                + "\(setting: .output), or add \(setting: .force) to replace it"
        case .locked(let checkpoint, let pid):
            return "\(checkpoint) is being written by another charnn run (process \(pid.map(String.init) ?? "unknown")); "
                + "wait for it to finish or choose another \(setting: .output)"
        case .logLocked(let log, let pid):
            return "\(log) is being written by another charnn run (process \(pid.map(String.init) ?? "unknown")); "
                + "wait for it to finish or choose another \(setting: .metrics)"
        case .othersLog(let log, let owner):
            return "\(log) is the metrics log of \(owner); charnn appends only to the log of the run it continues: "
                + "choose another \(setting: .metrics)"
        case .replacesBest(let output, let latest):
            return "\(output) is a best checkpoint, which only a better one replaces; leave out \(setting: .output) to write the latest "
                + "state to \(latest), or choose another \(setting: .output)"
        case .lockFailed(let checkpoint, let lock, let reason):
            return "cannot write \(checkpoint): cannot create its lock file \(lock) (\(reason))"
        case .notAFile(let output):
            return "\(setting: .output) '\(output)' does not name a file"
        case .missingDirectory(let output, let directory):
            return "cannot write \(output): directory \(directory) does not exist"
        case .notADirectory(let output, let directory):
            return "cannot write \(output): \(directory) is not a directory"
        case .notWritable(let output, let directory, let reason):
            return "cannot write \(output): directory \(directory) is not writable (\(reason))"
        }
    }
}

/// A file a command reads: its path and what it is ("the corpus").
public struct ReadInput: Sendable {
    public let path: String
    public let role: SettingsMessage
    /// The checkpoint given to resume from.
    public var isResumed = false

    public init(path: String, role: SettingsMessage, isResumed: Bool = false) {
        self.path = path
        self.role = role
        self.isResumed = isResumed
    }
}

/// A file a command writes.
public struct PlannedOutput: Sendable {
    public let path: String
    public let kind: OutputKind
    /// The setting that names it, or from whose value it is derived (the output).
    public let setting: Setting
    /// For files derived from the option's value: what they are ("the best checkpoint").
    public let role: String?
    /// May replace the checkpoint resumed from (the latest checkpoint of the run continuing it).
    public var mayReplaceResumed = false
    /// May replace a checkpoint that existed before the run (it continues that checkpoint, or is forced).
    public var mayReplaceCheckpoint = false

    public init(path: String, kind: OutputKind, setting: Setting, role: String? = nil) {
        self.path = path
        self.kind = kind
        self.setting = setting
        self.role = role
    }

    /// "--output m.ckpt", "the best checkpoint m.best.ckpt (from --output)", as the command line names the output
    var label: SettingsMessage { role.map { "\($0) \(path) (from \(setting: setting))" } ?? "\(setting: setting) \(path)" }
}

public struct OutputSafety: Sendable {
    public let inputs: [ReadInput]
    public let outputs: [PlannedOutput]

    public init(inputs: [ReadInput], outputs: [PlannedOutput]) {
        self.inputs = inputs
        self.outputs = outputs
    }

    /// The one call of a command that writes files (training's is TrainingOutputClaim): identity and
    /// kind of every output, its directory, then the one-writer locks of `locking`, held until
    /// released. Throws the first `OutputRefusal`, holding no lock.
    public func claim(locking: [String] = []) throws -> [CheckpointLock] {
        try checkIdentityAndKind()
        for output in outputs where output.kind != .lock {
            let directory = TrainingFiles.directory(of: output.path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw OutputRefusal.missingDirectory(output: output.path, directory: directory)
            }
        }
        return try locking.map { try CheckpointLock(checkpoint: $0) }
    }

    /// Identity, then kind, for every output: throws the first `OutputRefusal`.
    public func checkIdentityAndKind() throws {
        let identities = stableIdentities()
        var slots: [(FileSlot, PlannedOutput)] = []
        for (output, slot) in zip(outputs, identities.outputs) {
            if let target = brokenLinkTarget(output.path) { throw OutputRefusal.brokenLink(output: output.label, target: target) }
            if case .existing(let id) = slot {
                for (input, inputID) in zip(inputs, identities.inputs)
                where inputID == id && !(input.isResumed && output.mayReplaceResumed) {
                    throw OutputRefusal.readsIt(output: output.label, input: input.path, role: input.role)
                }
            }
            if let other = slots.first(where: { $0.0 == slot })?.1 {
                throw OutputRefusal.sameOutput(output: output.label, other: other.label)
            }
            slots.append((slot, output))
            if let status = FileStatus(path: output.path) { try checkKind(output, status) }
        }
    }

    /// What the inputs and outputs name, read until two readings agree. Another run replacing its
    /// checkpoints (write, then rename) frees inodes the next file it writes may reuse, so a single
    /// reading can find one inode under two names that never named the same file at the same time.
    func stableIdentities() -> IdentityReading {
        var last = IdentityReading(self)
        for _ in 0..<8 {
            let next = IdentityReading(self)
            if next == last { return next }
            last = next
        }
        return last
    }

    /// An existing output must be of its own kind; an empty file holds nothing to lose, and a metrics
    /// log may go to a stream (a pipe, a terminal).
    func checkKind(_ output: PlannedOutput, _ status: FileStatus) throws {
        if status.isDirectory { throw OutputRefusal.isDirectory(output: output.label) }
        if !status.isRegular && output.kind == .metricsLog { return }
        if status.isRegular && status.size == 0 { return }
        if output.mayReplaceResumed && inputs.contains(where: { $0.isResumed && FileIdentity(path: $0.path) == status.identity }) {
            return
        }
        guard status.isRegular, let start = FileKinds.prefix(of: output.path), output.kind.recognises(start) else {
            throw OutputRefusal.foreign(output: output.label, kind: output.kind, setting: output.setting)
        }
    }

    /// No checkpoint output replaces a checkpoint that exists now, unless allowed to.
    public func checkExistingCheckpoints() throws {
        for output in outputs where output.kind == .checkpoint && !output.mayReplaceCheckpoint {
            guard let status = FileStatus(path: output.path), status.size > 0 else { continue }
            let latest = outputs.first { $0.kind == .checkpoint && $0.role == nil }?.path ?? output.path
            throw OutputRefusal.existingCheckpoint(output: output.label, resume: latest)
        }
    }
}

/// One reading of which files an `OutputSafety`'s inputs and outputs name.
struct IdentityReading: Equatable {
    let inputs: [FileIdentity?]
    let outputs: [FileSlot]

    init(_ safety: OutputSafety) {
        inputs = safety.inputs.map { FileIdentity(path: $0.path) }
        outputs = safety.outputs.map { FileSlot($0.path) }
    }
}
