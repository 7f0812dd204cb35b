// The registry of cell types: the name a checkpoint and `--cell` use for each, and the type that
// implements it. Everything else about a cell (gates, caches, passes) is asked of that type.
//
// Adding a cell type takes three files and a regenerated fixture (the compiler or a test stops
// you at each step you skip):
//   1. one file in Cells/ with an enum conforming to `RecurrentCell`: its gates (letter, name,
//      nonlinearity, in PyTorch's row order), cache needs, forward, backward, the one-step form,
//      its equations for one unit in plain Double (`referenceUnit`, the slow reference the tests
//      check the fast kernels against), and the `GradientFault` its backward can be told to make
//      (`plantedFault`);
//   2. a case below (its checkpoint and `--cell` name) and its row in `implementation`;
//   3. its PyTorch module: an entry at the end of `CELLS` in scripts/continue_charnn.py (an
//      nn.Module of nn.RNN's interface and tensor names where torch has none), then
//      `python Tests/Fixtures/make_torch_fixture.py` (needs torch) to regenerate torch_fixture.json,
//      which takes the cells, their seeds and whether they carry a cell state from that program.
// Help text, completions, the man page and the per-cell tests (gradient check and its planted
// fault, forward, fixture, inference step, inspection) follow from `allCases` and the description.
// Only prose lists the cells by hand: the `--cell` rows of README.md and docs/usage.md (no test
// reads them), and the benchmark's chosen models (Tests/Bench/compare.py, docs/benchmarks.md).
// The gradient check differentiates numerically, so it assumes smooth nonlinearities: a ReLU cell
// tried this way matched PyTorch's gradients and failed the check at units next to the kink.

public enum CellKind: String, CaseIterable, Sendable, Codable {
    case rnn, lstm, gru

    /// The registration point: the type that implements each cell.
    var implementation: RecurrentCell.Type {
        switch self {
        case .rnn: return VanillaRNNCell.self
        case .lstm: return LSTMCell.self
        case .gru: return GRUCell.self
        }
    }

    /// The gate blocks stacked in the weight matrices, in PyTorch's row order.
    public var gates: [Gate] { implementation.gates }

    /// G, the number of gate blocks: the weight matrices have G·H rows.
    public var gateCount: Int { implementation.gates.count }

    /// Whether the cell carries a cell state c beside h.
    public var hasCellState: Bool { implementation.hasCellState }

    /// Whether inspection records the gate blocks as units of their own (see `RecurrentCell.recordsGates`).
    public var recordsGates: Bool { implementation.recordsGates }

    /// "an LSTM", "a GRU": the name in running text, article included.
    public var indefiniteName: String { implementation.indefiniteName }

    /// Whether b_hh is added to the input-side pre-activations (see `RecurrentCell.foldsRecurrentBias`).
    var foldsRecurrentBias: Bool { implementation.foldsRecurrentBias }

    /// The mistake the gradient-check tests plant in this cell's backward pass.
    var plantedFault: GradientFault { implementation.plantedFault }

    /// "LSTM": the name in captions and help text.
    public var displayName: String { rawValue.uppercased() }

    /// The order in which help text and defaults list the cells: most gate blocks first, ties in
    /// declaration order ("lstm|gru|rnn").
    public static var listed: [CellKind] {
        allCases.enumerated().sorted { ($0.element.gateCount, -$0.offset) > ($1.element.gateCount, -$1.offset) }.map(\.element)
    }

    /// The recorded gate letters of every cell that has them, in `listed` order: "LSTM i f g o" for
    /// `named`, "i f g o" without.
    public static func gateLetters(named: Bool) -> [String] {
        listed.filter(\.recordsGates).map { cell in
            (named ? [cell.displayName] : []) + cell.gates.map(\.letter)
        }.map { $0.joined(separator: " ") }
    }
}

/// One gate block of a cell: how its units are named, and the nonlinearity that bounds their values.
public struct Gate: Hashable, Sendable {
    public enum Nonlinearity: Hashable, Sendable { case sigmoid, tanh }

    /// The letter in unit names such as `l0.f.5`.
    public let letter: String
    /// What the letter stands for, for headers ("forget gate").
    public let name: String
    public let nonlinearity: Nonlinearity

    /// The values the gate can take: (0, 1) after a sigmoid, (-1, 1) after tanh. Views centre
    /// their colour scale on its middle.
    public var range: ClosedRange<Float> { nonlinearity == .sigmoid ? 0...1 : -1...1 }
}
