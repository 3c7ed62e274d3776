import CBFloat16
import Foundation

/// The number format the convolutions multiply in.
///
/// - `fp32`: inputs and weights as float32, one FMA per lane.
/// - `bf16`: weights rounded once to bfloat16 (to nearest even) when packed, inputs rounded as the
///   kernel buffers their rows, products summed in float32 by `vdpbf16ps` (AVX512_BF16), two
///   multiply-adds per float32 lane per instruction; bias, activation and residual as in fp32. Only
///   the packed 1x1 and general convolutions whose kernel-row runs hold an even number of inputs
///   and that fill at least 16-channel tiles take it; depthwise, narrow (8x1 tile) layers and
///   everything else stay float32.
///
/// bfloat16 keeps float32's exponent and 8 of its 24 significand bits: each rounded value is within
/// 2^-9 (0.2%) of the original, and the float32 sums keep the rest exact.
public enum Precision: String, Sendable, CaseIterable {
    case fp32, bf16

    /// Whether this CPU runs the bfloat16 kernels (AVX512_BF16, from cpuid, and 512-bit state saved by
    /// the operating system). Without it, `bf16` plans run fp32.
    public static var bfloat16Supported: Bool { matte_bf16_supported() != 0 }

    /// What plans use unless told otherwise: set by the command's and the service's `--precision`,
    /// else `MATTE_PRECISION` from the environment (`fp32` or `bf16`; other values are ignored),
    /// else `bf16` (which runs as `fp32` on a CPU without AVX512_BF16).
    ///
    /// bf16 is the default because it leaves the mattes as good: on the quality benchmark's 40 trimap-free
    /// composites the mean SAD moved -0.05% in best mode and -0.13% in fast mode, on the three real
    /// portraits -0.01% and -1.02% (lower is better), with U-2-Net-p's one sensitive layer kept in float32
    /// (`SalientObjectDetector.float32Nodes`; with it in bfloat16 the composites' SAD rose 1.5% and 11%).
    public static var preferred: Precision {
        get { lock.withLock { chosen } ?? environment ?? .bf16 }
        set { lock.withLock { chosen = newValue } }
    }

    /// `self` as the kernels will run it on this CPU.
    public var effective: Precision {
        self == .bf16 && !Precision.bfloat16Supported ? .fp32 : self
    }

    private static let lock = NSLock()
    /// Guarded by `lock`.
    nonisolated(unsafe) private static var chosen: Precision?

    private static var environment: Precision? {
        ProcessInfo.processInfo.environment["MATTE_PRECISION"].flatMap(Precision.init(rawValue:))
    }
}
