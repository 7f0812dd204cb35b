// Which files `charnn train a.txt b.txt src/` reads, in a stable order: files named on the command
// line as given, and every file under a named directory in byte order of its relative path, leaving
// out hidden entries, charnn's own files, empty and special files, and paths reached twice.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file of a corpus.
public struct CorpusFile: Sendable, Equatable {
    /// As opened and as messages and checkpoints name it: "a.txt", "src/lib/x.swift", "-".
    public let path: String
    /// Named on the command line: it must be text (an error otherwise), where a file found in a
    /// directory that is not text is left out with a note.
    public let named: Bool

    public init(path: String, named: Bool) {
        self.path = path
        self.named = named
    }
}

/// Why a path under a corpus directory was left out.
public enum SkipReason: Sendable, Equatable {
    case hidden
    case charnnFile(String)      // what it is: "a charnn checkpoint"
    case notText(String)         // why: "invalid UTF-8 at byte offset 3", "contains NUL"
    case empty
    case unreadable(String)      // the system's reason
    case special                 // a pipe, socket or device
    case alreadyRead             // a second link to a file or directory, or a link loop
}

public struct SkippedPath: Sendable, Equatable {
    public let path: String
    public let reason: SkipReason

    public init(path: String, reason: SkipReason) {
        self.path = path
        self.reason = reason
    }
}

public struct CorpusFileList: Sendable {
    /// The paths listed, as given.
    public var arguments: [String]
    public var files: [CorpusFile] = []
    public var skipped: [SkippedPath] = []

    public init(arguments: [String], files: [CorpusFile] = [], skipped: [SkippedPath] = []) {
        self.arguments = arguments
        self.files = files
        self.skipped = skipped
    }
}

public enum CorpusFiles {
    /// The files of `arguments` (paths of files and directories; "-" is standard input). A missing
    /// argument or a directory argument that cannot be listed throws `FileError`; `include` (any of
    /// them must match, when given) and `exclude` (none may) apply inside directories only, and
    /// an excluded directory is not entered.
    public static func list(_ arguments: [String], include: [PathGlob] = [], exclude: [PathGlob] = []) throws -> CorpusFileList {
        var walk = Walk(arguments, include: include, exclude: exclude)
        for argument in arguments {
            guard argument != standardInputPath else {
                walk.list.files.append(CorpusFile(path: argument, named: true))
                continue
            }
            var info = stat()
            guard stat(argument, &info) == 0 else {
                let e = errno
                if e == ENOENT || e == ENOTDIR { throw FileError.notFound(path: argument) }
                throw FileError.unreadable(path: argument, reason: String(cString: strerror(e)))
            }
            if info.st_mode & S_IFMT == S_IFDIR {
                try walk.directory(argument, FileIdentity(info))
            } else if walk.firstVisit(FileIdentity(info), argument, directory: false) {
                walk.list.files.append(CorpusFile(path: argument, named: true))
            }
        }
        return walk.list
    }

    /// One line per kind of skipped path, naming the first `shown` of them and how many more: so a
    /// tree of thousands of files gives a few readable lines.
    public static func notes(for skipped: [SkippedPath], shown: Int = 3) -> [String] {
        let kinds: [(one: String, many: String, test: (SkipReason) -> Bool)] = [
            ("file that is not UTF-8 text", "files that are not UTF-8 text", { if case .notText = $0 { return true }; return false }),
            ("charnn file", "charnn files", { if case .charnnFile = $0 { return true }; return false }),
            ("empty file", "empty files", { $0 == .empty }),
            ("path that cannot be read", "paths that cannot be read", { if case .unreadable = $0 { return true }; return false }),
            ("pipe, socket or device", "pipes, sockets or devices", { $0 == .special }),
            ("path already read through another link", "paths already read through another link", { $0 == .alreadyRead }),
            ("hidden file or directory", "hidden files or directories", { $0 == .hidden }),
        ]
        return kinds.compactMap { kind in
            let paths = skipped.filter { kind.test($0.reason) }
            guard !paths.isEmpty else { return nil }
            let named = paths.prefix(shown).map { p -> String in
                switch p.reason {
                case .notText(let why), .charnnFile(let why), .unreadable(let why): return "\(p.path) (\(why))"
                default: return p.path
                }
            }
            let more = paths.count > shown ? " and \(paths.count - shown) more" : ""
            return "skipped \(paths.count) \(paths.count == 1 ? kind.one : kind.many): " + named.joined(separator: ", ") + more
        }
    }

    /// "src/" + "a/b.txt" → "src/a/b.txt"
    static func join(_ directory: String, _ relative: String) -> String {
        directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    /// What kind of charnn file `path` (named `name`) is, from its first bytes; nil for anything else.
    /// A lock file holds only a process id, so it is recognised by its name too.
    static func charnnKind(of path: String, name: String) -> OutputKind? {
        guard let start = FileKinds.prefix(of: path), !start.isEmpty else { return nil }
        return OutputKind.allCases.first { $0.recognises(start) && ($0 != .lock || name.hasSuffix(".lock")) }
    }
}

/// One listing in progress: what was found, and every file and directory already visited.
private struct Walk {
    let include: [PathGlob], exclude: [PathGlob]
    var list: CorpusFileList
    var visited = Set<FileIdentity>()

    init(_ arguments: [String], include: [PathGlob], exclude: [PathGlob]) {
        list = CorpusFileList(arguments: arguments)
        self.include = include
        self.exclude = exclude
    }

    /// Records `id`; false, with a note, if it was reached before.
    mutating func firstVisit(_ id: FileIdentity, _ path: String, directory: Bool) -> Bool {
        if visited.insert(id).inserted { return true }
        list.skipped.append(SkippedPath(path: directory ? path + "/" : path, reason: .alreadyRead))
        return false
    }

    /// Every file under `root`, sorted by relative path.
    mutating func directory(_ root: String, _ id: FileIdentity) throws {
        guard firstVisit(id, root, directory: true) else { return }
        var found: [String] = []
        if let reason = scan(root, relative: "", into: &found) { throw FileError.unreadable(path: root, reason: reason) }
        found.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        list.files += found.map { CorpusFile(path: CorpusFiles.join(root, $0), named: false) }
    }

    /// Adds the relative paths of the files of the directory `relative` under `root` to `found`, and
    /// those of its subdirectories; the reason when it cannot be listed.
    mutating func scan(_ root: String, relative: String, into found: inout [String]) -> String? {
        guard let names = entries(of: relative.isEmpty ? root : CorpusFiles.join(root, relative), relative: relative, root: root) else {
            return String(cString: strerror(errno))
        }
        for name in names {
            visit(relative.isEmpty ? name : relative + "/" + name, name: name, root: root, into: &found)
        }
        return nil
    }

    /// The names in the directory `path`, sorted; nil (errno set) when it cannot be read.
    mutating func entries(of path: String, relative: String, root: String) -> [String]? {
        guard let handle = opendir(path) else { return nil }
        defer { closedir(handle) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(handle) else {
                if errno != 0 { return nil }  // opening can succeed where listing is refused (/proc/1/map_files)
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(validatingCString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            guard let name else {
                list.skipped.append(SkippedPath(path: CorpusFiles.join(root, relative + "?"), reason: .unreadable("its name is not UTF-8")))
                continue
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    mutating func visit(_ relative: String, name: String, root: String, into found: inout [String]) {
        let path = CorpusFiles.join(root, relative)
        func skip(_ reason: SkipReason) { list.skipped.append(SkippedPath(path: path, reason: reason)) }
        if name.hasPrefix(".") { return skip(.hidden) }
        var info = stat()
        guard stat(path, &info) == 0 else {
            return skip(.unreadable(errno == ENOENT ? "a symbolic link to nothing" : String(cString: strerror(errno))))
        }
        let kind = info.st_mode & S_IFMT
        if exclude.contains(where: { $0.matches(relative) }) { return }
        if kind == S_IFDIR {
            guard firstVisit(FileIdentity(info), path, directory: true) else { return }
            if let reason = scan(root, relative: relative, into: &found) { skip(.unreadable(reason)) }
            return
        }
        guard kind == S_IFREG else { return skip(.special) }
        guard include.isEmpty || include.contains(where: { $0.matches(relative) }) else { return }
        guard firstVisit(FileIdentity(info), path, directory: false) else { return }
        if info.st_size == 0 { return skip(.empty) }
        if access(path, R_OK) != 0 { return skip(.unreadable(String(cString: strerror(errno)))) }
        if let own = CorpusFiles.charnnKind(of: path, name: name) { return skip(.charnnFile(own.noun)) }
        found.append(relative)
    }
}
