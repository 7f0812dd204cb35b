// Which file a path names, as the kernel resolves it (links followed, `.` and `..` applied): two
// paths name the same file exactly when their device and inode agree, however they are spelled.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// The file `path` names (standard input's for "-"); nil when nothing is there to name.
    public init?(path: String) {
        guard let info = FileStatus(path: path)?.info else { return nil }
        self.init(info)
    }
}

/// What `stat` says about a path, following links ("-": standard input).
struct FileStatus {
    let info: stat

    init?(path: String) {
        var info = stat()
        let found = path == standardInputPath ? fstat(STDIN_FILENO, &info) : stat(path, &info)
        guard found == 0 else { return nil }
        self.info = info
    }

    var identity: FileIdentity { FileIdentity(info) }
    var kind: mode_t { info.st_mode & S_IFMT }
    var isDirectory: Bool { kind == S_IFDIR }
    var isRegular: Bool { kind == S_IFREG }
    var size: Int { Int(info.st_size) }
}

/// Where writing `path` puts a file: the file already there, or a new name in a directory.
enum FileSlot: Hashable {
    case existing(FileIdentity)
    case new(directory: FileIdentity, name: String)
    case unresolved(String)  // the directory is missing: the write fails anyway

    init(_ path: String) {
        if let id = FileIdentity(path: path) {
            self = .existing(id)
        } else if let (directory, name) = AtomicFile.split(path),
                  let d = FileIdentity(path: directory.isEmpty ? "." : directory) {
            self = .new(directory: d, name: name)
        } else {
            self = .unresolved(path)
        }
    }
}

/// The target of a symbolic link at `path` that leads to no file (dangling, or a loop); nil when
/// `path` is not such a link.
func brokenLinkTarget(_ path: String) -> String? {
    var info = stat()
    guard path != standardInputPath, lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK,
          FileStatus(path: path) == nil else { return nil }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink(path, &buffer, buffer.count - 1)
    return n < 0 ? "?" : String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
