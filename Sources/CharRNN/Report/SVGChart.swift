// A line chart as inline SVG: axes with a few round ticks, one path per series (one `M`/`L`
// command per point, so a reader or a test can count them), and a legend. No scripts, no fonts
// fetched: it draws the same offline as online.

import Foundation

public struct ChartSeries: Sendable {
    public var name: String
    /// The path's class: report pages style `train`, `validation` and `lr`.
    public var cssClass: String
    public var points: [(x: Double, y: Double)]
    /// A dot on each point as well (for sparse series such as validations).
    public var markers: Bool

    public init(name: String, cssClass: String, points: [(x: Double, y: Double)], markers: Bool = false) {
        self.name = name
        self.cssClass = cssClass
        self.points = points
        self.markers = markers
    }
}

public struct SVGChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [ChartSeries]
    /// The y range drawn (nil: the data's); points outside it are drawn on its edge.
    public var yRange: (Double, Double)?
    public var width = 640.0, height = 260.0
    static let margin = (left: 64.0, right: 16.0, top: 28.0, bottom: 40.0)

    public init(title: String, xLabel: String, yLabel: String, series: [ChartSeries]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// The data's range with a little room, never empty (a single point or a flat line).
    static func range(_ values: [Double]) -> (Double, Double) {
        guard let lo = values.min(), let hi = values.max() else { return (0, 1) }
        if hi - lo < 1e-12 { return (lo - 0.5 * max(abs(lo), 1e-3), hi + 0.5 * max(abs(hi), 1e-3)) }
        return (lo, hi)
    }

    /// About five round tick values (1, 2 or 5 × 10^k apart) inside lo...hi.
    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        let raw = (hi - lo) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var values: [Double] = [], v = (lo / step).rounded(.up) * step
        while v <= hi + step * 1e-9 { values.append(v); v += step }
        return values
    }

    static func label(_ v: Double) -> String {
        if v != 0 && (abs(v) < 0.01 || abs(v) >= 100_000) { return String(format: "%.1e", v) }
        return String(format: "%g", (v * 1e4).rounded() / 1e4)
    }

    static func coordinate(_ v: Double) -> String { String(format: "%.1f", v) }

    public var svg: String {
        let m = SVGChart.margin
        let all = series.flatMap(\.points)
        let (x0, x1) = SVGChart.range(all.map(\.x)), (y0, y1) = yRange ?? SVGChart.range(all.map(\.y))
        let plotWidth = width - m.left - m.right, plotHeight = height - m.top - m.bottom
        func px(_ x: Double) -> Double { m.left + (x - x0) / (x1 - x0) * plotWidth }
        func py(_ y: Double) -> Double { m.top + (1 - (min(max(y, y0), y1) - y0) / (y1 - y0)) * plotHeight }
        let c = SVGChart.coordinate
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\"><title>\(Escaping.html(title))</title>\n"
        out += "<rect class=\"frame\" x=\"\(c(m.left))\" y=\"\(c(m.top))\" width=\"\(c(plotWidth))\" height=\"\(c(plotHeight))\"/>\n"
        for t in SVGChart.ticks(y0, y1) {
            out += "<line class=\"grid\" x1=\"\(c(m.left))\" x2=\"\(c(m.left + plotWidth))\" y1=\"\(c(py(t)))\" y2=\"\(c(py(t)))\"/>"
                + "<text class=\"tick\" x=\"\(c(m.left - 6))\" y=\"\(c(py(t) + 4))\" text-anchor=\"end\">\(SVGChart.label(t))</text>\n"
        }
        for t in SVGChart.ticks(x0, x1) {
            out += "<text class=\"tick\" x=\"\(c(px(t)))\" y=\"\(c(m.top + plotHeight + 16))\" text-anchor=\"middle\">\(SVGChart.label(t))</text>\n"
        }
        out += "<text class=\"axis\" x=\"\(c(m.left + plotWidth / 2))\" y=\"\(c(height - 6))\" text-anchor=\"middle\">\(Escaping.html(xLabel))</text>\n"
        out += "<text class=\"axis\" x=\"14\" y=\"\(c(m.top + plotHeight / 2))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 14 \(c(m.top + plotHeight / 2)))\">\(Escaping.html(yLabel))</text>\n"
        for (i, s) in series.enumerated() where !s.points.isEmpty {
            let d = s.points.enumerated().map { k, p in (k == 0 ? "M" : "L") + c(px(p.x)) + " " + c(py(p.y)) }.joined(separator: " ")
            out += "<path class=\"\(s.cssClass)\" data-points=\"\(s.points.count)\" d=\"\(d)\"/>\n"
            if s.markers {
                out += s.points.map { "<circle class=\"\(s.cssClass)\" cx=\"\(c(px($0.x)))\" cy=\"\(c(py($0.y)))\" r=\"2.5\"/>" }
                    .joined() + "\n"
            }
            let ly = m.top - 10, lx = m.left + Double(i) * 140
            out += "<line class=\"\(s.cssClass)\" x1=\"\(c(lx))\" x2=\"\(c(lx + 18))\" y1=\"\(c(ly))\" y2=\"\(c(ly))\"/>"
                + "<text class=\"legend\" x=\"\(c(lx + 24))\" y=\"\(c(ly + 4))\">\(Escaping.html(s.name))</text>\n"
        }
        return out + "</svg>"
    }
}
