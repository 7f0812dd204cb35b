// Tab-separated rows, streamed: `pos`, `char` (escaped: \n, \t, \\ …), then one column per unit
// (`l0.h.17` …). With saturation figures, a second table follows after one empty line:
// `unit  left  right` for every counted gate unit.

public final class TSVRenderer: ActivationRenderer {
    private let out: ByteWriter
    private var saturation: SaturationReport?
    public let wantsPredictions = false

    public init(_ out: ByteWriter) { self.out = out }

    public func begin(_ context: InspectionContext) throws {
        saturation = context.saturation
        try out.write((["pos", "char"] + context.columns.map(\.name)).joined(separator: "\t") + "\n")
    }

    public func row(position: Int, character: Unicode.Scalar, values: UnsafeBufferPointer<Float>,
                    predictions: [Prediction]) throws {
        var line = "\(position)\t" + Escaping.readable(character)
        for v in values { line += "\t\(v)" }
        try out.write(line + "\n")
    }

    public func finish() throws {
        if let s = saturation {
            try out.write("\nunit\tleft\tright\n")
            for (k, u) in s.units.enumerated() { try out.write("\(u.name)\t\(s.left[k])\t\(s.right[k])\n") }
        }
        try out.flush()
    }
}
