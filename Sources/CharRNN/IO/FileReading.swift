// Reading a file, whole or a chunk at a time, with errors a user can act on: missing, a directory, a
// device, unreadable. The path "-" is standard input.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum FileError: Error, Equatable, CustomStringConvertible {
    case notFound(path: String)
    case notAFile(path: String)
    case device(path: String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path): no such file"
        case .notAFile(let path): return "\(path): is a directory, not a file"
        case .device(let path): return "\(path): is a device, not a text file"
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        }
    }
}

/// The path that names standard input.
public let standardInputPath = "-"

/// The size of the file at `path` if it is a regular file (nil for a pipe, a device, a directory,
/// standard input, which is read once, or a path that cannot be examined: reading it then reports why).
public func regularFileSize(_ path: String) -> Int? {
    guard path != standardInputPath else { return nil }
    var info = stat()
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int(info.st_size)
}

/// The bytes of the file at `path`.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    var bytes: [UInt8] = []
    try forEachChunk(ofFileAt: path, reserve: { bytes.reserveCapacity($0) }) { bytes.append(contentsOf: $0) }
    return bytes
}

/// Calls `body` with successive pieces of the file at `path` (at most `chunkSize` bytes each, in
/// order; the buffer is reused, so `body` must copy what it keeps). `reserve` is told the size of a
/// regular file first.
public func forEachChunk(ofFileAt path: String, chunkSize: Int = 1 << 20, reserve: (Int) -> Void = { _ in },
                         _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
    let fd = path == standardInputPath ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC)
    let path = path == standardInputPath ? "standard input" : path  // as errors name it
    if fd < 0 {
        let e = errno
        if e == ENOENT || e == ENOTDIR { throw FileError.notFound(path: path) }
        if e == EISDIR { throw FileError.notAFile(path: path) }
        throw FileError.unreadable(path: path, reason: String(cString: strerror(e)))
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw FileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
    let kind = info.st_mode & S_IFMT
    if kind == S_IFDIR { throw FileError.notAFile(path: path) }
    // A device has no end (/dev/zero) or holds no text (a disk), and cannot be read twice, so it
    // would be read whole until memory ran out. Pipes, and a terminal typed into, are read.
    if kind == S_IFBLK || (kind == S_IFCHR && isatty(fd) == 0) { throw FileError.device(path: path) }
    if kind == S_IFREG { reserve(Int(info.st_size)) }
    var buffer = [UInt8](repeating: 0, count: max(1, chunkSize))
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            let e = errno
            if e == EISDIR { throw FileError.notAFile(path: path) }
            throw FileError.unreadable(path: path, reason: String(cString: strerror(e)))
        }
        if n == 0 { break }
        try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<n])) }
    }
}
