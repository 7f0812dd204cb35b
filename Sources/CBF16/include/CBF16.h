// bfloat16 products for CPUs with AVX-512 BF16 (vdpbf16ps): operand packing and one register-tile
// kernel, called from CharRNN's GEMMBF16.swift. Everything else about the products is Swift.
#ifndef CHARNN_CBF16_H
#define CHARNN_CBF16_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The register tile: up to CHARNN_BF16_TILE_ROWS rows by CHARNN_BF16_TILE_COLS columns of C.
#define CHARNN_BF16_TILE_ROWS 8
#define CHARNN_BF16_TILE_COLS 32

/// 1 when this CPU has AVX-512 F/BW/VL/BF16 and the OS saves the AVX-512 registers; 0 otherwise
/// (always 0 off x86-64).
int charnn_bf16_supported(void);

/// A pair of bfloat16 values in one 32-bit word, the form vdpbf16ps multiplies: operand element
/// 2p in the low half, 2p+1 in the high half, each rounded to nearest even (NaN stays NaN; on
/// x86-64, vcvtne2ps2bf16 flushes denormals to zero).
///
/// Interleaved source (two rows, `ld` floats apart, hold elements 2p and 2p+1 of each column),
/// laid out as panels of `panel` columns (8, or a multiple of 16: 8 for A, 32 for B), each `pairs`
/// pair-rows deep:
///   dst[(j / panel)·panel·pairs + p·panel + j % panel] = (src[2p·ld + j], src[(2p+1)·ld + j])
/// for j < width, p < pairs = ⌈k/2⌉. Each pair of source rows is read once, front to back.
/// Columns width ..< (width rounded up to a panel) are zero, and so is the high half of the last
/// pair when k is odd.
void charnn_bf16_pack_interleaved(const float *src, long ld, long k, long width, uint32_t *dst, long panel);

/// Contiguous source (each column's elements are adjacent, columns `ld` floats apart):
///   dst[p·stride + j] = (src[j·ld + 2p], src[j·ld + 2p+1]) for j < width, p < ⌈k/2⌉.
/// Padding as for the interleaved form, up to `stride` columns.
void charnn_bf16_pack_contiguous(const float *src, long ld, long k, long width, uint32_t *dst, long stride);

/// Rows as they are (each row's elements adjacent, rows `ld` floats apart), pairs in order:
///   dst[r·⌈k/2⌉ + p] = (src[r·ld + 2p], src[r·ld + 2p+1]) for r < rows, p < ⌈k/2⌉.
/// No transposition: the tile reads this form with a pair stride of 1 and a row stride of ⌈k/2⌉.
void charnn_bf16_pack_rows(const float *src, long ld, long k, long rows, uint32_t *dst);

/// C[rows, cols] += A · B over `pairs` pairs of k (with `add` 0: C = A · B, C not read). Pair p
/// of A's row r is at a[p·a_pair_stride + r·a_row_stride] (8 and 1 for an interleaved panel, 1
/// and ⌈k/2⌉ for packed rows), pair p of B's column j at b[p·32 + j]; products and sums in fp32.
/// rows ≤ 8, cols ≤ 32; C's rows are ldc apart. Only on a CPU where charnn_bf16_supported() is 1.
void charnn_bf16_tile(long pairs, const uint32_t *a, long a_pair_stride, long a_row_stride, const uint32_t *b,
                      float *c, long ldc, long rows, long cols, int add);

#ifdef __cplusplus
}
#endif

#endif
