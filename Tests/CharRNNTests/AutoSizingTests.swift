// The automatic sizing rule as a pure function: budgets, throughputs and corpus sizes in, a
// configuration out; monotone in time and data, small for small corpora, explicit options kept.

import XCTest
@testable import CharRNN

final class AutoSizingTests: XCTestCase {
    static let reference = ModelConfig(cell: .lstm, layers: 2, hidden: 128, vocabularySize: 65)

    func request(seconds: Double, rate: Double = 80_000, characters: Int = 1_000_000) -> SizingRequest {
        SizingRequest(budgetSeconds: seconds, measured: AutoSizingTests.reference, measuredCharsPerSecond: rate,
                      trainCharacters: characters, validationCharacters: characters / 20)
    }

    /// Throughput scales with the FLOPs per character, and a bigger layer is predicted slower.
    func testPredictedThroughputFollowsTheFLOPCount() {
        let r = AutoSizingTests.reference
        XCTAssertEqual(AutoSizing.predictedCharsPerSecond(r, measured: r, rate: 50_000), 50_000, accuracy: 1e-6)
        var big = r
        big.hidden = 512
        let ratio = TrainingThroughput.flopsPerCharacter(r).charnn / TrainingThroughput.flopsPerCharacter(big).charnn
        XCTAssertEqual(AutoSizing.predictedCharsPerSecond(big, measured: r, rate: 50_000), 50_000 * ratio * pow(4, 0.15), accuracy: 1e-6)
        var gru = big
        gru.cell = .gru
        XCTAssertGreaterThan(AutoSizing.predictedCharsPerSecond(gru, measured: r, rate: 50_000),
                             AutoSizing.predictedCharsPerSecond(big, measured: r, rate: 50_000))
    }

    /// The chosen model is the largest that the budget, less 5 % for validation, feeds with 2
    /// characters per parameter and 6,000·√(budget / 4 min) updates (at least 3,000), and the corpus
    /// with at most 3 parameters per character.
    func testChoiceSatisfiesBothLimitsAndTheNextSizeDoesNot() throws {
        for (seconds, characters) in [(300.0, 1_000_000), (1800.0, 1_000_000), (300.0, 5_000_000), (14_400.0, 100_000_000)] {
            let r = request(seconds: seconds, characters: characters)
            let c = AutoSizing.choose(r)
            func fits(_ h: Int) -> Bool {
                let config = ModelConfig(cell: .lstm, layers: 2, hidden: h, vocabularySize: 65)
                let p = Double(config.parameterCount)
                let rate = AutoSizing.predictedCharsPerSecond(config, measured: r.measured, rate: r.measuredCharsPerSecond)
                let budget = rate * 0.95 * seconds
                let updates = max(3000, 6000 * (seconds / 240).squareRoot())
                return budget >= 2 * p && budget / 2500 >= updates && p <= 3 * Double(characters)
            }
            XCTAssertTrue(fits(c.config.hidden), "\(seconds) s, \(characters): \(c.reason)")
            let i = try XCTUnwrap(AutoSizing.candidateHidden.firstIndex(of: c.config.hidden))
            if i + 1 < AutoSizing.candidateHidden.count { XCTAssertFalse(fits(AutoSizing.candidateHidden[i + 1]), c.reason) }
            XCTAssertEqual(c.budgetCharacters, c.predictedCharsPerSecond * 0.95 * seconds, accuracy: 1e-6)
            XCTAssertEqual(c.epochs, c.budgetCharacters / Double(characters), accuracy: 1e-9)
        }
    }

    /// Five minutes and half an hour on Tiny Shakespeare at a 2-core machine's bf16 speed: a mid-sized
    /// model with dropout and weight drop first, a larger one with more dropout given six times the time.
    func testTinyShakespeareBudgets() {
        var request5 = request(seconds: 300, rate: 180_000), request30 = request(seconds: 1800, rate: 180_000)
        (request5.precision, request30.precision) = (.bf16, .bf16)
        let five = AutoSizing.choose(request5), thirty = AutoSizing.choose(request30)
        // 2×192: 24.6 M characters in the 95 % of 5 min left by validation, at a predicted 86k chars/s:
        // 9,825 updates (6,708 asked for; 2×256 would get 5,810), 24.6 epochs, so weight drop 0.2 and
        // dropout 0.2 − 0.1; 2×384 in 30 min: 16,579 updates of the 16,432 asked for (2×448 would get
        // fewer than 2×384), 41.4 epochs and more parameters than characters, so dropout 0.3 + 0.1 − 0.1.
        XCTAssertEqual(five.config.hidden, 192, five.reason)
        XCTAssertEqual(thirty.config.hidden, 384, thirty.reason)
        func updates(_ hidden: Int, _ seconds: Double) -> Double {
            let config = ModelConfig(cell: .lstm, layers: 2, hidden: hidden, vocabularySize: 65)
            return AutoSizing.predictedCharsPerSecond(config, measured: AutoSizingTests.reference, rate: 180_000) * 0.95 * seconds / 2500
        }
        XCTAssertEqual([updates(192, 300), updates(256, 300), updates(320, 1800), updates(384, 1800)].map { $0.rounded() },
                       [9825, 5810, 23166, 16579])
        XCTAssertEqual([five.config.dropout, five.config.weightDrop, thirty.config.dropout, thirty.config.weightDrop],
                       [0.1, 0.2, 0.3, 0.2])
        XCTAssertEqual(five.learningRate, 4e-3)
        XCTAssertEqual(thirty.learningRate, Float(4e-3 * (256.0 / 384).squareRoot()), accuracy: 1e-9)
        XCTAssertTrue(five.reason.hasPrefix("chose LSTM 2×192, dropout 0.1, weight drop 0.2, lr 0.004, batch 50×50: ~24.6 M characters "
                                            + "(24.6 epochs, 48.4 per parameter)"), five.reason)
        XCTAssertTrue(five.reason.contains("in 5 min at "), five.reason)
        XCTAssertTrue(five.reason.contains("on a 1.0 M-character corpus (measured 180k chars/s at 2×128 in bf16)"), five.reason)
    }

    func testMoreTimeOrMoreDataNeverChoosesASmallerModel() {
        let budgets = [10.0, 60, 300, 900, 1800, 3600, 14_400, 86_400]
        let corpora = [500, 20_000, 300_000, 1_000_000, 5_000_000, 100_000_000]
        for rate in [5_000.0, 80_000, 400_000] {
            for characters in corpora {
                let sizes = budgets.map { AutoSizing.choose(request(seconds: $0, rate: rate, characters: characters)).config.hidden }
                XCTAssertEqual(sizes, sizes.sorted(), "rate \(rate), \(characters) characters")
            }
            for seconds in budgets {
                let sizes = corpora.map { AutoSizing.choose(request(seconds: seconds, rate: rate, characters: $0)).config.hidden }
                XCTAssertEqual(sizes, sizes.sorted(), "rate \(rate), \(seconds) s")
            }
        }
        // A faster machine is more time: never a smaller model either.
        let rates = [1_000.0, 10_000, 100_000, 1_000_000].map { AutoSizing.choose(request(seconds: 600, rate: $0)).config.hidden }
        XCTAssertEqual(rates, rates.sorted())
    }

    /// A few hundred characters cannot feed a large model whatever the time: the smallest sizes,
    /// and dropout and weight drop since the run will see them thousands of times.
    func testTinyCorpusPicksASmallModel() {
        let c = AutoSizing.choose(request(seconds: 3600, characters: 500))
        XCTAssertLessThanOrEqual(c.config.hidden, 32, c.reason)
        XCTAssertLessThanOrEqual(c.config.parameterCount, 3 * 500 + ModelConfig(cell: .lstm, layers: 2, hidden: 16, vocabularySize: 65).parameterCount)
        XCTAssertEqual(c.config.dropout, 0.4, accuracy: 1e-6)
        XCTAssertEqual(c.config.weightDrop, 0.2, accuracy: 1e-6)
        // Far smaller than the measured 2×128: what was measured, no extrapolated speed or character count.
        XCTAssertTrue(c.reason.hasSuffix("for 60 min on a 500-character corpus (measured 80k chars/s at 2×128 in fp32; a model this much "
                                         + "smaller runs faster by less than its arithmetic says, so no speed is promised)"), c.reason)
        XCTAssertFalse(c.reason.contains("~"), c.reason)
        // A huge corpus with a short budget: time is the limit, and no dropout for a fraction of an epoch.
        let huge = AutoSizing.choose(request(seconds: 300, characters: 100_000_000))
        XCTAssertEqual(huge.config.dropout, 0)
        XCTAssertLessThan(huge.epochs, 1)
    }

    func testExplicitOptionsWin() {
        var r = request(seconds: 1800)
        r.given.cell = .gru
        r.given.layers = 3
        r.given.hidden = 200
        r.given.dropout = 0.05
        r.given.batchSize = 32
        r.given.seqLength = 100
        r.given.learningRate = 5e-4
        r.given.evalEvery = 77
        r.given.weightDrop = 0.1
        let c = AutoSizing.choose(r)
        XCTAssertEqual(c.config, ModelConfig(cell: .gru, layers: 3, hidden: 200, vocabularySize: 65, dropout: 0.05, weightDrop: 0.1))
        XCTAssertEqual([c.batchSize, c.seqLength, c.evalEvery], [32, 100, 77])
        XCTAssertEqual(c.learningRate, 5e-4)
        XCTAssertTrue(c.reason.hasPrefix("chose GRU 3×200 (given), dropout 0.05 (given), weight drop 0.1 (given), lr 0.0005 (given), batch 32×100 (given)"), c.reason)
        // Only the cell given: the size is still chosen, for that cell's speed.
        var cellOnly = request(seconds: 1800)
        cellOnly.given.cell = .rnn
        let rnn = AutoSizing.choose(cellOnly)
        XCTAssertEqual(rnn.config.cell, .rnn)
        XCTAssertGreaterThan(rnn.config.hidden, AutoSizing.choose(request(seconds: 1800)).config.hidden)
        // A single layer has nothing to apply dropout between.
        var one = request(seconds: 1800)
        one.given.layers = 1
        XCTAssertEqual(AutoSizing.choose(one).config.dropout, 0)
    }

    func testRulesForRateValidationAndDropout() {
        // Updates grow as the square root of the budget: four times the time, twice the updates.
        XCTAssertEqual(AutoSizing.minimumIterations(budgetSeconds: 240), 6000)
        XCTAssertEqual(AutoSizing.minimumIterations(budgetSeconds: 960), 12_000)
        XCTAssertEqual(AutoSizing.minimumIterations(budgetSeconds: 135), 4500)
        XCTAssertEqual(AutoSizing.minimumIterations(budgetSeconds: 10), 3000, "never fewer than 3,000")
        XCTAssertEqual(AutoSizing.weightDrop(epochs: 7.9), 0)
        XCTAssertEqual(AutoSizing.weightDrop(epochs: 8), 0.2)
        XCTAssertEqual(AutoSizing.learningRate(hidden: 128), 4e-3)
        XCTAssertEqual(AutoSizing.learningRate(hidden: 256), 4e-3)
        XCTAssertEqual(AutoSizing.learningRate(hidden: 1024), 2e-3, accuracy: 1e-9)
        XCTAssertEqual(AutoSizing.dropout(epochs: 1.5, parametersPerCharacter: 2, layers: 2), 0)
        XCTAssertEqual(AutoSizing.dropout(epochs: 7.9, parametersPerCharacter: 2, layers: 2), 0)
        XCTAssertEqual(AutoSizing.dropout(epochs: 9, parametersPerCharacter: 0.5, layers: 2), 0.1, accuracy: 1e-6)
        XCTAssertEqual(AutoSizing.dropout(epochs: 9, parametersPerCharacter: 2, layers: 2), 0.2, accuracy: 1e-6)
        XCTAssertEqual(AutoSizing.dropout(epochs: 40, parametersPerCharacter: 0.5, layers: 2), 0.3, accuracy: 1e-6)
        XCTAssertEqual(AutoSizing.dropout(epochs: 1000, parametersPerCharacter: 2, layers: 2), 0.5, accuracy: 1e-6)
        // Beside weight drop, 0.1 less.
        XCTAssertEqual(AutoSizing.dropout(epochs: 26, parametersPerCharacter: 0.5, layers: 2, weightDrop: 0.2), 0.1, accuracy: 1e-6)
        XCTAssertEqual(AutoSizing.dropout(epochs: 9, parametersPerCharacter: 0.5, layers: 2, weightDrop: 0.2), 0)
        // 20 validations when they are cheap; fewer when each costs more than 5 % of the budget's share; never under 4.
        XCTAssertEqual(AutoSizing.evalEvery(iterations: 2000, validationCharacters: 1000, charsPerSecond: 10_000, budgetSeconds: 300), 100)
        XCTAssertEqual(AutoSizing.evalEvery(iterations: 2000, validationCharacters: 300_000, charsPerSecond: 10_000, budgetSeconds: 300), 500)
        XCTAssertEqual(AutoSizing.evalEvery(iterations: 2000, validationCharacters: 75_000, charsPerSecond: 10_000, budgetSeconds: 300), 333)
    }

    /// The options an automatic run trains with: the choice, a cosine schedule over the budget, early stopping.
    func testChoiceBecomesTrainingOptions() {
        let c = AutoSizing.choose(request(seconds: 300))
        var base = TrainingOptions()
        base.validationFraction = 0.1
        let o = c.options(from: base, budgetSeconds: 290)
        XCTAssertEqual(o.lrSchedule?.kind, .cosine)
        XCTAssertEqual(o.lrSchedule?.horizonSeconds, 290)
        XCTAssertEqual(o.lrSchedule?.warmupIterations, LearningRateSchedule.defaultWarmup(horizonIterations: Int(c.budgetCharacters / 2500)))
        XCTAssertEqual(o.patience, EarlyStopping.automaticPatience)
        XCTAssertEqual(o.budgetSeconds, 290)
        XCTAssertEqual(o.sizing, c.reason)
        XCTAssertEqual(o.validationFraction, 0.1)
        XCTAssertEqual(o.learningRate, c.learningRate)
        XCTAssertEqual(o.evalEvery, c.evalEvery)
        // A schedule or patience already set is kept.
        base.lrSchedule = LearningRateSchedule(kind: .step)
        base.patience = 9
        let kept = c.options(from: base, budgetSeconds: 290)
        XCTAssertEqual(kept.lrSchedule, LearningRateSchedule(kind: .step))
        XCTAssertEqual(kept.patience, 9)
    }
}
