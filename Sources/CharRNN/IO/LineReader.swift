// Reading lines from a pipe or terminal as they arrive (`sample --interactive`), not the whole stream first.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lines of a file descriptor, each as soon as it is complete, without its line break ("\n"
/// or "\r\n"); a last line without a line break is a line too.
public struct LineReader {
    private let fileDescriptor: Int32
    /// How errors name the input ("standard input").
    private let name: String
    private var buffer: [UInt8] = []
    /// Bytes at the start of `buffer` known to hold no line break.
    private var searched = 0
    private var atEnd = false
    /// Asked when a read is interrupted by a signal: true ends the input there (a partial line is
    /// dropped); false reads on. A handler installed without SA_RESTART lets Ctrl-C reach it.
    public var shouldStop: () -> Bool = { false }

    public init(fileDescriptor: Int32, name: String) {
        self.fileDescriptor = fileDescriptor
        self.name = name
    }

    /// The next line's bytes, or nil at the end of the input.
    public mutating func next() throws -> [UInt8]? {
        while true {
            if let newline = buffer[searched...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                buffer.removeFirst(newline + 1)
                searched = 0
                return line
            }
            searched = buffer.count
            if atEnd {
                guard !buffer.isEmpty else { return nil }
                defer { buffer = []; searched = 0 }
                return buffer
            }
            try fill()
        }
    }

    /// Appends what the next read gives (a terminal gives a line at a time); notes the end.
    private mutating func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR {
                if shouldStop() { (atEnd, buffer, searched) = (true, [], 0); return }
                continue
            }
            if n < 0 { throw FileError.unreadable(path: name, reason: String(cString: strerror(errno))) }
            if n == 0 { atEnd = true } else { buffer.append(contentsOf: chunk[..<n]) }
            return
        }
    }
}
