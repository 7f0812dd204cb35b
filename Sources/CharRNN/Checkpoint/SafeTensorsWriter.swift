// Writes a safetensors file by streaming each tensor from where its values live (a model's flat
// parameter buffer, optimizer slots), so saving never holds a second copy of the model in memory.

public struct SafeTensorsWriter {
    /// One tensor of the file: its name, shape, and access to its values where they are stored.
    public struct Source {
        public let name: String
        public let shape: [Int]
        /// Calls its argument with the tensor's values; the closure keeps their storage alive.
        let withValues: ((UnsafeBufferPointer<Float>) throws -> Void) throws -> Void

        public init(name: String, shape: [Int],
                    withValues: @escaping ((UnsafeBufferPointer<Float>) throws -> Void) throws -> Void) {
            self.name = name
            self.shape = shape
            self.withValues = withValues
        }

        /// `count` values from `buffer` at `offset`.
        public init(name: String, shape: [Int], buffer: FloatBuffer, offset: Int = 0) {
            let count = shape.reduce(1, *)
            precondition(offset >= 0 && offset + count <= buffer.count, "tensor '\(name)' lies outside its buffer")
            self.init(name: name, shape: shape) { body in try body(UnsafeBufferPointer(start: buffer.base + offset, count: count)) }
        }

        /// The values of an in-memory tensor.
        public init(_ tensor: SafeTensors.Tensor) {
            self.init(name: tensor.name, shape: tensor.shape) { body in try tensor.values.withUnsafeBufferPointer(body) }
        }
    }

    private let sources: [Source]
    /// The 8-byte header length, the JSON header and its padding: everything before the data.
    private let prefix: [UInt8]
    public let byteCount: Int

    /// Computes the header, whose checksum covers the data: the values must not change between
    /// this and the last write.
    public init(tensors sources: [Source], metadata: [String: String]) {
        var names = Set<String>()
        var crc: UInt32 = 0
        var dataLength = 0
        for source in sources {
            precondition(source.shape.allSatisfy { $0 >= 0 }, "tensor '\(source.name)' has a negative dimension")
            precondition(source.name != SafeTensors.metadataKey && names.insert(source.name).inserted,
                         "tensor name '\(source.name)' is reserved or used twice")
            try! source.withValues { values in
                precondition(values.count == source.shape.reduce(1, *),
                             "tensor '\(source.name)': \(values.count) values do not fill shape \(source.shape)")
                crc = withLittleEndianBytes(values) { CRC32.checksum($0, continuing: crc) }
                dataLength += values.count * 4
            }
        }
        var meta = metadata
        meta[SafeTensors.checksumKey] = SafeTensors.checksumText(crc)
        let header = Self.header(sources, metadata: meta)
        var prefix = [UInt8]()
        prefix.reserveCapacity(8 + header.count)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { prefix += $0 }
        prefix += header
        self.sources = sources
        self.prefix = prefix
        byteCount = prefix.count + dataLength
    }

    public init(_ file: SafeTensors) {
        self.init(tensors: file.tensors.map(Source.init), metadata: file.metadata)
    }

    /// {"__metadata__":{…},"name":{"dtype":"F32","shape":[…],"data_offsets":[begin,end]},…} in
    /// tensor order, padded with spaces to a multiple of 8 bytes.
    private static func header(_ sources: [Source], metadata: [String: String]) -> [UInt8] {
        // Sorting by UTF-8 bytes (not String's Unicode ordering) keeps the bytes reproducible everywhere.
        let sortedMetadata = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var members: [(key: String, value: JSONValue)] = [
            (SafeTensors.metadataKey, .object(sortedMetadata.map { ($0.key, .string($0.value)) })),
        ]
        var offset = 0
        for source in sources {
            let end = offset + source.shape.reduce(1, *) * 4
            members.append((source.name, .object([
                ("dtype", .string("F32")),
                ("shape", .array(source.shape.map(JSONValue.init))),
                ("data_offsets", .array([JSONValue(offset), JSONValue(end)])),
            ])))
            offset = end
        }
        var header = Array(JSONValue.object(members).text.utf8)
        // Trailing spaces (allowed by the spec) align the data section to 8 bytes for zero-copy readers.
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        return header
    }

    /// Passes the file's bytes to `output` in order: the header, then each tensor's values.
    public func write(into output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try prefix.withUnsafeBytes(output)
        for source in sources {
            try source.withValues { values in try withLittleEndianBytes(values, output) }
        }
    }

    /// Atomically replaces `path`: the previous file stays intact if anything fails.
    public func write(to path: String) throws {
        try write(to: path, using: AtomicFile.systemWrite)
    }

    /// `writer` replaces write(2), so tests can fill the disk halfway through a tensor.
    func write(to path: String, using writer: @escaping AtomicFile.Writer) throws {
        let file = try AtomicFileWriter(path: path, writer: writer)
        try write(into: file.write)
        try file.commit()
    }

    /// The whole file in memory.
    public var bytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(byteCount)
        try! write { bytes += $0 }
        return bytes
    }
}

@inline(__always)
private func withLittleEndianBytes<R>(_ values: UnsafeBufferPointer<Float>,
                                      _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    #if _endian(little)
    return try body(UnsafeRawBufferPointer(values))
    #else
    return try values.map { $0.bitPattern.littleEndian }.withUnsafeBytes(body)
    #endif
}
