// The neuron viewer's share of the analysis pass: for the chosen units, their top and bottom
// contexts, their summaries (spread, histogram) and their point-biserial correlation with
// `--pattern` marks, all from one stream of rows.

/// What to gather, and over which units.
public struct SurveyRequest {
    public let units: [CellUnit]
    /// K contexts per unit and direction, N characters each side; nil: no contexts or summaries.
    public let contexts: (limit: Int, window: Int)?
    public let marks: PatternMarks?

    public init(units: [CellUnit], contexts: (limit: Int, window: Int)?, marks: PatternMarks?) {
        self.units = units
        self.contexts = contexts
        self.marks = marks
    }
}

/// Each unit's contexts and summary, in unit order.
public struct UnitSurvey: Sendable {
    public let units: [CellUnit]
    public let window: Int
    public let contexts: [UnitContexts]
    public let summaries: [UnitSummary]
}

struct SurveyAccumulator {
    let request: SurveyRequest
    private var finder: ContextFinder?
    private var summary: UnitSummaryAccumulator?
    private var patterns: PointBiserialAccumulator?
    private var x: [Float]  // (units) scratch

    init(_ request: SurveyRequest) {
        self.request = request
        if let c = request.contexts {
            finder = ContextFinder(units: request.units.count, limit: c.limit, window: c.window)
            summary = UnitSummaryAccumulator(units: request.units)
        }
        patterns = request.marks.map { PointBiserialAccumulator(units: request.units.count, patterns: $0.patterns.count) }
        x = Array(repeating: 0, count: request.units.count)
    }

    mutating func add(position t: Int, character: Unicode.Scalar, step: RecordedStep) {
        step.values(of: request.units, into: &x)
        x.withUnsafeBufferPointer { x in
            finder?.add(character: character, values: x.baseAddress!)
            summary?.add(x: x.baseAddress!)
            if let marks = request.marks { patterns?.add(x: x.baseAddress!) { marks.isMarked(pattern: $0, at: t) } }
        }
    }

    mutating func finish(into analysis: inout InspectionAnalysis) {
        if let finder, let summary, let c = request.contexts {
            analysis.survey = UnitSurvey(units: request.units, window: c.window, contexts: finder.finish(),
                                         summaries: summary.summaries)
        }
        if let patterns, let marks = request.marks {
            analysis.patterns = PatternRanking(units: request.units, patterns: marks.patterns, accumulator: patterns)
        }
    }
}
