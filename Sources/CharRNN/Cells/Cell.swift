// What a cell type declares and implements (`RecurrentCell`), the weights it reads, and the
// per-step products every cell shares.
//
// Shape letters, fixed for the whole library: B batch streams, T time steps, V vocabulary,
// H hidden units, I a layer's input width (V for layer 0, H above), G gate blocks (RNN 1, GRU 3,
// LSTM 4). Activations are time-major: element (t, b, j) of a (T, B, H) buffer is at (t·B + b)·H + j.

import Foundation

/// A cell type: everything that differs between cells, so nothing outside Cells/ asks which one
/// it is. The input-side products (x·W_ihᵀ before the time loop, the weight gradients after it)
/// are the same for every cell, so `Model` does them once per layer as single large products.
///
/// Both passes work on the rows `streams` of every (B, ·) slice only. Streams never interact
/// inside a layer's time loop, so `Model` runs disjoint stream ranges on different threads with
/// no synchronisation per step; the products inside run on the calling thread alone.
protocol RecurrentCell {
    /// The gate blocks stacked in W_ih and W_hh, in PyTorch's row order.
    static var gates: [Gate] { get }
    /// Whether the cell carries a cell state c beside h.
    static var hasCellState: Bool { get }
    /// Whether inspection records the gate blocks as units: false where the one block, after its
    /// nonlinearity, is h itself.
    static var recordsGates: Bool { get }
    /// "an LSTM": the cell's name in running text (error messages).
    static var indefiniteName: String { get }
    /// Whether b_hh is added to the input-side pre-activations before the time loop, so each
    /// step's recurrent product accumulates straight into them. A cell that uses W_hh·h + b_hh
    /// apart from the input side keeps the product in `LayerCache.recurrentProduct` instead.
    static var foldsRecurrentBias: Bool { get }
    /// Floats per unit and step that forward saves for backward beyond the gates, h and c
    /// (`LayerCache.savedForBackward`): 0 or 1.
    static var savedValuesPerUnit: Int { get }
    /// Whether the gradients of the recurrent-side pre-activations differ from those of the
    /// input side, so backward needs `LayerCache.recurrentGateGradients`.
    static var separateRecurrentGradients: Bool { get }
    /// The mistake the tests plant in this cell's backward pass to show that the gradient check
    /// catches it (declared beside the term it breaks).
    static var plantedFault: GradientFault { get }

    /// One layer's tensors with PyTorch's names and shapes, in state_dict order (the order of
    /// `LayerParameters`' fields).
    static func layerTensors(layer l: Int, inputSize I: Int, hidden H: Int) -> [(String, [Int])]

    /// Steps t = 0 ..< T: reads the pre-activations in `gates` and h[0] (and c[0]); writes
    /// h[1...T], c, the gate values (over `gates`) and `savedForBackward`.
    static func forward(_ w: LayerParameters, _ cache: LayerCache, steps T: Int, batch B: Int, streams: Range<Int>)

    /// Reads dH (T, B, H), ∂loss/∂h[t+1] arriving from above for each step, and the cache.
    /// Writes the pre-activation gradients over `gates` (and `recurrentGateGradients`) for every
    /// step and leaves ∂loss/∂h[0] in `dh` (∂loss/∂c[0] in `dc`). Overwrites; the weight
    /// gradients are accumulated by the caller.
    static func backward(_ w: LayerParameters, _ cache: LayerCache, dH: UnsafePointer<Float>,
                         steps T: Int, batch B: Int, streams: Range<Int>, fault: GradientFault)

    /// One step of one stream, for sampling. inputSide (G·H) = x·W_ihᵀ + b_ih (+ b_hh where
    /// folded); recurrent (G·H) = h·W_hhᵀ, or where folded inputSide + h·W_hhᵀ, the whole
    /// pre-activation. Updates h (H) and, where the cell has one, c (H) in place with the same
    /// per-unit equations as `forward`, so the Floats are those of a T = 1 forward pass.
    static func step(_ w: LayerParameters, inputSide: UnsafePointer<Float>, recurrent: UnsafePointer<Float>,
                     h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, hidden H: Int)

    /// The cell's equations for one unit, written plainly in Double: the slow reference the tests
    /// check the fast kernels against at any size (the PyTorch fixture checks these equations
    /// independently, at small sizes). input, recurrent: the unit's G pre-activations, one per gate
    /// block in `gates` order, from the input side (W_ih·x + b_ih) and the recurrent side
    /// (W_hh·h + b_hh), kept apart because a cell may combine them otherwise than by adding; h, c:
    /// the unit's state (c is 0 without a cell state). Returns the new h, the new c (c as given
    /// without a cell state) and the G gate values after their nonlinearity.
    static func referenceUnit(input: [Double], recurrent: [Double], h: Double, c: Double)
        -> (h: Double, c: Double, gates: [Double])
}

/// The nonlinearities of `referenceUnit`, in Double and written as their definitions.
func referenceSigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
func referenceTanh(_ x: Double) -> Double { tanh(x) }

extension RecurrentCell {
    /// nn.RNN, nn.LSTM and nn.GRU all have these four tensors per layer; only G differs.
    static func layerTensors(layer l: Int, inputSize I: Int, hidden H: Int) -> [(String, [Int])] {
        let GH = gates.count * H
        return [("rnn.weight_ih_l\(l)", [GH, I]), ("rnn.weight_hh_l\(l)", [GH, H]),
                ("rnn.bias_ih_l\(l)", [GH]), ("rnn.bias_hh_l\(l)", [GH])]
    }
}

/// A deliberate mistake a backward pass can be told to make, so the tests can show that the
/// gradient check catches a dropped term or a wrong sign. Each cell declares its own beside the
/// term it breaks; always `.none` outside tests.
struct GradientFault: Sendable, Equatable, CustomStringConvertible {
    let description: String
    static let none = GradientFault(description: "none")
}

/// One layer's weights (or gradients) inside the flat buffer, in PyTorch's layout.
struct LayerParameters {
    /// Tensors per layer in the flat buffer: layer l's start at view `tensorCount · l`, the
    /// decoder's after the last layer's.
    static let tensorCount = 4

    let weightIH: UnsafeMutablePointer<Float>  // (G·H, I)
    let weightHH: UnsafeMutablePointer<Float>  // (G·H, H)
    let biasIH: UnsafeMutablePointer<Float>    // (G·H)
    let biasHH: UnsafeMutablePointer<Float>    // (G·H)

    /// The same tensors with another W_hh (weight drop's masked copy).
    func replacingWeightHH(_ weightHH: UnsafeMutablePointer<Float>) -> LayerParameters {
        LayerParameters(weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH)
    }
}

extension RecurrentCell {
    /// recurrentProduct[streams] (B, G·H) = h_t[streams] (B, H) · W_hhᵀ, or, for a cell that
    /// folds b_hh in, gates_t[streams] (B, G·H) += h_t[streams] · W_hhᵀ.
    @inline(__always)
    static func recurrentProjection(_ w: LayerParameters, _ cache: LayerCache, step t: Int, batch B: Int,
                                    streams: Range<Int>) {
        let H = cache.hidden, GH = cache.gateCount * H, b0 = streams.lowerBound
        let folds = foldsRecurrentBias
        let h = cache.h.pointer(at: (t * B + b0) * H)
        let out = folds ? cache.gates.pointer(at: (t * B + b0) * GH) : cache.recurrentProduct.pointer(at: b0 * GH)
        timesWeightHH(w, cache, .transposed, rows: streams.count, n: GH, k: H, h, lda: H, beta: folds ? 1 : 0, out, ldc: GH)
    }

    /// dh[streams] (B, H) = dRecurrent_t[streams] (B, G·H) · W_hh + beta · dh[streams], from the
    /// recurrent-side pre-activation gradients of step t.
    @inline(__always)
    static func recurrentGradient(_ w: LayerParameters, _ cache: LayerCache, step t: Int, batch B: Int,
                                  streams: Range<Int>, beta: Float) {
        let H = cache.hidden, GH = cache.gateCount * H, b0 = streams.lowerBound
        let d = cache.recurrentSideGradients.pointer(at: (t * B + b0) * GH), out = cache.dh.pointer(at: b0 * H)
        timesWeightHH(w, cache, .none, rows: streams.count, n: H, k: GH, d, lda: GH, beta: beta, out, ldc: H)
    }

    /// out (rows, n) = a (rows, k) · W_hh, or · W_hhᵀ when `transB` is `.transposed`, + beta · out,
    /// on the calling thread, through whichever form of W_hh the cache holds for the current pass:
    /// packed bfloat16, packed fp32, or the tensor itself.
    @inline(__always)
    static func timesWeightHH(_ w: LayerParameters, _ cache: LayerCache, _ transB: Transpose, rows m: Int, n: Int, k: Int,
                              _ a: UnsafePointer<Float>, lda: Int, beta: Float, _ out: UnsafeMutablePointer<Float>, ldc: Int) {
        if let packed = cache.packedWeightHHBF16 {
            gemmBF16(.none, m: m, a, lda: lda, packed: packed, beta: beta, out, ldc: ldc, threads: 1)
        } else if let packed = cache.packedWeightHH {
            gemm(.none, m: m, a, lda: lda, packed: packed, beta: beta, out, ldc: ldc, threads: 1)
        } else {
            gemm(.none, transB, m: m, n: n, k: k, a, lda: lda, w.weightHH, ldb: cache.hidden, beta: beta, out, ldc: ldc,
                 threads: 1)
        }
    }
}
