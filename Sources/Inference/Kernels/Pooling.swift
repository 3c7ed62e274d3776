import Parallelism

// Average and max pooling over NHWC (TFLite AVERAGE_POOL_2D and MAX_POOL_2D, ONNX AveragePool with
// count_include_pad = 0, MaxPool, GlobalAveragePool).

/// Sizes of one 2-D pooling over NHWC activations, padding resolved.
///
/// Input `[batch, inputHeight, inputWidth, channels]`, output `[batch, outputHeight, outputWidth, channels]`.
/// Output pixel `(oy, ox)` pools input rows `oy * strideHeight - padTop ..< oy * strideHeight - padTop + kernelHeight`
/// (likewise columns), clipped to the input: padded cells take no part, so an average divides by the number of
/// input cells in the window (TFLite, and ONNX `count_include_pad = 0`). Every window holds at least one input cell.
public struct PoolingGeometry: Sendable, Equatable {
    public var batch: Int
    public var inputHeight: Int, inputWidth: Int, channels: Int
    public var outputHeight: Int, outputWidth: Int
    public var kernelHeight: Int, kernelWidth: Int
    public var strideHeight: Int, strideWidth: Int
    public var padTop: Int, padLeft: Int

    public init(batch: Int = 1, inputHeight: Int, inputWidth: Int, channels: Int,
                outputHeight: Int, outputWidth: Int, kernelHeight: Int, kernelWidth: Int,
                strideHeight: Int = 1, strideWidth: Int = 1, padTop: Int = 0, padLeft: Int = 0) {
        self.batch = batch
        self.inputHeight = inputHeight; self.inputWidth = inputWidth; self.channels = channels
        self.outputHeight = outputHeight; self.outputWidth = outputWidth
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.padTop = padTop; self.padLeft = padLeft
    }

    /// Resolves `pooling`'s padding and output size for an NHWC input of shape `inputShape`.
    ///
    /// `.same` is TensorFlow's (output `ceil(input / stride)`, the smaller half of the padding before);
    /// `.valid` and `.explicit` use `outputLength`, with `pooling.ceilMode`.
    /// Throws `ModelError.malformed` for a shape that is not NHWC with positive lengths, a kernel or stride
    /// below 1, negative padding, padding not smaller than the kernel (a window of padding only), or an empty output.
    public init(inputShape: [Int], pooling: Pooling) throws(ModelError) {
        guard inputShape.count == 4, inputShape.allSatisfy({ $0 > 0 }) else {
            throw .malformed("pooling input shape \(inputShape) is not NHWC with positive lengths")
        }
        let kernel = pooling.kernel, strides = pooling.strides
        guard kernel.height >= 1, kernel.width >= 1, strides.height >= 1, strides.width >= 1 else {
            throw .malformed("pooling kernel \(kernel) or strides \(strides) below 1")
        }
        let (height, width) = (inputShape[1], inputShape[2])
        var pads: (top: Int, left: Int, bottom: Int, right: Int)
        var outputSize: (height: Int, width: Int)
        switch pooling.padding {
        case .same:
            outputSize = ((height + strides.height - 1) / strides.height, (width + strides.width - 1) / strides.width)
            let totalHeight = max((outputSize.height - 1) * strides.height + kernel.height - height, 0)
            let totalWidth = max((outputSize.width - 1) * strides.width + kernel.width - width, 0)
            pads = (totalHeight / 2, totalWidth / 2, totalHeight - totalHeight / 2, totalWidth - totalWidth / 2)
        case .valid, .explicit:
            if case .explicit(let top, let left, let bottom, let right) = pooling.padding {
                pads = (top, left, bottom, right)
            } else {
                pads = (0, 0, 0, 0)
            }
            guard min(pads.top, pads.left, pads.bottom, pads.right) >= 0 else {
                throw .malformed("negative pooling padding \(pads)")
            }
            outputSize = (
                PoolingGeometry.outputLength(inputLength: height, kernel: kernel.height, stride: strides.height,
                                             padBefore: pads.top, padAfter: pads.bottom, ceilMode: pooling.ceilMode),
                PoolingGeometry.outputLength(inputLength: width, kernel: kernel.width, stride: strides.width,
                                             padBefore: pads.left, padAfter: pads.right, ceilMode: pooling.ceilMode))
        }
        guard max(pads.top, pads.bottom) < kernel.height, max(pads.left, pads.right) < kernel.width else {
            throw .malformed("pooling padding \(pads) not smaller than kernel \(kernel)")
        }
        guard outputSize.height >= 1, outputSize.width >= 1 else {
            throw .malformed("pooling kernel \(kernel) larger than padded input \(inputShape)")
        }
        self.init(batch: inputShape[0], inputHeight: height, inputWidth: width, channels: inputShape[3],
                  outputHeight: outputSize.height, outputWidth: outputSize.width,
                  kernelHeight: kernel.height, kernelWidth: kernel.width,
                  strideHeight: strides.height, strideWidth: strides.width, padTop: pads.top, padLeft: pads.left)
    }

    /// Output length along one axis (ONNX MaxPool/AveragePool): `floor((padded - kernel) / stride) + 1`
    /// where `padded = input + padBefore + padAfter`; with `ceilMode` the division rounds up, and a last window
    /// that would start in the end padding (at or past `input + padBefore` in padded coordinates) is dropped,
    /// as ONNX and PyTorch do. 0 when the kernel is longer than the padded input.
    public static func outputLength(inputLength: Int, kernel: Int, stride: Int, padBefore: Int, padAfter: Int,
                                    ceilMode: Bool) -> Int {
        let span = inputLength + padBefore + padAfter - kernel
        guard span >= 0, stride >= 1 else { return 0 }
        guard ceilMode else { return span / stride + 1 }
        var length = (span + stride - 1) / stride + 1
        if (length - 1) * stride >= inputLength + padBefore { length -= 1 }
        return length
    }

    public var inputCount: Int { batch * inputHeight * inputWidth * channels }
    public var outputCount: Int { batch * outputHeight * outputWidth * channels }

    /// Whether the only window covers the whole input (global pooling).
    public var isGlobal: Bool {
        outputHeight == 1 && outputWidth == 1
            && kernelHeight - padTop >= inputHeight && kernelWidth - padLeft >= inputWidth
    }

    /// Input rows (or columns) of the window at output index `index`, clipped to the input.
    @inline(__always)
    func window(_ index: Int, stride: Int, pad: Int, kernel: Int, length: Int) -> Range<Int> {
        let start = index * stride - pad
        let lower = max(start, 0)
        return lower..<max(lower, min(start + kernel, length))
    }
}

extension ReferenceKernels {
    /// Average or max pooling of NHWC `input` into NHWC `output` (see `PoolingGeometry`), then `activation`.
    public static func pool(_ kind: Pooling.Kind, input: UnsafeBufferPointer<Float>,
                            output: UnsafeMutableBufferPointer<Float>, geometry: PoolingGeometry,
                            activation: Activation = .identity) {
        let g = geometry
        precondition(input.count == g.inputCount && output.count == g.outputCount, "pooling buffer counts")
        for n in 0..<g.batch {
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    for c in 0..<g.channels {
                        var sum: Float = 0
                        var maximum = -Float.infinity
                        var count = 0
                        for ky in 0..<g.kernelHeight {
                            let iy = oy * g.strideHeight - g.padTop + ky
                            guard iy >= 0 && iy < g.inputHeight else { continue }
                            for kx in 0..<g.kernelWidth {
                                let ix = ox * g.strideWidth - g.padLeft + kx
                                guard ix >= 0 && ix < g.inputWidth else { continue }
                                let value = input[((n * g.inputHeight + iy) * g.inputWidth + ix) * g.channels + c]
                                sum += value
                                maximum = max(maximum, value)
                                count += 1
                            }
                        }
                        let pooled = kind == .average ? sum / Float(count) : maximum
                        output[((n * g.outputHeight + oy) * g.outputWidth + ox) * g.channels + c] =
                            activation.apply(pooled)
                    }
                }
            }
        }
    }
}

/// Average or max pooling, as `ReferenceKernels.pool`: windows clipped once per output pixel, 16 channels at
/// a time, output rows spread over threads. Global average pooling takes the spatial mean's path.
public func pool(_ kind: Pooling.Kind, input: UnsafeBufferPointer<Float>, output: UnsafeMutableBufferPointer<Float>,
                 geometry: PoolingGeometry, activation: Activation = .identity, threads: Int) {
    let g = geometry
    precondition(input.count == g.inputCount && output.count == g.outputCount, "pooling buffer counts")
    guard let source = input.baseAddress, let destination = output.baseAddress else { return }
    if kind == .average && g.isGlobal {
        spatialMean(input, batch: g.batch, height: g.inputHeight, width: g.inputWidth, channels: g.channels,
                    output: output, threads: threads)
        activateContiguous(activation, destination, destination, count: output.count)
        return
    }
    let work = g.outputCount * g.kernelHeight * g.kernelWidth
    let rows = PoolRows(kind: kind, geometry: g)
    let outputRowLength = g.outputWidth * g.channels
    parallelFor(g.batch * g.outputHeight, threads: threadsWorthUsing(threads, work: work)) { range in
        for row in range {
            let outputRow = destination + row * outputRowLength
            rows.write(row: row, from: source, to: outputRow, pixelStride: g.channels, columns: g.outputWidth)
            activateContiguous(activation, outputRow, outputRow, count: outputRowLength)
        }
    }
}

/// The rows of one average or max pooling (no activation), written one at a time: by `pool` into
/// its output, and by a convolution that reads a pooled tensor straight into its row buffer
/// (`ConvolutionRows`), so the pooled tensor is never stored whole.
struct PoolRows: Sendable {
    let kind: Pooling.Kind
    let geometry: PoolingGeometry

    /// Writes output row `row` (`image * outputHeight + y`), its first `columns` pixels, from `source`
    /// (the whole NHWC input) to `destination`, pixel `x`'s channels at `x * pixelStride`.
    @inline(__always)
    func write(row item: Int, from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>,
               pixelStride: Int, columns outputColumns: Int) {
        let g = geometry, kind = self.kind
        let channels = g.channels
        let n = item / g.outputHeight, oy = item % g.outputHeight
        let rows = g.window(oy, stride: g.strideHeight, pad: g.padTop, kernel: g.kernelHeight, length: g.inputHeight)
        for ox in 0..<outputColumns {
            let columns = g.window(ox, stride: g.strideWidth, pad: g.padLeft, kernel: g.kernelWidth,
                                   length: g.inputWidth)
            let cells = Float(rows.count * columns.count)
            var channel = 0
            while channel < channels {
                let lanes = min(16, channels - channel)
                var result: Vector16.Lanes
                switch kind {
                case .average:
                    result = Vector16.Lanes()
                    for y in rows {
                        var pixel = source + ((n * g.inputHeight + y) * g.inputWidth + columns.lowerBound) * channels
                            + channel
                        for _ in columns {
                            result += lanes == 16 ? Vector16.load(pixel) : Vector16.load(pixel, count: lanes)
                            pixel += channels
                        }
                    }
                    result /= cells
                case .max:
                    result = Vector16.Lanes(repeating: -.infinity)
                    for y in rows {
                        var pixel = source + ((n * g.inputHeight + y) * g.inputWidth + columns.lowerBound) * channels
                            + channel
                        for _ in columns {
                            let value = lanes == 16 ? Vector16.load(pixel) : Vector16.load(pixel, count: lanes)
                            result = result.replacing(with: value, where: value .> result)
                            pixel += channels
                        }
                    }
                }
                if lanes == 16 {
                    Vector16.store(result, destination + ox * pixelStride + channel)
                } else {
                    Vector16.store(result, destination + ox * pixelStride + channel, count: lanes)
                }
                channel += 16
            }
        }
    }
}
