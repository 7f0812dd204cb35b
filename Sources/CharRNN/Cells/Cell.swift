// What every recurrent cell shares: its kind, where its weights sit in the flat parameter buffer,
// and the per-layer cache its forward pass fills for its backward pass.
//
// Shape letters, fixed for the whole library: B batch streams, T time steps, V vocabulary,
// H hidden units, I a layer's input width (V for layer 0, H above), G gate blocks (RNN 1, GRU 3,
// LSTM 4). Activations are time-major: element (t, b, j) of a (T, B, H) buffer is at (t·B + b)·H + j.

public enum CellKind: String, CaseIterable, Sendable, Codable {
    case rnn, lstm, gru

    /// Gate blocks stacked in the weight matrices, in PyTorch's order:
    /// RNN (h); LSTM (i, f, g, o); GRU (r, z, n).
    public var gateCount: Int {
        switch self {
        case .rnn: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    public var hasCellState: Bool { self == .lstm }

    /// Names of the gate blocks, in weight-row order.
    public var gateNames: [String] {
        switch self {
        case .rnn: return ["h"]
        case .lstm: return ["i", "f", "g", "o"]
        case .gru: return ["r", "z", "n"]
        }
    }

    /// Whether b_hh is added to the input-side pre-activations before the time loop, so each
    /// step's recurrent product accumulates straight into them (LSTM, RNN). The GRU's reset gate
    /// multiplies W_hn·h + b_hn on its own, so it keeps that product and bias apart.
    var foldsRecurrentBias: Bool { self != .gru }

    var implementation: RecurrentCell.Type {
        switch self {
        case .rnn: return VanillaRNNCell.self
        case .lstm: return LSTMCell.self
        case .gru: return GRUCell.self
        }
    }
}

/// Deliberate mistakes a backward pass can be told to make, so the tests can show that the
/// gradient check catches a dropped term or a wrong sign. Always `.none` outside tests.
enum GradientFault: Sendable {
    case none
    /// LSTM: forget the cell-state path from c_t back to c_{t-1}.
    case dropCellCarry
    /// GRU: wrong sign on the update gate's gradient.
    case flipUpdateGate
    /// RNN: forget the recurrent path from h_t back to h_{t-1}.
    case dropRecurrence
}

/// One layer's weights (or gradients) inside the flat buffer, in PyTorch's layout.
struct LayerParameters {
    let weightIH: UnsafeMutablePointer<Float>  // (G·H, I)
    let weightHH: UnsafeMutablePointer<Float>  // (G·H, H)
    let biasIH: UnsafeMutablePointer<Float>    // (G·H)
    let biasHH: UnsafeMutablePointer<Float>    // (G·H)
}

/// The activations one layer keeps from forward for backward, allocated once for (T, B).
final class LayerCache {
    let steps: Int, batch: Int, hidden: Int, gates: Int, inputSize: Int
    /// The cell adds each step's recurrent product into `xProj` (see `CellKind.foldsRecurrentBias`).
    let foldsRecurrentBias: Bool
    let h: FloatBuffer       // (T+1, B, H): h[0] is the initial state, h[t+1] the output of step t
    let c: FloatBuffer       // (T+1, B, H): LSTM cell state; empty for other cells
    let aux: FloatBuffer     // (T, B, H): LSTM tanh(c_{t+1}); GRU W_hn·h_t + b_hn
    /// (T, B, G·H): x_t·W_ihᵀ + b_ih for every step, one product per layer. Where the cell folds
    /// b_hh in (LSTM, RNN), + b_hh too, and each step adds h_t·W_hhᵀ in place: the whole
    /// pre-activation, with no separate recurrent buffer to clear and read back.
    let xProj: FloatBuffer
    let hProj: FloatBuffer   // (B, G·H): h_t·W_hhᵀ for the current step (GRU only)
    let dHProjStorage: FloatBuffer?  // (T, B, G·H): GRU only; its n block differs from dXProj's
    let dh: FloatBuffer      // (B, H): ∂loss/∂h carried backwards; ∂loss/∂h_0 after backward
    let dc: FloatBuffer      // (B, H): ∂loss/∂c carried backwards (LSTM)
    let input: FloatBuffer   // (T, B, I): this layer's input after dropout (layers above 0 only)
    let dropMask: FloatBuffer  // (T, B, H): dropout scale applied to this layer's output (0 or 1/(1-p))
    /// W_hh packed for the per-step products: as W_hhᵀ (H, G·H) during forward, as W_hh (G·H, H)
    /// during backward. Nil for a single stream (sampling), where products are GEMVs that
    /// read W_hh directly and packing every step would cost more than it saves.
    let packedWeightHH: PackedOperand?
    /// W_hh rounded to bfloat16 and packed the same way, for a bf16 training pass's per-step
    /// products (its storage is made on the first one); nil during an fp32 pass.
    private(set) var packedWeightHHBF16: PackedBF16Operand?
    private var bf16Storage: PackedBF16Operand?

    /// (T, B, G·H): gate values after their nonlinearity (LSTM, GRU). Forward writes them over
    /// the pre-activations they are computed from, 16 units at a time, each read before it is
    /// written; backward then writes the pre-activation gradients over them the same way (see
    /// `dXProj`). One (T, B, G·H) buffer per layer instead of three: 41 MB less at LSTM 512.
    var act: FloatBuffer { xProj }

    /// (T, B, G·H): ∂loss/∂ of the input-side pre-activations, written over `act` step by step
    /// as backward consumes it.
    var dXProj: FloatBuffer { xProj }

    /// Recurrent-side pre-activation gradients; the same buffer as `dXProj` unless the cell
    /// says otherwise.
    var dHProj: FloatBuffer { dHProjStorage ?? dXProj }

    init(kind: CellKind, steps T: Int, batch B: Int, hidden H: Int, inputSize I: Int, needsInput: Bool, needsMask: Bool) {
        steps = T; batch = B; hidden = H; gates = kind.gateCount; inputSize = I
        foldsRecurrentBias = kind.foldsRecurrentBias
        let GH = kind.gateCount * H
        h = FloatBuffer(count: (T + 1) * B * H)
        c = FloatBuffer(count: kind.hasCellState ? (T + 1) * B * H : 0)
        aux = FloatBuffer(count: kind == .rnn ? 0 : T * B * H)
        xProj = FloatBuffer(count: T * B * GH)
        hProj = FloatBuffer(count: foldsRecurrentBias ? 0 : B * GH)
        dHProjStorage = kind == .gru ? FloatBuffer(count: T * B * GH) : nil
        dh = FloatBuffer(count: B * H)
        dc = FloatBuffer(count: kind.hasCellState ? B * H : 0)
        input = FloatBuffer(count: needsInput ? T * B * I : 0)
        dropMask = FloatBuffer(count: needsMask ? T * B * H : 0)
        packedWeightHH = B > 1 ? PackedOperand(fitting: GH, H) : nil
    }
}

/// A cell type: its recurrence over T steps and the hand-written backward of that recurrence.
/// The input-side products (x·W_ihᵀ before, and the weight gradients after) are the same for
/// every cell, so `Model` does them once per layer as single large products.
///
/// Both passes work on the rows `streams` of every (B, ·) slice only. Streams never interact
/// inside a layer's time loop, so `Model` runs disjoint stream ranges on different threads with
/// no synchronisation per step; the products inside run on the calling thread alone.
protocol RecurrentCell {
    /// Steps t = 0 ..< T: reads `xProj` and h[0] (and c[0]); writes h[1...T], c, `act` (over
    /// `xProj`), `aux`.
    static func forward(_ w: LayerParameters, _ cache: LayerCache, steps T: Int, batch B: Int, streams: Range<Int>)

    /// Reads dH (T, B, H), ∂loss/∂h[t+1] arriving from above for each step, and the cache.
    /// Writes `dXProj` and `dHProj` for every step and leaves ∂loss/∂h[0] in `dh`
    /// (∂loss/∂c[0] in `dc`). Overwrites; the weight gradients are accumulated by the caller.
    static func backward(_ w: LayerParameters, _ cache: LayerCache, dH: UnsafePointer<Float>,
                         steps T: Int, batch B: Int, streams: Range<Int>, fault: GradientFault)
}

extension LayerCache {
    /// Packs W_hh for the forward (`transposed`: h·W_hhᵀ) or backward (dHProj·W_hh) time loop,
    /// in the pass's precision.
    func packRecurrentWeights(_ w: LayerParameters, forward: Bool, precision: Precision) {
        let GH = gates * hidden
        packedWeightHHBF16 = nil
        if precision == .bf16 {
            let packed = bf16Storage ?? PackedBF16Operand(fitting: GH, hidden)
            bf16Storage = packed
            if forward {
                packed.pack(.transposed, w.weightHH, ldb: hidden, k: hidden, n: GH)
            } else {
                packed.pack(.none, w.weightHH, ldb: hidden, k: GH, n: hidden)
            }
            packedWeightHHBF16 = packed
            return
        }
        guard let packed = packedWeightHH else { return }
        if forward {
            packed.pack(.transposed, w.weightHH, ldb: hidden, k: hidden, n: GH)
        } else {
            packed.pack(.none, w.weightHH, ldb: hidden, k: GH, n: hidden)
        }
    }
}

extension RecurrentCell {
    /// hProj[streams] (B, G·H) = h_t[streams] (B, H) · W_hhᵀ, or, for a cell that folds b_hh in,
    /// xProj_t[streams] (B, G·H) += h_t[streams] · W_hhᵀ.
    @inline(__always)
    static func recurrentProjection(_ w: LayerParameters, _ cache: LayerCache, step t: Int, batch B: Int,
                                    streams: Range<Int>) {
        let H = cache.hidden, GH = cache.gates * H, b0 = streams.lowerBound
        let folds = cache.foldsRecurrentBias
        let h = cache.h.pointer(at: (t * B + b0) * H)
        let out = folds ? cache.xProj.pointer(at: (t * B + b0) * GH) : cache.hProj.pointer(at: b0 * GH)
        let beta: Float = folds ? 1 : 0
        if let packed = cache.packedWeightHHBF16 {
            gemmBF16(.none, m: streams.count, h, lda: H, packed: packed, beta: beta, out, ldc: GH, threads: 1)
        } else if let packed = cache.packedWeightHH {
            gemm(.none, m: streams.count, h, lda: H, packed: packed, beta: beta, out, ldc: GH, threads: 1)
        } else {
            gemm(.none, .transposed, m: streams.count, n: GH, k: H, h, lda: H, w.weightHH, ldb: H, beta: beta, out, ldc: GH,
                 threads: 1)
        }
    }

    /// dh[streams] (B, H) = dHProj_t[streams] (B, G·H) · W_hh + beta · dh[streams].
    @inline(__always)
    static func recurrentGradient(_ w: LayerParameters, _ cache: LayerCache, step t: Int, batch B: Int,
                                  streams: Range<Int>, beta: Float) {
        let H = cache.hidden, GH = cache.gates * H, b0 = streams.lowerBound
        let d = cache.dHProj.pointer(at: (t * B + b0) * GH), out = cache.dh.pointer(at: b0 * H)
        if let packed = cache.packedWeightHHBF16 {
            gemmBF16(.none, m: streams.count, d, lda: GH, packed: packed, beta: beta, out, ldc: H, threads: 1)
        } else if let packed = cache.packedWeightHH {
            gemm(.none, m: streams.count, d, lda: GH, packed: packed, beta: beta, out, ldc: H, threads: 1)
        } else {
            gemm(.none, .none, m: streams.count, n: H, k: GH, d, lda: GH, w.weightHH, ldb: H, beta: beta, out, ldc: H,
                 threads: 1)
        }
    }
}
