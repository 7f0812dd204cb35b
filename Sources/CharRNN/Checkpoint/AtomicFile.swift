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

public enum AtomicFile {
    /// Replaces `path` with `bytes`: writes a temporary file in the same directory (so the rename
    /// cannot cross file systems), fsyncs it, renames it over `path` and fsyncs the directory so the
    /// rename itself survives a power cut. Throws `CheckpointError.writeFailed`; on failure before the
    /// rename the temporary file is removed and `path` is untouched.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let slash = path.lastIndex(of: "/")
        let prefix = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !base.isEmpty, base != ".", base != ".." else {
            throw CheckpointError.writeFailed(path: path, reason: "the path does not name a file")
        }
        let temp = "\(prefix).\(base).tmp-\(getpid())-\(String(UInt64.random(in: 0 ... .max), radix: 36))"

        let fd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path) }
        var renamed = false
        defer { if !renamed { unlink(temp) } }
        do {
            try writeAll(bytes, to: fd, path: path)
            try retryingInterrupts(fsync(fd), path: path)
        } catch {
            close(fd)
            throw error
        }
        // Linux closes the descriptor even when close reports EINTR, so that is not a failure.
        guard close(fd) == 0 || errno == EINTR else { throw failure(path) }
        guard rename(temp, path) == 0 else { throw failure(path) }
        renamed = true

        // From here on the new contents are in place; a failure means only that the rename might not
        // survive a power cut. Some file systems cannot fsync directories (EINVAL): nothing to do there.
        let dfd = open(prefix.isEmpty ? "." : prefix, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw failure(path) }
        defer { close(dfd) }
        while fsync(dfd) != 0 {
            if errno == EINTR { continue }
            if errno == EINVAL { break }
            throw failure(path)
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let n = posixWrite(fd, base + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure(path)
                }
                guard n > 0 else { throw CheckpointError.writeFailed(path: path, reason: "write made no progress") }
                offset += n
            }
        }
    }

    private static func retryingInterrupts(_ call: @autoclosure () -> Int32, path: String) throws {
        while call() != 0 {
            guard errno == EINTR else { throw failure(path) }
        }
    }

    private static func failure(_ path: String) -> CheckpointError {
        .writeFailed(path: path, reason: String(cString: strerror(errno)))
    }
}
