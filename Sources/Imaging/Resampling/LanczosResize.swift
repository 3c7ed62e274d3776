import Foundation
import Parallelism

extension Image {
    /// Resizes with a Lanczos filter (a = 3), widened by the scale factor when shrinking so that it
    /// averages rather than aliases: the resampling of Pillow's `Image.resize(..., LANCZOS)`, which
    /// rembg uses before U-2-Net. Separable, horizontal pass first as Pillow's (see
    /// `verticalPassFirst` for the one exception); each pass rounds to 8 bits as Pillow's does, so
    /// results agree with Pillow's within one level. Output rows are split over `threads` threads.
    /// Memory: the intermediate image never holds more pixels than the larger of input and output.
    ///
    /// Each output sample sums its taps in the same order as `lanczosResizedReference`, so the two
    /// agree to the bit; this one sums the channels of four rows' pixels at once (horizontal pass,
    /// from rows converted to floats once) or a whole row at a time (vertical pass).
    public func lanczosResized(width newWidth: Int, height newHeight: Int, threads: Int = 1) -> Image {
        precondition(newWidth > 0 && newHeight > 0, "target size must be positive")
        if verticalPassFirst(width: newWidth, height: newHeight) {
            return resampledAlongColumns(to: newHeight, threads: threads).resampledAlongRows(to: newWidth, threads: threads)
        }
        var image = self
        if newWidth != width {
            image = image.resampledAlongRows(to: newWidth, threads: threads)
        }
        if newHeight != height {
            image = image.resampledAlongColumns(to: newHeight, threads: threads)
        }
        return image
    }

    /// Whether the vertical pass must run first: when the photo is widened and shortened at once. The
    /// horizontal pass first would then make a `newWidth` x `height` intermediate, larger than both the
    /// input and the output (a 1 x 50,000,000 strip widened to 320 columns is 16 G samples); the vertical
    /// pass first makes `width` x `newHeight`, smaller than both. In every other case the horizontal pass
    /// first (Pillow's order) already stays within the larger of the two.
    func verticalPassFirst(width newWidth: Int, height newHeight: Int) -> Bool {
        newWidth > width && newHeight < height
    }

    /// `lanczosResized` written plainly, one sample and one tap at a time: the reference the fast
    /// passes are tested against.
    func lanczosResizedReference(width newWidth: Int, height newHeight: Int) -> Image {
        precondition(newWidth > 0 && newHeight > 0, "target size must be positive")
        if verticalPassFirst(width: newWidth, height: newHeight) {
            return resampled(along: .vertical, to: newHeight, threads: 1).resampled(along: .horizontal, to: newWidth, threads: 1)
        }
        var image = self
        if newWidth != width {
            image = image.resampled(along: .horizontal, to: newWidth, threads: 1)
        }
        if newHeight != height {
            image = image.resampled(along: .vertical, to: newHeight, threads: 1)
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
                    parallelFor(outputHeight, threads: threads) { rows in
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

    /// Taps of every output sample, flattened: output i reads `counts[i]` source samples from
    /// `firsts[i]` with the weights at `offsets[i]` in `weights`.
    private struct FlatTaps {
        var firsts: [Int], counts: [Int], offsets: [Int], weights: [Float]

        init(from inputLength: Int, to outputLength: Int) {
            let taps = Image.taps(from: inputLength, to: outputLength)
            firsts = taps.map(\.first)
            counts = taps.map(\.weights.count)
            offsets = []
            weights = []
            for tap in taps {
                offsets.append(weights.count)
                weights += tap.weights
            }
        }
    }

    /// The horizontal pass, four rows at a time: the rows converted to floats once (pixel x of the
    /// four rows' channels in the lanes of one SIMD16), then each output column's sixteen samples
    /// summed together over its taps.
    private func resampledAlongRows(to length: Int, threads: Int) -> Image {
        let taps = FlatTaps(from: width, to: length)
        var result = Image(width: length, height: height, channels: channels)
        let channels = channels, width = width
        pixels.withUnsafeBufferPointer { source in
            result.pixels.withUnsafeMutableBufferPointer { target in
                taps.weights.withUnsafeBufferPointer { weights in
                    nonisolated(unsafe) let target = target
                    parallelFor(height, threads: threads) { rows in
                        // Float x * 16 + row * 4 + channel: pixel x of the block's rows, one SIMD16 a pixel.
                        let block = UnsafeMutableRawPointer.allocate(byteCount: width * 64, alignment: 64)
                        defer { block.deallocate() }
                        let samples = block.initializeMemory(as: Float.self, repeating: 0, count: width * 16)
                        for firstRow in stride(from: rows.lowerBound, to: rows.upperBound, by: 4) {
                            let rowCount = min(4, rows.upperBound - firstRow)
                            for row in 0..<rowCount {
                                let sourceRow = (firstRow + row) * width * channels
                                if channels == 1 {
                                    for x in 0..<width { samples[x * 16 + row * 4] = Float(source[sourceRow + x]) }
                                    continue
                                }
                                // RGB(A): four bytes from the pixel's first converted at once (for RGB the
                                // fourth is the next pixel's red, in a lane that is never written out),
                                // but for the image's last pixel, which has no byte after it.
                                for x in 0..<width {
                                    let offset = sourceRow + x * channels
                                    let bytes = offset + 4 <= source.count
                                        ? UnsafeRawPointer(source.baseAddress! + offset).loadUnaligned(as: SIMD4<UInt8>.self)
                                        : SIMD4(source[offset], source[offset + 1], source[offset + 2], 0)
                                    block.storeBytes(of: SIMD4<Float>(bytes), toByteOffset: x * 64 + row * 16, as: SIMD4<Float>.self)
                                }
                            }
                            for x in 0..<length {
                                var sum = SIMD16<Float>.zero
                                let first = taps.firsts[x], offset = taps.offsets[x]
                                for tap in 0..<taps.counts[x] {
                                    sum += block.load(fromByteOffset: (first + tap) * 64, as: SIMD16<Float>.self) * weights[offset + tap]
                                }
                                let rounded = sum.rounded(.toNearestOrAwayFromZero)
                                    .clamped(lowerBound: .zero, upperBound: SIMD16(repeating: 255))
                                for row in 0..<rowCount {
                                    let base = ((firstRow + row) * length + x) * channels
                                    for channel in 0..<channels { target[base + channel] = UInt8(rounded[row * 4 + channel]) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// The vertical pass: each output row accumulated a whole source row at a time.
    private func resampledAlongColumns(to length: Int, threads: Int) -> Image {
        let taps = FlatTaps(from: height, to: length)
        var result = Image(width: width, height: length, channels: channels)
        let rowLength = width * channels
        pixels.withUnsafeBufferPointer { source in
            result.pixels.withUnsafeMutableBufferPointer { target in
                taps.weights.withUnsafeBufferPointer { weights in
                    nonisolated(unsafe) let target = target
                    parallelFor(length, threads: threads) { rows in
                        var sums = [Float](repeating: 0, count: rowLength)
                        sums.withUnsafeMutableBufferPointer { sums in
                            for y in rows {
                                for index in 0..<rowLength { sums[index] = 0 }
                                for tap in 0..<taps.counts[y] {
                                    let weight = weights[taps.offsets[y] + tap]
                                    let sourceRow = (taps.firsts[y] + tap) * rowLength
                                    for index in 0..<rowLength {
                                        sums[index] += Float(source[sourceRow + index]) * weight
                                    }
                                }
                                for index in 0..<rowLength {
                                    target[y * rowLength + index] = UInt8(min(max(sums[index].rounded(), 0), 255))
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
