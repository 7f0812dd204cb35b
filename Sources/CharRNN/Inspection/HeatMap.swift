// What the two heat-map views (html, ansi) share: they show the text once per unit, so they keep
// the rows they are given (characters × units floats: meant for the few thousand characters a
// person reads, bounded by --max-chars), a diverging colour scale, and each unit's heading.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct RGB: Equatable, Sendable {
    public let r: UInt8, g: UInt8, b: UInt8

    public var hex: String {
        "#" + [r, g, b].map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// Relative luminance (WCAG 2): 0 for black, 1 for white.
    public var luminance: Double {
        func linear(_ c: UInt8) -> Double {
            let v = Double(c) / 255
            return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    static let white = RGB(r: 255, g: 255, b: 255), nearBlack = RGB(r: 17, g: 17, b: 17)

    /// Whether text on this background reads better white than near-black (#111): whichever has the
    /// greater contrast ratio with it.
    public var wantsLightText: Bool {
        let background = luminance + 0.05
        return (RGB.white.luminance + 0.05) / background > background / (RGB.nearBlack.luminance + 0.05)
    }

    /// The heat maps' text colour on this background.
    public var textColor: RGB { wantsLightText ? .white : .nearBlack }
}

/// Blue through near-white to red (ColorBrewer's RdBu ends), centred on the unit's neutral value:
/// 0 for tanh outputs, 0.5 for sigmoid gates, 0 for the cell state scaled by its largest |c|.
public struct DivergingScale: Sendable {
    public let center: Float, halfWidth: Float
    static let negative = (33.0, 102.0, 172.0), middle = (247.0, 247.0, 247.0), positive = (178.0, 24.0, 43.0)

    public init(unit: CellUnit, values: [Float]) {
        self.init(unit: unit, largestMagnitude: values.lazy.filter(\.isFinite).map(abs).max() ?? 1)
    }

    /// The scale of a unit whose largest |value| is known (it matters only for the unbounded cell state).
    public init(unit: CellUnit, largestMagnitude: Float) {
        if let range = unit.naturalRange {
            self.init(range: range)
        } else {
            self.init(center: 0, halfWidth: max(largestMagnitude, 1e-6))
        }
    }

    /// The scale of values bounded by `range`, white at its middle.
    public init(range: ClosedRange<Float>) {
        self.init(center: (range.lowerBound + range.upperBound) / 2, halfWidth: (range.upperBound - range.lowerBound) / 2)
    }

    private init(center: Float, halfWidth: Float) {
        self.center = center
        self.halfWidth = halfWidth
    }

    /// Position on the scale in [-1, 1].
    public func position(_ v: Float) -> Float {
        guard v.isFinite else { return 0 }
        return max(-1, min(1, (v - center) / halfWidth))
    }


    public func color(_ v: Float) -> RGB {
        let t = Double(position(v))
        let end = t < 0 ? Self.negative : Self.positive, a = abs(t)
        func mix(_ m: Double, _ e: Double) -> UInt8 { UInt8((m + (e - m) * a).rounded()) }
        return RGB(r: mix(Self.middle.0, end.0), g: mix(Self.middle.1, end.1), b: mix(Self.middle.2, end.2))
    }
}

/// Rows kept for a unit-major view.
struct ActivationTable {
    var characters: [Unicode.Scalar] = []
    var values: [Float] = []             // (characters, units)
    var predictions: [[Prediction]] = []
    var units = 0

    mutating func append(_ character: Unicode.Scalar, _ row: UnsafeBufferPointer<Float>, _ predicted: [Prediction]) {
        characters.append(character)
        values.append(contentsOf: row)
        predictions.append(predicted)
    }

    /// One unit's values over the text.
    func column(_ u: Int) -> [Float] {
        stride(from: u, to: values.count, by: units).map { values[$0] }
    }
}

/// The part of the html and ansi renderers that keeps the rows; subclasses draw them in `finish`.
public class HeatMapRenderer: ActivationRenderer {
    let out: ByteWriter
    var context: InspectionContext?
    var table = ActivationTable()
    public var wantsPredictions: Bool { false }

    init(_ out: ByteWriter) { self.out = out }

    public func begin(_ context: InspectionContext) throws {
        self.context = context
        table.units = context.columns.count
    }

    public func row(position: Int, character: Unicode.Scalar, values: UnsafeBufferPointer<Float>,
                    predictions: [Prediction]) throws {
        table.append(character, values, predictions)
    }

    public func finish() throws {}
}

extension InspectionContext {
    /// "l1.c.3 · layer 1, cell state, unit 3 · best feature: inside double quotes (r = +0.93)"
    func heading(of unit: CellUnit) -> String {
        var parts = [unit.name, "layer \(unit.layer), \(unit.kindName), unit \(unit.index)"]
        if let best = bestFeature(of: unit) {
            parts.append("best feature: \(best.feature.title) (r = \(signed(best.r)))")
        }
        if let f = saturation?.fractions(of: unit) {
            parts.append("saturated: \(percent(f.left)) of steps < 0.1, \(percent(f.right)) > 0.9")
        }
        return parts.joined(separator: " · ")
    }
}

/// A character as one visible column of a heat map: newline ↵, tab `tab`, other controls ·.
func glyph(_ s: Unicode.Scalar, tab: String) -> String {
    switch s {
    case "\n": return "↵"
    case "\t": return tab
    default:
        let category = s.properties.generalCategory
        return category == .control || category == .format ? "·" : String(Character(s))
    }
}

func signed(_ r: Double, digits: Int = 2) -> String {
    let scale = pow10(digits)
    let v = (r * scale).rounded() / scale
    let text = fixed(abs(v), digits: digits)
    return (v < 0 ? "-" : "+") + text
}

func percent(_ f: Double) -> String { fixed(f * 100, digits: 1) + "%" }

private func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { a, _ in a * 10 } }

/// A non-negative number with exactly `digits` decimals (no Foundation formatting in the library).
func fixed(_ x: Double, digits: Int) -> String {
    guard x.isFinite else { return "\(x)" }
    let scale = pow10(digits)
    let n = Int((abs(x) * scale).rounded())
    let whole = n / Int(scale), frac = n % Int(scale)
    let body = digits == 0 ? "\(whole)" : "\(whole)." + String(frac).leftPadded(to: digits)
    return (x < 0 && n != 0 ? "-" : "") + body
}
