// Crash-safe file replacement: after a crash or a failed write, readers find either the old file
// or the complete new one, never a torn mixture.
import Foundation
#if canImport(Glibc)
import Glibc
private let posixWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let posixWrite = Darwin.write
#endif

public enum FileWriteError: Error, Equatable, CustomStringConvertible {
    case failed(path: String, reason: String)

    public var description: String {
        switch self {
        case .failed(let path, let reason):
            return "cannot write \(quotedForMessage(path)): \(oneLineForMessage(reason)); check that the directory exists, "
                + "is writable and has free space"
        }
    }
}

public enum AtomicFile {
    /// The system call that writes file data; tests replace it to simulate a full disk or a short write.
    typealias Writer = (Int32, UnsafeRawPointer, Int) -> Int
    static let systemWrite: Writer = { posixWrite($0, $1, $2) }

    /// Replaces `path` with `bytes`: writes a temporary file in the same directory (so the rename
    /// cannot cross file systems), fsyncs it, renames it over `path` and fsyncs the directory so the
    /// rename itself survives a power cut. Throws `FileWriteError`; on failure before the
    /// rename the temporary file is removed and `path` is untouched. Temporary files left for `path`
    /// by a process that was killed (kill -9, power cut) are removed first.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(bytes, to: path, using: systemWrite)
    }

    static func write(_ bytes: [UInt8], to path: String, using writer: @escaping Writer) throws {
        let file = try AtomicFileWriter(path: path, writer: writer)
        try bytes.withUnsafeBytes { try file.write($0) }
        try file.commit()
    }

    /// ".model.ckpt.tmp-": the temporary files for `model.ckpt` are ".model.ckpt.tmp-<pid>-<random>".
    static func temporaryPrefix(_ base: String) -> String { ".\(base).tmp-" }

    /// Removes the temporaries left for `path` by processes that no longer exist. A write does this
    /// for its own path; a run that writes several files (the latest and the best checkpoint) calls it
    /// for each at its start, so one killed while writing the best checkpoint does not leave that
    /// temporary behind until the validation loss next improves.
    public static func removeStaleTemporaries(for path: String) {
        guard let (directory, base) = split(path) else { return }
        removeStaleTemporaries(directory: directory, base: base)
    }

    /// "runs/model.ckpt" → ("runs/", "model.ckpt"); "model.ckpt" → ("", "model.ckpt"); nil when the
    /// path does not end in a file name.
    static func split(_ path: String) -> (directory: String, base: String)? {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !base.isEmpty, base != ".", base != ".." else { return nil }
        return (directory, base)
    }

    /// Removes this file's temporaries whose writing process no longer exists: a kill -9 during a
    /// write leaves one behind, and a run killed every few hours would otherwise pile them up.
    /// A temporary of a live process (another run writing the same path) is left alone.
    static func removeStaleTemporaries(directory: String, base: String) {
        let start = temporaryPrefix(base)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory) else { return }
        for name in names where name.hasPrefix(start) {
            guard let pid = Int32(name.dropFirst(start.count).prefix { $0 != "-" }), pid > 0 else { continue }
            // Our own pid: a write of ours removes its temporary when it fails, so this one is from an
            // earlier process that had the same pid (containers often reuse them).
            if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) {
                unlink(directory + name)
            }
        }
    }
}

/// The temporary files of writers in progress and the lock files held (CheckpointLock), for a signal
/// handler to remove before the process ends (a command killed mid-dump leaves no hidden file behind). Tracked only once `enable`d;
/// the slots are C strings made before any handler runs, and unlink is async-signal-safe. A slot's
/// string is not freed (a handler may be reading it): a command writes a handful of files.
public enum LiveTemporaries {
    static let capacity = 16
    nonisolated(unsafe) static let slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let slots = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        slots.initialize(repeating: nil, count: capacity)
        return slots
    }()
    nonisolated(unsafe) private static var enabled = false

    /// Starts tracking; call before installing the handler that calls `removeAll`.
    public static func enable() {
        _ = slots
        enabled = true
    }

    static func add(_ path: String) -> Int? {
        guard enabled else { return nil }
        for i in 0..<capacity where slots[i] == nil {
            slots[i] = strdup(path)
            return i
        }
        return nil
    }

    static func remove(_ slot: Int?) {
        if let slot { slots[slot] = nil }
    }

    /// Removes every temporary still being written: for a signal handler.
    public static func removeAll() {
        for i in 0..<capacity { if let path = slots[i] { unlink(path) } }
    }
}

/// The streaming form of `AtomicFile.write`, for outputs too large to hold in memory: bytes go to
/// a temporary file beside `path`, which `commit` renames over `path`. Until then `path` is
/// untouched, and a writer dropped without `commit` (an error on the way) removes its temporary file.
public final class AtomicFileWriter {
    public let path: String
    private let prefix: String
    private let temp: String
    private let writer: AtomicFile.Writer
    private var fd: Int32
    private var committed = false
    private var liveSlot: Int?

    public convenience init(path: String) throws {
        try self.init(path: path, writer: AtomicFile.systemWrite)
    }

    init(path: String, writer: @escaping AtomicFile.Writer) throws {
        self.path = path
        self.writer = writer
        guard let (directory, base) = AtomicFile.split(path) else {
            throw FileWriteError.failed(path: path, reason: "the path does not name a file")
        }
        prefix = directory
        AtomicFile.removeStaleTemporaries(directory: prefix, base: base)
        temp = "\(prefix)\(AtomicFile.temporaryPrefix(base))\(getpid())-\(String(UInt64.random(in: 0 ... .max), radix: 36))"
        // Named for the signal handler before the file exists: a signal between the two would
        // otherwise leave a temporary no one removes (unlinking a name not yet created is harmless).
        liveSlot = LiveTemporaries.add(temp)
        fd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let failure = AtomicFileWriter.failure(path)
            LiveTemporaries.remove(liveSlot)
            liveSlot = nil
            throw failure
        }
    }

    deinit { abort() }

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard let base = buffer.baseAddress, fd >= 0 else { return }
        var offset = 0
        while offset < buffer.count {
            let n = writer(fd, base + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw AtomicFileWriter.failure(path)
            }
            guard n > 0 else { throw FileWriteError.failed(path: path, reason: "write made no progress") }
            offset += n
        }
    }

    /// Fsyncs the temporary file, renames it over `path` and fsyncs the directory.
    public func commit() throws {
        precondition(!committed && fd >= 0, "commit of a finished writer")
        while fsync(fd) != 0 {
            guard errno == EINTR else { throw AtomicFileWriter.failure(path) }
        }
        // Linux closes the descriptor even when close reports EINTR, so that is not a failure.
        let closed = close(fd) == 0 || errno == EINTR
        fd = -1
        guard closed else { throw AtomicFileWriter.failure(path) }
        guard rename(temp, path) == 0 else { throw AtomicFileWriter.failure(path) }
        committed = true
        LiveTemporaries.remove(liveSlot)
        liveSlot = nil

        // From here on the new contents are in place; a failure means only that the rename might not
        // survive a power cut. Some file systems cannot fsync directories (EINVAL): nothing to do there.
        let dfd = open(prefix.isEmpty ? "." : prefix, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw AtomicFileWriter.failure(path) }
        defer { close(dfd) }
        while fsync(dfd) != 0 {
            if errno == EINTR { continue }
            if errno == EINVAL { break }
            throw AtomicFileWriter.failure(path)
        }
    }

    /// Gives up: closes and removes the temporary file, leaving `path` as it was.
    public func abort() {
        if fd >= 0 { close(fd); fd = -1 }
        if !committed { unlink(temp); committed = true }
        LiveTemporaries.remove(liveSlot)
        liveSlot = nil
    }

    private static func failure(_ path: String) -> FileWriteError {
        .failed(path: path, reason: String(cString: strerror(errno)))
    }
}
