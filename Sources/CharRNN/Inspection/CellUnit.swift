// Naming and choosing the quantities inspect-cells records: one hidden unit, cell-state unit or
// gate unit of one layer, written `l0.h.17`, `l1.c.3`, `l0.i.5` (layer, kind letter, index).

public struct CellUnit: Hashable, Sendable, CustomStringConvertible {
    public enum Source: Hashable, Sendable {
        case hidden
        case cell
        /// Block k of the layer's gates, in the cell's gate order (`CellKind.gates`).
        case gate(Int)
    }

    public let layer: Int
    public let source: Source
    public let index: Int
    /// The gate, for a gate unit: its letter, name and range come from the cell type.
    public let gate: Gate?

    public init(layer: Int, source: Source, index: Int, cell: CellKind) {
        self.layer = layer
        self.source = source
        self.index = index
        if case .gate(let k) = source { gate = cell.gates[k] } else { gate = nil }
    }

    /// h, c, or the gate's letter.
    public var letter: String {
        switch source {
        case .hidden: return "h"
        case .cell: return "c"
        case .gate: return gate!.letter
        }
    }

    public var name: String { "l\(layer).\(letter).\(index)" }
    public var description: String { name }

    /// What the letter stands for, for headers.
    public var kindName: String {
        switch source {
        case .hidden: return "hidden state"
        case .cell: return "cell state"
        case .gate: return gate!.name
        }
    }

    /// Sigmoid gates, whose values lie in (0, 1): the ones saturation is measured on.
    public var isSigmoidGate: Bool { gate?.nonlinearity == .sigmoid }

    /// The range the unit's values can take, for colour scales: the gate's, (-1, 1) for h (a
    /// tanh output), nil for the unbounded cell state.
    public var naturalRange: ClosedRange<Float>? {
        switch source {
        case .hidden: return -1...1
        case .cell: return nil
        case .gate: return gate!.range
        }
    }
}

/// Which recorded quantities of a layer to take.
public enum StateSelection: String, CaseIterable, Sendable {
    case h, c, gates, all
}

public enum UnitSelectionError: Error, Equatable, CustomStringConvertible {
    case noCellState(CellKind)
    case noGates(CellKind)
    case indexOutOfRange(Int, hidden: Int)
    case layerOutOfRange(Int, layers: Int)
    case badName(String)

    public var description: String {
        switch self {
        case .noCellState(let kind):
            let holders = CellKind.allCases.filter(\.hasCellState).map(\.indefiniteName).joined(separator: " or ")
            return "a \(kind.rawValue.uppercased()) has no cell state c (only \(holders) does)"
        case .noGates(let kind): return "\(kind.indefiniteName) has no gates (its only activation is h)"
        case .indexOutOfRange(let i, let h): return "unit \(i) is out of range: the model has \(h) units per layer (0-\(h - 1))"
        case .layerOutOfRange(let l, let n): return "layer \(l) is out of range: the model has \(n) layer\(n == 1 ? "" : "s") (0-\(n - 1))"
        case .badName(let s): return "'\(s)' is not a unit index or name like l0.h.17"
        }
    }
}

extension CellUnit {
    /// The units of `layers` for `state`, layer by layer (h, then c, then the gates), every index
    /// or only `indices` (in the order given).
    public static func select(config: ModelConfig, layers: [Int], state: StateSelection,
                              indices: [Int]? = nil) throws -> [CellUnit] {
        let cell = config.cell, H = config.hidden
        for l in layers where !(0..<config.layers).contains(l) { throw UnitSelectionError.layerOutOfRange(l, layers: config.layers) }
        for i in indices ?? [] where !(0..<H).contains(i) { throw UnitSelectionError.indexOutOfRange(i, hidden: H) }
        var sources: [Source] = []
        switch state {
        case .h: sources = [.hidden]
        case .c:
            guard cell.hasCellState else { throw UnitSelectionError.noCellState(cell) }
            sources = [.cell]
        case .gates:
            guard cell.recordsGates else { throw UnitSelectionError.noGates(cell) }
            sources = (0..<cell.gateCount).map { .gate($0) }
        case .all:
            sources = [.hidden] + (cell.hasCellState ? [.cell] : []) + (cell.recordsGates ? (0..<cell.gateCount).map { .gate($0) } : [])
        }
        var units: [CellUnit] = []
        for l in layers {
            for s in sources {
                for i in indices ?? Array(0..<H) { units.append(CellUnit(layer: l, source: s, index: i, cell: cell)) }
            }
        }
        return units
    }

    /// Parses a full unit name such as `l1.c.3` against a model.
    public static func parse(_ name: String, config: ModelConfig) throws -> CellUnit {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].first == "l", let l = Int(parts[0].dropFirst()), let i = Int(parts[2]) else {
            throw UnitSelectionError.badName(name)
        }
        let letter = String(parts[1]), cell = config.cell
        let source: Source
        if letter == "h" {
            source = .hidden
        } else if letter == "c" {
            guard cell.hasCellState else { throw UnitSelectionError.noCellState(cell) }
            source = .cell
        } else if cell.recordsGates, let k = cell.gates.firstIndex(where: { $0.letter == letter }) {
            source = .gate(k)
        } else {
            throw UnitSelectionError.badName(name)
        }
        guard (0..<config.layers).contains(l) else { throw UnitSelectionError.layerOutOfRange(l, layers: config.layers) }
        guard (0..<config.hidden).contains(i) else { throw UnitSelectionError.indexOutOfRange(i, hidden: config.hidden) }
        return CellUnit(layer: l, source: source, index: i, cell: cell)
    }
}
