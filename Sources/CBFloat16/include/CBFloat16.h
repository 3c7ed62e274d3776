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

/// What a tile does with its sums (`Activation`'s cases the C epilogue knows), or `MATTE_BF16_SUMS`:
/// leave them in `sums` for the caller to finish.
enum {
    MATTE_BF16_IDENTITY = 0,
    MATTE_BF16_RELU = 1,
    MATTE_BF16_RELU6 = 2,
    MATTE_BF16_HARD_SWISH = 3,
    MATTE_BF16_SUMS = 4,
};

/// Where a tile of the bfloat16 convolution puts its results: `output = activation(sum + bias) +
/// residual`, for the tile's pixels and `channels` columns, done on the registers as the tile ends.
typedef struct {
    /// The tile's first pixel, first channel (float32).
    float *output;
    /// Floats between two neighbouring output pixels (the output channel count).
    long pixelStride;
    /// Columns to write, 1 up to the tile's width; the rest are the packing's zero padding.
    long channels;
    /// One bias per tile column (16 or 32 floats).
    const float *bias;
    /// Laid out as `output`, added after the activation, or NULL.
    const float *residual;
    /// `MATTE_BF16_IDENTITY` ... `MATTE_BF16_HARD_SWISH`, or `MATTE_BF16_SUMS`.
    int activation;
    /// With `MATTE_BF16_SUMS`: 16 vectors of 16 floats, pixel `p`'s columns 0 ..< 16 at `sums + 16 * p`,
    /// columns 16 ..< 32 at `sums + 16 * (8 + p)` (every vector written, used or not).
    float *sums;
} matte_bf16_target;

/// A register tile of the bfloat16 convolution: `pixels` (1 ... 12, or 1 ... 8 for 32 columns) output
/// pixels times 16 or 32 output channels, each sum in float32 over `rowCount` kernel rows made of
/// `segmentCount` runs of `segmentLength` (even) consecutive bfloat16 inputs, finished as `target` says.
///
/// - rows: one pointer per kernel row to the start of a buffered input row (bfloat16).
/// - offset: values from a row's start to the first value of the tile's first pixel.
/// - pixelStride: values between the inputs of two neighbouring output pixels.
/// - segmentStride: values between the starts of two segments of one kernel row.
/// - weights: `[row][segment][segmentLength / 2][columns][2]` bfloat16: each column's two
///   consecutive inputs side by side, as `vdpbf16ps` pairs them.
/// Pixels past `pixels` recompute the last pixel and are not written.
/// Only when `matte_bf16_supported()`.
void matte_bf16_tile12x16(const uint16_t *const *rows, long rowCount, long offset, long pixelStride,
                          long segmentCount, long segmentStride, long segmentLength, long pixels,
                          const uint16_t *weights, const matte_bf16_target *target);

/// As `matte_bf16_tile12x16`, 8 pixels x 32 columns.
void matte_bf16_tile8x32(const uint16_t *const *rows, long rowCount, long offset, long pixelStride,
                         long segmentCount, long segmentStride, long segmentLength, long pixels,
                         const uint16_t *weights, const matte_bf16_target *target);

#endif
