// Writes that may fail under a running command (a reader that exited, a full disk): whole writes
// that report the error instead of trapping, and log lines appended whole or not at all.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum StreamWriter {
    /// Writes all of `bytes` to `fd`, through short writes and EINTR; returns 0, or the errno of the failure.
    public static func write(_ bytes: [UInt8], to fd: Int32) -> Int32 {
        write(bytes, to: fd, using: AtomicFile.systemWrite)
    }

    static func write(_ bytes: [UInt8], to fd: Int32, using writer: AtomicFile.Writer) -> Int32 {
        bytes.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress else { return 0 }
            var offset = 0
            while offset < raw.count {
                let n = writer(fd, base + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { return errno }
                if n == 0 { return EIO }
                offset += n
            }
            return 0
        }
    }

    /// The system's words for an errno: "No space left on device".
    public static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}

/// A log opened for appending (a file, or a pipe or terminal), to which each line is added whole or
/// not at all: when a write to a regular file fails part way (a full disk), the file is cut back to
/// its length before the line. After the first failure nothing more is written.
public final class AppendLog {
    public let path: String
    private let fd: Int32
    private let writer: AtomicFile.Writer
    /// The errno of the write that failed, if one did.
    public private(set) var failure: Int32?

    /// Opens (creating) `path` for appending; `truncate` empties a regular file first. A FIFO is
    /// opened without waiting for a reader, and refused when it has none (nothing would ever read it).
    public convenience init(path: String, truncate: Bool) throws {
        try self.init(path: path, truncate: truncate, writer: AtomicFile.systemWrite)
    }

    init(path: String, truncate: Bool, writer: @escaping AtomicFile.Writer) throws {
        self.path = path
        self.writer = writer
        let flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | (truncate ? O_TRUNC : 0)
        fd = open(path, flags, 0o644)
        guard fd >= 0 else {
            let reason = errno == ENXIO ? "it is a FIFO no process reads" : StreamWriter.reason(errno)
            throw FileWriteError.failed(path: path, reason: reason)
        }
        // Opened without blocking so that a FIFO with no reader fails at once; lines are then written
        // as to any stream (a slow reader slows the run rather than losing lines).
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    }

    deinit { close(fd) }

    /// Appends `line` and a newline; false (with `failure` set) when that failed now or earlier.
    @discardableResult
    public func append(_ line: String) -> Bool {
        guard failure == nil else { return false }
        var info = stat()
        let regular = fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
        let code = StreamWriter.write(Array((line + "\n").utf8), to: fd, using: writer)
        guard code != 0 else { return true }
        if regular { _ = ftruncate(fd, info.st_size) }
        failure = code
        return false
    }
}
