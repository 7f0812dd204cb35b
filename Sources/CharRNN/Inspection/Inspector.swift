// The two passes of inspect-cells over a text: an analysis pass (text-feature correlations for
// --explain and --top, gate saturation) and a dump pass that feeds one row per character to a
// renderer. Each keeps only running sums or the current chunk, whatever the text's length.

public struct InspectionAnalysis: Sendable {
    public var explanation: Explanation?
    public var saturation: SaturationReport?
    /// The neuron viewer's contexts and summaries, and the `--pattern` ranking.
    public var survey: UnitSurvey?
    public var patterns: PatternRanking?

    public init(explanation: Explanation? = nil, saturation: SaturationReport? = nil) {
        self.explanation = explanation
        self.saturation = saturation
    }
}

public enum Inspector {
    /// Runs the model over `tokens[0 ..< count]` once.
    /// - Parameters:
    ///   - explain: correlate these units with every `TextFeature` (nil: skip).
    ///   - saturationLayers: count gate saturation in these layers (nil: skip).
    ///   - survey: gather contexts, summaries and pattern correlations (nil: skip).
    public static func analyse(model: Model, tokens: TokenSequence, count: Int, vocabulary: Vocabulary,
                               explain units: [CellUnit]?, saturationLayers: [Int]?,
                               survey request: SurveyRequest? = nil) -> InspectionAnalysis {
        let features = TextFeatureTracker.features
        var correlation = units.map { CorrelationAccumulator(units: $0.count, features: features.count) }
        var tracker = TextFeatureTracker(tokens: tokens, vocabulary: vocabulary, count: count)
        var saturation = saturationLayers.map { SaturationCounter(config: model.config, layers: $0) }
        var survey = request.map(SurveyAccumulator.init)
        var x = [Float](repeating: 0, count: units?.count ?? 0)          // (units)
        var y = [Double](repeating: 0, count: features.count)             // (features)
        Recorder(model: model).run(tokens, count: count) { position, step in
            if let units {
                step.values(of: units, into: &x)
                tracker.advance(into: &y)
                correlation!.add(x: x, y: y)
            }
            saturation?.add(step)
            survey?.add(position: position, character: vocabulary[tokens[position]], step: step)
        }
        var analysis = InspectionAnalysis()
        if let units, let correlation {
            analysis.explanation = Explanation(units: units, features: features, accumulator: correlation)
        }
        analysis.saturation = saturation?.report
        survey?.finish(into: &analysis)
        return analysis
    }

    /// Runs the model over `tokens[0 ..< count]` and renders `context.columns` for every character.
    public static func dump(model: Model, tokens: TokenSequence, count: Int, context: InspectionContext,
                            to renderer: ActivationRenderer) throws {
        precondition(context.characters == count, "the context's character count differs from the pass")
        try renderer.begin(context)
        var row = [Float](repeating: 0, count: context.columns.count)  // (units)
        try Recorder(model: model).run(tokens, count: count) { position, step in
            step.values(of: context.columns, into: &row)
            let predictions = renderer.wantsPredictions
                ? characterPredictions(step, context.vocabulary) : []
            try row.withUnsafeBufferPointer {
                try renderer.row(position: position, character: context.vocabulary[tokens[position]], values: $0,
                                 predictions: predictions)
            }
        }
        try renderer.finish()
    }

    /// The five most likely next characters (a model's document boundary is not one).
    static func characterPredictions(_ step: RecordedStep, _ vocabulary: Vocabulary) -> [(Unicode.Scalar, Double)] {
        let top = step.predictions(top: vocabulary.boundaryID == nil ? 5 : 6)
        return top.filter { vocabulary.isCharacter($0.id) }.prefix(5).map { (vocabulary[$0.id], $0.probability) }
    }
}
