// Talking to the terminal: stderr lines, exit codes, number formats, and the Ctrl-C flag.

import CharRNN
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum ExitCode {
    static let success: Int32 = 0
    static let failure: Int32 = 1      // a data or runtime error
    static let usage: Int32 = 64       // EX_USAGE: the command line was wrong
    static let interrupted: Int32 = 130
    static let terminated: Int32 = 143
}

/// A runtime or data error for the user: printed as one line, exit 1.
struct RuntimeError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

enum Console {
    static func error(_ message: String) {
        writeStderr("charnn: error: \(message)\n")
    }

    static func warning(_ message: String) {
        writeStderr("charnn: warning: \(message)\n")
    }

    /// Something the user should know that is not a problem.
    static func note(_ message: String) {
        writeStderr("charnn: note: \(message)\n")
    }

    static func writeStderr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// "1h02m", "3m07s", "12s".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e12 else { return "?" }  // --time 1e300s is allowed
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h" + String(format: "%02dm", (s % 3600) / 60) }
        if s >= 60 { return "\(s / 60)m" + String(format: "%02ds", s % 60) }
        return "\(s)s"
    }

    /// "12,345"
    static func grouped(_ n: Double) -> String {
        let digits = String(Int(n.rounded()))
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && c != "-" { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }
}

/// Set by SIGINT / SIGTERM; the trainer checks it between iterations so that it can finish the
/// step and write a resumable checkpoint before exiting.
enum Interruption {
    nonisolated(unsafe) static var signal: Int32 = 0

    /// `interruptingReads`: a signal ends a blocking read with EINTR (a session waiting for its next
    /// line stops), where it would otherwise resume the read.
    static func install(interruptingReads: Bool = false) {
        let handler: @convention(c) (Int32) -> Void = { sig in
            if Interruption.signal != 0 { _exit(128 + sig) }  // a second signal: stop at once
            Interruption.signal = sig
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = interruptingReads ? 0 : Int32(SA_RESTART)
        for sig in [SIGINT, SIGTERM] { sigaction(sig, &action, nil) }
    }

    static var requested: Bool { signal != 0 }
    static var exitCode: Int32 { signal == SIGTERM ? ExitCode.terminated : ExitCode.interrupted }
}

/// Loads a text for a command, normalised as `normalization` says, naming the file in any text error
/// ("corpus.txt: invalid UTF-8 at byte offset 2 …"; "-" is standard input).
/// With `skipUnknown`, characters outside `vocabulary` are dropped and counted in `skipped`; a command
/// that offers --skip-unknown passes false, so the error for such a character points to it.
func loadCorpus(_ path: String, vocabulary: Vocabulary? = nil, owner: String = "the model", skipUnknown: Bool? = nil,
                normalization: TextNormalization) throws -> Corpus {
    let name = displayName(path)
    do {
        if let vocabulary {
            return try Corpus.load(path: path, vocabulary: vocabulary, skipUnknown: skipUnknown ?? false, normalization: normalization)
        }
        return try Corpus.load(path: path, normalization: normalization)
    } catch let e as TextError {
        throw RuntimeError(textErrorMessage(e, in: name, owner: owner, offersSkipUnknown: skipUnknown != nil))
    }
}

/// The one-line message for a text error in the text `name`, read for the model `owner`.
func textErrorMessage(_ error: TextError, in name: String, owner: String, offersSkipUnknown: Bool = false) -> String {
    guard case .unknownCharacter(let s, let offset) = error else { return "\(name): \(error)" }
    return "\(name): character \(Vocabulary.display(s)) at character \(offset) is not in the vocabulary of \(owner)"
        + (offersSkipUnknown ? "; --skip-unknown leaves such characters out" : "")
}

/// Says how many characters --skip-unknown dropped, if any.
func warnSkipped(_ corpus: Corpus, _ path: String) {
    guard corpus.skipped > 0 else { return }
    Console.warning("skipped \(corpus.skipped) character\(corpus.skipped == 1 ? "" : "s") of \(displayName(path)) outside the model's vocabulary")
}

/// How messages name a text: "-" is "standard input".
func displayName(_ path: String) -> String { path == standardInputPath ? "standard input" : path }

/// An output file's directory must exist before anything is read or written.
func checkOutputDirectory(_ path: String) throws {
    let directory = TrainingFiles.directory(of: path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw RuntimeError("cannot write \(path): directory \(directory) does not exist")
    }
}

/// Loads a checkpoint for a command, naming the file in errors about its content.
func loadCheckpoint(_ path: String) throws -> Checkpoint {
    do {
        return try Checkpoint.read(from: path)
    } catch let e as CheckpointError {
        switch e {
        case .fileNotFound, .notAFile, .unreadable: throw e
        default: throw RuntimeError("\(path): \(e)")
        }
    } catch let e as ModelFileError {
        throw RuntimeError("\(path): \(e)")
    }
}
