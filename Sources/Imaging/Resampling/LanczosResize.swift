import Foundation

extension Image {
    /// Resizes with a Lanczos filter (a = 3), widened by the scale factor when shrinking so that it
    /// averages rather than aliases: the resampling of Pillow's `Image.resize(..., LANCZOS)`, which
    /// rembg uses before U-2-Net. Separable, horizontal pass first; each pass rounds to 8 bits as
    /// Pillow's does, so results agree with Pillow's within one level. Output rows are split over
    /// `threads` threads.
    public func lanczosResized(width newWidth: Int, height newHeight: Int, threads: Int = 1) -> Image {
        precondition(newWidth > 0 && newHeight > 0, "target size must be positive")
        var image = self
        if newWidth != width {
            image = image.resampled(along: .horizontal, to: newWidth, threads: threads)
        }
        if newHeight != height {
            image = image.resampled(along: .vertical, to: newHeight, threads: threads)
        }
        return image
    }

    private enum Axis { case horizontal, vertical }

    /// Taps of one output sample: the first source index and the normalised weights from there.
    private struct Taps {
        var first: Int
        var weights: [Float]
    }

    private static func lanczos(_ x: Double) -> Double {
        func sinc(_ x: Double) -> Double { x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x) }
        return abs(x) < 3 ? sinc(x) * sinc(x / 3) : 0
    }

    private static func taps(from inputLength: Int, to outputLength: Int) -> [Taps] {
        let scale = Double(inputLength) / Double(outputLength)
        let filterScale = max(scale, 1)
        let support = 3 * filterScale
        return (0..<outputLength).map { output in
            let center = (Double(output) + 0.5) * scale
            let first = max(Int(center - support + 0.5), 0)
            let last = min(Int(center + support + 0.5), inputLength)
            var weights = (first..<last).map { lanczos((Double($0) - center + 0.5) / filterScale) }
            let total = weights.reduce(0, +)
            if total != 0 { weights = weights.map { $0 / total } }
            return Taps(first: first, weights: weights.map(Float.init))
        }
    }

    private func resampled(along axis: Axis, to length: Int, threads: Int) -> Image {
        let horizontal = axis == .horizontal
        let taps = Self.taps(from: horizontal ? width : height, to: length)
        // Taps flattened: output index i reads `counts[i]` source samples from `firsts[i]` with the
        // weights at `offsets[i]` in `weights` (no per-pixel array retains in the loop below).
        let firsts = taps.map(\.first), counts = taps.map(\.weights.count)
        var offsets = [Int](), weights = [Float]()
        for tap in taps {
            offsets.append(weights.count)
            weights += tap.weights
        }
        let outputWidth = horizontal ? length : width, outputHeight = horizontal ? height : length
        var result = Image(width: outputWidth, height: outputHeight, channels: channels)
        let channels = channels, width = width
        // Distance between successive taps in the source, in bytes.
        let tapStride = horizontal ? channels : width * channels
        pixels.withUnsafeBufferPointer { source in
            result.pixels.withUnsafeMutableBufferPointer { target in
                weights.withUnsafeBufferPointer { weights in
                    nonisolated(unsafe) let target = target
                    splitRows(outputHeight, threads: threads) { rows in
                        for y in rows {
                            for x in 0..<outputWidth {
                                let tap = horizontal ? x : y
                                let first = horizontal ? (y * width + firsts[tap]) * channels : (firsts[tap] * width + x) * channels
                                let base = (y * outputWidth + x) * channels
                                for channel in 0..<channels {
                                    var sum: Float = 0
                                    var index = first + channel
                                    for weight in weights[offsets[tap]..<offsets[tap] + counts[tap]] {
                                        sum += Float(source[index]) * weight
                                        index += tapStride
                                    }
                                    target[base + channel] = UInt8(min(max(sum.rounded(), 0), 255))
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
