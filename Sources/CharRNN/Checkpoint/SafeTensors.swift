// The checkpoint container: named Float32 tensors plus string metadata in the safetensors layout, so
// checkpoints open directly in Python (safetensors, numpy, PyTorch); a CRC-32 catches silent corruption.
import Foundation
#if canImport(Glibc)
import Glibc
private let posixRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let posixRead = Darwin.read
#endif

public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case notAFile(path: String)
    case unreadable(path: String, reason: String)
    case truncated(expected: Int, actual: Int)
    case badHeader(String)
    case unsupportedDType(tensor: String, dtype: String)
    case badOffsets(tensor: String, String)
    case checksumMismatch(expected: String, actual: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "checkpoint \(quoted(path)) does not exist; check the path"
        case .notAFile(let path):
            return "\(quoted(path)) is not a regular file (a directory?); pass the checkpoint file itself"
        case .unreadable(let path, let reason):
            return "cannot read \(quoted(path)): \(oneLine(reason))"
        case .truncated(let expected, let actual):
            return "checkpoint is truncated: it should be \(expected) bytes but is \(actual); "
                + "it was probably cut short by an interrupted copy or download"
        case .badHeader(let problem):
            return "checkpoint header is invalid: \(oneLine(problem)); the file is corrupt or not a safetensors file"
        case .unsupportedDType(let tensor, let dtype):
            return "tensor \(quoted(tensor)) has dtype \(quoted(dtype)); only F32 is supported, convert it to float32"
        case .badOffsets(let tensor, let problem):
            let subject = tensor.isEmpty ? "data section" : "tensor \(quoted(tensor))"
            return "checkpoint layout is invalid: \(subject): \(oneLine(problem)); the file is corrupt"
        case .checksumMismatch(let expected, let actual):
            return "checkpoint data is corrupt: stored checksum \(quoted(expected)) but the data gives \(actual); "
                + "restore the file from a copy"
        case .writeFailed(let path, let reason):
            return "cannot write \(quoted(path)): \(oneLine(reason)); check that the directory exists, "
                + "is writable and has free space"
        }
    }
}

/// File names and tensor names come from untrusted files: keep descriptions on one short line.
private func oneLine(_ text: String, limit: Int = 200) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars.prefix(limit) {
        if scalar.value < 0x20 || scalar.value == 0x7F {
            out.append(contentsOf: scalar.escaped(asASCII: true).unicodeScalars)
        } else {
            out.append(scalar)
        }
    }
    return String(out) + (text.unicodeScalars.count > limit ? "…" : "")
}

private func quoted(_ text: String) -> String { "'\(oneLine(text))'" }

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
    static let maxHeaderLength: UInt64 = 100_000_000

    static func checksumText(_ crc: UInt32) -> String {
        let hex = String(crc, radix: 16)
        return "crc32:" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// The complete file image (header + data), checksum included.
    public func serialized() -> [UInt8] {
        var names = Set<String>()
        var crc: UInt32 = 0
        var dataLength = 0
        for tensor in tensors {
            precondition(tensor.shape.allSatisfy { $0 >= 0 } && tensor.values.count == tensor.shape.reduce(1, *),
                         "tensor '\(tensor.name)': \(tensor.values.count) values do not fill shape \(tensor.shape)")
            precondition(tensor.name != Self.metadataKey && names.insert(tensor.name).inserted,
                         "tensor name '\(tensor.name)' is reserved or used twice")
            crc = withLittleEndianBytes(tensor.values) { CRC32.checksum($0, continuing: crc) }
            dataLength += tensor.values.count * 4
        }

        var meta = metadata
        meta[Self.checksumKey] = Self.checksumText(crc)
        // Sorting by UTF-8 bytes (not String's Unicode ordering) keeps the bytes reproducible everywhere.
        let sortedMeta = meta.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }

        var header = Array(#"{"__metadata__":{"#.utf8)
        for (i, (key, value)) in sortedMeta.enumerated() {
            if i > 0 { header.append(UInt8(ascii: ",")) }
            appendJSONString(key, to: &header)
            header.append(UInt8(ascii: ":"))
            appendJSONString(value, to: &header)
        }
        header.append(UInt8(ascii: "}"))
        var offset = 0
        for tensor in tensors {
            let end = offset + tensor.values.count * 4
            header.append(UInt8(ascii: ","))
            appendJSONString(tensor.name, to: &header)
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            header += #":{"dtype":"F32","shape":[\#(shape)],"data_offsets":[\#(offset),\#(end)]}"#.utf8
            offset = end
        }
        header.append(UInt8(ascii: "}"))
        // Trailing spaces (allowed by the spec) align the data section to 8 bytes for zero-copy readers.
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        let dataStart = 8 + header.count
        return [UInt8](unsafeUninitializedCapacity: dataStart + dataLength) { out, count in
            let raw = UnsafeMutableRawBufferPointer(out)
            raw.storeBytes(of: UInt64(header.count).littleEndian, toByteOffset: 0, as: UInt64.self)
            header.withUnsafeBytes { raw.baseAddress!.advanced(by: 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            var position = dataStart
            for tensor in tensors {
                withLittleEndianBytes(tensor.values) { bytes in
                    if let source = bytes.baseAddress {
                        raw.baseAddress!.advanced(by: position).copyMemory(from: source, byteCount: bytes.count)
                    }
                    position += bytes.count
                }
            }
            count = dataStart + dataLength
        }
    }

    /// Parses and validates a file image; throws CheckpointError.
    public static func parse(_ bytes: [UInt8]) throws -> SafeTensors {
        try bytes.withUnsafeBytes { try parse(raw: $0) }
    }

    // Everything below reads untrusted input: no force unwraps, and every addition or multiplication
    // of file-supplied numbers is overflow-checked (release builds use -Ounchecked, where a trap would not fire).
    private static func parse(raw: UnsafeRawBufferPointer) throws -> SafeTensors {
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
        guard case .object(let members) = try parser.parseDocument() else {
            throw CheckpointError.badHeader("the header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (index, member) in members.enumerated() {
            if member.key == metadataKey {
                guard case .object(let pairs) = member.value else {
                    throw CheckpointError.badHeader("__metadata__ is not a JSON object")
                }
                for (key, value) in pairs {
                    guard case .string(let text) = value else {
                        throw CheckpointError.badHeader("metadata value for \(quoted(key)) is not a string")
                    }
                    metadata[key] = text
                }
            } else {
                entries.append(try Entry(name: member.key, json: member.value, index: index))
            }
        }

        // File order is data order; zero-sized tensors sharing an offset keep their header order.
        entries.sort { ($0.begin, $0.end, $0.index) < ($1.begin, $1.end, $1.index) }
        let dataStart = 8 + headerLength
        let dataLength = raw.count - dataStart
        var cursor = 0
        var previous: String?
        for entry in entries {
            if entry.begin < cursor {
                throw CheckpointError.badOffsets(
                    tensor: entry.name, "bytes [\(entry.begin), \(entry.end)) overlap tensor \(quoted(previous ?? ""))")
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
            throw CheckpointError.truncated(expected: overflow ? Int.max : expected, actual: raw.count)
        }
        if cursor < dataLength {
            throw CheckpointError.badOffsets(tensor: "", "\(dataLength - cursor) unused bytes after the last tensor")
        }

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

    /// Atomically replaces `path` (write temp file in the same directory, fsync it, rename over, fsync the directory).
    public func write(to path: String) throws {
        try AtomicFile.write(serialized(), to: path)
    }

    public static func read(from path: String) throws -> SafeTensors {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw CheckpointError.fileNotFound(path: path) }
            throw CheckpointError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw CheckpointError.notAFile(path: path) }
        return try parse(readAll(path))
    }

    private static func readAll(_ path: String) throws -> [UInt8] {
        let unreadable = { CheckpointError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw unreadable() }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw unreadable() }

        // Reads into `buffer` until it is full or the file ends; returns the byte count.
        func fill(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            guard let base = buffer.baseAddress else { return 0 }
            var filled = 0
            while filled < buffer.count {
                let n = posixRead(fd, base + filled, buffer.count - filled)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw unreadable()
                }
                if n == 0 { break }
                filled += n
            }
            return filled
        }
        var bytes = try [UInt8](unsafeUninitializedCapacity: max(Int(info.st_size), 0)) { buffer, count in
            count = try fill(UnsafeMutableRawBufferPointer(buffer))
        }
        // The file may have grown since fstat: read on to its end.
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while case let n = try chunk.withUnsafeMutableBytes(fill), n > 0 {
            bytes += chunk[..<n]
        }
        return bytes
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
            throw CheckpointError.badHeader("the entry for tensor \(quoted(name)) is not a JSON object")
        }
        func field(_ key: String) throws -> JSONValue {
            guard let value = fields.first(where: { $0.key == key })?.value else {
                throw CheckpointError.badHeader("tensor \(quoted(name)) has no \"\(key)\"")
            }
            return value
        }
        guard case .string(let dtype) = try field("dtype") else {
            throw CheckpointError.badHeader("the dtype of tensor \(quoted(name)) is not a string")
        }
        guard dtype == "F32" else { throw CheckpointError.unsupportedDType(tensor: name, dtype: dtype) }

        guard case .array(let dims) = try field("shape") else {
            throw CheckpointError.badHeader("the shape of tensor \(quoted(name)) is not a list")
        }
        var shape: [Int] = []
        for dim in dims {
            guard let d = dim.integer, d >= 0 else {
                throw CheckpointError.badHeader("the shape of tensor \(quoted(name)) is not a list of non-negative integers")
            }
            shape.append(d)
        }
        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2,
              let begin = offsets[0].integer, let end = offsets[1].integer else {
            throw CheckpointError.badHeader("the data_offsets of tensor \(quoted(name)) are not two integers")
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

@inline(__always)
private func withLittleEndianBytes<R>(_ values: [Float], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    #if _endian(little)
    return try values.withUnsafeBytes(body)
    #else
    return try values.map { $0.bitPattern.littleEndian }.withUnsafeBytes(body)
    #endif
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

/// JSON string escaping: quote, backslash and control characters escaped, everything else raw UTF-8.
private func appendJSONString(_ text: String, to out: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    out.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            out += [UInt8(ascii: "\\"), byte]
        case 0 ..< 0x20:
            out += Array(#"\u00"#.utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
        default:
            out.append(byte)
        }
    }
    out.append(UInt8(ascii: "\""))
}

// A small JSON parser rather than JSONSerialization: it keeps member order (the file order of
// zero-sized tensors), reports duplicate keys (duplicate tensor names), and keeps integers exact.
private enum JSONValue {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    var integer: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }
}

private struct JSONParser {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    /// Legitimate headers nest three levels; the limit keeps hostile input from exhausting the stack.
    static let maxDepth = 64

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func parseDocument() throws -> JSONValue {
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position == bytes.count else { throw error("unexpected text after the JSON value") }
        return value
    }

    private func error(_ problem: String) -> CheckpointError {
        .badHeader("invalid JSON at header byte \(position): \(problem)")
    }

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let c = peek, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { position += 1 }
    }

    private mutating func expect(_ literal: String) throws {
        for byte in literal.utf8 {
            guard peek == byte else { throw error("expected \(literal)") }
            position += 1
        }
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth < Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth) levels") }
        skipWhitespace()
        guard let c = peek else { throw error("unexpected end of header") }
        switch c {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character")
        }
    }

    private mutating func parseObject(depth: Int) throws -> JSONValue {
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        var keys = Set<String>()
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            guard keys.insert(key).inserted else {
                throw CheckpointError.badHeader("the key \(quoted(key)) appears twice")
            }
            skipWhitespace()
            try expect(":")
            members.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return .object(members)
            default: throw error("expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSONValue {
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return .array(elements)
            default: throw error("expected ',' or ']'")
            }
        }
    }

    private mutating func parseString() throws -> String {
        position += 1
        var utf8: [UInt8] = []
        while true {
            guard let c = peek else { throw error("unterminated string") }
            position += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw error("string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0 ..< 0x20:
                throw error("unescaped control character in a string")
            default:
                utf8.append(c)
            }
        }
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws {
        guard let c = peek else { throw error("unterminated string") }
        position += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(c)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var code = try parseHex4()
            if (0xD800 ..< 0xDC00).contains(code) {
                try expect("\\u")
                let low = try parseHex4()
                guard (0xDC00 ..< 0xE000).contains(low) else { throw error("unpaired UTF-16 surrogate") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(code) else { throw error("unpaired UTF-16 surrogate") }
            UTF8.encode(scalar) { utf8.append($0) }
        default:
            throw error("invalid escape sequence")
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let c = peek, let digit = UInt32(String(UnicodeScalar(c)), radix: 16) else {
                throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// Keeps the number's text: only integers are meaningful in a header, and `Int(text)` is exact.
    private mutating func parseNumber() throws -> JSONValue {
        let start = position
        if peek == UInt8(ascii: "-") { position += 1 }
        guard let first = peek, isDigit(first) else { throw error("invalid number") }
        position += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek == UInt8(ascii: ".") {
            position += 1
            guard skipDigits() > 0 else { throw error("invalid number") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() > 0 else { throw error("invalid number") }
        }
        return .number(String(decoding: bytes[start ..< position], as: UTF8.self))
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = position
        while let c = peek, isDigit(c) { position += 1 }
        return position - start
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}
