// What each cell type declares, as inspection and the memory estimate read it: gate letters,
// names and ranges, the errors that name a cell, and the workspace size against what it allocates.

import XCTest
@testable import CharRNN

final class CellRegistryTests: XCTestCase {
    /// One row per cell: gate letters in weight-row order, the sigmoid ones, and whether
    /// inspection records gates and a cell state.
    static let table: [(CellKind, letters: String, sigmoid: String, recordsGates: Bool, cellState: Bool)] = [
        (.rnn, "h", "", false, false),
        (.lstm, "ifgo", "ifo", true, true),
        (.gru, "rzn", "rz", true, false),
    ]

    /// Today's cells declare what PyTorch's modules and the table say.
    func testDeclarations() {
        for row in Self.table {
            let kind = row.0
            XCTAssertEqual(kind.gates.map(\.letter).joined(), row.letters, "\(kind)")
            XCTAssertEqual(kind.gates.filter { $0.nonlinearity == .sigmoid }.map(\.letter).joined(), row.sigmoid, "\(kind)")
            XCTAssertEqual(kind.gateCount, row.letters.count)
            XCTAssertEqual(kind.recordsGates, row.recordsGates, "\(kind)")
            XCTAssertEqual(kind.hasCellState, row.cellState, "\(kind)")
        }
    }

    /// Inspection follows every cell's own description: its recorded gates, their names and ranges.
    func testGatesAsInspectionSeesThem() throws {
        let names = ["i": "input gate", "f": "forget gate", "g": "candidate (tanh)", "o": "output gate",
                     "r": "reset gate", "z": "update gate", "n": "candidate (tanh)", "h": "hidden state"]
        for kind in CellKind.allCases {
            let config = ModelConfig(cell: kind, layers: 1, hidden: 2, vocabularySize: 3)
            let units = try CellUnit.select(config: config, layers: [0], state: .all, indices: [1])
            let gates = units.filter { if case .gate = $0.source { return true } else { return false } }
            XCTAssertEqual(gates.map(\.letter), kind.recordsGates ? kind.gates.map(\.letter) : [], "\(kind)")
            XCTAssertEqual(units.filter(\.isSigmoidGate).map(\.letter),
                           kind.recordsGates ? kind.gates.filter { $0.nonlinearity == .sigmoid }.map(\.letter) : [], "\(kind)")
            XCTAssertEqual(units.filter { $0.source == .cell }.count, kind.hasCellState ? 1 : 0, "\(kind)")
            for u in units {
                let gate = kind.gates.first { $0.letter == u.letter }
                XCTAssertEqual(u.kindName, u.source == .cell ? "cell state" : gate?.name ?? names[u.letter, default: "?"], u.name)
                switch u.source {
                case .cell: XCTAssertNil(u.naturalRange)
                default: XCTAssertEqual(u.naturalRange, u.isSigmoidGate ? 0...1 : -1...1, u.name)
                }
            }
        }
        for (letter, name) in names {
            XCTAssertTrue(CellKind.allCases.contains { $0.gates.contains { $0.letter == letter && $0.name == name } }, letter)
        }
    }

    /// Help text lists every registered cell once, most gate blocks first, and names the gate
    /// letters of each cell that records gates from its own description.
    func testHelpTextListsEveryCellFromItsDescription() {
        XCTAssertEqual(Set(CellKind.listed), Set(CellKind.allCases))
        XCTAssertEqual(CellKind.listed.count, CellKind.allCases.count)
        XCTAssertEqual(CellKind.listed.map(\.gateCount), CellKind.allCases.map(\.gateCount).sorted(by: >))
        let withGates = CellKind.listed.filter(\.recordsGates)
        XCTAssertEqual(CellKind.gateLetters(named: true), withGates.map { "\($0.rawValue.uppercased()) " + $0.gates.map(\.letter).joined(separator: " ") })
        XCTAssertEqual(CellKind.gateLetters(named: false), withGates.map { $0.gates.map(\.letter).joined(separator: " ") })
        // Today's three, as `train --help` and `inspect-cells --help` print them.
        if Set(CellKind.allCases) == [.lstm, .gru, .rnn] {
            XCTAssertEqual(CellKind.listed, [.lstm, .gru, .rnn])
            XCTAssertEqual(CellKind.gateLetters(named: true), ["LSTM i f g o", "GRU r z n"])
        }
    }

    func testErrorsNameTheCell() {
        XCTAssertEqual("\(UnitSelectionError.noCellState(.gru))", "a GRU has no cell state c (only an LSTM does)")
        XCTAssertEqual("\(UnitSelectionError.noGates(.rnn))", "an RNN has no gates (its only activation is h)")
        let rnn = ModelConfig(cell: .rnn, layers: 1, hidden: 4, vocabularySize: 3)
        XCTAssertThrowsError(try CellUnit.select(config: rnn, layers: [0], state: .gates)) {
            XCTAssertEqual($0 as? UnitSelectionError, .noGates(.rnn))
        }
        XCTAssertThrowsError(try CellUnit.parse("l0.h.0x", config: rnn))
        XCTAssertThrowsError(try CellUnit.parse("l0.c.0", config: rnn)) {
            XCTAssertEqual($0 as? UnitSelectionError, .noCellState(.rnn))
        }
    }

    /// `Workspace.byteCount` is what a workspace allocates: every buffer of every layer's cache
    /// and the model-wide ones, plus the packed W_hh at its documented bound G·H·(H + 31) when
    /// B > 1. A cell whose cache needs were counted in one place and allocated in another would
    /// show here.
    func testByteCountIsWhatTheWorkspaceAllocates() {
        for kind in CellKind.allCases {
            for (B, training, dropout) in [(1, false, Float(0)), (5, true, 0), (5, true, 0.3)] {
                let config = ModelConfig(cell: kind, layers: 3, hidden: 7, vocabularySize: 11, dropout: dropout)
                let T = 4, H = 7, GH = kind.gateCount * H
                let ws = Workspace(config: config, steps: T, batch: B, training: training)
                var floats = [ws.embedding, ws.embeddingGrad, ws.logits, ws.dLogits, ws.dOutput].reduce(0) { $0 + $1.count }
                for c in ws.layers {
                    let buffers = [c.h, c.c, c.gates, c.recurrentProduct, c.savedForBackward, c.dh, c.dc, c.input, c.dropMask]
                    floats += buffers.reduce(0) { $0 + $1.count } + (c.recurrentGateGradients?.count ?? 0)
                    XCTAssertEqual(c.packedWeightHH == nil, B == 1)
                    if B > 1 { floats += GH * (H + 31) }
                }
                XCTAssertEqual(Workspace.byteCount(config: config, steps: T, batch: B, training: training),
                               floats * 4 + 2 * T * B * 4, "\(kind) B=\(B) training=\(training) dropout=\(dropout)")
            }
        }
    }
}
