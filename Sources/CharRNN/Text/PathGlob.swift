// The --include / --exclude patterns of `charnn train`: shell globs over paths relative to a corpus
// directory, matched one path segment at a time with fnmatch, plus `**` for any depth.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A glob over relative paths ("src/main.swift"). A pattern without a slash matches a file or
/// directory name at any depth (`*.swift`, `build`); one with a slash matches the whole relative path,
/// segment by segment (`*` and `?` never cross a slash), where a `**` segment stands for any number of
/// directories, none included (`Sources/**/*.swift`, `docs/**`). `[abc]` and `\*` work as in the shell.
public struct PathGlob: Sendable, Equatable {
    public let pattern: String
    private let segments: [String]
    private let anyDepth: Bool

    public init(_ pattern: String) {
        self.pattern = pattern
        anyDepth = !pattern.contains("/")
        segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// Whether `relativePath` ("a/b/c.txt", no leading slash) matches.
    public func matches(_ relativePath: String) -> Bool {
        let parts = relativePath.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if anyDepth { return parts.last.map { PathGlob.segment(segments.first ?? "", matches: $0) } ?? false }
        return PathGlob.match(segments[...], parts[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ parts: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return parts.isEmpty }
        if first == "**" {
            // Zero directories, or one more and try again.
            return match(pattern.dropFirst(), parts) || (!parts.isEmpty && match(pattern, parts.dropFirst()))
        }
        guard let part = parts.first, segment(first, matches: part) else { return false }
        return match(pattern.dropFirst(), parts.dropFirst())
    }

    /// fnmatch on one segment: a leading dot need not be matched literally (hidden files are left out
    /// before patterns are asked).
    static func segment(_ pattern: String, matches name: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }
}
