// One writer per checkpoint and metrics log: a run holds an advisory lock (flock) for its whole life on
// a small file beside each checkpoint (and regular metrics log) it writes, ".model.ckpt.lock", holding
// its process id. The checkpoint itself
// cannot carry the lock: every save replaces it by rename. The kernel drops the lock of a process
// that dies, so a lock file left by a killed run never blocks the next.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class CheckpointLock {
    public let checkpoint: String
    public let path: String
    private var fd: Int32
    /// The lock file's place among the files a signal handler removes (LiveTemporaries), if tracked.
    private var liveSlot: Int?

    /// "runs/model.ckpt" → "runs/.model.ckpt.lock"
    public static func path(for checkpoint: String) -> String {
        guard let (directory, base) = AtomicFile.split(checkpoint) else { return checkpoint + ".lock" }
        return "\(directory).\(base).lock"
    }

    /// Takes the lock for writing `checkpoint` (or, with `isLog`, a metrics log), or throws
    /// `OutputRefusal.locked` (`.logLocked`) naming the process that holds it. The file is opened
    /// without following a link (the policy checks saw the path itself).
    public init(checkpoint: String, isLog: Bool = false) throws {
        self.checkpoint = checkpoint
        path = CheckpointLock.path(for: checkpoint)
        while true {
            fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard fd >= 0 else {
                throw OutputRefusal.lockFailed(checkpoint: checkpoint, lock: path, reason: String(cString: strerror(errno)))
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let busy = errno == EWOULDBLOCK
                let reason = String(cString: strerror(errno))
                let holder = busy ? CheckpointLock.holder(fd) : nil
                close(fd)
                fd = -1  // the lock file is the holder's: deinit must not remove it
                if busy {
                    throw isLog ? OutputRefusal.logLocked(log: checkpoint, pid: holder) : OutputRefusal.locked(checkpoint: checkpoint, pid: holder)
                }
                throw OutputRefusal.lockFailed(checkpoint: checkpoint, lock: path, reason: reason)
            }
            // A run that finished between our open and flock removed the file we hold: lock the new one.
            var held = stat(), named = stat()
            if fstat(fd, &held) == 0, lstat(path, &named) == 0, held.st_dev == named.st_dev, held.st_ino == named.st_ino { break }
            close(fd)
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        liveSlot = LiveTemporaries.add(path)
    }

    deinit { release() }

    /// Removes the lock file and drops the lock (in that order, so no one locks a file being removed
    /// without seeing it gone). Only the file this lock created is removed: one put in its place since
    /// (another file of that name) stays.
    public func release() {
        guard fd >= 0 else { return }
        LiveTemporaries.remove(liveSlot)
        var held = stat(), named = stat()
        if fstat(fd, &held) == 0, lstat(path, &named) == 0, held.st_dev == named.st_dev, held.st_ino == named.st_ino { unlink(path) }
        close(fd)
        fd = -1
    }

    /// The process id a locked file holds; a holder that has not written it yet gets a moment.
    private static func holder(_ fd: Int32) -> Int32? {
        for _ in 0..<50 {
            var buffer = [UInt8](repeating: 0, count: 24)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            if n > 0, let line = String(decoding: buffer[..<n], as: UTF8.self).split(separator: "\n").first,
               let pid = Int32(line) { return pid }
            usleep(10_000)
        }
        return nil
    }
}
