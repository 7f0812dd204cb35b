// The precision of a training pass's large products, and whether this CPU can run bfloat16 ones.
// Parameters, gradients, optimizer state, nonlinearities and the loss are fp32 whatever it says.

import CBF16
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
    /// it: "bf16 (AVX-512 BF16)", "fp32 (no bf16 dot products on this CPU)", "fp32 (as asked)".
    public var resolved: (precision: Precision, reason: String) {
        switch (self, PrecisionChoice.bf16Absence) {
        case (.fp32, _): return (.fp32, "as asked")
        case (.auto, nil): return (.bf16, "AVX-512 BF16")
        case (.bf16, nil): return (.bf16, "as asked")
        case (_, let absence?): return (.fp32, absence)
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
