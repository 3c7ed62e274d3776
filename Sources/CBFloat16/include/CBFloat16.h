#ifndef C_BFLOAT16_H
#define C_BFLOAT16_H

#include <stdint.h>

/// Whether this CPU (and the operating system, which must save the 512-bit registers) runs
/// AVX512_BF16 instructions: `vdpbf16ps` and `vcvtne2ps2bf16`. Read once from cpuid.
int matte_bf16_supported(void);

/// Rounds `count` floats to bfloat16 (the high half of a float's bits), to nearest even, with
/// `vcvtne2ps2bf16`: denormal inputs become zeros of their sign, NaNs stay NaNs (quiet).
/// Only when `matte_bf16_supported()`.
void matte_bf16_convert(const float *source, uint16_t *destination, long count);

/// A register tile of the bfloat16 convolution: `pixels` (1 ... 12, or 1 ... 8 for 32 columns) output
/// pixels times 16 or 32 output channels, each sum in float32 over `rowCount` kernel rows made of
/// `segmentCount` runs of `segmentLength` (even) consecutive bfloat16 inputs.
///
/// - rows: one pointer per kernel row to the start of a buffered input row (bfloat16).
/// - offset: values from a row's start to the first value of the tile's first pixel.
/// - pixelStride: values between the inputs of two neighbouring output pixels.
/// - segmentStride: values between the starts of two segments of one kernel row.
/// - weights: `[row][segment][segmentLength / 2][columns][2]` bfloat16: each column's two
///   consecutive inputs side by side, as `vdpbf16ps` pairs them.
/// - sums: 16 vectors of 16 floats: pixel `p`'s columns 0 ..< 16 at `sums + 16 * p`, columns 16 ..< 32
///   at `sums + 16 * (8 + p)`. Pixels past `pixels` recompute the last pixel and are not written.
/// Only when `matte_bf16_supported()`.
void matte_bf16_tile12x16(const uint16_t *const *rows, long rowCount, long offset, long pixelStride,
                          long segmentCount, long segmentStride, long segmentLength, long pixels,
                          const uint16_t *weights, float *sums);

/// As `matte_bf16_tile12x16`, 8 pixels x 32 columns.
void matte_bf16_tile8x32(const uint16_t *const *rows, long rowCount, long offset, long pixelStride,
                         long segmentCount, long segmentStride, long segmentLength, long pixels,
                         const uint16_t *weights, float *sums);

#endif
