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

BF16_TARGET
void matte_bf16_tile12x16(const uint16_t *const *rows, long rowCount, long offset, long pixelStride,
                          long segmentCount, long segmentStride, long segmentLength, long pixels,
                          const uint16_t *weights, float *sums) {
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
            for (long k = 0; k < segmentLength; k += 2) {
                __m512bh b = (__m512bh)_mm512_loadu_si512((const void *)w);
                w += 32;
                c0 = _mm512_dpbf16_ps(c0, broadcast_pair(a0 + k), b);
                c1 = _mm512_dpbf16_ps(c1, broadcast_pair(a1 + k), b);
                c2 = _mm512_dpbf16_ps(c2, broadcast_pair(a2 + k), b);
                c3 = _mm512_dpbf16_ps(c3, broadcast_pair(a3 + k), b);
                c4 = _mm512_dpbf16_ps(c4, broadcast_pair(a4 + k), b);
                c5 = _mm512_dpbf16_ps(c5, broadcast_pair(a5 + k), b);
                c6 = _mm512_dpbf16_ps(c6, broadcast_pair(a6 + k), b);
                c7 = _mm512_dpbf16_ps(c7, broadcast_pair(a7 + k), b);
                c8 = _mm512_dpbf16_ps(c8, broadcast_pair(a8 + k), b);
                c9 = _mm512_dpbf16_ps(c9, broadcast_pair(a9 + k), b);
                c10 = _mm512_dpbf16_ps(c10, broadcast_pair(a10 + k), b);
                c11 = _mm512_dpbf16_ps(c11, broadcast_pair(a11 + k), b);
            }
            a += segmentStride;
        }
    }
    _mm512_storeu_ps(sums + 0 * 16, c0); _mm512_storeu_ps(sums + 1 * 16, c1);
    _mm512_storeu_ps(sums + 2 * 16, c2); _mm512_storeu_ps(sums + 3 * 16, c3);
    _mm512_storeu_ps(sums + 4 * 16, c4); _mm512_storeu_ps(sums + 5 * 16, c5);
    _mm512_storeu_ps(sums + 6 * 16, c6); _mm512_storeu_ps(sums + 7 * 16, c7);
    _mm512_storeu_ps(sums + 8 * 16, c8); _mm512_storeu_ps(sums + 9 * 16, c9);
    _mm512_storeu_ps(sums + 10 * 16, c10); _mm512_storeu_ps(sums + 11 * 16, c11);
}

BF16_TARGET
void matte_bf16_tile8x32(const uint16_t *const *rows, long rowCount, long offset, long pixelStride,
                         long segmentCount, long segmentStride, long segmentLength, long pixels,
                         const uint16_t *weights, float *sums) {
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
    _mm512_storeu_ps(sums + 0 * 16, c0); _mm512_storeu_ps(sums + 1 * 16, c1);
    _mm512_storeu_ps(sums + 2 * 16, c2); _mm512_storeu_ps(sums + 3 * 16, c3);
    _mm512_storeu_ps(sums + 4 * 16, c4); _mm512_storeu_ps(sums + 5 * 16, c5);
    _mm512_storeu_ps(sums + 6 * 16, c6); _mm512_storeu_ps(sums + 7 * 16, c7);
    _mm512_storeu_ps(sums + 8 * 16, d0); _mm512_storeu_ps(sums + 9 * 16, d1);
    _mm512_storeu_ps(sums + 10 * 16, d2); _mm512_storeu_ps(sums + 11 * 16, d3);
    _mm512_storeu_ps(sums + 12 * 16, d4); _mm512_storeu_ps(sums + 13 * 16, d5);
    _mm512_storeu_ps(sums + 14 * 16, d6); _mm512_storeu_ps(sums + 15 * 16, d7);
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
                          const uint16_t *weights, float *sums) {
    (void)rows; (void)rowCount; (void)offset; (void)pixelStride; (void)segmentCount; (void)segmentStride;
    (void)segmentLength; (void)pixels; (void)weights; (void)sums;
    abort();
}

void matte_bf16_tile8x32(const uint16_t *const *rows, long rowCount, long offset, long pixelStride,
                         long segmentCount, long segmentStride, long segmentLength, long pixels,
                         const uint16_t *weights, float *sums) {
    (void)rows; (void)rowCount; (void)offset; (void)pixelStride; (void)segmentCount; (void)segmentStride;
    (void)segmentLength; (void)pixels; (void)weights; (void)sums;
    abort();
}

#endif
