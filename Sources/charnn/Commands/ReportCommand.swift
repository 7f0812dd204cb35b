// `charnn report`: one self-contained HTML page about a checkpoint's training run, from the
// checkpoint and the metrics log it names.

import CharRNN
import Foundation

enum ReportCommand {
    static let spec = CommandSpec(
        name: "report",
        summary: "Write one self-contained HTML page about a checkpoint's training run: train and validation loss\n"
            + "against iterations and time, the learning rate, the configuration and why it was chosen, a sample.",
        positionals: [("CHECKPOINT", "a checkpoint written by charnn train (the best one reports its run)")],
        options: [
            OptionSpec(name: "--output", value: "FILE", help: "where to write the page", defaultText: "<checkpoint stem>.html beside it"),
        ],
        notes: [
            "The curves come from the run's metrics log, which charnn train keeps beside the checkpoint and names in it.",
        ])

    static func run(_ args: ParsedArguments) throws -> Int32 {
        let path = args.positionals[0]
        let output = args.string("--output") ?? defaultOutput(for: path)
        let checkpoint = try loadCheckpoint(path)
        if sameFile(output, path) { throw RuntimeError("--output \(output) is the checkpoint itself; give another file") }
        var log: MetricsLog?, note: String?
        if let named = checkpoint.training?.options.metricsLog {
            let logPath = named.hasPrefix("/") ? named : TrainCommand.directory(of: path) + "/" + named
            if sameFile(logPath, output) { throw RuntimeError("--output \(output) is the checkpoint's metrics log; give another file") }
            do {
                log = try MetricsLog(contentsOf: logPath)
            } catch let e as FileError {
                note = "The metrics log this checkpoint names could not be read (\(e)): no curves."
                Console.warning("\(e); the report has no curves")
            }
        } else {
            note = "This checkpoint names no metrics log (it was written by an older charnn, or not by charnn train): no curves."
        }
        let page = ReportPage(checkpoint: checkpoint, checkpointName: path, log: log, logNote: note,
                              sample: try ReportPage.sample(checkpoint))
        try checkOutput(output)
        do {
            try AtomicFile.write(Array(page.html.utf8), to: output)
        } catch CheckpointError.writeFailed(_, let reason) {
            throw RuntimeError("cannot write \(output): \(reason)")
        }
        print("wrote \(output)")
        return ExitCode.success
    }

    /// Whether two paths name one file (through "./", "..", or symbolic links).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        func canonical(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().path }
        return canonical(a) == canonical(b)
    }

    /// checkpoints/x.ckpt → checkpoints/x.html; x.best.ckpt → x.best.html; m → m.html
    static func defaultOutput(for checkpoint: String) -> String {
        let slash = checkpoint.lastIndex(of: "/")
        let nameStart = slash.map { checkpoint.index(after: $0) } ?? checkpoint.startIndex
        if let dot = checkpoint.lastIndex(of: "."), dot > nameStart { return String(checkpoint[..<dot]) + ".html" }
        return checkpoint + ".html"
    }

    /// The page's directory must exist and the output must not be a directory; the page itself is
    /// written whole or not at all (a temporary renamed over the output).
    static func checkOutput(_ path: String) throws {
        let directory = TrainCommand.directory(of: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RuntimeError("cannot write \(path): directory \(directory) does not exist")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw RuntimeError("cannot write \(path): it is a directory")
        }
    }
}
