import CBFloat16

/// bfloat16: the high 16 bits of a float32 (sign, 8 exponent bits, 7 significand bits).
///
/// `round` is the slow twin of the vector conversion the bfloat16 kernels use on their inputs
/// (`vcvtne2ps2bf16`, Intel SDM): round to nearest, ties to even; denormals become zeros of their sign
/// (the instruction treats them as zero); NaNs stay quiet NaNs. Weights are packed with it.
enum BFloat16 {
    static func round(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        if value.isSubnormal { return UInt16(bits >> 16) & 0x8000 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }

    /// The float32 a bfloat16 stands for (exact).
    static func float(_ value: UInt16) -> Float {
        Float(bitPattern: UInt32(value) << 16)
    }

    /// `value` rounded to bfloat16 and back.
    static func rounded(_ value: Float) -> Float {
        float(round(value))
    }

    /// The vector conversion itself (AVX512_BF16; only when `Precision.bfloat16Supported`).
    static func convert(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<UInt16>, count: Int) {
        matte_bf16_convert(source, destination, count)
    }
}
