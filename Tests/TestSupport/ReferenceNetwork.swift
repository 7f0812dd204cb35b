// A slow, obvious implementation of the same networks in Double with plain loops, to check the
// fast forward pass against. It shares no code with the library beyond reading its parameters and
// each cell's own equations for one unit (`RecurrentCell.referenceUnit`, written plainly in Double
// beside the fast kernels and checked against PyTorch by the fixture); the matrix products, the
// layer stacking and the decoder are written here.

import Foundation
@testable import CharRNN

public struct ReferenceNetwork {
    public let config: ModelConfig
    let tensors: [String: [Double]]

    public init(model: Model) {
        config = model.config
        var t: [String: [Double]] = [:]
        for v in model.parameters.views { t[v.name] = model.parameters.array(named: v.name)!.map(Double.init) }
        tensors = t
    }

    /// W (rows × cols) · x
    func matvec(_ w: [Double], rows: Int, cols: Int, _ x: [Double]) -> [Double] {
        (0..<rows).map { r in (0..<cols).reduce(0.0) { $0 + w[r * cols + $1] * x[$1] } }
    }

    /// Runs one stream from (h0, c0) (per layer, H each) over `ids`; returns the logits and, for
    /// every layer l and step t, h, c (as given where the cell has none) and the gate values after
    /// their nonlinearity in the cell's `gates` order, G·H each: hs[l][t], cs[l][t], gates[l][t].
    public func run(ids: [Int32], h0: [[Double]], c0: [[Double]])
        -> (logits: [[Double]], hs: [[[Double]]], cs: [[[Double]]], gates: [[[Double]]]) {
        let H = config.hidden, V = config.vocabularySize
        var h = h0, c = c0
        var logits: [[Double]] = []
        var hs = Array(repeating: [[Double]](), count: config.layers)
        var cs = Array(repeating: [[Double]](), count: config.layers)
        var gates = Array(repeating: [[Double]](), count: config.layers)
        for id in ids {
            var x = [Double](repeating: 0, count: V)
            x[Int(id)] = 1
            for l in 0..<config.layers {
                let I = l == 0 ? V : H
                let G = config.cell.gateCount
                let wi = tensors["rnn.weight_ih_l\(l)"]!, wh = tensors["rnn.weight_hh_l\(l)"]!
                let bi = tensors["rnn.bias_ih_l\(l)"]!, bh = tensors["rnn.bias_hh_l\(l)"]!
                let gi = zip(matvec(wi, rows: G * H, cols: I, x), bi).map(+)
                let gh = zip(matvec(wh, rows: G * H, cols: H, h[l]), bh).map(+)
                var hNew = [Double](repeating: 0, count: H)
                var act = [Double](repeating: 0, count: G * H)
                for j in 0..<H {
                    let unit = config.cell.implementation.referenceUnit(
                        input: (0..<G).map { gi[$0 * H + j] }, recurrent: (0..<G).map { gh[$0 * H + j] },
                        h: h[l][j], c: c[l][j])
                    hNew[j] = unit.h
                    c[l][j] = unit.c
                    for k in 0..<G { act[k * H + j] = unit.gates[k] }
                }
                h[l] = hNew
                hs[l].append(hNew)
                cs[l].append(c[l])
                gates[l].append(act)
                x = hNew
            }
            let wd = tensors["decoder.weight"]!, bd = tensors["decoder.bias"]!
            logits.append(zip(matvec(wd, rows: V, cols: H, x), bd).map(+))
        }
        return (logits, hs, cs, gates)
    }
}
