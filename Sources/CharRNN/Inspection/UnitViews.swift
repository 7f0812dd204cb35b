// What every neuron-viewer output (text, JSON lines, the units page) shows of a unit: its summary,
// contexts, colour scale and best `--explain` or `--pattern` figure, in the order they are shown:
// strongest figure first when units were ranked, else widest spread first.

/// A unit's strongest correlation with a text feature or a pattern.
public struct UnitFigure: Sendable, Equatable {
    /// "inside double quotes", "pattern '\(…\)'".
    public let label: String
    public let r: Double
}

public struct UnitView: Sendable {
    public let unit: CellUnit
    public let summary: UnitSummary
    public let contexts: UnitContexts
    public let figure: UnitFigure?
    /// The heat map's colours for this unit (a cell state scaled by its largest |c| over the text).
    public let scale: DivergingScale
}

public struct UnitViews: Sendable {
    public let views: [UnitView]
    /// Whether `--explain` or `--pattern` ranked the units (else they are ordered by spread).
    public let ranked: Bool
    public let characters: Int, window: Int, limit: Int
    public let caption: String

    public init(survey: UnitSurvey, explanation: Explanation?, patterns: PatternRanking?, characters: Int, limit: Int,
                caption: String) {
        ranked = explanation != nil || patterns != nil
        self.characters = characters
        window = survey.window
        self.limit = limit
        self.caption = caption
        let views = survey.units.indices.map { u in
            let unit = survey.units[u], summary = survey.summaries[u]
            return UnitView(unit: unit, summary: summary, contexts: survey.contexts[u],
                            figure: Self.figure(of: unit, explanation: explanation, patterns: patterns),
                            scale: DivergingScale(unit: unit, largestMagnitude: summary.largestMagnitude))
        }
        let ranked = ranked
        let key = { (v: UnitView) in ranked ? (v.figure.map { abs($0.r) } ?? -1) : v.summary.deviation }
        self.views = views.indices.sorted { key(views[$0]) > key(views[$1]) || key(views[$0]) == key(views[$1]) && $0 < $1 }
            .map { views[$0] }
    }

    /// The larger in |r| of the unit's best feature and best pattern (the feature on a tie).
    static func figure(of unit: CellUnit, explanation: Explanation?, patterns: PatternRanking?) -> UnitFigure? {
        var best: UnitFigure?
        if let e = explanation, let u = e.units.firstIndex(of: unit), let b = e.bestFeature(of: u) {
            best = UnitFigure(label: b.feature.title, r: b.r)
        }
        if let p = patterns, let u = p.units.firstIndex(of: unit), let b = p.bestPattern(of: u), best.map({ abs(b.r) > abs($0.r) }) ?? true {
            best = UnitFigure(label: "pattern '\(p.patterns[b.pattern])'", r: b.r)
        }
        return best
    }
}

extension UnitView {
    /// "l1.c.3 · layer 1, cell state, unit 3 · sd 0.312 · inside double quotes r = +0.93"
    public var heading: String {
        var parts = [unit.name, "layer \(unit.layer), \(unit.kindName), unit \(unit.index)",
                     "mean \(signed(summary.mean, digits: 3)), sd \(fixed(summary.deviation, digits: 3))"]
        if let figure { parts.append("\(figure.label) r = \(signed(figure.r))") }
        return parts.joined(separator: " · ")
    }
}
