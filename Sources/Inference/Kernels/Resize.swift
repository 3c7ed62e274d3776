import Parallelism

// Spatial resize of NHWC: ONNX Resize (opset 11 and later; modes nearest and linear over height and width)
// and TFLite RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR.
//
// An output index `x` maps to an input coordinate `t = transform(x)` (`Resize.CoordinateTransform`).
// - linear: `t` is clamped to `[0, inputLength - 1]`, then `lower = floor(t)`, `upper = min(lower + 1, inputLength - 1)`
//   and the value is `(1 - w) * input[lower] + w * input[upper]` with `w = t - lower`, along height and then width.
//   The clamp is what onnxruntime's CPU kernel does; the ONNX reference implementation instead pads the input
//   with its edge values, which gives the same result. TFLite's RESIZE_BILINEAR takes `max(floor(t), 0)` and
//   `min(ceil(t), inputLength - 1)` without clamping `t`: past an edge both indices name the same edge pixel
//   and the weights still sum to 1, so the result is again the edge value. TFLite `half_pixel_centers = true`
//   is `.halfPixel`, `align_corners = true` is `.alignCorners`, neither is `.asymmetric`.
// - nearest: `t` is rounded by `Resize.NearestRounding`, then the index is clamped to `[0, inputLength - 1]`.

extension Resize.CoordinateTransform {
    /// The input coordinate sampled by output index `index` (pixel centres at integers), as ONNX Resize
    /// defines it with `scale = outputLength / inputLength`:
    /// - `halfPixel`: `(index + 0.5) / scale - 0.5`
    /// - `pytorchHalfPixel`: the same, but 0 when `outputLength == 1`
    /// - `alignCorners`: `index * (inputLength - 1) / (outputLength - 1)`, 0 when `outputLength == 1`
    /// - `asymmetric`: `index / scale`
    ///
    /// Each is one rounded division of exact integers, so a coordinate that is exactly `k + 0.5` stays exact
    /// (it matters to the nearest roundings).
    public func sourceCoordinate(_ index: Int, inputLength: Int, outputLength: Int) -> Double {
        switch self {
        case .halfPixel:
            return Double((2 * index + 1) * inputLength - outputLength) / Double(2 * outputLength)
        case .pytorchHalfPixel:
            guard outputLength > 1 else { return 0 }
            return Double((2 * index + 1) * inputLength - outputLength) / Double(2 * outputLength)
        case .alignCorners:
            guard outputLength > 1 else { return 0 }
            return Double(index * (inputLength - 1)) / Double(outputLength - 1)
        case .asymmetric:
            return Double(index * inputLength) / Double(outputLength)
        }
    }
}

extension Resize.NearestRounding {
    /// The input index for coordinate `coordinate` (ONNX `nearest_mode`), clamped to `0..<length`:
    /// `roundPreferFloor` and `roundPreferCeil` round to nearest and send exact halves down or up.
    public func index(_ coordinate: Double, length: Int) -> Int {
        let below = coordinate.rounded(.down)
        let rounded: Double
        switch self {
        case .roundPreferFloor: rounded = coordinate - below == 0.5 ? below : coordinate.rounded()
        case .roundPreferCeil: rounded = coordinate - below == 0.5 ? below + 1 : coordinate.rounded()
        case .floor: rounded = below
        case .ceil: rounded = coordinate.rounded(.up)
        }
        return Int(min(max(rounded, 0), Double(length - 1)))
    }
}

/// One linear-interpolation tap along an axis: `(1 - weight) * input[lower] + weight * input[upper]`.
struct LinearTap: Sendable {
    var lower: Int
    var upper: Int
    var weight: Float

    init(lower: Int, upper: Int, weight: Float) {
        self.lower = lower
        self.upper = upper
        self.weight = weight
    }

    init(_ index: Int, transform: Resize.CoordinateTransform, inputLength: Int, outputLength: Int) {
        let coordinate = transform.sourceCoordinate(index, inputLength: inputLength, outputLength: outputLength)
        let clamped = min(max(coordinate, 0), Double(inputLength - 1))
        lower = Int(clamped.rounded(.down))
        upper = min(lower + 1, inputLength - 1)
        weight = Float(clamped - Double(lower))
    }
}

extension ReferenceKernels {
    /// Resizes NHWC `input` of shape `inputShape` `[N, H, W, C]` to `output` `[N, resize.size.height,
    /// resize.size.width, C]` (see the top of Resize.swift), one output element at a time.
    public static func resize(_ resize: Resize, input: UnsafeBufferPointer<Float>, inputShape: [Int],
                              output: UnsafeMutableBufferPointer<Float>) {
        precondition(inputShape.count == 4 && inputShape.allSatisfy { $0 > 0 }, "resize input shape \(inputShape)")
        let (batch, height, width, channels) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let (outputHeight, outputWidth) = resize.size
        precondition(outputHeight > 0 && outputWidth > 0, "resize output size \(resize.size)")
        precondition(input.count == inputShape.reduce(1, *) && output.count == batch * outputHeight * outputWidth
            * channels, "resize buffer counts")
        func value(_ n: Int, _ y: Int, _ x: Int, _ c: Int) -> Float {
            input[((n * height + y) * width + x) * channels + c]
        }
        let transform = resize.coordinateTransform
        for n in 0..<batch {
            for oy in 0..<outputHeight {
                let sourceY = transform.sourceCoordinate(oy, inputLength: height, outputLength: outputHeight)
                for ox in 0..<outputWidth {
                    let sourceX = transform.sourceCoordinate(ox, inputLength: width, outputLength: outputWidth)
                    for c in 0..<channels {
                        let result: Float
                        switch resize.mode {
                        case .nearest:
                            result = value(n, resize.nearestRounding.index(sourceY, length: height),
                                           resize.nearestRounding.index(sourceX, length: width), c)
                        case .linear:
                            let y = min(max(sourceY, 0), Double(height - 1))
                            let x = min(max(sourceX, 0), Double(width - 1))
                            let y0 = Int(y.rounded(.down)), x0 = Int(x.rounded(.down))
                            let y1 = min(y0 + 1, height - 1), x1 = min(x0 + 1, width - 1)
                            let wy = Float(y - Double(y0)), wx = Float(x - Double(x0))
                            let top = (1 - wx) * value(n, y0, x0, c) + wx * value(n, y0, x1, c)
                            let bottom = (1 - wx) * value(n, y1, x0, c) + wx * value(n, y1, x1, c)
                            result = (1 - wy) * top + wy * bottom
                        }
                        output[((n * outputHeight + oy) * outputWidth + ox) * channels + c] = result
                    }
                }
            }
        }
    }
}

/// Resizes NHWC as `ReferenceKernels.resize`: source indices and weights computed once per output row and
/// column (`ResizeRows`), 16 channels at a time (scalar below 16), output rows spread over threads.
public func resize(_ resize: Resize, input: UnsafeBufferPointer<Float>, inputShape: [Int],
                   output: UnsafeMutableBufferPointer<Float>, threads: Int) {
    let rows = ResizeRows(resize, inputShape: inputShape)
    precondition(input.count == inputShape.reduce(1, *) && output.count == rows.outputCount, "resize buffer counts")
    guard let source = input.baseAddress, let destination = output.baseAddress else { return }
    let outputRowLength = rows.outputWidth * rows.channels
    parallelFor(rows.outputRows, threads: threadsWorthUsing(threads, work: output.count)) { range in
        for row in range {
            rows.write(row: row, from: source, to: destination + row * outputRowLength, pixelStride: rows.channels,
                       columns: rows.outputWidth)
        }
    }
}

/// The rows of one resize (see the top of Resize.swift), written one at a time: by `resize` into its
/// output, and by a convolution that reads a resized tensor straight into its row buffer
/// (`ConvolutionRows`), so the resized tensor is never stored whole.
struct ResizeRows: Sendable {
    let mode: Resize.Mode
    let batch: Int, height: Int, width: Int, channels: Int
    let outputHeight: Int, outputWidth: Int
    /// Linear: one tap per output row and column. Nearest: `lower` is the source index, weight 0.
    let rowTaps: [LinearTap], columnTaps: [LinearTap]

    /// - Parameter inputShape: NHWC `[batch, height, width, channels]`, all positive.
    init(_ resize: Resize, inputShape: [Int]) {
        precondition(inputShape.count == 4 && inputShape.allSatisfy { $0 > 0 }, "resize input shape \(inputShape)")
        (batch, height, width, channels) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        (outputHeight, outputWidth) = resize.size
        precondition(outputHeight > 0 && outputWidth > 0, "resize output size \(resize.size)")
        mode = resize.mode
        let transform = resize.coordinateTransform
        switch resize.mode {
        case .nearest:
            let rounding = resize.nearestRounding
            func taps(_ inputLength: Int, _ outputLength: Int) -> [LinearTap] {
                (0..<outputLength).map {
                    let index = rounding.index(transform.sourceCoordinate($0, inputLength: inputLength,
                                                                          outputLength: outputLength),
                                               length: inputLength)
                    return LinearTap(lower: index, upper: index, weight: 0)
                }
            }
            (rowTaps, columnTaps) = (taps(inputShape[1], outputHeight), taps(inputShape[2], outputWidth))
        case .linear:
            rowTaps = (0..<outputHeight).map {
                LinearTap($0, transform: transform, inputLength: inputShape[1], outputLength: resize.size.height)
            }
            columnTaps = (0..<outputWidth).map {
                LinearTap($0, transform: transform, inputLength: inputShape[2], outputLength: resize.size.width)
            }
        }
    }

    /// Rows of all images of the output.
    var outputRows: Int { batch * outputHeight }
    var outputCount: Int { batch * outputHeight * outputWidth * channels }

    /// Writes output row `row` (`image * outputHeight + y`), its first `columns` pixels, from `source`
    /// (the whole NHWC input) to `destination`, pixel `x`'s channels at `x * pixelStride`.
    @inline(__always)
    func write(row: Int, from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>,
               pixelStride: Int, columns: Int) {
        let image = row / outputHeight, tap = rowTaps[row % outputHeight]
        let rowStride = width * channels
        let channels = self.channels
        var pixel = destination
        switch mode {
        case .nearest:
            let sourceRow = source + (image * height + tap.lower) * rowStride
            for column in columnTaps.prefix(columns) {
                Vector16.copy(sourceRow + column.lower * channels, pixel, count: channels)
                pixel += pixelStride
            }
        case .linear:
            let top = source + (image * height + tap.lower) * rowStride
            let bottom = source + (image * height + tap.upper) * rowStride
            let wy = tap.weight
            for column in columnTaps.prefix(columns) {
                let left = column.lower * channels, right = column.upper * channels
                let wx = column.weight
                var channel = 0
                while channel + 16 <= channels {
                    let topValue = (1 - wx) * Vector16.load(top + left + channel)
                        + wx * Vector16.load(top + right + channel)
                    let bottomValue = (1 - wx) * Vector16.load(bottom + left + channel)
                        + wx * Vector16.load(bottom + right + channel)
                    Vector16.store((1 - wy) * topValue + wy * bottomValue, pixel + channel)
                    channel += 16
                }
                while channel < channels {
                    let topValue = (1 - wx) * top[left + channel] + wx * top[right + channel]
                    let bottomValue = (1 - wx) * bottom[left + channel] + wx * bottom[right + channel]
                    pixel[channel] = (1 - wy) * topValue + wy * bottomValue
                    channel += 1
                }
                pixel += pixelStride
            }
        }
    }
}
