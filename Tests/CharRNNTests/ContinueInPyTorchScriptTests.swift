// scripts/continue_charnn.py, the "Continue in PyTorch" program users run, is the one kept in
// Tests/Fixtures/make_torch_fixture.py, whose model class computes the PyTorch fixture: the two must be the same text.

import Foundation
import XCTest

final class ContinueInPyTorchScriptTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let beginMarker = "# --- BEGIN continue-in-pytorch ---"
    static let endMarker = "# --- END continue-in-pytorch ---"
    static let shebang = "#!/usr/bin/env python3"

    func lines(_ relativePath: String) throws -> [String] {
        let text = try String(contentsOf: Self.root.appendingPathComponent(relativePath), encoding: .utf8)
        return text.components(separatedBy: "\n")
    }

    /// The fixture script's program: the lines strictly between its BEGIN and END markers.
    func fixtureBlock() throws -> [String] {
        let script = try lines("Tests/Fixtures/make_torch_fixture.py")
        let begin = try XCTUnwrap(script.firstIndex(of: Self.beginMarker), "the script has no BEGIN marker")
        let end = try XCTUnwrap(script.firstIndex(of: Self.endMarker), "the script has no END marker")
        XCTAssertLessThan(begin, end)
        return Array(script[(begin + 1)..<end])
    }

    /// scripts/continue_charnn.py without its shebang line and the file's final newline.
    func shippedProgram() throws -> [String] {
        var program = try lines("scripts/continue_charnn.py")
        XCTAssertEqual(program.first, Self.shebang, "scripts/continue_charnn.py starts with a shebang")
        program.removeFirst()
        if program.last == "" { program.removeLast() }
        return program
    }

    func testShippedProgramIsTheFixturesProgramVerbatim() throws {
        let fixture = try fixtureBlock()
        XCTAssertTrue(fixture.contains { $0.contains("load_state_dict") } && fixture.contains { $0.contains("DistributedDataParallel") },
                      "the lines between the markers are the Continue-in-PyTorch program")
        let shipped = try shippedProgram()
        let common = min(shipped.count, fixture.count)
        let firstDifference = (0..<common).first { shipped[$0] != fixture[$0] } ?? (shipped.count == fixture.count ? nil : common)
        if let i = firstDifference {
            XCTFail("scripts/continue_charnn.py differs from the fixture script's block at its line \(i + 2): scripts/ "
                    + "\(i < shipped.count ? shipped[i].debugDescription : "(ended)"), fixture \(i < fixture.count ? fixture[i].debugDescription : "(ended)")")
        }
    }
}
