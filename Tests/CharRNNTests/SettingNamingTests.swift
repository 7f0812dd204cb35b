// Library messages name settings through whoever shows them: their description reads the settings'
// own names, and a caller's names (the command line's options) replace those and nothing else.

import XCTest
@testable import CharRNN

final class SettingNamingTests: XCTestCase {
    func flags(_ setting: Setting) -> String {
        switch setting {
        case .learningRate: return "--lr"
        case .clipNorm: return "--clip-norm"
        case .pattern: return "--pattern"
        case .patternMode: return "--pattern-mode"
        case .output: return "--output"
        case .metrics: return "--metrics"
        case .resume: return "--resume"
        case .force: return "--force"
        case .precision: return "--precision"
        case .batchSize: return "--batch-size"
        case .seqLength: return "--seq-length"
        }
    }

    func testMessagesNameSettingsAsTheirCallerNamesThem() {
        let diverged = TrainingError.nonFinite(iteration: 4, what: "the parameters")
        XCTAssertEqual(diverged.description, "the parameters became non-finite at iteration 4; the last checkpoint was kept. "
                       + "Try a lower learning rate or gradient norm clip")
        XCTAssertEqual(diverged.text(naming: flags), "the parameters became non-finite at iteration 4; the last checkpoint was kept. "
                       + "Try a lower --lr or --clip-norm")
        let unmatched = PatternError.marksNothing("ab", matched: true)
        XCTAssertEqual(unmatched.description, "pattern 'ab' matches, but marks no character in this pattern mode")
        XCTAssertEqual(unmatched.text(naming: flags), "--pattern 'ab' matches, but marks no character in this --pattern-mode")
        XCTAssertEqual(PatternError.invalid("(", reason: "missing )", offset: 0).text(naming: flags),
                       "--pattern '(' is not a valid regular expression: missing ) at offset 0 of the pattern")
        XCTAssertEqual(PatternError.marksNothing("zz", matched: false).text(naming: flags), "--pattern 'zz' never matches the text")
        XCTAssertEqual(PatternError.marksEverything(".", characters: 9).text(naming: flags),
                       "--pattern '.' marks all 9 characters, so no unit can separate marked from unmarked ones")
        let existing = OutputRefusal.existingCheckpoint(output: "the best checkpoint \(setting: .output) m.best.ckpt", resume: "m.ckpt")
        XCTAssertEqual(existing.description, "the best checkpoint output m.best.ckpt is an existing checkpoint; to continue it use "
                       + "checkpoint to resume m.ckpt, to keep it choose another output, or add force to replace it")
        XCTAssertEqual(existing.text(naming: flags), "the best checkpoint --output m.best.ckpt is an existing checkpoint; to continue it "
                       + "use --resume m.ckpt, to keep it choose another --output, or add --force to replace it")
        let fallback: SettingsMessage = "using \(setting: .precision) fp32, \(setting: .batchSize) \(4) \(setting: .seqLength) \(8)"
        XCTAssertEqual(fallback.description, "using precision fp32, batch size 4 sequence length 8")
        XCTAssertEqual(fallback.text(naming: flags), "using --precision fp32, --batch-size 4 --seq-length 8")
        XCTAssertEqual(TrainingError.corpusTooShort(characters: 1).text(naming: flags),
                       "the training text is too short: 1 character, and training needs at least 2 characters")
    }
}
