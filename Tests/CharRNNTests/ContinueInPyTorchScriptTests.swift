// README.md's "Continue in PyTorch" program is the one kept in Tests/Fixtures/make_torch_fixture.py,
// whose model class computes the PyTorch fixture: the README's copy must be the same text.

import Foundation
import XCTest

final class ContinueInPyTorchReadmeTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let beginMarker = "# --- BEGIN continue-in-pytorch ---"
    static let endMarker = "# --- END continue-in-pytorch ---"

    func lines(_ relativePath: String) throws -> [String] {
        let text = try String(contentsOf: Self.root.appendingPathComponent(relativePath), encoding: .utf8)
        return text.components(separatedBy: "\n")
    }

    /// The script's program: the lines strictly between its BEGIN and END markers.
    func scriptBlock() throws -> [String] {
        let script = try lines("Tests/Fixtures/make_torch_fixture.py")
        let begin = try XCTUnwrap(script.firstIndex(of: Self.beginMarker), "the script has no BEGIN marker")
        let end = try XCTUnwrap(script.firstIndex(of: Self.endMarker), "the script has no END marker")
        XCTAssertLessThan(begin, end)
        return Array(script[(begin + 1)..<end])
    }

    /// The first ```python block after README's "Continue in PyTorch" heading, nil without one.
    func readmeBlock() throws -> [String]? {
        let readme = try lines("README.md")
        guard let heading = readme.firstIndex(where: { $0.hasPrefix("#") && $0.contains("Continue in PyTorch") }),
              let open = readme[heading...].firstIndex(of: "```python"),
              let close = readme[(open + 1)...].firstIndex(of: "```") else { return nil }
        return Array(readme[(open + 1)..<close])
    }

    func testReadmeShowsTheScriptsProgramVerbatim() throws {
        let script = try scriptBlock()
        XCTAssertTrue(script.contains { $0.contains("load_state_dict") } && script.contains { $0.contains("DistributedDataParallel") },
                      "the lines between the markers are the Continue-in-PyTorch program")
        guard let readme = try readmeBlock() else {
            return XCTFail("README.md needs a \"Continue in PyTorch\" section with a ```python block holding the lines "
                           + "between the markers of Tests/Fixtures/make_torch_fixture.py")
        }
        let common = min(readme.count, script.count)
        let firstDifference = (0..<common).first { readme[$0] != script[$0] } ?? (readme.count == script.count ? nil : common)
        if let i = firstDifference {
            XCTFail("README.md's Continue in PyTorch block differs from the script's at its line \(i + 1): README "
                    + "\(i < readme.count ? readme[i].debugDescription : "(ended)"), script \(i < script.count ? script[i].debugDescription : "(ended)")")
        }
    }
}
