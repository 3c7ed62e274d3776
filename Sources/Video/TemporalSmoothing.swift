import Foundation
import Imaging

/// Steadies a video's mattes over time without a recurrent network: each frame's alpha leans on the last
/// output where the new one is uncertain, and follows the new frame where it is sure.
///
/// The rule is MediaPipe's `SegmentationSmoothingCalculator`: with `p` the new value in [0, 1] and `previous`
/// the last output, `t = p - 0.5`, `x = t * t`,
/// `u = 1 - min(1, x * (5.68842 + x * (-0.748699 + x * (-57.8051 + x * (291.309 + x * (-624.717))))))`
/// (an uncertainty, 1 at p = 0.5 and 0 at p = 0 or 1) and `out = p + (previous - p) * u * ratio`.
/// MediaPipe's pose segmentation uses `ratio` 0.7. Confident pixels (the inside of the person and the
/// room) move at once with the new frame, so a moving person is not trailed; only the unsure band (hair,
/// edges) is averaged over frames, which is where per-frame mattes flicker.
public struct TemporalSmoothing: Sendable {
    public let ratio: Float
    /// `u(p) * ratio` for each 8-bit alpha.
    private let weights: [Float]
    /// The last output, in [0, 1], one value a pixel; empty before the first frame or after a size change.
    private var previous: [Float] = []

    public init(ratio: Float = 0.7) {
        self.ratio = ratio
        weights = (0..<256).map { Self.uncertainty(Float($0) / 255) * ratio }
    }

    /// MediaPipe's uncertainty of a probability `p` in [0, 1]: 1 at 0.5, 0 at 0 and 1.
    public static func uncertainty(_ p: Float) -> Float {
        let t = p - 0.5, x = t * t
        return 1 - min(1, x * (5.68842 + x * (-0.748699 + x * (-57.8051 + x * (291.309 + x * (-624.717))))))
    }

    /// The steadied alpha (grey, 8-bit) for this frame's `alpha` (grey, 8-bit); the first frame, or one of
    /// another size, passes unchanged.
    public mutating func smooth(_ alpha: Image) -> Image {
        precondition(alpha.channels == 1, "an alpha matte is grey")
        guard previous.count == alpha.pixelCount else {
            previous = alpha.pixels.map { Float($0) / 255 }
            return alpha
        }
        var output = alpha
        let weights = self.weights
        weights.withUnsafeBufferPointer { weights in
            previous.withUnsafeMutableBufferPointer { previous in
                alpha.pixels.withUnsafeBufferPointer { source in
                    output.pixels.withUnsafeMutableBufferPointer { target in
                        for index in 0..<source.count {
                            let value = source[index]
                            let p = Float(value) * (1 / 255)
                            let smoothed = p + (previous[index] - p) * weights[Int(value)]
                            previous[index] = smoothed
                            target[index] = UInt8(smoothed * 255 + 0.5)
                        }
                    }
                }
            }
        }
        return output
    }
}

/// Whether a frame has barely changed from the last one the networks saw, so its matte can be reused.
///
/// The OBS background-removal plugin skips inference when the whole frame's PSNR against the last is
/// above 35 dB. A small moving part (a hand, a mouth) hardly moves a whole frame's PSNR, so here the frame
/// is cut into cells of 32 x 32 pixels and every cell must be above `threshold` decibels: the mean squared
/// difference of its samples (every 4th pixel of every 4th row, all three channels) at most
/// `255^2 / 10^(threshold / 10)`, 20.6 at 35 dB (an RMS difference of 4.5 levels, codec noise).
public enum FrameChange {
    public static let cell = 32
    public static let step = 4

    /// True when every cell of `frame` is within `threshold` dB PSNR of `reference` (both RGB, same size).
    public static func isUnchanged(_ frame: Image, from reference: Image, threshold: Double = 35) -> Bool {
        precondition(frame.channels == 3 && reference.channels == 3)
        guard frame.width == reference.width, frame.height == reference.height else { return false }
        let limit = 255.0 * 255.0 / pow10(threshold / 10)
        let width = frame.width, height = frame.height
        let columns = (width + cell - 1) / cell
        var sums = [Int](repeating: 0, count: columns), counts = [Int](repeating: 0, count: columns)
        return frame.pixels.withUnsafeBufferPointer { current in
            reference.pixels.withUnsafeBufferPointer { last in
                var y = 0
                while y < height {
                    let bandEnd = min(height, y - y % cell + cell)
                    for column in 0..<columns { sums[column] = 0; counts[column] = 0 }
                    while y < bandEnd {
                        var x = 0
                        while x < width {
                            let index = (y * width + x) * 3
                            var squares = 0
                            for channel in 0..<3 {
                                let difference = Int(current[index + channel]) - Int(last[index + channel])
                                squares += difference * difference
                            }
                            sums[x / cell] += squares
                            counts[x / cell] += 3
                            x += step
                        }
                        y += step
                    }
                    y = max(y, bandEnd)
                    for column in 0..<columns where counts[column] > 0 {
                        if Double(sums[column]) / Double(counts[column]) > limit { return false }
                    }
                }
                return true
            }
        }
    }

    private static func pow10(_ x: Double) -> Double { exp(x * log(10.0)) }
}

