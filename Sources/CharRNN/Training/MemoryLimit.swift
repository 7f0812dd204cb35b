// How much memory this process may still allocate: the tightest of the machine's memory, the
// address-space and data limits (ulimit -v, ulimit -d) less what the process already uses, and its
// control group's memory limit; checked before a model is allocated, so a run too large for any of
// them is refused in one line instead of trapping in the allocator.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct MemoryLimit: Equatable, Sendable {
    public enum Source: Equatable, Sendable {
        case physical, addressSpace, data, controlGroup

        /// Completes "needs about 9.0 GiB but …".
        public var phrase: String {
            switch self {
            case .physical: return "this machine has"
            case .addressSpace: return "the address-space limit (ulimit -v) leaves"
            case .data: return "the data-size limit (ulimit -d) leaves"
            case .controlGroup: return "the control group's memory limit is"
            }
        }
    }

    public let bytes: Int
    public let source: Source

    public init(bytes: Int, source: Source) {
        self.bytes = bytes
        self.source = source
    }

    /// The tightest limit on this process now.
    public static func current() -> MemoryLimit {
        let usage = processUsage()
        return tightest(physical: Int(clamping: ProcessInfo.processInfo.physicalMemory),
                        addressSpace: resourceLimit(RLIMIT_AS).map { ($0, usage.virtual) },
                        data: resourceLimit(RLIMIT_DATA).map { ($0, usage.data) },
                        controlGroup: controlGroupLimit())
    }

    /// The smallest of the limits given (each rlimit less the process's use of it); the machine's
    /// memory wins ties, so a machine without limits reads as before.
    static func tightest(physical: Int, addressSpace: (limit: Int, used: Int)?, data: (limit: Int, used: Int)?,
                         controlGroup: Int?) -> MemoryLimit {
        var best = MemoryLimit(bytes: physical, source: .physical)
        let candidates: [(Int?, Source)] = [(addressSpace.map { max(0, $0.limit - $0.used) }, .addressSpace),
                                            (data.map { max(0, $0.limit - $0.used) }, .data), (controlGroup, .controlGroup)]
        for case let (bytes?, source) in candidates where bytes < best.bytes { best = MemoryLimit(bytes: bytes, source: source) }
        return best
    }

    /// A soft resource limit in bytes; nil when unlimited.
    static func resourceLimit(_ resource: __rlimit_resource) -> Int? {
        let resource = __rlimit_resource_t(resource.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return Int(clamping: limit.rlim_cur)
    }

    /// This process's virtual size and data segment (VmSize, VmData), in bytes; 0 where unknown.
    static func processUsage() -> (virtual: Int, data: Int) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        return (statusField("VmSize", in: text) ?? 0, statusField("VmData", in: text) ?? 0)
    }

    /// "VmSize:   123456 kB" → 126418944.
    static func statusField(_ name: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let words = line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
            return words.first.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }

    /// The memory limit of this process's control group (cgroup v2 memory.max, else v1
    /// memory.limit_in_bytes); nil when there is none or it cannot be read.
    static func controlGroupLimit() -> Int? {
        var paths = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        if let groups = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
           let line = groups.split(separator: "\n").first(where: { $0.hasPrefix("0::/") }) {
            paths.insert("/sys/fs/cgroup" + line.dropFirst(3) + "/memory.max", at: 0)
        }
        for path in paths {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            return parseControlGroupLimit(text)
        }
        return nil
    }

    /// "max" and v1's "no limit" (a number near Int.max) read as nil.
    static func parseControlGroupLimit(_ text: String) -> Int? {
        guard let n = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), n < Int.max / 2 else { return nil }
        return n
    }
}

/// A run refused because its model and batch would not fit: what it is, what it needs and the
/// limit it meets.
public struct MemoryShortfall: Error, Sendable, Equatable {
    public let config: ModelConfig
    public let batchSize: Int
    public let seqLength: Int
    public let neededBytes: Int
    public let limit: MemoryLimit
}

extension MemoryLimit {
    /// A run may take at most 90 % of the limit: the rest is left to the system, the allocator's
    /// overhead and the buffers an estimate does not count.
    public func admits(_ bytes: Int) -> Bool { bytes <= self.bytes * 9 / 10 }

    /// Refuses a model and batch too large for `limit`, before anything of them is allocated.
    public static func check(config: ModelConfig, options: TrainingOptions, characters: Int,
                             limit: MemoryLimit = .current()) throws(MemoryShortfall) {
        let needed = Trainer.estimatedBytes(config: config, options: options, characters: characters)
        guard !limit.admits(needed) else { return }
        throw MemoryShortfall(config: config, batchSize: options.batchSize, seqLength: options.seqLength,
                              neededBytes: needed, limit: limit)
    }
}
