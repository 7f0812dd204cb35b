// The rules that turn a command line's settings into a run: a new run's model and options, what a
// resumed run keeps of its checkpoint and what it may change, and when each run stops.

import XCTest
@testable import CharRNN

final class TrainingPlanTests: XCTestCase {
    let config = ModelConfig(cell: .lstm, layers: 2, hidden: 16, vocabularySize: 5, dropout: 0.25)

    /// A checkpoint's state part way through a run: a decayed rate, bf16, a cosine schedule, patience and a budget.
    func checkpoint() -> TrainingSnapshot {
        var options = TrainingOptions()
        options.learningRate = 4e-3
        options.precision = .bf16
        options.lrSchedule = LearningRateSchedule(kind: .cosine, warmupIterations: 5, horizonSeconds: 600)
        options.patience = 4
        options.budgetSeconds = 600
        options.batchSize = 7
        var progress = TrainingProgress(learningRate: 1e-3, rngState: 9)
        progress.iteration = 40
        return TrainingSnapshot(options: options, progress: progress,
                                optimizer: Optimizer(kind: .adam, learningRate: 1e-3, parameterCount: 3),
                                state: RecurrentState(config: config, batch: 7))
    }

    func resume(_ request: TrainingRequest) throws -> TrainingSnapshot {
        try ResumePolicy.resume(checkpoint(), config: config, text: .standard, request: request)
    }

    func testEachArchitectureSettingGivenDifferentlyIsAConflict() {
        var cell = TrainingRequest(), layers = TrainingRequest(), hidden = TrainingRequest(), dropout = TrainingRequest()
        var weightDrop = TrainingRequest()
        (cell.cell, layers.layers, hidden.hidden, dropout.dropout, weightDrop.weightDrop) = (.gru, 3, 32, 0.5, 0.2)
        let conflicts = [cell, layers, hidden, dropout, weightDrop].map { ResumePolicy.conflict($0, config: config, text: .standard) }
        XCTAssertEqual(conflicts, [ResumeConflict(setting: .cell, given: "gru", saved: "lstm"),
                                   ResumeConflict(setting: .layers, given: "3", saved: "2"),
                                   ResumeConflict(setting: .hidden, given: "32", saved: "16"),
                                   ResumeConflict(setting: .dropout, given: "0.5", saved: "0.25"),
                                   ResumeConflict(setting: .weightDrop, given: "0.2", saved: "0.0")])
        XCTAssertThrowsError(try resume(hidden)) { XCTAssertEqual($0 as? ResumeConflict, conflicts[2]) }
    }

    func testArchitectureSettingsGivenAgainUnchangedAreAccepted() throws {
        var same = TrainingRequest()
        (same.cell, same.layers, same.hidden, same.dropout, same.weightDrop) = (.lstm, 2, 16, 0.25, 0)
        XCTAssertNil(ResumePolicy.conflict(same, config: config, text: .standard))
        XCTAssertEqual(try resume(same).options, checkpoint().options)
    }

    func testKeepingLineEndingsConflictsOnlyWithATextReadWithLF() {
        var request = TrainingRequest()
        request.keepLineEndings = true
        XCTAssertEqual(ResumePolicy.conflict(request, config: config, text: .standard)?.setting, .keepLineEndings)
        XCTAssertNil(ResumePolicy.conflict(request, config: config, text: .exact))
    }

    func testNothingGivenKeepsEveryTrainingSettingAndTheDecayedRate() throws {
        let resumed = try resume(TrainingRequest())
        XCTAssertEqual(resumed.options, checkpoint().options)
        XCTAssertEqual(resumed.progress, checkpoint().progress)
    }

    func testAnExplicitRateReplacesBothTheBaseAndTheDecayedRate() throws {
        var request = TrainingRequest()
        request.learningRate = 5e-4
        let resumed = try resume(request)
        XCTAssertEqual(resumed.options.learningRate, 5e-4)
        XCTAssertEqual(resumed.progress.learningRate, 5e-4)
        XCTAssertEqual(resumed.progress.iteration, 40)
    }

    func testPrecisionIsKeptUnlessGiven() throws {
        XCTAssertEqual(try resume(TrainingRequest()).options.precision, Precision.bf16Available ? .bf16 : .fp32,
                       "the checkpoint's bf16 where it can run, whether or not auto would choose it here")
        var request = TrainingRequest()
        request.precision = .fp32
        XCTAssertEqual(try resume(request).options.precision, .fp32)
    }

    /// `auto` (a new run's default) is bf16 exactly where the CPU has it and measures it faster; an
    /// explicit choice is kept where it can run; a resumed bf16 checkpoint falls back on a CPU
    /// without bf16; each says why.
    func testPrecisionChoiceAndItsReason() throws {
        let newRun = TrainingRequest()
        var fp32 = TrainingRequest(), bf16 = TrainingRequest()
        (fp32.precision, bf16.precision) = (.fp32, .bf16)
        XCTAssertEqual(fp32.trainingPrecision(resuming: nil).precision, .fp32)
        XCTAssertEqual(fp32.trainingPrecision(resuming: .bf16).reason, "as asked")
        if Precision.bf16Available {
            let pays = BF16Speedup.measured >= BF16Speedup.required
            XCTAssertEqual(newRun.newRunOptions.precision, pays ? .bf16 : .fp32)
            XCTAssertEqual(newRun.trainingPrecision(resuming: nil).reason,
                           PrecisionChoice.auto.resolved(absence: nil, speedup: { BF16Speedup.measured }).reason)
            XCTAssertEqual(bf16.trainingPrecision(resuming: .fp32).precision, .bf16)
            XCTAssertEqual(newRun.trainingPrecision(resuming: .bf16).reason, "as the checkpoint trained")
        }
        setenv(Precision.disableVariable, "1", 1)
        defer { unsetenv(Precision.disableVariable) }
        let absent = Precision.bf16Hardware ? "bf16 turned off by CHARNN_DISABLE_BF16=1" : "no bf16 dot products on this CPU"
        XCTAssertEqual(newRun.newRunOptions.precision, .fp32)
        XCTAssertEqual(newRun.trainingPrecision(resuming: nil).reason, absent)
        XCTAssertEqual(bf16.trainingPrecision(resuming: nil).precision, .fp32)
        XCTAssertEqual(try resume(TrainingRequest()).options.precision, .fp32, "a bf16 checkpoint resumes in fp32 here")
        XCTAssertEqual(newRun.trainingPrecision(resuming: .bf16).reason, "the checkpoint trained in bf16; \(absent)")
        XCTAssertEqual(newRun.trainingPrecision(resuming: .fp32).reason, "as the checkpoint trained")
    }

    func testAGivenScheduleReplacesTheSavedOneAndPatienceZeroTurnsEarlyStoppingOff() throws {
        var request = TrainingRequest()
        (request.schedule, request.patience) = (.constant, 0)
        let resumed = try resume(request)
        XCTAssertEqual(resumed.options.lrSchedule, LearningRateSchedule(kind: .constant))
        XCTAssertNil(resumed.options.patience)
        request.patience = 2
        XCTAssertEqual(try resume(request).options.patience, 2)
    }

    func testOtherTrainingSettingsGivenOverrideTheSavedOnes() throws {
        var request = TrainingRequest()
        (request.batchSize, request.seqLength, request.optimizer, request.gradClip) = (3, 9, .sgd, 0)
        (request.clipNorm, request.lrDecay, request.lrDecayEvery) = (2, 0.5, 3)
        (request.validationFraction, request.evalEvery, request.printEvery) = (0.2, 11, 12)
        let o = try resume(request).options
        XCTAssertEqual([o.batchSize, o.seqLength, o.lrDecayEvery, o.evalEvery, o.printEvery], [3, 9, 3, 11, 12])
        XCTAssertEqual(o.optimizer, .sgd)
        XCTAssertEqual([o.gradClip, o.clipNorm, o.lrDecay], [0, 2, 0.5])
        XCTAssertEqual(o.validationFraction, 0.2)
    }

    func testAResumedRunWithABudgetContinuesTowardsItUnlessALimitIsGiven() {
        let options = checkpoint().options
        XCTAssertEqual(TrainingRequest().stopCondition(options: options, automatic: false), StopCondition(totalSeconds: 600))
        var limited = TrainingRequest()
        limited.iterations = 50
        XCTAssertEqual(limited.stopCondition(options: options, automatic: false), StopCondition(iterations: 50))
        limited = TrainingRequest()
        limited.seconds = 30
        XCTAssertEqual(limited.stopCondition(options: options, automatic: false), StopCondition(seconds: 30))
    }

    func testAnAutomaticRunStopsAtItsBudgetAndARunWithoutLimitsAfterFiftyEpochs() {
        var automatic = TrainingRequest()
        (automatic.seconds, automatic.iterations) = (600, 90)
        XCTAssertEqual(automatic.stopCondition(options: checkpoint().options, automatic: true),
                       StopCondition(iterations: 90, totalSeconds: 600))
        XCTAssertEqual(TrainingRequest().stopCondition(options: TrainingOptions(), automatic: false), StopCondition(epochs: 50))
        var iterations = TrainingRequest()
        iterations.iterations = 7
        XCTAssertEqual(iterations.stopCondition(options: TrainingOptions(), automatic: false), StopCondition(iterations: 7))
    }

    /// `auto` takes bf16 only where it runs and its products measure at least `BF16Speedup.required`
    /// times fp32's speed, and says the figure; an explicit choice or an absent bf16 never measures.
    func testAutoTakesBF16OnlyWhereItIsMeasuredFaster() {
        let never: () -> Double = { XCTFail("measured without need"); return 0 }
        XCTAssertEqual(BF16Speedup.required, 1.2)
        let zen = PrecisionChoice.auto.resolved(absence: nil, speedup: { 1.87 })
        XCTAssertEqual(zen.precision, .bf16)
        XCTAssertEqual(zen.reason, "AVX-512 BF16, 1.9× fp32's speed here")
        let xeon = PrecisionChoice.auto.resolved(absence: nil, speedup: { 0.66 })
        XCTAssertEqual(xeon.precision, .fp32)
        XCTAssertEqual(xeon.reason, "bf16 products run at 0.66× fp32's speed on this CPU")
        XCTAssertEqual(PrecisionChoice.auto.resolved(absence: nil, speedup: { 1.2 }).precision, .bf16)
        XCTAssertEqual(PrecisionChoice.auto.resolved(absence: nil, speedup: { 1.19 }).precision, .fp32)
        XCTAssertEqual(PrecisionChoice.auto.resolved(absence: nil, speedup: { 257.4 }).reason, "AVX-512 BF16, 257× fp32's speed here",
                       "as a debug build's unoptimised fp32 products measure")
        let none = PrecisionChoice.auto.resolved(absence: "no bf16 dot products on this CPU", speedup: never)
        XCTAssertEqual(none.precision, .fp32)
        XCTAssertEqual(none.reason, "no bf16 dot products on this CPU")
        XCTAssertEqual(PrecisionChoice.bf16.resolved(absence: nil, speedup: never).precision, .bf16, "asked for, even where slower")
        XCTAssertEqual(PrecisionChoice.fp32.resolved(absence: nil, speedup: never).precision, .fp32)
    }

    func testANewRunTakesTheSettingsGivenOverTheLibraryDefaults() {
        var request = TrainingRequest()
        (request.hidden, request.cell, request.seed, request.validationFraction) = (64, .gru, 5, 0.1)
        XCTAssertEqual(request.newModel(vocabularySize: 9), ModelConfig(cell: .gru, layers: 2, hidden: 64, vocabularySize: 9, dropout: 0))
        XCTAssertEqual(TrainingRequest().newModel(vocabularySize: 9), ModelConfig(vocabularySize: 9))
        var expected = TrainingOptions(), defaults = TrainingOptions()
        (expected.seed, expected.validationFraction) = (5, 0.1)
        // The precision is auto's: bf16 where this CPU has it and runs it faster.
        (expected.precision, defaults.precision) = (PrecisionChoice.auto.resolved.precision, PrecisionChoice.auto.resolved.precision)
        XCTAssertEqual(request.newRunOptions, expected)
        XCTAssertEqual(TrainingRequest().newRunOptions, defaults)
    }

    /// A resumed run carries its optimizer and state over only when the batch size and optimizer are
    /// the checkpoint's; otherwise both start afresh (with a warning) and the progress is kept.
    func testAResumedRunKeepsItsOptimizerAndStateOnlyForTheSameBatchAndOptimizer() {
        let saved = checkpoint()
        var same = saved.options
        same.optimizer = .adam
        let kept = ResumePolicy.start(resuming: saved, options: same, config: config, parameterCount: 3)
        XCTAssertTrue(kept.optimizer === saved.optimizer)
        XCTAssertTrue(kept.state === saved.state)
        XCTAssertEqual(kept.progress.iteration, 40)
        XCTAssertNil(kept.warning)
        var changes = [same, same]
        changes[0].batchSize = 8
        changes[1].optimizer = .sgd
        for options in changes {
            let fresh = ResumePolicy.start(resuming: saved, options: options, config: config, parameterCount: 3)
            XCTAssertFalse(fresh.optimizer === saved.optimizer)
            XCTAssertEqual(fresh.optimizer.kind, options.optimizer)
            XCTAssertEqual(fresh.optimizer.learningRate, 1e-3, "the rate the run had reached")
            XCTAssertEqual(fresh.state.batch, options.batchSize)
            XCTAssertEqual(fresh.progress.iteration, 40)
            XCTAssertEqual(fresh.warning, "batch size or optimizer changed on resume: the carried state and optimizer moments start afresh")
        }
        var options = TrainingOptions()
        (options.seed, options.learningRate) = (11, 3e-3)
        let new = ResumePolicy.start(resuming: nil, options: options, config: config, parameterCount: 3)
        XCTAssertEqual(new.progress.iteration, 0)
        XCTAssertEqual(new.progress.learningRate, 3e-3)
        XCTAssertEqual(new.progress.rngState, 11 ^ 0xD1B5_4A32_D192_ED03)
        XCTAssertNil(new.warning)
    }
}
