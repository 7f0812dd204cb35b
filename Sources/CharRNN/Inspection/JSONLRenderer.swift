// JSON lines, streamed: one object per character, {"pos":0,"char":"F","l0.h.0":0.12,…}, the
// character as itself (JSON-escaped). With saturation figures, one last object
// {"saturation":{"l0.i.0":{"left":…,"right":…},…}}.

public final class JSONLRenderer: ActivationRenderer {
    private let out: ByteWriter
    private var keys: [String] = []
    private var saturation: SaturationReport?
    public let wantsPredictions = false

    public init(_ out: ByteWriter) { self.out = out }

    public func begin(_ context: InspectionContext) throws {
        keys = context.columns.map { "," + JSONWriter.quoted($0.name) + ":" }
        saturation = context.saturation
    }

    public func row(position: Int, character: Unicode.Scalar, values: UnsafeBufferPointer<Float>,
                    predictions: [Prediction]) throws {
        var line = "{\"pos\":\(position),\"char\":" + JSONWriter.quoted(String(character))
        for (k, v) in values.enumerated() { line += keys[k] + JSONWriter.number(orNull: v) }
        try out.write(line + "}\n")
    }

    public func finish() throws {
        if let s = saturation { try out.write("{\"saturation\":\(s.json)}\n") }
        try out.flush()
    }
}

extension SaturationReport {
    /// {"l0.i.0":{"left":…,"right":…},…}
    var json: String {
        let entries = units.indices.map {
            JSONWriter.quoted(units[$0].name) + ":{\"left\":\(JSONWriter.number(orNull: left[$0])),\"right\":\(JSONWriter.number(orNull: right[$0]))}"
        }
        return "{" + entries.joined(separator: ",") + "}"
    }
}
