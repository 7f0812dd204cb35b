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

    /// Writes to stderr until a write fails (a reader that exited, a full disk): from then on
    /// nothing more is written there, and the run goes on; progress is never worth a run.
    static func writeStderr(_ text: String) {
        guard !stderrBroken else { return }
        stderrBroken = StreamWriter.write(Array(text.utf8), to: STDERR_FILENO) != 0
    }

    nonisolated(unsafe) private static var stderrBroken = false

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

/// Set by SIGINT, SIGTERM and SIGHUP (a closed terminal, a dropped ssh session); the trainer checks
/// it between iterations so that it can finish the step and write a resumable checkpoint before
/// exiting. The handlers are set even where the shell started the process with SIGINT ignored (`cmd &`).
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
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaction(sig, &action, nil) }
    }

    /// For a command that writes files whole or not at all and has nothing to save on the way out
    /// (inspect-cells): a signal removes the temporaries being written and ends the process.
    static func installRemovingTemporaries() {
        LiveTemporaries.enable()
        let handler: @convention(c) (Int32) -> Void = { sig in
            LiveTemporaries.removeAll()
            _exit(128 + sig)
        }
        for sig in [SIGINT, SIGTERM, SIGHUP] { Glibc.signal(sig, handler) }
    }

    /// For training: a reader of the progress or the metrics log that exits is a failed write
    /// there, not a lost run.
    static func ignoreBrokenPipes() { Glibc.signal(SIGPIPE, SIG_IGN) }

    static var requested: Bool { signal != 0 }
    /// 128 + the signal, as the shell reports a process the signal ended.
    static var exitCode: Int32 { 128 + signal }
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
