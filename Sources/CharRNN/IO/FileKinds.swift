// Recognising charnn's own files from their first bytes, so that an output replaces or extends only a
// file of its own kind: a checkpoint (safetensors with charnn metadata), a metrics log (JSON lines that
// start with "iteration"), inspect-cells output (each format's opening), a lock file (a process id).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What an output file is, for the rule that it may replace or extend only a file of the same kind.
public enum OutputKind: Sendable, CaseIterable {
    case checkpoint, metricsLog, inspection, report, lock

    /// "a charnn checkpoint"
    var noun: String {
        switch self {
        case .checkpoint: return "a charnn checkpoint"
        case .metricsLog: return "a charnn metrics log"
        case .inspection: return "charnn inspect-cells output"
        case .report: return "a charnn report"
        case .lock: return "a charnn lock file"
        }
    }

    /// Whether `bytes`, the start of an existing non-empty file (up to `FileKinds.prefixLength`), are
    /// of this kind.
    func recognises(_ bytes: [UInt8]) -> Bool {
        switch self {
        case .checkpoint: return FileKinds.isCheckpointStart(bytes)
        case .metricsLog: return FileKinds.starts(bytes, with: #"{"iteration":"#)
        case .lock: return bytes.count <= 21 && bytes.allSatisfy { (0x30...0x39).contains($0) || $0 == 0x0A }
        case .inspection: return FileKinds.isInspectionStart(bytes)
        case .report: return FileKinds.starts(bytes, with: FileKinds.reportOpening)
        }
    }
}

enum FileKinds {
    /// Enough for a checkpoint's header up to its format key, and every other kind's opening.
    static let prefixLength = 4096
    /// The longest safetensors header a checkpoint may declare (SafeTensors refuses longer ones).
    static let safeTensorsHeaderLimit: UInt64 = 100_000_000
    /// How every report page begins (ReportPage writes it), up to its title.
    static let reportOpening = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>charnn report: "

    /// The first `count` bytes of the file at `path` (fewer if it is shorter); nil if it cannot be read.
    static func prefix(of path: String, count: Int = prefixLength) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            filled += n
        }
        return Array(bytes[..<filled])
    }

    static func starts(_ bytes: [UInt8], with text: String) -> Bool { bytes.starts(with: text.utf8) }

    /// A safetensors header length, then charnn's header: the metadata object first, holding charnn.format.
    static func isCheckpointStart(_ bytes: [UInt8]) -> Bool {
        guard bytes.count > 8 else { return false }
        let length = bytes[..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length >= 2, length <= FileKinds.safeTensorsHeaderLimit else { return false }
        let header = bytes[8...]
        return header.starts(with: #"{"__metadata__":{"#.utf8)
            && String(decoding: header, as: UTF8.self).contains(#""charnn.format":"#)
    }

    /// The opening of each inspect-cells format: tsv, jsonl, its npy's JSON sidecar, html, npy, ansi.
    static func isInspectionStart(_ bytes: [UInt8]) -> Bool {
        let openings = ["pos\tchar\t", #"{"pos":0,"char":"#, #"{"format":"charnn inspect-cells","#,
                        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>charnn inspect-cells</title>"]
        if openings.contains(where: { starts(bytes, with: $0) }) { return true }
        if bytes.starts(with: [0x93] + Array("NUMPY".utf8) + [1, 0]) && bytes.count > 10 {
            return bytes[10...].starts(with: "{'descr': '<f4', 'fortran_order': False, 'shape': (".utf8)
        }
        return isUnitHeading(String(decoding: bytes.prefix(80), as: UTF8.self))
    }

    /// ansi output opens with a unit heading, bold unless NO_COLOR: "l0.h.3 · layer 0, …".
    static func isUnitHeading(_ text: String) -> Bool {
        var rest = Substring(text.hasPrefix("\u{1B}[1m") ? String(text.dropFirst(4)) : text)
        func take(_ literal: String) -> Bool {
            guard rest.hasPrefix(literal) else { return false }
            rest = rest.dropFirst(literal.count)
            return true
        }
        func takeRun(_ allowed: ClosedRange<Character>) -> Bool {
            let run = rest.prefix { allowed.contains($0) }
            rest = rest.dropFirst(run.count)
            return !run.isEmpty
        }
        return take("l") && takeRun("0"..."9") && take(".") && takeRun("a"..."z") && take(".") && takeRun("0"..."9")
            && take(" · layer ") && takeRun("0"..."9")
    }
}
