// The checkpoint container: named Float32 tensors plus string metadata in the safetensors layout, so
// checkpoints open directly in Python (safetensors, numpy, PyTorch); a CRC-32 catches silent corruption.
// Here: reading and validating untrusted files; SafeTensorsWriter writes them.
import Foundation

public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case notAFile(path: String)
    case unreadable(path: String, reason: String)
    case truncated(expected: Int, actual: Int)
    case badHeader(String)
    case unsupportedDType(tensor: String, dtype: String)
    case badOffsets(tensor: String, String)
    case checksumMismatch(expected: String, actual: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "checkpoint \(quotedForMessage(path)) does not exist; check the path"
        case .notAFile(let path):
            return "\(quotedForMessage(path)) is not a regular file (a directory?); pass the checkpoint file itself"
        case .unreadable(let path, let reason):
            return "cannot read \(quotedForMessage(path)): \(oneLineForMessage(reason))"
        case .truncated(let expected, let actual):
            return "checkpoint is truncated: it should be \(expected) bytes but is \(actual); "
                + "it was probably cut short by an interrupted copy or download"
        case .badHeader(let problem):
            return "checkpoint header is invalid: \(oneLineForMessage(problem)); the file is corrupt or not a safetensors file"
        case .unsupportedDType(let tensor, let dtype):
            return "tensor \(quotedForMessage(tensor)) has dtype \(quotedForMessage(dtype)); only F32 is supported, convert it to float32"
        case .badOffsets(let tensor, let problem):
            let subject = tensor.isEmpty ? "data section" : "tensor \(quotedForMessage(tensor))"
            return "checkpoint layout is invalid: \(subject): \(oneLineForMessage(problem)); the file is corrupt"
        case .checksumMismatch(let expected, let actual):
            return "checkpoint data is corrupt: stored checksum \(quotedForMessage(expected)) but the data gives \(actual); "
                + "restore the file from a copy"
        }
    }
}

public struct SafeTensors: Sendable {
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    public var tensors: [Tensor]
    public var metadata: [String: String]

    public init(tensors: [Tensor], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public subscript(name: String) -> Tensor? {
        tensors.first { $0.name == name }
    }

    static let checksumKey = "charnn.checksum"
    static let metadataKey = "__metadata__"
    /// The reference safetensors implementation refuses larger headers as well.
    static let maxHeaderLength = FileKinds.safeTensorsHeaderLimit

    static func checksumText(_ crc: UInt32) -> String {
        "crc32:" + String(crc, radix: 16).leftPadded(to: 8)
    }

    /// The complete file image (header + data), checksum included.
    public func serialized() -> [UInt8] { SafeTensorsWriter(self).bytes }

    /// Atomically replaces `path` (write temp file in the same directory, fsync it, rename over, fsync the directory).
    public func write(to path: String) throws {
        try SafeTensorsWriter(self).write(to: path)
    }

    /// Parses and validates a file image; throws CheckpointError.
    public static func parse(_ bytes: [UInt8]) throws -> SafeTensors {
        try bytes.withUnsafeBytes { try parse(raw: $0) }
    }

    // Everything below reads untrusted input: no force unwraps, and every addition or multiplication
    // of file-supplied numbers is overflow-checked (release builds use -Ounchecked, where a trap would not fire).
    private static func parse(raw: UnsafeRawBufferPointer) throws -> SafeTensors {
        let (headerLength, members) = try readHeader(raw)
        var (metadata, entries) = try interpretHeader(members)
        // File order is data order; zero-sized tensors sharing an offset keep their header order.
        entries.sort { ($0.begin, $0.end, $0.index) < ($1.begin, $1.end, $1.index) }
        let dataStart = 8 + headerLength
        try checkLayout(entries, dataStart: dataStart, fileLength: raw.count)

        let data = UnsafeRawBufferPointer(rebasing: raw[dataStart...])
        if let stored = metadata.removeValue(forKey: checksumKey) {
            let actual = checksumText(CRC32.checksum(data))
            guard stored.lowercased() == actual else {
                throw CheckpointError.checksumMismatch(expected: stored, actual: actual)
            }
        }
        let tensors = entries.map { entry in
            Tensor(name: entry.name, shape: entry.shape,
                   values: floats(UnsafeRawBufferPointer(rebasing: data[entry.begin ..< entry.end])))
        }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    /// The header's length and its top-level JSON members.
    private static func readHeader(_ raw: UnsafeRawBufferPointer) throws -> (length: Int, members: [(key: String, value: JSONValue)]) {
        guard raw.count >= 8 else { throw CheckpointError.truncated(expected: 8, actual: raw.count) }
        let declared = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        guard declared <= maxHeaderLength else {
            throw CheckpointError.badHeader("header length \(declared) exceeds the \(maxHeaderLength)-byte limit")
        }
        let headerLength = Int(declared)
        guard headerLength <= raw.count - 8 else {
            throw CheckpointError.badHeader("header length \(headerLength) runs past the end of the \(raw.count)-byte file")
        }
        var parser = JSONParser(bytes: UnsafeRawBufferPointer(rebasing: raw[8 ..< 8 + headerLength]))
        let document: JSONValue
        do {
            document = try parser.parseDocument()
        } catch JSONParseError.invalid(let position, let problem) {
            throw CheckpointError.badHeader("invalid JSON at header byte \(position): \(problem)")
        } catch JSONParseError.duplicateKey(let key) {
            throw CheckpointError.badHeader("the key \(quotedForMessage(key)) appears twice")
        }
        guard case .object(let members) = document else {
            throw CheckpointError.badHeader("the header is not a JSON object")
        }
        return (headerLength, members)
    }

    /// Splits the header into the string metadata and the tensor entries, in header order.
    private static func interpretHeader(_ members: [(key: String, value: JSONValue)]) throws -> ([String: String], [Entry]) {
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (index, member) in members.enumerated() {
            if member.key == metadataKey {
                guard case .object(let pairs) = member.value else {
                    throw CheckpointError.badHeader("__metadata__ is not a JSON object")
                }
                for (key, value) in pairs {
                    guard case .string(let text) = value else {
                        throw CheckpointError.badHeader("metadata value for \(quotedForMessage(key)) is not a string")
                    }
                    metadata[key] = text
                }
            } else {
                entries.append(try Entry(name: member.key, json: member.value, index: index))
            }
        }
        return (metadata, entries)
    }

    /// The sorted entries must tile the data section exactly: no overlap, no gap, nothing past the end or left over.
    private static func checkLayout(_ entries: [Entry], dataStart: Int, fileLength: Int) throws {
        let dataLength = fileLength - dataStart
        var cursor = 0
        var previous: String?
        for entry in entries {
            if entry.begin < cursor {
                throw CheckpointError.badOffsets(
                    tensor: entry.name, "bytes [\(entry.begin), \(entry.end)) overlap tensor \(quotedForMessage(previous ?? ""))")
            }
            if entry.begin > cursor {
                // Tensors that run on contiguously past the end mean a cut file (reported below);
                // one placed beyond the end after a gap means corrupt offsets.
                if entry.end > dataLength {
                    throw CheckpointError.badOffsets(
                        tensor: entry.name, "bytes [\(entry.begin), \(entry.end)) lie past the end of the \(dataLength)-byte data")
                }
                throw CheckpointError.badOffsets(tensor: entry.name, "\(entry.begin - cursor)-byte gap before it")
            }
            cursor = entry.end
            previous = entry.name
        }
        if cursor > dataLength {
            let (expected, overflow) = dataStart.addingReportingOverflow(cursor)
            throw CheckpointError.truncated(expected: overflow ? Int.max : expected, actual: fileLength)
        }
        if cursor < dataLength {
            throw CheckpointError.badOffsets(tensor: "", "\(dataLength - cursor) unused bytes after the last tensor")
        }
    }

    public static func read(from path: String) throws -> SafeTensors {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw CheckpointError.fileNotFound(path: path) }
            throw CheckpointError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw CheckpointError.notAFile(path: path) }
        // "./-": a checkpoint named "-" is that file; FileReading would read standard input.
        do {
            return try parse(readFileBytes(path == standardInputPath ? "./-" : path))
        } catch let error as FileError {
            switch error {
            case .notFound: throw CheckpointError.fileNotFound(path: path)
            case .notAFile, .device: throw CheckpointError.notAFile(path: path)
            case .unreadable(_, let reason): throw CheckpointError.unreadable(path: path, reason: reason)
            }
        }
    }
}

/// A validated header entry; offsets are relative to the data section.
private struct Entry {
    let name: String
    let shape: [Int]
    let begin: Int
    let end: Int
    let index: Int

    init(name: String, json: JSONValue, index: Int) throws {
        guard case .object(let fields) = json else {
            throw CheckpointError.badHeader("the entry for tensor \(quotedForMessage(name)) is not a JSON object")
        }
        func field(_ key: String) throws -> JSONValue {
            guard let value = fields.first(where: { $0.key == key })?.value else {
                throw CheckpointError.badHeader("tensor \(quotedForMessage(name)) has no \"\(key)\"")
            }
            return value
        }
        guard case .string(let dtype) = try field("dtype") else {
            throw CheckpointError.badHeader("the dtype of tensor \(quotedForMessage(name)) is not a string")
        }
        guard dtype == "F32" else { throw CheckpointError.unsupportedDType(tensor: name, dtype: dtype) }

        guard case .array(let dims) = try field("shape") else {
            throw CheckpointError.badHeader("the shape of tensor \(quotedForMessage(name)) is not a list")
        }
        var shape: [Int] = []
        for dim in dims {
            guard let d = dim.integer, d >= 0 else {
                throw CheckpointError.badHeader("the shape of tensor \(quotedForMessage(name)) is not a list of non-negative integers")
            }
            shape.append(d)
        }
        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2,
              let begin = offsets[0].integer, let end = offsets[1].integer else {
            throw CheckpointError.badHeader("the data_offsets of tensor \(quotedForMessage(name)) are not two integers")
        }
        guard begin >= 0, end >= begin else {
            throw CheckpointError.badOffsets(tensor: name, "[\(begin), \(end)] is not a byte range")
        }
        // Left to right, as `shape.reduce(1, *)` would be computed by whoever uses the tensor later.
        var count = 1
        var overflow = false
        for d in shape {
            let (product, o) = count.multipliedReportingOverflow(by: d)
            count = product
            overflow = overflow || o
        }
        let (size, o) = count.multipliedReportingOverflow(by: 4)
        overflow = overflow || o
        guard !overflow, end - begin == size else {
            throw CheckpointError.badOffsets(
                tensor: name, "\(end - begin) bytes do not hold shape \(shape) of 4-byte floats")
        }
        self.name = name
        self.shape = shape
        self.begin = begin
        self.end = end
        self.index = index
    }
}

private func floats(_ bytes: UnsafeRawBufferPointer) -> [Float] {
    let count = bytes.count / 4
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
        if let source = bytes.baseAddress, let target = out.baseAddress {
            UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: count * 4)
        }
        #if _endian(big)
        for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
        #endif
        initialized = count
    }
}

