// Runs the charnn binary for end-to-end tests (stdin, environment, cwd, timeout, full stdout/stderr) and makes scratch directories.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a finished command did.
public struct CommandResult: CustomStringConvertible {
    /// The executable's file name ("charnn").
    public let program: String
    public let arguments: [String]
    /// The exit status, or 128 + the signal number when a signal ended the process (as a shell shows it).
    public let exitCode: Int32
    /// The signal that ended the process, if one did.
    public let signal: Int32?
    public let stdoutData: Data
    public let stderrData: Data

    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    public var stderr: String { String(decoding: stderrData, as: UTF8.self) }
    /// stderr split into lines, without the empty string after a final newline.
    public var stderrLines: [String] { CommandResult.lines(stderr) }
    public var stdoutLines: [String] { CommandResult.lines(stdout) }

    static func lines(_ text: String) -> [String] {
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// For failure messages: the command line, how it ended, and (the start of) both streams.
    public var description: String {
        func excerpt(_ s: String) -> String { s.count > 3000 ? String(s.prefix(3000)) + "…" : s }
        let how = signal.map { "killed by signal \($0)" } ?? "exit \(exitCode)"
        return "\(program) \(arguments.joined(separator: " ")) → \(how)\n--- stdout:\n\(excerpt(stdout))\n--- stderr:\n\(excerpt(stderr))"
    }
}

public enum CommandRunnerError: Error, CustomStringConvertible, LocalizedError {
    case binaryMissing(path: String)
    case timedOut(seconds: Double, partial: CommandResult)
    case launchFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .binaryMissing(let path):
            return "the charnn binary is missing at \(path): run `swift build --build-tests` (or `make test`) first, "
                + "or point the CHARNN_BIN environment variable at a built charnn"
        case .timedOut(let seconds, let partial):
            return "timed out after \(seconds) s and was killed: \(partial)"
        case .launchFailed(let path, let reason):
            return "cannot start \(path): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// Starts a binary and collects its output.
public struct CommandRunner {
    public let executable: URL
    /// Seconds a command may run before it is killed and the test fails.
    public var timeout: TimeInterval
    /// Set for every command, under what a call adds.
    public var baseEnvironment: [String: String]

    public init(executable: URL, timeout: TimeInterval = 120, baseEnvironment: [String: String] = [:]) {
        self.executable = executable
        self.timeout = timeout
        self.baseEnvironment = baseEnvironment
    }

    /// charnn's end-to-end tests compare runs by their exact fp32 results, so bf16 is off (as on a CPU
    /// without it) unless a test about bf16 turns it back on with CHARNN_DISABLE_BF16=0.
    public static let fp32Environment = ["CHARNN_DISABLE_BF16": "1"]

    /// The package root: this file is <root>/Tests/TestSupport/CommandRunner.swift.
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The debug charnn that `swift build` leaves in <root>/.build/debug, or $CHARNN_BIN.
    public static func charnn(timeout: TimeInterval = 120) throws -> CommandRunner {
        let path: String
        if let override = ProcessInfo.processInfo.environment["CHARNN_BIN"], !override.isEmpty {
            path = override
        } else {
            path = packageRoot.appendingPathComponent(".build/debug/charnn").path
        }
        guard FileManager.default.isExecutableFile(atPath: path) else { throw CommandRunnerError.binaryMissing(path: path) }
        return CommandRunner(executable: URL(fileURLWithPath: path), timeout: timeout, baseEnvironment: fp32Environment)
    }

    /// Runs to completion. `environment` is added to (and overrides) this process's environment.
    public func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:],
                    in directory: URL? = nil, timeout: TimeInterval? = nil) throws -> CommandResult {
        try start(arguments, stdin: stdin, environment: environment, in: directory).wait(timeout: timeout ?? self.timeout)
    }

    /// Starts the command and returns at once; see `RunningCommand`.
    public func start(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:],
                      in directory: URL? = nil) throws -> RunningCommand {
        try RunningCommand(executable: executable, arguments: arguments, stdin: stdin,
                           environment: baseEnvironment.merging(environment) { $1 },
                           directory: directory, defaultTimeout: timeout)
    }
}

/// Reads a pipe on its own thread until end of file, so that a chatty child never blocks on a full pipe.
private final class PipeCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()
    private let finished = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        let fd = handle.fileDescriptor
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                lock.lock()
                buffer.append(contentsOf: chunk[0..<n])
                lock.unlock()
            }
            finished.signal()
        }
        thread.start()
    }

    var data: Data {
        lock.lock()
        defer { lock.unlock() }
        return buffer
    }

    /// Waits for end of file; false if it did not come in time.
    func waitForEOF(timeout: TimeInterval) -> Bool {
        guard finished.wait(timeout: .now() + timeout) == .success else { return false }
        finished.signal()  // later waits return at once
        return true
    }
}

/// A started command: its output so far, signals, and waiting for its end.
public final class RunningCommand {
    public let arguments: [String]
    private let process = Process()
    private let exited = DispatchSemaphore(value: 0)
    private let stdout: PipeCollector
    private let stderr: PipeCollector
    private let outPipe = Pipe(), errPipe = Pipe()
    private let defaultTimeout: TimeInterval

    init(executable: URL, arguments: [String], stdin: Data?, environment: [String: String], directory: URL?,
         defaultTimeout: TimeInterval) throws {
        self.arguments = arguments
        self.defaultTimeout = defaultTimeout
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = outPipe
        process.standardError = errPipe
        let inPipe = stdin.map { _ in Pipe() }
        process.standardInput = inPipe ?? FileHandle.nullDevice
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            throw CommandRunnerError.launchFailed(path: executable.path, reason: "\(error)")
        }
        // Process.run() has closed this process's copies of the child's pipe ends, so end of file comes.
        stdout = PipeCollector(outPipe.fileHandleForReading)
        stderr = PipeCollector(errPipe.fileHandleForReading)
        if let inPipe, let stdin {
            // A child that exits without reading all of stdin must not kill the test process with SIGPIPE.
            signal(SIGPIPE, SIG_IGN)
            let writer = inPipe.fileHandleForWriting
            Thread {
                try? writer.write(contentsOf: stdin)
                try? writer.close()
            }.start()
        }
    }

    public var pid: Int32 { process.processIdentifier }

    public func send(signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    public var stderrSoFar: String { String(decoding: stderr.data, as: UTF8.self) }
    public var stdoutSoFar: String { String(decoding: stdout.data, as: UTF8.self) }

    /// Polls stderr until it contains `text`; false if the command ended or time ran out first.
    public func waitForStderr(containing text: String, timeout: TimeInterval = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stderrSoFar.contains(text) { return true }
            if !process.isRunning { return stderrSoFar.contains(text) }
            usleep(5_000)
        }
        return false
    }

    /// Waits for the command to end; past `timeout` it is killed and this throws.
    public func wait(timeout: TimeInterval? = nil) throws -> CommandResult {
        let limit = timeout ?? defaultTimeout
        if exited.wait(timeout: .now() + limit) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + 10)
            _ = stdout.waitForEOF(timeout: 5)
            _ = stderr.waitForEOF(timeout: 5)
            throw CommandRunnerError.timedOut(seconds: limit, partial: result())
        }
        exited.signal()  // a second wait() returns at once
        _ = stdout.waitForEOF(timeout: 10)
        _ = stderr.waitForEOF(timeout: 10)
        return result()
    }

    private func result() -> CommandResult {
        let bySignal = !process.isRunning && process.terminationReason == .uncaughtSignal
        let status = process.isRunning ? -1 : process.terminationStatus
        return CommandResult(program: process.executableURL?.lastPathComponent ?? "?", arguments: arguments, exitCode: bySignal ? 128 + status : status,
                             signal: bySignal ? status : nil, stdoutData: stdout.data, stderrData: stderr.data)
    }
}

/// A fresh directory for one test, with helpers to write and inspect files in it.
public final class TemporaryDirectory {
    public let url: URL

    public init(prefix: String = "charnn-cli-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path }

    /// The URL of `name` (a path relative to this directory).
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    @discardableResult
    public func write(_ text: String, to name: String) throws -> URL {
        try write(bytes: Array(text.utf8), to: name)
    }

    @discardableResult
    public func write(bytes: [UInt8], to name: String) throws -> URL {
        let target = file(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: target)
        return target
    }

    public func makeDirectory(_ name: String) throws {
        try FileManager.default.createDirectory(at: file(name), withIntermediateDirectories: true)
    }

    public func bytes(of name: String) throws -> [UInt8] { Array(try Data(contentsOf: file(name))) }

    public func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name).path) }

    /// Every file and directory below this one, as sorted relative paths.
    public func listing() -> [String] {
        guard let e = FileManager.default.enumerator(atPath: url.path) else { return [] }
        return (e.allObjects as? [String] ?? []).sorted()
    }

    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
