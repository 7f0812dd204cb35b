// scripts/continue_charnn.py, the "Continue in PyTorch" program users run, must be the program whose model class
// computed the committed PyTorch fixture: Tests/Fixtures/make_torch_fixture.py records its text in the fixture.

import Foundation
import XCTest

final class ContinueInPyTorchScriptTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    struct Fixture: Decodable {
        let continueProgram: String
        enum CodingKeys: String, CodingKey { case continueProgram = "continue_program" }
    }

    func testShippedProgramIsTheOneThatComputedTheFixture() throws {
        let fixtureData = try Data(contentsOf: Self.root.appendingPathComponent("Tests/Fixtures/torch_fixture.json"))
        let recorded = try JSONDecoder().decode(Fixture.self, from: fixtureData).continueProgram.components(separatedBy: "\n")
        let shipped = try String(contentsOf: Self.root.appendingPathComponent("scripts/continue_charnn.py"), encoding: .utf8)
            .components(separatedBy: "\n")
        XCTAssertTrue(recorded.contains { $0.contains("load_state_dict") } && recorded.contains { $0.contains("DistributedDataParallel") },
                      "the fixture records the Continue-in-PyTorch program")
        let common = min(shipped.count, recorded.count)
        let firstDifference = (0..<common).first { shipped[$0] != recorded[$0] } ?? (shipped.count == recorded.count ? nil : common)
        if let i = firstDifference {
            XCTFail("scripts/continue_charnn.py differs from the program that computed the fixture at its line \(i + 1): scripts/ "
                    + "\(i < shipped.count ? shipped[i].debugDescription : "(ended)"), fixture \(i < recorded.count ? recorded[i].debugDescription : "(ended)"); "
                    + "regenerate the fixture with Tests/Fixtures/make_torch_fixture.py after changing the program")
        }
    }
}
