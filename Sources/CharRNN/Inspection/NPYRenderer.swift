// numpy's .npy format, version 1.0: a float32 array (characters, units), row-major and
// little-endian, streamed row by row (the header's shape is known from the character count
// before the pass). A sidecar JSON names the columns and the characters, and carries the
// `--explain` best features and per-unit saturation when computed:
//   np.load("acts.npy"); json.load(open("acts.json"))["columns"]

public final class NPYRenderer: ActivationRenderer {
    private let out: ByteWriter
    private let sidecar: ByteWriter
    private var first = true
    public let wantsPredictions = false
    private var context: InspectionContext?

    public init(_ out: ByteWriter, sidecar: ByteWriter) {
        self.out = out
        self.sidecar = sidecar
    }

    /// The .npy header for a float32 (rows, columns) C-order array: magic, version 1.0, a
    /// little-endian UInt16 length and a Python dict literal, padded so the data starts at a
    /// multiple of 64 bytes.
    public static func header(rows: Int, columns: Int) -> [UInt8] {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let fixed = 10  // magic (6) + version (2) + length (2)
        let total = (fixed + dict.utf8.count + 1 + 63) / 64 * 64
        dict += String(repeating: " ", count: total - fixed - dict.utf8.count - 1) + "\n"
        let n = UInt16(dict.utf8.count)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(dict.utf8)
    }

    public func begin(_ context: InspectionContext) throws {
        self.context = context
        try out.write(bytes: Self.header(rows: context.characters, columns: context.columns.count))
        let columns = context.columns.map { JSONWriter.quoted($0.name) }.joined(separator: ",")
        try sidecar.write("{\"format\":\"charnn inspect-cells\",\"dtype\":\"float32\","
                          + "\"shape\":[\(context.characters),\(context.columns.count)],"
                          + "\"columns\":[\(columns)],\"characters\":[")
    }

    public func row(position: Int, character: Unicode.Scalar, values: UnsafeBufferPointer<Float>,
                    predictions: [Prediction]) throws {
        try out.write(floats: values)
        try sidecar.write((first ? "" : ",") + JSONWriter.quoted(String(character)))
        first = false
    }

    public func finish() throws {
        try sidecar.write("]")
        if let context {
            if context.explanation != nil {
                let best = context.columns.compactMap { u in
                    context.bestFeature(of: u).map {
                        JSONWriter.quoted(u.name) + ":{\"feature\":\(JSONWriter.quoted($0.feature.rawValue)),\"r\":\(JSONWriter.number(orNull: $0.r))}"
                    }
                }
                try sidecar.write(",\"explain\":{" + best.joined(separator: ",") + "}")
            }
            if let s = context.saturation { try sidecar.write(",\"saturation\":" + s.json) }
        }
        try sidecar.write("}\n")
        try out.flush()
        try sidecar.flush()
    }
}
