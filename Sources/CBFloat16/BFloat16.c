// The bfloat16 inner kernels of the convolutions: `vdpbf16ps` (AVX512_BF16) multiplies two pairs of
// bfloat16 values per float32 lane and adds both products to the lane, twice the multiply-adds of a
// float32 FMA per instruction. Swift has no way to name the instruction, so these few functions are
// C with intrinsics, compiled for AVX512_BF16 function by function (the rest of the program keeps the
// build's target) and called only after `matte_bf16_supported()` said yes.
#include "CBFloat16.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

#define BF16_TARGET __attribute__((target("avx512bf16,avx512f,avx512bw,avx512vl,avx512dq")))

int matte_bf16_supported(void) {
    static int supported = -1;
    if (supported < 0) {
        __builtin_cpu_init();
        supported = __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512f")
            && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    }
    return supported;
}

BF16_TARGET
void matte_bf16_convert(const float *source, uint16_t *destination, long count) {
    long i = 0;
    for (; i + 32 <= count; i += 32) {
        __m512bh pair = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(source + i + 16), _mm512_loadu_ps(source + i));
        _mm512_storeu_si512((void *)(destination + i), (__m512i)pair);
    }
    if (i < count) {
        long left = count - i;
        __mmask16 low = (__mmask16)(left >= 16 ? 0xFFFF : (1u << left) - 1);
        __mmask16 high = (__mmask16)(left > 16 ? (1u << (left - 16)) - 1 : 0);
        __m512 a = _mm512_maskz_loadu_ps(low, source + i);
        __m512 b = _mm512_maskz_loadu_ps(high, source + i + 16);
        __m512bh pair = _mm512_cvtne2ps_pbh(b, a);
        _mm512_mask_storeu_epi16(destination + i, (__mmask32)((1ull << left) - 1), (__m512i)pair);
    }
}

/// The pair of bfloat16 values at `p` in all 16 lanes.
BF16_TARGET static inline __m512bh broadcast_pair(const uint16_t *p) {
    int32_t pair;
    memcpy(&pair, p, sizeof pair);
    return (__m512bh)_mm512_set1_epi32(pair);
}

static inline long min_long(long a, long b) { return a < b ? a : b; }

/// `sums + bias`, activated, plus the residual if any, stored: one vector of 16 columns of one pixel
/// (`column` 0 or 16), `Activation.apply`'s order and results lane by lane (compare-and-select, so NaNs
/// pass through as in the Swift twin `ConvolutionTiles.finishTile`). Columns past `channels` are
/// neither read from the residual nor written.
BF16_TARGET static inline void finish_vector(__m512 sums, const matte_bf16_target *target, long pixel, long column) {
    long channels = target->channels - column;
    if (channels <= 0) return;
    __mmask16 mask = (__mmask16)(channels >= 16 ? 0xFFFF : (1u << channels) - 1);
    __m512 zero = _mm512_setzero_ps(), six = _mm512_set1_ps(6);
    __m512 x = _mm512_add_ps(sums, _mm512_loadu_ps(target->bias + column));
    switch (target->activation) {
    case MATTE_BF16_RELU:
        x = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), zero);
        break;
    case MATTE_BF16_RELU6:
        x = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), zero);
        x = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, six, _CMP_GT_OQ), six);
        break;
    case MATTE_BF16_HARD_SWISH: {
        __m512 shifted = _mm512_add_ps(x, _mm512_set1_ps(3));
        shifted = _mm512_mask_mov_ps(shifted, _mm512_cmp_ps_mask(shifted, zero, _CMP_LT_OQ), zero);
        shifted = _mm512_mask_mov_ps(shifted, _mm512_cmp_ps_mask(shifted, six, _CMP_GT_OQ), six);
        x = _mm512_div_ps(_mm512_mul_ps(x, shifted), six);
        break;
    }
    default:
        break;
    }
    long start = pixel * target->pixelStride + column;
    if (target->residual) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask, target->residual + start));
    _mm512_mask_storeu_ps(target->output + start, mask, x);
}

/// What a tile does with its sums, `sums[16]` as `matte_bf16_tile12x16` documents them.
BF16_TARGET static inline void finish_tile(const __m512 *sums, long pixels, long halves,
                                           const matte_bf16_target *target) {
    if (target->activation == MATTE_BF16_SUMS) {
        for (int v = 0; v < 16; v++) _mm512_storeu_ps(target->sums + 16 * v, sums[v]);
        return;
    }
    for (long p = 0; p < pixels; p++) {
        finish_vector(sums[p], target, p, 0);
        if (halves > 1) finish_vector(sums[8 + p], target, p, 16);
    }
}

BF16_TARGET
void matte_bf16_tile12x16(const uint16_t *const *rows, long rowCount, long offset, long pixelStride,
                          long segmentCount, long segmentStride, long segmentLength, long pixels,
                          const uint16_t *weights, const matte_bf16_target *target) {
    long last = pixels - 1;
    long o[12];
    for (int p = 0; p < 12; p++) o[p] = min_long(p, last) * pixelStride;
    __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    __m512 c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
    const uint16_t *w = weights;
    for (long row = 0; row < rowCount; row++) {
        const uint16_t *a = rows[row] + offset;
        for (long segment = 0; segment < segmentCount; segment++) {
            const uint16_t *a0 = a + o[0], *a1 = a + o[1], *a2 = a + o[2], *a3 = a + o[3];
            const uint16_t *a4 = a + o[4], *a5 = a + o[5], *a6 = a + o[6], *a7 = a + o[7];
            const uint16_t *a8 = a + o[8], *a9 = a + o[9], *a10 = a + o[10], *a11 = a + o[11];
            // The input pair is the last operand so that the compiler folds its broadcast into
            // `vdpbf16ps` (`m32bcst`, done by the load unit): measured on Zen 4 (CPU time, operands in
            // L1/L2, rows of a 3x3 64 -> 16 layer) 226 against 171 GFLOP/s with a separate
            // `vbroadcastss` per pixel.
            for (long k = 0; k < segmentLength; k += 2) {
                __m512bh b = (__m512bh)_mm512_loadu_si512((const void *)w);
                w += 32;
                c0 = _mm512_dpbf16_ps(c0, b, broadcast_pair(a0 + k));
                c1 = _mm512_dpbf16_ps(c1, b, broadcast_pair(a1 + k));
                c2 = _mm512_dpbf16_ps(c2, b, broadcast_pair(a2 + k));
                c3 = _mm512_dpbf16_ps(c3, b, broadcast_pair(a3 + k));
                c4 = _mm512_dpbf16_ps(c4, b, broadcast_pair(a4 + k));
                c5 = _mm512_dpbf16_ps(c5, b, broadcast_pair(a5 + k));
                c6 = _mm512_dpbf16_ps(c6, b, broadcast_pair(a6 + k));
                c7 = _mm512_dpbf16_ps(c7, b, broadcast_pair(a7 + k));
                c8 = _mm512_dpbf16_ps(c8, b, broadcast_pair(a8 + k));
                c9 = _mm512_dpbf16_ps(c9, b, broadcast_pair(a9 + k));
                c10 = _mm512_dpbf16_ps(c10, b, broadcast_pair(a10 + k));
                c11 = _mm512_dpbf16_ps(c11, b, broadcast_pair(a11 + k));
            }
            a += segmentStride;
        }
    }
    __m512 sums[16] = {c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11};
    finish_tile(sums, pixels, 1, target);
}

BF16_TARGET
void matte_bf16_tile8x32(const uint16_t *const *rows, long rowCount, long offset, long pixelStride,
                         long segmentCount, long segmentStride, long segmentLength, long pixels,
                         const uint16_t *weights, const matte_bf16_target *target) {
    long last = pixels - 1;
    long o[8];
    for (int p = 0; p < 8; p++) o[p] = min_long(p, last) * pixelStride;
    __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    __m512 d0 = c0, d1 = c0, d2 = c0, d3 = c0, d4 = c0, d5 = c0, d6 = c0, d7 = c0;
    const uint16_t *w = weights;
    for (long row = 0; row < rowCount; row++) {
        const uint16_t *a = rows[row] + offset;
        for (long segment = 0; segment < segmentCount; segment++) {
            const uint16_t *a0 = a + o[0], *a1 = a + o[1], *a2 = a + o[2], *a3 = a + o[3];
            const uint16_t *a4 = a + o[4], *a5 = a + o[5], *a6 = a + o[6], *a7 = a + o[7];
            for (long k = 0; k < segmentLength; k += 2) {
                __m512bh b = (__m512bh)_mm512_loadu_si512((const void *)w);
                __m512bh e = (__m512bh)_mm512_loadu_si512((const void *)(w + 32));
                w += 64;
                __m512bh x = broadcast_pair(a0 + k); c0 = _mm512_dpbf16_ps(c0, x, b); d0 = _mm512_dpbf16_ps(d0, x, e);
                x = broadcast_pair(a1 + k); c1 = _mm512_dpbf16_ps(c1, x, b); d1 = _mm512_dpbf16_ps(d1, x, e);
                x = broadcast_pair(a2 + k); c2 = _mm512_dpbf16_ps(c2, x, b); d2 = _mm512_dpbf16_ps(d2, x, e);
                x = broadcast_pair(a3 + k); c3 = _mm512_dpbf16_ps(c3, x, b); d3 = _mm512_dpbf16_ps(d3, x, e);
                x = broadcast_pair(a4 + k); c4 = _mm512_dpbf16_ps(c4, x, b); d4 = _mm512_dpbf16_ps(d4, x, e);
                x = broadcast_pair(a5 + k); c5 = _mm512_dpbf16_ps(c5, x, b); d5 = _mm512_dpbf16_ps(d5, x, e);
                x = broadcast_pair(a6 + k); c6 = _mm512_dpbf16_ps(c6, x, b); d6 = _mm512_dpbf16_ps(d6, x, e);
                x = broadcast_pair(a7 + k); c7 = _mm512_dpbf16_ps(c7, x, b); d7 = _mm512_dpbf16_ps(d7, x, e);
            }
            a += segmentStride;
        }
    }
    __m512 sums[16] = {c0, c1, c2, c3, c4, c5, c6, c7, d0, d1, d2, d3, d4, d5, d6, d7};
    finish_tile(sums, pixels, 2, target);
}

#else

// Other CPUs: no bfloat16 kernels; `matte_bf16_supported` says so and the others are never called.
#include <stdlib.h>

int matte_bf16_supported(void) { return 0; }

void matte_bf16_convert(const float *source, uint16_t *destination, long count) {
    (void)source; (void)destination; (void)count;
    abort();
}

void matte_bf16_tile12x16(const uint16_t *const *rows, long rowCount, long offset, long pixelStride,
                          long segmentCount, long segmentStride, long segmentLength, long pixels,
                          const uint16_t *weights, const matte_bf16_target *target) {
    (void)rows; (void)rowCount; (void)offset; (void)pixelStride; (void)segmentCount; (void)segmentStride;
    (void)segmentLength; (void)pixels; (void)weights; (void)target;
    abort();
}

void matte_bf16_tile8x32(const uint16_t *const *rows, long rowCount, long offset, long pixelStride,
                         long segmentCount, long segmentStride, long segmentLength, long pixels,
                         const uint16_t *weights, const matte_bf16_target *target) {
    (void)rows; (void)rowCount; (void)offset; (void)pixelStride; (void)segmentCount; (void)segmentStride;
    (void)segmentLength; (void)pixels; (void)weights; (void)target;
    abort();
}

#endif
