// Reads a checkpoint as a plain safetensors file, independently of the CharRNN library, to check the on-disk format itself.

import Foundation
import XCTest

struct CheckpointFile {
    struct TensorEntry: Equatable {
        var dtype: String
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    let bytes: [UInt8]
    let headerLength: Int
    let metadata: [String: String]
    let tensors: [String: TensorEntry]

    init(bytes: [UInt8]) throws {
        self.bytes = bytes
        guard bytes.count >= 8 else { throw Problem("file of \(bytes.count) bytes has no header length") }
        let n = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(bytes.count - 8) else { throw Problem("header length \(n) runs past the end") }
        headerLength = Int(n)
        let json = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)]))
        guard let header = json as? [String: Any] else { throw Problem("header is not a JSON object") }
        var metadata: [String: String] = [:]
        var tensors: [String: TensorEntry] = [:]
        for (key, value) in header {
            if key == "__metadata__" {
                guard let m = value as? [String: Any] else { throw Problem("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw Problem("metadata \(k) is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = CheckpointFile.ints(entry["shape"]), let offsets = CheckpointFile.ints(entry["data_offsets"]),
                  offsets.count == 2 else { throw Problem("bad entry for tensor \(key)") }
            tensors[key] = TensorEntry(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
        }
        self.metadata = metadata
        self.tensors = tensors
    }

    init(contentsOf url: URL) throws {
        try self.init(bytes: Array(try Data(contentsOf: url)))
    }

    var dataStart: Int { 8 + headerLength }

    /// Everything after the header: the tensors' bytes.
    var data: ArraySlice<UInt8> { bytes[dataStart...] }

    /// A metadata value parsed as JSON.
    func metadataJSON(_ key: String) throws -> Any {
        guard let text = metadata[key] else { throw Problem("metadata \(key) is missing") }
        return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    /// The Float32 values of a tensor.
    func values(_ name: String) throws -> [Float] {
        guard let t = tensors[name] else { throw Problem("no tensor \(name)") }
        return stride(from: dataStart + t.begin, to: dataStart + t.end, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }

    /// This file with a tensor's values replaced and the `charnn.checksum` metadata recomputed, so that
    /// charnn accepts it (a deliberately crafted model).
    func replacing(_ name: String, with values: [Float]) throws -> [UInt8] {
        guard let t = tensors[name], t.end - t.begin == values.count * 4 else { throw Problem("cannot replace \(name)") }
        var out = bytes
        for (k, v) in values.enumerated() {
            let bits = v.bitPattern
            for b in 0..<4 { out[dataStart + t.begin + 4 * k + b] = UInt8(truncatingIfNeeded: bits >> (8 * UInt32(b))) }
        }
        guard let old = metadata["charnn.checksum"] else { throw Problem("no checksum to update") }
        let new = String(format: "crc32:%08x", crc32(out[dataStart...]))
        let oldBytes = Array(old.utf8), newBytes = Array(new.utf8)
        guard oldBytes.count == newBytes.count,
              let at = (8..<(dataStart - oldBytes.count)).first(where: { Array(out[$0..<($0 + oldBytes.count)]) == oldBytes })
        else { throw Problem("cannot find the checksum in the header") }
        out.replaceSubrange(at..<(at + newBytes.count), with: newBytes)
        return out
    }

    /// This file with its JSON header edited as text (`edit` must change it) and the length field
    /// rewritten to match; the data, and so the checksum, are untouched.
    func editingHeader(_ edit: (String) -> String) throws -> [UInt8] {
        let header = String(decoding: bytes[8..<dataStart], as: UTF8.self)
        let edited = Array(edit(header).utf8)
        guard edited != Array(header.utf8) else { throw Problem("the header edit changed nothing") }
        return CheckpointFile.lengthField(UInt64(edited.count)) + edited + Array(data)
    }

    /// This file with the 8-byte header length replaced by `length`.
    func withHeaderLength(_ length: UInt64) -> [UInt8] {
        CheckpointFile.lengthField(length) + Array(bytes[8...])
    }

    static func lengthField(_ n: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } }

    /// The `"data_offsets":[a,b]` text of a tensor, to edit it.
    func offsetsText(_ name: String) throws -> String {
        guard let t = tensors[name] else { throw Problem("no tensor \(name)") }
        return "\"data_offsets\":[\(t.begin),\(t.end)]"
    }

    static func ints(_ any: Any?) -> [Int]? {
        guard let array = any as? [Any] else { return nil }
        let ints = array.compactMap { ($0 as? NSNumber)?.intValue }
        return ints.count == array.count ? ints : nil
    }

    struct Problem: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = "checkpoint: " + d }
    }
}

/// CRC-32 (IEEE, as zlib), bit by bit: small and plenty fast for test-sized checkpoints.
func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var c: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        c ^= UInt32(byte)
        for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
    }
    return ~c
}

/// Parses one JSON object from a line of text.
func jsonObject(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    let any = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try XCTUnwrap(any as? [String: Any], "not a JSON object: \(text)", file: file, line: line)
}

func double(_ any: Any?) -> Double? { (any as? NSNumber)?.doubleValue }
func int(_ any: Any?) -> Int? { (any as? NSNumber)?.intValue }
