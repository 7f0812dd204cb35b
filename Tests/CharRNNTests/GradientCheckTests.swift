// Backward vs finite differences for every cell, 1 and 2 layers, through decoder and loss, for
// every parameter tensor and the initial state; and proof that the check catches broken gradients.

import XCTest
@testable import CharRNN
import TestSupport

final class GradientCheckTests: XCTestCase {
    // Small enough to check every element, big enough to exercise B > 1, T > 3, odd H.
    func makeModel(_ cell: CellKind, layers: Int, dropout: Float = 0, weightDrop: Float = 0, seed: UInt64 = 7) -> Model {
        Model(config: ModelConfig(cell: cell, layers: layers, hidden: 5, vocabularySize: 6, dropout: dropout, weightDrop: weightDrop),
              seed: seed)
    }

    func assertGradientsMatch(_ cell: CellKind, layers: Int, dropout: Float = 0, weightDrop: Float = 0,
                              file: StaticString = #filePath, line: UInt = #line) {
        let model = makeModel(cell, layers: layers, dropout: dropout, weightDrop: weightDrop)
        let problem = GradientCheck.Problem(model: model, steps: 4, batch: 3, seed: 11)
        let report = GradientCheck.run(model, problem)
        XCTAssertTrue(report.passed, "\(cell) L=\(layers): \(report.mismatches.prefix(5))", file: file, line: line)
        // Every tensor and every initial state was really checked.
        for view in model.parameters.views {
            XCTAssertEqual(report.checked[view.name], view.count, view.name, file: file, line: line)
        }
        for l in 0..<layers {
            XCTAssertEqual(report.checked["h0_l\(l)"], 3 * 5, file: file, line: line)
            XCTAssertEqual(report.checked["c0_l\(l)"], cell.hasCellState ? 3 * 5 : nil, file: file, line: line)
        }
    }

    func testEveryCellOneAndTwoLayers() {
        for cell in CellKind.allCases { for layers in 1...2 { assertGradientsMatch(cell, layers: layers) } }
    }
    func testLSTMTwoLayersWithDropout() { assertGradientsMatch(.lstm, layers: 2, dropout: 0.3) }
    func testGRUThreeLayersWithDropout() { assertGradientsMatch(.gru, layers: 3, dropout: 0.25) }
    func testEveryCellWithWeightDrop() {
        for cell in CellKind.allCases { assertGradientsMatch(cell, layers: 2, dropout: 0.2, weightDrop: 0.4) }
    }

    /// Weight drop really drops: the same weights and batch give another training loss with it on,
    /// and the W_hh gradient is zero exactly where the mask dropped an element (about p of them).
    func testWeightDropMasksTheRecurrentWeightsAndTheirGradient() {
        let plain = makeModel(.lstm, layers: 1), dropped = makeModel(.lstm, layers: 1, weightDrop: 0.5)
        let problem = GradientCheck.Problem(model: plain, steps: 4, batch: 3, seed: 11)
        let a = GradientCheck.analytic(plain, problem).params, b = GradientCheck.analytic(dropped, problem).params
        let hh = plain.parameters.view(named: "rnn.weight_hh_l0")!
        let zeros = (hh.offset..<(hh.offset + hh.count)).filter { b[$0] == 0 }.count
        XCTAssertEqual(Double(zeros) / Double(hh.count), 0.5, accuracy: 0.15, "about half of W_hh's gradient is masked")
        XCTAssertFalse((hh.offset..<(hh.offset + hh.count)).contains { a[$0] == 0 })
        XCTAssertNotEqual(a, b)
    }

    /// Two threads each running the time loop of their own streams (and the big products split
    /// across threads, and the bias sums, embedding gather and scatter split by rows or columns)
    /// compute every element in the same order as one thread: bit-identical gradients, for a
    /// batch whose split is uneven (8 + 11 streams) and a hidden width with a partial 16-lane tail.
    func testStreamGroupsOnTwoThreadsMatchOneThread() {
        let savedThreads = Parallelism.threads, savedMinimum = Parallelism.minimumMultiplyAdds
        defer { Parallelism.threads = savedThreads; Parallelism.minimumMultiplyAdds = savedMinimum }
        Parallelism.minimumMultiplyAdds = 0
        for cell in CellKind.allCases {
            let config = ModelConfig(cell: cell, layers: 2, hidden: 21, vocabularySize: 6, dropout: 0.2)
            let model = Model(config: config, seed: 5)
            let problem = GradientCheck.Problem(model: model, steps: 5, batch: 19, seed: 3)
            Parallelism.threads = 1
            let one = GradientCheck.analytic(model, problem)
            Parallelism.threads = 2
            let two = GradientCheck.analytic(model, problem)
            XCTAssertEqual(one.params, two.params, "\(cell)")
            XCTAssertEqual(one.h0, two.h0, "\(cell)")
            XCTAssertEqual(one.c0, two.c0, "\(cell)")
            XCTAssertTrue(one.params.contains { $0 != 0 })
        }
    }

    // The same check must fail when the backward pass is wrong.

    func assertCaught(_ cell: CellKind, fault: GradientFault, file: StaticString = #filePath, line: UInt = #line) -> GradientReport {
        let model = makeModel(cell, layers: 2)
        model.fault = fault
        let report = GradientCheck.run(model, GradientCheck.Problem(model: model, steps: 4, batch: 3, seed: 11))
        XCTAssertFalse(report.passed, "\(fault) went unnoticed", file: file, line: line)
        return report
    }

    /// Every registered cell declares a fault, and the check catches it: a cell whose backward
    /// pass the check could not fault would pass whatever its gradients were.
    func testCatchesEachCellsPlantedFault() {
        for cell in CellKind.allCases {
            XCTAssertNotEqual(cell.plantedFault, .none, "\(cell)")
            _ = assertCaught(cell, fault: cell.plantedFault)
        }
    }

    func testCatchesDroppedLSTMCellCarry() {
        let report = assertCaught(.lstm, fault: .dropCellCarry)
        // Only paths through c_{t-1} are wrong, so the top of the graph (decoder) still agrees.
        XCTAssertFalse(report.mismatches.contains { $0.tensor.hasPrefix("decoder") })
        XCTAssertTrue(report.mismatches.contains { $0.tensor == "c0_l0" })
    }

    func testCatchesFlippedGRUUpdateGateSign() {
        let report = assertCaught(.gru, fault: .flipUpdateGate)
        XCTAssertTrue(report.mismatches.contains { $0.tensor.hasPrefix("rnn.weight_hh") })
    }

    func testCatchesDroppedRNNRecurrence() {
        let report = assertCaught(.rnn, fault: .dropRecurrence)
        XCTAssertTrue(report.mismatches.contains { $0.tensor == "h0_l1" })
    }

    func testCatchesWrongSignAndSmallCorruptions() {
        let model = makeModel(.lstm, layers: 1)
        let problem = GradientCheck.Problem(model: model, steps: 4, batch: 3, seed: 11)
        let bias = model.parameters.view(named: "rnn.bias_hh_l0")!
        // Whole tensor negated.
        let flipped = GradientCheck.run(model, problem) { g in
            for i in bias.offset..<(bias.offset + bias.count) { g[i] = -g[i] }
        }
        XCTAssertFalse(flipped.passed)
        XCTAssertTrue(flipped.mismatches.allSatisfy { $0.tensor == "rnn.bias_hh_l0" })
        // One element off by 5 %: still caught, by the relative tolerance. (The largest element
        // of the tensor, so that 5 % of it is well above the absolute tolerance.)
        let decoder = model.parameters.view(named: "decoder.weight")!
        let exact = GradientCheck.analytic(model, problem).params
        let largest = (decoder.offset..<(decoder.offset + decoder.count)).max { abs(exact[$0]) < abs(exact[$1]) }!
        XCTAssertGreaterThan(abs(exact[largest]) * 0.05, Float(GradientCheck.absoluteTolerance) * 4)
        let nudged = GradientCheck.run(model, problem) { g in g[largest] *= 1.05 }
        XCTAssertEqual(nudged.mismatches.map(\.tensor), ["decoder.weight"])
    }
}
