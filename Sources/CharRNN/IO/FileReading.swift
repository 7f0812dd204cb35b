// Reading a whole file with errors a user can act on: missing, a directory, unreadable.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum FileError: Error, Equatable, CustomStringConvertible {
    case notFound(path: String)
    case notAFile(path: String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path): no such file"
        case .notAFile(let path): return "\(path): is a directory, not a file"
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        }
    }
}

/// The bytes of the file at `path`.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
        let e = errno
        if e == ENOENT || e == ENOTDIR { throw FileError.notFound(path: path) }
        if e == EISDIR { throw FileError.notAFile(path: path) }
        throw FileError.unreadable(path: path, reason: String(cString: strerror(e)))
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw FileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
    if (info.st_mode & S_IFMT) == S_IFDIR { throw FileError.notAFile(path: path) }
    var bytes: [UInt8] = []
    if (info.st_mode & S_IFMT) == S_IFREG { bytes.reserveCapacity(Int(info.st_size)) }
    let chunk = 1 << 20
    var buffer = [UInt8](repeating: 0, count: chunk)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, chunk) }
        if n < 0 {
            if errno == EINTR { continue }
            let e = errno
            if e == EISDIR { throw FileError.notAFile(path: path) }
            throw FileError.unreadable(path: path, reason: String(cString: strerror(e)))
        }
        if n == 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
    }
    return bytes
}
