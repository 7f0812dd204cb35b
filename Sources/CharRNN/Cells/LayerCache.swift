// The activations one layer keeps from forward for backward, allocated once for (T, B), with
// its buffers' sizes read from the cell type, and W_hh packed for the per-step products.

/// A layer cache's dimensions and the Floats in each of its buffers, from what its cell type
/// needs: the one place they are counted, for `LayerCache.init` and `Workspace.byteCount`.
struct LayerCacheSizes {
    let steps: Int, batch: Int, hidden: Int, inputSize: Int, gateCount: Int
    let h, c, gates, recurrentProduct, savedForBackward, recurrentGateGradients: Int
    let dh, dc, input, dropMask: Int
    let weightMask, droppedWeightHH: Int
    /// The packed copy of W_hh, at most: its exact size follows the GEMM's panel width.
    let packedWeightHHBound: Int

    init(cell: RecurrentCell.Type, steps T: Int, batch B: Int, hidden H: Int, inputSize I: Int,
         needsInput: Bool, needsMask: Bool, needsWeightDrop: Bool = false) {
        let GH = cell.gates.count * H, state = cell.hasCellState
        steps = T; batch = B; hidden = H; inputSize = I; gateCount = cell.gates.count
        h = (T + 1) * B * H
        c = state ? (T + 1) * B * H : 0
        gates = T * B * GH
        recurrentProduct = cell.foldsRecurrentBias ? 0 : B * GH
        savedForBackward = T * B * H * cell.savedValuesPerUnit
        recurrentGateGradients = cell.separateRecurrentGradients ? T * B * GH : 0
        dh = B * H
        dc = state ? B * H : 0
        input = needsInput ? T * B * I : 0
        dropMask = needsMask ? T * B * H : 0
        weightMask = needsWeightDrop ? GH * H : 0
        droppedWeightHH = weightMask
        packedWeightHHBound = B > 1 ? GH * (H + 31) : 0
    }

    var total: Int {
        h + c + gates + recurrentProduct + savedForBackward + recurrentGateGradients + dh + dc + input + dropMask
            + weightMask + droppedWeightHH + packedWeightHHBound
    }
}

final class LayerCache {
    let steps: Int, batch: Int, hidden: Int, gateCount: Int, inputSize: Int
    let h: FloatBuffer       // (T+1, B, H): h[0] is the initial state, h[t+1] the output of step t
    let c: FloatBuffer       // (T+1, B, H): the cell state where the cell has one; empty otherwise
    /// (T, B, G·H), one buffer through a whole pass, holding in turn:
    /// 1. the pre-activations: x_t·W_ihᵀ + b_ih for every step, one product per layer; where the
    ///    cell folds b_hh in, + b_hh, and each step adds h_t·W_hhᵀ in place (no separate
    ///    recurrent buffer to clear and read back);
    /// 2. the gate values after their nonlinearity, which forward writes over the pre-activations
    ///    a vector of units at a time, each read before it is written (what inspection reads);
    /// 3. in backward, ∂loss/∂ of the input-side pre-activations, written over the gate values
    ///    step by step as they are consumed.
    /// One buffer per layer instead of three: 41 MB less at LSTM 512.
    let gates: FloatBuffer
    /// (B, G·H): h_t·W_hhᵀ of the current step, for a cell that does not fold b_hh in; empty otherwise.
    let recurrentProduct: FloatBuffer
    /// (T, B, H·k): per-unit values forward saves for backward beyond gates, h and c, k =
    /// `savedValuesPerUnit`. Each cell file names what it holds (LSTM `tanhC`, GRU
    /// `candidateRecurrence`).
    let savedForBackward: FloatBuffer
    /// (T, B, G·H): ∂loss/∂ of the recurrent-side pre-activations, for a cell where they differ
    /// from the input side's; nil where they are the same (then `gates` holds both).
    let recurrentGateGradients: FloatBuffer?
    let dh: FloatBuffer      // (B, H): ∂loss/∂h carried backwards; ∂loss/∂h_0 after backward
    let dc: FloatBuffer      // (B, H): ∂loss/∂c carried backwards, where the cell has c
    let input: FloatBuffer   // (T, B, I): this layer's input after dropout (layers above 0 only)
    let dropMask: FloatBuffer  // (T, B, H): dropout scale applied to this layer's output (0 or 1/(1-p))
    /// (G·H, H): weight drop's scale of each W_hh element for this batch (0 or 1/(1-p)), and W_hh
    /// times it, which the batch's time loops use; in backward, after the time loop, the second
    /// holds W_hh's gradient before the mask. Empty without weight drop.
    let weightMask: FloatBuffer
    let droppedWeightHH: FloatBuffer
    /// W_hh packed for the per-step products: as W_hhᵀ (H, G·H) during forward, as W_hh (G·H, H)
    /// during backward. Nil for a single stream (sampling), where products are GEMVs that
    /// read W_hh directly and packing every step would cost more than it saves.
    let packedWeightHH: PackedOperand?
    /// W_hh rounded to bfloat16 and packed the same way, for a bf16 training pass's per-step
    /// products (its storage is made on the first one); nil during an fp32 pass.
    private(set) var packedWeightHHBF16: PackedBF16Operand?
    private var bf16Storage: PackedBF16Operand?

    /// The recurrent-side pre-activation gradients of backward, wherever the cell keeps them.
    var recurrentSideGradients: FloatBuffer { recurrentGateGradients ?? gates }

    init(_ sizes: LayerCacheSizes) {
        steps = sizes.steps; batch = sizes.batch; hidden = sizes.hidden; gateCount = sizes.gateCount
        inputSize = sizes.inputSize
        h = FloatBuffer(count: sizes.h)
        c = FloatBuffer(count: sizes.c)
        gates = FloatBuffer(count: sizes.gates)
        recurrentProduct = FloatBuffer(count: sizes.recurrentProduct)
        savedForBackward = FloatBuffer(count: sizes.savedForBackward)
        recurrentGateGradients = sizes.recurrentGateGradients > 0 ? FloatBuffer(count: sizes.recurrentGateGradients) : nil
        dh = FloatBuffer(count: sizes.dh)
        dc = FloatBuffer(count: sizes.dc)
        input = FloatBuffer(count: sizes.input)
        dropMask = FloatBuffer(count: sizes.dropMask)
        weightMask = FloatBuffer(count: sizes.weightMask)
        droppedWeightHH = FloatBuffer(count: sizes.droppedWeightHH)
        packedWeightHH = batch > 1 ? PackedOperand(fitting: gateCount * hidden, hidden) : nil
    }

    /// Packs W_hh for the forward (`transposed`: h·W_hhᵀ) or backward (dRecurrent·W_hh) time
    /// loop, in the pass's precision.
    func packRecurrentWeights(_ w: LayerParameters, forward: Bool, precision: Precision) {
        let GH = gateCount * hidden
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
