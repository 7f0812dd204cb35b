// Tests for the checkpoint container: CRC-32 values, the exact safetensors byte layout, rejection of
// every kind of damaged file, and the crash-safety promises of the atomic writer.
import CharRNN
import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class SafeTensorsTests: XCTestCase {
    private var scratch: TemporaryDirectory!
    /// A fresh directory for each test, removed after it.
    private var directory: String { scratch.path }

    override func setUpWithError() throws { scratch = try TemporaryDirectory(prefix: "safetensors-tests") }

    override func tearDownWithError() throws { scratch.remove() }

    // MARK: - CRC-32

    func testCRC32KnownVectors() {
        XCTAssertEqual(CRC32.checksum(Array("".utf8)), 0x0000_0000)
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)), 0x414F_A339)
    }

    func testCRC32MatchesBitwiseReferenceAtEveryLengthAndAlignment() {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<300).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        data.withUnsafeBytes { all in
            for start in 0..<9 {
                for end in start ... 100 {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start ..< end])
                    XCTAssertEqual(CRC32.checksum(slice), referenceCRC32(Array(slice)), "bytes \(start)..<\(end)")
                }
            }
            // Checksumming in pieces gives the checksum of the whole.
            let head = UnsafeRawBufferPointer(rebasing: all[..<123])
            let tail = UnsafeRawBufferPointer(rebasing: all[123...])
            XCTAssertEqual(CRC32.checksum(tail, continuing: CRC32.checksum(head)), CRC32.checksum(data))
        }
    }

    // MARK: - Round trip and layout

    func testRoundTripIsBitExact() throws {
        let original = sample()
        let parsed = try SafeTensors.parse(original.serialized())
        XCTAssertEqual(parsed.tensors.map(\.name), original.tensors.map(\.name))
        XCTAssertEqual(parsed.tensors.map(\.shape), original.tensors.map(\.shape))
        for (a, b) in zip(parsed.tensors, original.tensors) {
            XCTAssertEqual(a.values.map(\.bitPattern), b.values.map(\.bitPattern), a.name)
        }
        XCTAssertEqual(parsed.metadata, original.metadata)
        XCTAssertEqual(parsed["cube"]?.shape, [2, 2, 3])
        XCTAssertEqual(parsed["empty"]?.values, [])
        XCTAssertNil(parsed["missing"])
    }

    func testByteLayoutOfTinyFile() throws {
        let st = SafeTensors(tensors: [
            .init(name: "w", shape: [2], values: [1.0, -2.0]),
            .init(name: "b", shape: [3], values: [0, 0, 0]),
            .init(name: "z", shape: [0], values: []),
        ], metadata: ["k": "v"])
        let bytes = st.serialized()
        let n = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        XCTAssertEqual((8 + n) % 8, 0)
        XCTAssertEqual(bytes.count, 8 + n + 20)

        let header = Array(bytes[8 ..< 8 + n])
        XCTAssertTrue(String(decoding: header, as: UTF8.self).hasPrefix(#"{"__metadata__":{"#))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(header)) as? [String: Any])
        XCTAssertEqual(Set(json.keys), ["__metadata__", "w", "b", "z"])
        func entry(_ name: String) -> [String: Any] { json[name] as? [String: Any] ?? [:] }
        XCTAssertEqual(entry("w")["dtype"] as? String, "F32")
        XCTAssertEqual(entry("w")["shape"] as? [Int], [2])
        XCTAssertEqual(entry("w")["data_offsets"] as? [Int], [0, 8])
        XCTAssertEqual(entry("b")["data_offsets"] as? [Int], [8, 20])
        XCTAssertEqual(entry("z")["data_offsets"] as? [Int], [20, 20])
        XCTAssertEqual(entry("z")["shape"] as? [Int], [0])

        let data = Array(bytes[(8 + n)...])
        XCTAssertEqual(Array(data[0..<8]), [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
        let metadata = try XCTUnwrap(json["__metadata__"] as? [String: String])
        XCTAssertEqual(metadata["k"], "v")
        XCTAssertEqual(metadata["charnn.checksum"], String(format: "crc32:%08x", CRC32.checksum(data)))
        let stored = try XCTUnwrap(metadata["charnn.checksum"])
        XCTAssertEqual(stored.count, 14)
        XCTAssertTrue(stored.hasPrefix("crc32:") && stored.dropFirst(6).allSatisfy { "0123456789abcdef".contains($0) })
    }

    func testSerializationIsDeterministic() throws {
        var forward: [String: String] = [:]
        var backward: [String: String] = [:]
        let keys = (0..<40).map { "key\($0)" }
        for key in keys { forward[key] = key.uppercased() }
        for key in keys.reversed() { backward[key] = key.uppercased() }
        let tensors = sample().tensors
        let a = SafeTensors(tensors: tensors, metadata: forward).serialized()
        XCTAssertEqual(a, SafeTensors(tensors: tensors, metadata: backward).serialized())

        // Metadata keys sorted, tensors in the given order.
        let text = String(decoding: a, as: UTF8.self)
        let positions = keys.sorted().compactMap { text.range(of: "\"\($0)\"")?.lowerBound }
        XCTAssertEqual(positions, positions.sorted())
        let tensorPositions = tensors.compactMap { tensor in
            let escaped = tensor.name.replacingOccurrences(of: "\"", with: #"\""#)
            return text.range(of: "\"\(escaped)\":{\"dtype\"")?.lowerBound
        }
        XCTAssertEqual(tensorPositions.count, tensors.count)
        XCTAssertEqual(tensorPositions, tensorPositions.sorted())
    }

    func testWriterReplacesACallerSuppliedChecksum() throws {
        let st = SafeTensors(tensors: sample().tensors, metadata: ["charnn.checksum": "crc32:00000000"])
        XCTAssertEqual(try SafeTensors.parse(st.serialized()).metadata, [:])
    }

    // MARK: - Rejections

    func testRejectsFileShorterThanLengthField() {
        assertParse([], throws: .truncated(expected: 8, actual: 0))
        assertParse([1, 2, 3], throws: .truncated(expected: 8, actual: 3))
    }

    func testRejectsTruncatedData() {
        let bytes = sample().serialized()
        assertParse(Array(bytes.dropLast(4)), throws: .truncated(expected: bytes.count, actual: bytes.count - 4))
        assertParse(Array(bytes.dropLast(1)), throws: .truncated(expected: bytes.count, actual: bytes.count - 1))
    }

    func testRejectsCutHeader() {
        let bytes = sample().serialized()
        assertParse(Array(bytes.prefix(20)), throws: "badHeader")
    }

    func testRejectsHeaderLengthPastEndOfFile() {
        var bytes = sample().serialized()
        bytes.replaceSubrange(0..<8, with: lengthField(UInt64(bytes.count)))
        assertParse(bytes, throws: "badHeader")
    }

    func testRejectsAbsurdHeaderLengths() {
        let body = Array(sample().serialized().dropFirst(8))
        for length in [UInt64.max, UInt64(Int.max) + 1, UInt64(Int.max), 100_000_001] {
            assertParse(lengthField(length) + body, throws: "badHeader")
        }
    }

    func testRejectsInvalidJSON() {
        for header in [#"{"w": "#, #"{"w":1,}"#, "nope", "", #"{"w":{"dtype":"F32",}}"#, #"{"a":"\x"}"#,
                       #"{"a":"\ud800"}"#, "{\"a\":\"tab\there\"}", #"{"a":01}"#, #"{} {}"#,
                       String(repeating: "[", count: 100_000)] {
            assertParse(file(header), throws: "badHeader", header)
        }
        let invalidUTF8 = Array(#"{"__metadata__":{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}}"#.utf8)
        assertParse(lengthField(UInt64(invalidUTF8.count)) + invalidUTF8, throws: "badHeader", "invalid UTF-8")
    }

    func testRejectsNonObjectJSON() {
        for header in ["[1,2]", #""text""#, "42", "null", "true"] {
            assertParse(file(header), throws: "badHeader", header)
        }
    }

    func testRejectsBadEntryFields() {
        let data = floatBytes([1, 2])
        let headers = [
            #"{"w":[1,2]}"#,
            #"{"w":{"shape":[2],"data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":5,"shape":[2],"data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":"F32","shape":[2]}}"#,
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#,
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":["0","8"]}}"#,
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999999999999]}}"#,
            #"{"__metadata__":["a"],"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
            #"{"__metadata__":{"a":1},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
        ]
        for header in headers {
            assertParse(file(header, data), throws: "badHeader", header)
        }
    }

    func testRejectsDuplicateTensorNames() {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        assertParse(file(header, floatBytes([1, 2])), throws: "badHeader")
    }

    func testRejectsUnsupportedDType() {
        let header = #"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#
        assertParse(file(header, [0, 0, 0, 0]), throws: .unsupportedDType(tensor: "w", dtype: "F16"))
    }

    func testRejectsShapeThatDisagreesWithOffsets() {
        let headers = [
            #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":"F32","shape":[],"data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904,0],"data_offsets":[0,0]}}"#,
            #"{"w":{"dtype":"F32","shape":[2305843009213693952],"data_offsets":[0,8]}}"#,
        ]
        for header in headers {
            assertParse(file(header, floatBytes([1, 2])), throws: "badOffsets", header)
        }
    }

    func testRejectsOffsetsOutOfRange() {
        let data = floatBytes([1, 2, 3, 4])
        let headers = [
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,      // gap before it
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#,      // negative
            #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[16,8]}}"#,      // end before begin
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,       // 8 unused bytes after it
        ]
        for header in headers {
            assertParse(file(header, data), throws: "badOffsets", header)
        }
        // Consistent but enormous offsets: the data is missing, and computing the size must not overflow.
        let huge = #"{"w":{"dtype":"F32","shape":[2305843009213693951],"data_offsets":[0,9223372036854775804]}}"#
        assertParse(file(huge, data), throws: "truncated")
    }

    func testRejectsOverlappingOffsets() {
        let data = floatBytes([1, 2, 3])
        let overlapping = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertParse(file(overlapping, data), throws: "badOffsets")
        let inside = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#
        assertParse(file(inside, data), throws: "badOffsets")
    }

    func testRejectsFlippedDataByte() throws {
        var bytes = sample().serialized()
        let text = String(decoding: bytes, as: UTF8.self)
        let start = try XCTUnwrap(text.range(of: "crc32:")?.lowerBound)
        let stored = String(text[start...].prefix(14))
        bytes[bytes.count - 3] ^= 0x10
        guard let error = assertParse(bytes, throws: "checksumMismatch"),
              case .checksumMismatch(let expected, let actual) = error else { return }
        XCTAssertEqual(expected, stored)
        XCTAssertNotEqual(actual, expected)
    }

    func testDamagedFilesAreRejectedWithoutTrapping() {
        let bytes = SafeTensors(tensors: Array(sample().tensors.prefix(2)), metadata: ["k": "v"]).serialized()
        var outcomes = 0
        for length in 0 ..< bytes.count {
            XCTAssertThrowsError(try SafeTensors.parse(Array(bytes.prefix(length)))) { XCTAssert($0 is CheckpointError) }
            outcomes += 1
        }
        for position in 0 ..< bytes.count {
            for replacement: UInt8 in [0x00, 0x22, 0x30, 0x39, 0x5D, 0x7D, 0xFF] where bytes[position] != replacement {
                var damaged = bytes
                damaged[position] = replacement
                do { _ = try SafeTensors.parse(damaged) } catch { XCTAssert(error is CheckpointError, "\(error)") }
                outcomes += 1
            }
        }
        XCTAssertGreaterThan(outcomes, bytes.count * 7)
    }

    // MARK: - Files from other tools

    func testAcceptsFileWithoutChecksum() throws {
        let header = #"{"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let st = try SafeTensors.parse(file(header, floatBytes([1, 2, 3, 4])))
        XCTAssertEqual(st.metadata, ["format": "pt"])
        XCTAssertEqual(st.tensors, [
            .init(name: "a", shape: [2], values: [1, 2]),
            .init(name: "b", shape: [1, 2], values: [3, 4]),
        ])

        let bare = try SafeTensors.parse(file(#"{"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#, floatBytes([7])))
        XCTAssertEqual(bare.metadata, [:])
        XCTAssertEqual(bare["x"], .init(name: "x", shape: [], values: [7]))
    }

    // MARK: - Files on disk

    func testWriteThenReadLeavesOnlyTheFile() throws {
        let path = directory + "/model.safetensors"
        try sample().write(to: path)
        let back = try SafeTensors.read(from: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data(sample().serialized()))
        XCTAssertEqual(back.metadata, sample().metadata)
        XCTAssertEqual(try listing(), ["model.safetensors"])
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o644 & ~currentUmask())
    }

    func testWriteReplacesExistingFile() throws {
        let path = directory + "/model.safetensors"
        try Data("old contents".utf8).write(to: URL(fileURLWithPath: path))
        let st = SafeTensors(tensors: [.init(name: "w", shape: [1], values: [5])], metadata: ["step": "2"])
        try st.write(to: path)
        XCTAssertEqual(try SafeTensors.read(from: path).tensors, st.tensors)
        XCTAssertEqual(try listing(), ["model.safetensors"])
    }

    func testWriteIntoMissingDirectoryFailsAndCreatesNothing() throws {
        let path = directory + "/missing/model.safetensors"
        XCTAssertThrowsError(try sample().write(to: path)) {
            XCTAssertEqual($0 as? FileWriteError, .failed(path: path, reason: "No such file or directory"))
        }
        XCTAssertEqual(try listing(), [])
    }

    func testWriteBelowARegularFileFailsAndKeepsIt() throws {
        let blocker = directory + "/model"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: blocker))
        XCTAssertThrowsError(try sample().write(to: blocker + "/x.safetensors")) {
            XCTAssertEqual($0 as? FileWriteError, .failed(path: blocker + "/x.safetensors", reason: "Not a directory"))
        }
        XCTAssertEqual(try String(contentsOfFile: blocker, encoding: .utf8), "keep me")
        XCTAssertEqual(try listing(), ["model"])
    }

    func testFailedRenameRemovesTheTemporaryFile() throws {
        let target = directory + "/taken"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try Data("inner".utf8).write(to: URL(fileURLWithPath: target + "/inner"))
        XCTAssertThrowsError(try sample().write(to: target)) {
            guard case .failed(let path, _)? = $0 as? FileWriteError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, target)
        }
        XCTAssertEqual(try listing(), ["taken"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target), ["inner"])
    }

    /// A write that fails halfway (here: the file-size limit, as a full disk would) keeps the old checkpoint.
    func testFailedWriteKeepsThePreviousFile() throws {
        let path = directory + "/model.safetensors"
        let old = SafeTensors(tensors: [.init(name: "w", shape: [2], values: [1, 2])], metadata: ["step": "1"])
        try old.write(to: path)
        let big = SafeTensors(tensors: [.init(name: "w", shape: [50_000], values: .init(repeating: 3, count: 50_000))],
                              metadata: ["step": "2"])

        var saved = rlimit()
        XCTAssertEqual(getrlimit(fileSizeResource, &saved), 0)
        var limited = saved
        limited.rlim_cur = 4096
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        XCTAssertEqual(setrlimit(fileSizeResource, &limited), 0)
        XCTAssertThrowsError(try big.write(to: path)) {
            XCTAssertEqual($0 as? FileWriteError, .failed(path: path, reason: "File too large"))
        }
        XCTAssertEqual(setrlimit(fileSizeResource, &saved), 0)
        signal(SIGXFSZ, previousHandler)

        XCTAssertEqual(try SafeTensors.read(from: path).tensors, old.tensors)
        XCTAssertEqual(try listing(), ["model.safetensors"])
    }

    func testWriteRejectsPathWithoutFileName() {
        XCTAssertThrowsError(try AtomicFile.write([1], to: directory + "/")) {
            guard case .failed? = $0 as? FileWriteError else { return XCTFail("\($0)") }
        }
    }

    func testReadDistinguishesMissingFileAndDirectory() throws {
        let missing = directory + "/nothing.safetensors"
        XCTAssertThrowsError(try SafeTensors.read(from: missing)) {
            XCTAssertEqual($0 as? CheckpointError, .fileNotFound(path: missing))
        }
        XCTAssertThrowsError(try SafeTensors.read(from: directory)) {
            XCTAssertEqual($0 as? CheckpointError, .notAFile(path: directory))
        }
        let garbage = directory + "/garbage"
        try Data("not a checkpoint at all".utf8).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try SafeTensors.read(from: garbage)) {
            guard case .badHeader? = $0 as? CheckpointError else { return XCTFail("\($0)") }
        }
    }

    func testDescriptionsAreSingleLines() {
        let errors: [CheckpointError] = [
            .fileNotFound(path: "a\nb"), .notAFile(path: "/tmp"), .unreadable(path: "p", reason: "Permission denied"),
            .truncated(expected: 100, actual: 10), .badHeader("bad\nthing"), .unsupportedDType(tensor: "w\n", dtype: "F16"),
            .badOffsets(tensor: "w", "gap"), .badOffsets(tensor: "", "unused bytes"),
            .checksumMismatch(expected: "crc32:00000000", actual: "crc32:11111111"),
        ]
        let descriptions = errors.map(\.description) + [FileWriteError.failed(path: "/x/y", reason: "No such file or directory").description]
        for description in descriptions {
            XCTAssertFalse(description.contains("\n"), description)
            XCTAssertFalse(description.isEmpty)
        }
        XCTAssertTrue(FileWriteError.failed(path: "/x/y", reason: "Disk full").description.contains("/x/y"))
    }

    // MARK: - Helpers

    private func sample() -> SafeTensors {
        let special: [Float] = [
            -0.0, 0.0, 1.0, -1.5, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude,
            .leastNormalMagnitude / 3, .infinity, -.infinity, Float(bitPattern: 0x7FC0_1234), .pi,
        ]
        return SafeTensors(tensors: [
            .init(name: "embed.weight", shape: [3, 4], values: (0..<12).map { Float($0) * 0.37 - 2 }),
            .init(name: "empty", shape: [0], values: []),
            .init(name: "cube", shape: [2, 2, 3], values: special),
            .init(name: "scalar é\"漢", shape: [], values: [42]),
        ], metadata: [
            "quote": #"say "hi""#, #"back\slash"#: #"a\b"#, "control": "line1\nline2\ttab\u{0}\u{1F}\u{7F}",
            "unicode": "é漢😀", "é漢😀": "key", "": "empty key", "empty value": "",
        ])
    }

    private func lengthField(_ n: UInt64) -> [UInt8] { withUnsafeBytes(of: n.littleEndian, Array.init) }

    private func file(_ header: String, _ data: [UInt8] = []) -> [UInt8] {
        let headerBytes = Array(header.utf8)
        return lengthField(UInt64(headerBytes.count)) + headerBytes + data
    }

    private func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
    }

    private func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    private func currentUmask() -> mode_t {
        let mask = umask(0)
        umask(mask)
        return mask
    }

    private var fileSizeResource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_FSIZE.rawValue) }

    private func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    @discardableResult
    private func assertParse(_ bytes: [UInt8], throws expected: CheckpointError,
                             file: StaticString = #filePath, line: UInt = #line) -> CheckpointError? {
        let error = parseError(bytes, file: file, line: line)
        XCTAssertEqual(error, expected, file: file, line: line)
        return error
    }

    /// Checks the error case only: messages are free text.
    @discardableResult
    private func assertParse(_ bytes: [UInt8], throws expected: String, _ context: String = "",
                             file: StaticString = #filePath, line: UInt = #line) -> CheckpointError? {
        let error = parseError(bytes, file: file, line: line)
        XCTAssertEqual(error.map(caseName), expected, "\(context.prefix(120)): \(String(describing: error))",
                       file: file, line: line)
        return error
    }

    private func parseError(_ bytes: [UInt8], file: StaticString, line: UInt) -> CheckpointError? {
        do {
            _ = try SafeTensors.parse(bytes)
            XCTFail("parse succeeded", file: file, line: line)
            return nil
        } catch let error as CheckpointError {
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    private func caseName(_ error: CheckpointError) -> String {
        switch error {
        case .fileNotFound: return "fileNotFound"
        case .notAFile: return "notAFile"
        case .unreadable: return "unreadable"
        case .truncated: return "truncated"
        case .badHeader: return "badHeader"
        case .unsupportedDType: return "unsupportedDType"
        case .badOffsets: return "badOffsets"
        case .checksumMismatch: return "checksumMismatch"
        }
    }
}
