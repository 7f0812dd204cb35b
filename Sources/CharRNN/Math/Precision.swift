// The precision of a training pass's large products, and whether this CPU can run bfloat16 ones.
// Parameters, gradients, optimizer state, nonlinearities and the loss are fp32 whatever it says.

import CBF16
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Precision: String, CaseIterable, Sendable, Codable {
    /// Every product in fp32: the reference results, bit for bit.
    case fp32
    /// The large products take bfloat16 operands (8-bit significand, rounded to nearest even from
    /// the fp32 values) and accumulate in fp32, through AVX-512 BF16's vdpbf16ps.
    case bf16

    /// Set to 1, this environment variable makes bf16 unavailable, as on a CPU without it (tests).
    public static let disableVariable = "CHARNN_DISABLE_BF16"

    /// Whether this CPU and OS can run bf16 products (cpuid, XGETBV), unless the environment says no.
    public static var bf16Available: Bool {
        guard bf16Hardware else { return false }
        return getenv(disableVariable).map { String(cString: $0) != "1" } ?? true
    }

    /// The CPU's answer alone: the products check it, so no caller can reach the kernels without it.
    static let bf16Hardware = charnn_bf16_supported() != 0

    /// The precision a run asking for `self` uses here, and the one line that says why when it differs.
    public var resolved: (precision: Precision, notice: SettingsMessage?) {
        if self == .bf16 && !Precision.bf16Available {
            return (.fp32, "this CPU has no bfloat16 dot products (AVX-512 BF16); using \(setting: .precision) fp32")
        }
        return (self, nil)
    }
}

/// What a command line asks for: a precision, or `auto`, bf16 products where the CPU has them. A
/// checkpoint records the precision a run resolved to, never `auto`.
public enum PrecisionChoice: String, CaseIterable, Sendable {
    case auto, fp32, bf16

    /// Why bf16 cannot run here, or nil when it can.
    static var bf16Absence: String? {
        if !Precision.bf16Hardware { return "no bf16 dot products on this CPU" }
        if !Precision.bf16Available { return "bf16 turned off by \(Precision.disableVariable)=1" }
        return nil
    }

    /// The precision a run asking for this trains with here, and why, as the run's first line says
    /// it: "bf16 (AVX-512 BF16, 1.7× fp32's speed here)", "fp32 (no bf16 dot products on this CPU)",
    /// "fp32 (as asked)". `auto` measures bf16 against fp32 once per process (`BF16Speedup`).
    public var resolved: (precision: Precision, reason: String) {
        resolved(absence: PrecisionChoice.bf16Absence, speedup: { BF16Speedup.measured })
    }

    /// `resolved` for a CPU where bf16 is absent for `absence` (nil: it can run) and measures
    /// `speedup()` times fp32's speed; `speedup` is called only when `auto` must decide.
    public func resolved(absence: String?, speedup: () -> Double) -> (precision: Precision, reason: String) {
        switch (self, absence) {
        case (.fp32, _): return (.fp32, "as asked")
        case (.bf16, nil): return (.bf16, "as asked")
        case (_, let absence?): return (.fp32, absence)
        case (.auto, nil):
            let x = speedup(), figure = String(format: x < 10 ? "%.2g× fp32's speed" : "%.0f× fp32's speed", x)
            return x >= BF16Speedup.required ? (.bf16, "AVX-512 BF16, \(figure) here")
                : (.fp32, "bf16 products run at \(figure) on this CPU")
        }
    }

    /// A checkpoint's precision for a resumed run: kept, unless this CPU cannot run it.
    public static func resuming(_ saved: Precision) -> (precision: Precision, reason: String) {
        if saved == .bf16, let absence = bf16Absence { return (.fp32, "the checkpoint trained in bf16; \(absence)") }
        return (saved, "as the checkpoint trained")
    }
}

extension Precision {
    /// `gemm` (alpha 1) in this precision: the fp32 call itself, or its bfloat16 counterpart. The
    /// model's large products go through here; which one a pass uses is its caller's choice.
    func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int,
              _ b: UnsafePointer<Float>, ldb: Int, beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        switch self {
        case .fp32:
            fp32Product(transA, transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
        case .bf16:
            gemmBF16(transA, transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
        }
    }
}

/// The fp32 `gemm` under a name the method above does not shadow. A module-qualified call would do,
/// but `make fuzz` compiles these sources into a module of another name.
@inline(__always)
private func fp32Product(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int,
                         _ b: UnsafePointer<Float>, ldb: Int, beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    gemm(transA, transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
}

/// Whether bf16 products pay on this CPU: having vdpbf16ps is not enough. LSTM-128 training ran at
/// 1.7× fp32's speed on an AMD EPYC (Zen 4) and at 0.66× on an Intel Xeon with AVX-512 BF16 (no
/// AMX), where vdpbf16ps does no more multiply-adds per cycle than fp32's FMAs and the rounding and
/// packing of the operands cost the rest.
public enum BF16Speedup {
    /// `auto` takes bf16 only at least this much faster: a faster run for a small gain would not be
    /// worth its rounding, and the margin keeps a noisy measurement from flipping the choice.
    public static let required = 1.2

    /// bf16's speed over fp32's here, measured on first use (about 30 ms); only where bf16 can run.
    public static let measured: Double = measure()

    /// The fastest of `rounds` alternating timings of each precision on the products that dominate an
    /// LSTM-128 training pass at batch 50 × 50: the gate pre-activations of a layer (2,500 × 512 from
    /// 128 inputs) and their weight gradient (128 × 512 summed over 2,500 positions).
    static func measure(rounds: Int = 5) -> Double {
        let (rows, columns, inner) = (2500, 512, 128)
        var rng = SplitMix64(seed: SplitMix64.defaultSeed)
        let x = (0 ..< rows * inner).map { _ in Float.random(in: -1 ... 1, using: &rng) }        // [B·T, H]
        let w = (0 ..< inner * columns).map { _ in Float.random(in: -1 ... 1, using: &rng) }     // [H, 4H]
        var gates = [Float](repeating: 0, count: rows * columns)                                  // [B·T, 4H]
        var gradient = [Float](repeating: 0, count: inner * columns)                              // [H, 4H]
        func seconds(_ precision: Precision) -> Double {
            let clock = ContinuousClock(), start = clock.now
            x.withUnsafeBufferPointer { x in
                w.withUnsafeBufferPointer { w in
                    gates.withUnsafeMutableBufferPointer { g in
                        precision.gemm(.none, .none, m: rows, n: columns, k: inner, x.baseAddress!, lda: inner,
                                       w.baseAddress!, ldb: columns, beta: 0, g.baseAddress!, ldc: columns)
                    }
                    gates.withUnsafeBufferPointer { g in
                        gradient.withUnsafeMutableBufferPointer { d in
                            precision.gemm(.transposed, .none, m: inner, n: columns, k: rows, x.baseAddress!, lda: inner,
                                           g.baseAddress!, ldb: columns, beta: 0, d.baseAddress!, ldc: columns)
                        }
                    }
                }
            }
            let (s, atto) = (clock.now - start).components
            return Double(s) + Double(atto) * 1e-18
        }
        var (fp32, bf16) = (Double.infinity, Double.infinity)
        for _ in 0 ..< rounds {
            fp32 = min(fp32, seconds(.fp32))
            bf16 = min(bf16, seconds(.bf16))
        }
        return fp32 / bf16
    }
}
