// bfloat16 kernels: packing with round-to-nearest-even, and the vdpbf16ps register tile. Compiled
// with -O3 as ordinary functions (the same code inlined through Swift's C importer ran at a third
// of the speed); the AVX-512 code carries per-function target attributes, so this file builds for
// any x86-64 and, without them, for any other architecture.

#include "CBF16.h"
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define CHARNN_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))
#else
#define CHARNN_BF16_TARGET
#endif

int charnn_bf16_supported(void) {
#if defined(__x86_64__)
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0;  // OSXSAVE
    // XCR0: the OS saves SSE (1), AVX (2), opmask (5), ZMM_Hi256 (6) and Hi16_ZMM (7) state.
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 0xE6u) != 0xE6u) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    unsigned subleaves = eax;
    const unsigned f = 1u << 16, dq = 1u << 17, bw = 1u << 30, vl = 1u << 31;
    if ((ebx & (f | dq | bw | vl)) != (f | dq | bw | vl) || subleaves < 1) return 0;
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    return (eax >> 5) & 1u;  // AVX512_BF16
#else
    return 0;
#endif
}

/// The bfloat16 nearest to x (ties to even), as its 16 bits; a NaN stays a (quiet) NaN.
static inline uint32_t bf16_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (u >> 16) | 0x40u;
    return (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
}

CHARNN_BF16_TARGET
void charnn_bf16_pack_interleaved(const float *src, long ld, long k, long width, uint32_t *dst, long stride) {
    long pairs = (k + 1) / 2;
    for (long p = 0; p < pairs; p++) {
        const float *lo = src + 2 * p * ld, *hi = lo + ld;
        uint32_t *out = dst + p * stride;
        if (2 * p + 1 < k) {
            for (long j = 0; j < width; j++) out[j] = bf16_bits(lo[j]) | (bf16_bits(hi[j]) << 16);
        } else {
            for (long j = 0; j < width; j++) out[j] = bf16_bits(lo[j]);
        }
        for (long j = width; j < stride; j++) out[j] = 0;
    }
}

CHARNN_BF16_TARGET
void charnn_bf16_pack_contiguous(const float *src, long ld, long k, long width, uint32_t *dst, long stride) {
    long pairs = (k + 1) / 2, whole = k / 2;
    // Blocks of 16 pairs: each column's 32 adjacent floats are read once, written 16 words apart.
    for (long p0 = 0; p0 < pairs; p0 += 16) {
        long end = p0 + 16 < whole ? p0 + 16 : whole;
        for (long j = 0; j < width; j++) {
            const float *column = src + j * ld;
            for (long p = p0; p < end; p++) {
                dst[p * stride + j] = bf16_bits(column[2 * p]) | (bf16_bits(column[2 * p + 1]) << 16);
            }
            if (whole < pairs && p0 + 16 >= pairs) dst[whole * stride + j] = bf16_bits(column[2 * whole]);
        }
        long last = p0 + 16 < pairs ? p0 + 16 : pairs;
        for (long p = p0; p < last; p++) {
            for (long j = width; j < stride; j++) dst[p * stride + j] = 0;
        }
    }
}

#if defined(__x86_64__)
/// R rows of the tile (8, or 4 for short tails); the loops over r unroll into registers.
#define CHARNN_BF16_TILE_BODY(R)                                                                 \
    __m512 acc0[R], acc1[R];                                                                     \
    for (int r = 0; r < R; r++) { acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); } \
    for (long p = 0; p < pairs; p++) {                                                           \
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + p * 32);                                  \
        __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + p * 32 + 16);                             \
        for (int r = 0; r < R; r++) {                                                            \
            __m512bh ar = (__m512bh)_mm512_set1_epi32((int)a[p * 8 + r]);                        \
            acc0[r] = _mm512_dpbf16_ps(acc0[r], ar, b0);                                         \
            acc1[r] = _mm512_dpbf16_ps(acc1[r], ar, b1);                                         \
        }                                                                                        \
    }                                                                                            \
    __mmask16 m0 = cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);               \
    __mmask16 m1 = cols >= 32 ? (__mmask16)0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0; \
    for (int r = 0; r < R && r < rows; r++) {                                                    \
        float *row = c + r * ldc;                                                                \
        _mm512_mask_storeu_ps(row, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, row), acc0[r]));  \
        if (m1) _mm512_mask_storeu_ps(row + 16, m1, _mm512_add_ps(_mm512_maskz_loadu_ps(m1, row + 16), acc1[r])); \
    }

CHARNN_BF16_TARGET
static void tile8(long pairs, const uint32_t *a, const uint32_t *b, float *c, long ldc, long rows, long cols) {
    CHARNN_BF16_TILE_BODY(8)
}

CHARNN_BF16_TARGET
static void tile4(long pairs, const uint32_t *a, const uint32_t *b, float *c, long ldc, long rows, long cols) {
    CHARNN_BF16_TILE_BODY(4)
}

CHARNN_BF16_TARGET
void charnn_bf16_tile(long pairs, const uint32_t *a, const uint32_t *b, float *c, long ldc, long rows, long cols) {
    if (rows <= 4) tile4(pairs, a, b, c, ldc, rows, cols);
    else tile8(pairs, a, b, c, ldc, rows, cols);
}
#else
/// Elsewhere the products never come here (charnn_bf16_supported() is 0); the scalar form keeps
/// the symbol and its meaning.
void charnn_bf16_tile(long pairs, const uint32_t *a, const uint32_t *b, float *c, long ldc, long rows, long cols) {
    for (long r = 0; r < rows; r++) {
        for (long j = 0; j < cols; j++) {
            float sum = 0;
            for (long p = 0; p < pairs; p++) {
                uint32_t x = a[p * 8 + r], y = b[p * 32 + j];
                uint32_t xl = x << 16, xh = x & 0xFFFF0000u, yl = y << 16, yh = y & 0xFFFF0000u;
                float fxl, fxh, fyl, fyh;
                memcpy(&fxl, &xl, 4); memcpy(&fxh, &xh, 4); memcpy(&fyl, &yl, 4); memcpy(&fyh, &yh, 4);
                sum += fxl * fyl + fxh * fyh;
            }
            c[r * ldc + j] += sum;
        }
    }
}
#endif
