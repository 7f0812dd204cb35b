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

#if defined(__x86_64__)
/// Words 0..15 of lo's and hi's bfloat16 (vcvtne2ps2bf16: nearest even; denormals flush to zero,
/// NaN stays NaN) interleaved as 16 pairs (lo[j], hi[j]).
CHARNN_BF16_TARGET
static inline __m512i pairs_of(__m512 lo, __m512 hi) {
    const __m512i order = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                           23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(order, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
}

static inline __mmask16 first(long n) { return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? 0 : (__mmask16)((1u << n) - 1); }

/// The 16 words of x[0 ..< 32] as pairs (x[2p], x[2p+1]), elements from `left` on read as zero.
CHARNN_BF16_TARGET
static inline __m512i adjacent_pairs(const float *x, long left) {
    __m512 lo = _mm512_maskz_loadu_ps(first(left), x), hi = _mm512_maskz_loadu_ps(first(left - 16), x + 16);
    return (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
}

/// Zeroes columns width ..< stride of `pairs` rows.
static void pad(uint32_t *dst, long pairs, long width, long stride) {
    if (width >= stride) return;
    for (long p = 0; p < pairs; p++) memset(dst + p * stride + width, 0, (size_t)(stride - width) * sizeof *dst);
}

CHARNN_BF16_TARGET
void charnn_bf16_pack_interleaved(const float *src, long ld, long k, long width, uint32_t *dst, long panel) {
    long pairs = (k + 1) / 2, padded = (width + panel - 1) / panel * panel;
    for (long p = 0; p < pairs; p++) {
        const float *lo = src + 2 * p * ld, *hi = lo + ld;
        int hasHigh = 2 * p + 1 < k;
        // 16 columns at a time across the whole width; masked loads give the padding's zeros.
        for (long j = 0; j < padded; j += 16) {
            __mmask16 m = first(width - j);
            __m512 l = _mm512_maskz_loadu_ps(m, lo + j), h = hasHigh ? _mm512_maskz_loadu_ps(m, hi + j) : _mm512_setzero_ps();
            __m512i words = pairs_of(l, h);
            uint32_t *at = dst + (j / panel) * panel * pairs + p * panel + j % panel;
            if (panel >= 16) {
                _mm512_storeu_si512(at, words);
            } else {
                _mm256_storeu_si256((__m256i *)at, _mm512_castsi512_si256(words));
                if (j + 8 < padded) _mm256_storeu_si256((__m256i *)(at + 8 * pairs), _mm512_extracti64x4_epi64(words, 1));
            }
        }
    }
}

CHARNN_BF16_TARGET
void charnn_bf16_pack_contiguous(const float *src, long ld, long k, long width, uint32_t *dst, long stride) {
    long pairs = (k + 1) / 2;
    const __m512i rows = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                            _mm512_set1_epi32((int)stride));
    // 16 pairs of a column at a time: 32 adjacent floats in, their 16 words scattered `stride` apart.
    for (long j = 0; j < width; j++) {
        const float *column = src + j * ld;
        for (long p = 0; p < pairs; p += 16) {
            _mm512_mask_i32scatter_epi32(dst + p * stride + j, first(pairs - p), rows, adjacent_pairs(column + 2 * p, k - 2 * p), 4);
        }
    }
    pad(dst, pairs, width, stride);
}

CHARNN_BF16_TARGET
void charnn_bf16_pack_rows(const float *src, long ld, long k, long rows, uint32_t *dst) {
    long pairs = (k + 1) / 2;
    for (long r = 0; r < rows; r++) {
        const float *row = src + r * ld;
        for (long p = 0; p < pairs; p += 16) {
            _mm512_mask_storeu_epi32(dst + r * pairs + p, first(pairs - p), adjacent_pairs(row + 2 * p, k - 2 * p));
        }
    }
}
#else
/// The bfloat16 nearest to x (ties to even), as its 16 bits; a NaN stays a (quiet) NaN.
static inline uint32_t bf16_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (u >> 16) | 0x40u;
    return (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
}

static uint32_t pair_at(const float *lo, const float *hi, int hasHigh) {
    return bf16_bits(*lo) | (hasHigh ? bf16_bits(*hi) << 16 : 0);
}

void charnn_bf16_pack_interleaved(const float *src, long ld, long k, long width, uint32_t *dst, long panel) {
    long pairs = (k + 1) / 2, padded = (width + panel - 1) / panel * panel;
    for (long p = 0; p < pairs; p++) {
        for (long j = 0; j < padded; j++) {
            dst[(j / panel) * panel * pairs + p * panel + j % panel] =
                j < width ? pair_at(src + 2 * p * ld + j, src + (2 * p + 1) * ld + j, 2 * p + 1 < k) : 0;
        }
    }
}

void charnn_bf16_pack_contiguous(const float *src, long ld, long k, long width, uint32_t *dst, long stride) {
    for (long p = 0; p < (k + 1) / 2; p++) {
        for (long j = 0; j < stride; j++) {
            dst[p * stride + j] = j < width ? pair_at(src + j * ld + 2 * p, src + j * ld + 2 * p + 1, 2 * p + 1 < k) : 0;
        }
    }
}

void charnn_bf16_pack_rows(const float *src, long ld, long k, long rows, uint32_t *dst) {
    long pairs = (k + 1) / 2;
    for (long r = 0; r < rows; r++) {
        for (long p = 0; p < pairs; p++) {
            dst[r * pairs + p] = pair_at(src + r * ld + 2 * p, src + r * ld + 2 * p + 1, 2 * p + 1 < k);
        }
    }
}
#endif

#if defined(__x86_64__)
/// R rows of the tile (8, or 4 for short tails); the loops over r unroll into registers.
#define CHARNN_BF16_TILE_BODY(R)                                                                 \
    __m512 acc0[R], acc1[R];                                                                     \
    const uint32_t *arow[R];                                                                     \
    for (int r = 0; r < R; r++) {                                                                \
        acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); arow[r] = a + r * rs;      \
    }                                                                                            \
    for (long p = 0; p < pairs; p++) {                                                           \
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + p * 32);                                  \
        __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + p * 32 + 16);                             \
        for (int r = 0; r < R; r++) {                                                            \
            __m512bh ar = (__m512bh)_mm512_set1_epi32((int)arow[r][p * ps]);                     \
            acc0[r] = _mm512_dpbf16_ps(acc0[r], ar, b0);                                         \
            acc1[r] = _mm512_dpbf16_ps(acc1[r], ar, b1);                                         \
        }                                                                                        \
    }                                                                                            \
    __mmask16 m0 = cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);               \
    __mmask16 m1 = cols >= 32 ? (__mmask16)0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0; \
    for (int r = 0; r < R && r < rows; r++) {                                                    \
        float *row = c + r * ldc;                                                                \
        if (add) {                                                                               \
            acc0[r] = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, row), acc0[r]);                    \
            if (m1) acc1[r] = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, row + 16), acc1[r]);       \
        }                                                                                        \
        _mm512_mask_storeu_ps(row, m0, acc0[r]);                                                 \
        if (m1) _mm512_mask_storeu_ps(row + 16, m1, acc1[r]);                                    \
    }

CHARNN_BF16_TARGET
static void tile8(long pairs, const uint32_t *a, long ps, long rs, const uint32_t *b, float *c, long ldc, long rows, long cols,
                  int add) {
    CHARNN_BF16_TILE_BODY(8)
}

CHARNN_BF16_TARGET
static void tile4(long pairs, const uint32_t *a, long ps, long rs, const uint32_t *b, float *c, long ldc, long rows, long cols,
                  int add) {
    CHARNN_BF16_TILE_BODY(4)
}

CHARNN_BF16_TARGET
void charnn_bf16_tile(long pairs, const uint32_t *a, long ps, long rs, const uint32_t *b, float *c, long ldc,
                      long rows, long cols, int add) {
    if (rows <= 4) tile4(pairs, a, ps, rs, b, c, ldc, rows, cols, add);
    else tile8(pairs, a, ps, rs, b, c, ldc, rows, cols, add);
}
#else
/// Elsewhere the products never come here (charnn_bf16_supported() is 0); the scalar form keeps
/// the symbol and its meaning.
void charnn_bf16_tile(long pairs, const uint32_t *a, long ps, long rs, const uint32_t *b, float *c, long ldc,
                      long rows, long cols, int add) {
    for (long r = 0; r < rows; r++) {
        for (long j = 0; j < cols; j++) {
            float sum = 0;
            for (long p = 0; p < pairs; p++) {
                uint32_t x = a[p * ps + r * rs], y = b[p * 32 + j];
                uint32_t xl = x << 16, xh = x & 0xFFFF0000u, yl = y << 16, yh = y & 0xFFFF0000u;
                float fxl, fxh, fyl, fyh;
                memcpy(&fxl, &xl, 4); memcpy(&fxh, &xh, 4); memcpy(&fyl, &yl, 4); memcpy(&fyh, &yh, 4);
                sum += fxl * fyl + fxh * fyh;
            }
            c[r * ldc + j] = add ? c[r * ldc + j] + sum : sum;
        }
    }
}
#endif
