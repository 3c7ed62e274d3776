import Parallelism

// Transposed convolution (groups 1) over NHWC with OHWI weights: MediaPipe's custom TFLite op
// Convolution2DTransposeBias, TFLite TRANSPOSE_CONV, and ONNX ConvTranspose (weights transposed to OHWI by the importer).

/// Sizes of one 2-D transposed convolution, padding resolved.
///
/// Input `[batch, inputHeight, inputWidth, inputChannels]`, weights `[outputChannels, kernelHeight, kernelWidth,
/// inputChannels]`, bias `[outputChannels]`, output `[batch, outputHeight, outputWidth, outputChannels]`.
/// Input pixel `(iy, ix)` adds `input[iy, ix, i] * weights[o, ky, kx, i]` into output pixel
/// `(iy * strideHeight - padTop + ky, ix * strideWidth - padLeft + kx)`, when that lies inside the output
/// (the kernel is not flipped). Equivalently output pixel `(oy, ox)` gathers the taps with
/// `oy + padTop - ky` a multiple of the stride.
public struct TransposedConvolutionGeometry: Sendable, Equatable {
    public var batch: Int
    public var inputHeight: Int, inputWidth: Int, inputChannels: Int
    public var outputHeight: Int, outputWidth: Int, outputChannels: Int
    public var kernelHeight: Int, kernelWidth: Int
    public var strideHeight: Int, strideWidth: Int
    public var padTop: Int, padLeft: Int

    public init(batch: Int = 1, inputHeight: Int, inputWidth: Int, inputChannels: Int,
                outputHeight: Int, outputWidth: Int, outputChannels: Int,
                kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
                padTop: Int = 0, padLeft: Int = 0) {
        self.batch = batch
        self.inputHeight = inputHeight; self.inputWidth = inputWidth; self.inputChannels = inputChannels
        self.outputHeight = outputHeight; self.outputWidth = outputWidth; self.outputChannels = outputChannels
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.padTop = padTop; self.padLeft = padLeft
    }

    /// Resolves padding and output size for an NHWC input of shape `inputShape` and OHWI weights of shape
    /// `weightShape`.
    ///
    /// - `.same` (TFLite and MediaPipe): output `input * stride`; total padding
    ///   `max((input - 1) * stride + kernel - output, 0)`, `padTop = total / 2` (the extra one after).
    ///   A 2x2 kernel with stride 2 needs none: every output pixel then has exactly one tap.
    /// - `.valid`: no padding, output `(input - 1) * stride + kernel`.
    /// - `.explicit` (ONNX `pads`): output `(input - 1) * stride + kernel - top - bottom`.
    ///
    /// Throws `ModelError.malformed` for shapes that are not rank 4 with positive lengths, weights whose input
    /// channels differ from the input's, strides below 1, negative padding or an empty output.
    public init(inputShape: [Int], weightShape: [Int], attributes: TransposedConvolution) throws(ModelError) {
        guard inputShape.count == 4, inputShape.allSatisfy({ $0 > 0 }) else {
            throw .malformed("transposed convolution input shape \(inputShape) is not NHWC with positive lengths")
        }
        guard weightShape.count == 4, weightShape.allSatisfy({ $0 > 0 }), weightShape[3] == inputShape[3] else {
            throw .malformed("transposed convolution weights \(weightShape) do not fit input \(inputShape) as OHWI")
        }
        let strides = attributes.strides
        guard strides.height >= 1, strides.width >= 1 else {
            throw .malformed("transposed convolution strides \(strides) below 1")
        }
        let (height, width) = (inputShape[1], inputShape[2])
        let (kernelHeight, kernelWidth) = (weightShape[1], weightShape[2])
        let fullHeight = (height - 1) * strides.height + kernelHeight
        let fullWidth = (width - 1) * strides.width + kernelWidth
        let outputSize: (height: Int, width: Int)
        let pads: (top: Int, left: Int)
        switch attributes.padding {
        case .same:
            outputSize = (height * strides.height, width * strides.width)
            pads = (max(fullHeight - outputSize.height, 0) / 2, max(fullWidth - outputSize.width, 0) / 2)
        case .valid:
            outputSize = (fullHeight, fullWidth)
            pads = (0, 0)
        case .explicit(let top, let left, let bottom, let right):
            guard min(top, left, bottom, right) >= 0 else {
                throw .malformed("negative transposed convolution padding \(attributes.padding)")
            }
            outputSize = (fullHeight - top - bottom, fullWidth - left - right)
            pads = (top, left)
        }
        guard outputSize.height >= 1, outputSize.width >= 1 else {
            throw .malformed("transposed convolution padding \(attributes.padding) leaves an empty output")
        }
        self.init(batch: inputShape[0], inputHeight: height, inputWidth: width, inputChannels: inputShape[3],
                  outputHeight: outputSize.height, outputWidth: outputSize.width, outputChannels: weightShape[0],
                  kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                  strideHeight: strides.height, strideWidth: strides.width, padTop: pads.top, padLeft: pads.left)
    }

    public var inputCount: Int { batch * inputHeight * inputWidth * inputChannels }
    public var outputCount: Int { batch * outputHeight * outputWidth * outputChannels }
    public var weightCount: Int { outputChannels * kernelHeight * kernelWidth * inputChannels }
    /// Multiply-adds of one run, padding included (taps that land outside the output are counted).
    public var multiplyAdds: Int { inputCount * outputChannels * kernelHeight * kernelWidth }
}

/// The taps of a transposed convolution along one axis, flattened: output index `o` is reached by taps
/// `start[o]..<start[o + 1]`, tap `t` reading kernel index `kernelIndex[t]` and input index `inputIndex[t]`
/// (kernel indices `k` with `o + pad - k` a non-negative multiple of the stride, input index `(o + pad - k) / stride`).
struct TransposedConvolutionTaps {
    var start: [Int] = [0]
    var kernelIndex: [Int] = []
    var inputIndex: [Int] = []

    init(outputLength: Int, inputLength: Int, kernel: Int, stride: Int, pad: Int) {
        for output in 0..<outputLength {
            var k = ((output + pad) % stride + stride) % stride
            while k < kernel {
                let input = (output + pad - k) / stride
                if output + pad - k >= 0 && input < inputLength {
                    kernelIndex.append(k)
                    inputIndex.append(input)
                }
                k += stride
            }
            start.append(kernelIndex.count)
        }
    }
}

extension ReferenceKernels {
    /// Transposed convolution (see `TransposedConvolutionGeometry`), then `activation`, by scattering each input
    /// pixel's contributions into the output. `bias` (count `outputChannels`) is optional.
    public static func transposedConvolution(input: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>,
                                             bias: UnsafeBufferPointer<Float>?,
                                             output: UnsafeMutableBufferPointer<Float>,
                                             geometry: TransposedConvolutionGeometry,
                                             activation: Activation = .identity) {
        let g = geometry
        precondition(input.count == g.inputCount && weights.count == g.weightCount && output.count == g.outputCount,
                     "transposed convolution buffer counts")
        precondition(bias == nil || bias?.count == g.outputChannels, "transposed convolution bias count")
        for index in 0..<output.count {
            output[index] = bias?[index % g.outputChannels] ?? 0
        }
        for n in 0..<g.batch {
            for iy in 0..<g.inputHeight {
                for ix in 0..<g.inputWidth {
                    for ky in 0..<g.kernelHeight {
                        let oy = iy * g.strideHeight - g.padTop + ky
                        guard oy >= 0 && oy < g.outputHeight else { continue }
                        for kx in 0..<g.kernelWidth {
                            let ox = ix * g.strideWidth - g.padLeft + kx
                            guard ox >= 0 && ox < g.outputWidth else { continue }
                            for o in 0..<g.outputChannels {
                                for i in 0..<g.inputChannels {
                                    let value = input[((n * g.inputHeight + iy) * g.inputWidth + ix) * g.inputChannels + i]
                                    let weight = weights[((o * g.kernelHeight + ky) * g.kernelWidth + kx) * g.inputChannels + i]
                                    output[((n * g.outputHeight + oy) * g.outputWidth + ox) * g.outputChannels + o] +=
                                        value * weight
                                }
                            }
                        }
                    }
                }
            }
        }
        for index in 0..<output.count {
            output[index] = activation.apply(output[index])
        }
    }
}

/// Transposed convolution, as `ReferenceKernels.transposedConvolution`, output rows spread over threads.
///
/// Fast path: kernel equal to the stride with no padding and output `input * stride` (MediaPipe's 2x2 stride-2
/// head, TFLite SAME): the outputs tile exactly, each taking one tap, so each input pixel's
/// `kernelHeight * kernelWidth * outputChannels` outputs are one matrix-vector product, 16 outputs at a time.
/// Otherwise each output pixel gathers its taps (listed once per output row and column) as dot products over
/// input channels, 16 at a time.
public func transposedConvolution(input: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>,
                                  bias: UnsafeBufferPointer<Float>?, output: UnsafeMutableBufferPointer<Float>,
                                  geometry: TransposedConvolutionGeometry, activation: Activation = .identity,
                                  threads: Int) {
    let g = geometry
    precondition(input.count == g.inputCount && weights.count == g.weightCount && output.count == g.outputCount,
                 "transposed convolution buffer counts")
    precondition(bias == nil || bias?.count == g.outputChannels, "transposed convolution bias count")
    guard let source = input.baseAddress, let kernel = weights.baseAddress, let destination = output.baseAddress
    else { return }
    if g.kernelHeight == g.strideHeight && g.kernelWidth == g.strideWidth && g.padTop == 0 && g.padLeft == 0
        && g.outputHeight == g.inputHeight * g.strideHeight && g.outputWidth == g.inputWidth * g.strideWidth {
        tiledTransposedConvolution(source, kernel, bias, destination, g, activation: activation, threads: threads)
        return
    }
    let rowTaps = TransposedConvolutionTaps(outputLength: g.outputHeight, inputLength: g.inputHeight,
                                            kernel: g.kernelHeight, stride: g.strideHeight, pad: g.padTop)
    let columnTaps = TransposedConvolutionTaps(outputLength: g.outputWidth, inputLength: g.inputWidth,
                                               kernel: g.kernelWidth, stride: g.strideWidth, pad: g.padLeft)
    let biasStart = bias?.baseAddress
    let channels = g.inputChannels
    let fullBlocks = channels / 16 * 16
    let tail = channels - fullBlocks
    let kernelStride = g.kernelHeight * g.kernelWidth * channels
    let work = g.outputCount * channels * max(1, g.kernelHeight / g.strideHeight * g.kernelWidth / g.strideWidth)
    parallelFor(g.batch * g.outputHeight, threads: threadsWorthUsing(threads, work: work)) { range in
        for item in range {
            let n = item / g.outputHeight, oy = item % g.outputHeight
            let outputRow = destination + item * g.outputWidth * g.outputChannels
            for ox in 0..<g.outputWidth {
                var result = outputRow + ox * g.outputChannels
                for o in 0..<g.outputChannels {
                    var sum = Vector16.Lanes()
                    for rowTap in rowTaps.start[oy]..<rowTaps.start[oy + 1] {
                        let inputRow = source + (n * g.inputHeight + rowTaps.inputIndex[rowTap]) * g.inputWidth * channels
                        let kernelRow = kernel + o * kernelStride + rowTaps.kernelIndex[rowTap] * g.kernelWidth * channels
                        for columnTap in columnTaps.start[ox]..<columnTaps.start[ox + 1] {
                            let pixel = inputRow + columnTaps.inputIndex[columnTap] * channels
                            let filter = kernelRow + columnTaps.kernelIndex[columnTap] * channels
                            var channel = 0
                            while channel < fullBlocks {
                                sum.addProduct(Vector16.load(pixel + channel), Vector16.load(filter + channel))
                                channel += 16
                            }
                            if tail > 0 {
                                sum.addProduct(Vector16.load(pixel + channel, count: tail),
                                               Vector16.load(filter + channel, count: tail))
                            }
                        }
                    }
                    result.pointee = (biasStart?[o] ?? 0) + Vector16.sum(sum)
                    result += 1
                }
            }
            activateContiguous(activation, outputRow, outputRow, count: g.outputWidth * g.outputChannels)
        }
    }
}

/// The fast path of `transposedConvolution` for kernel = stride, no padding, output = input * stride.
///
/// Input pixel `(iy, ix)` alone feeds the `kernelHeight x kernelWidth` output block at `(iy * kernelHeight,
/// ix * kernelWidth)`: with the weights repacked as `[inputChannels][taps]` (tap `t = (ky * kernelWidth + kx) *
/// outputChannels + o`), its outputs are `bias + sum over i of input[i] * packed[i][t]`, 16 taps per vector.
private func tiledTransposedConvolution(_ source: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
                                        _ bias: UnsafeBufferPointer<Float>?, _ destination: UnsafeMutablePointer<Float>,
                                        _ g: TransposedConvolutionGeometry, activation: Activation, threads: Int) {
    let channels = g.inputChannels
    let taps = g.kernelHeight * g.kernelWidth * g.outputChannels
    let paddedTaps = (taps + 15) / 16 * 16
    var packed = [Float](repeating: 0, count: channels * paddedTaps)
    var packedBias = [Float](repeating: 0, count: paddedTaps)
    // Offset of each tap's output from the block's top-left output.
    var outputOffsets = [Int](repeating: 0, count: paddedTaps)
    for ky in 0..<g.kernelHeight {
        for kx in 0..<g.kernelWidth {
            for o in 0..<g.outputChannels {
                let tap = (ky * g.kernelWidth + kx) * g.outputChannels + o
                for i in 0..<channels {
                    packed[i * paddedTaps + tap] = weights[((o * g.kernelHeight + ky) * g.kernelWidth + kx) * channels + i]
                }
                packedBias[tap] = bias?[o] ?? 0
                outputOffsets[tap] = (ky * g.outputWidth + kx) * g.outputChannels + o
            }
        }
    }
    let blockRowLength = g.kernelHeight * g.outputWidth * g.outputChannels
    packed.withUnsafeBufferPointer { packed in
        packedBias.withUnsafeBufferPointer { packedBias in
            outputOffsets.withUnsafeBufferPointer { outputOffsets in
                guard let packed = packed.baseAddress, let packedBias = packedBias.baseAddress,
                      let outputOffsets = outputOffsets.baseAddress else { return }
                let work = g.outputCount * channels
                parallelFor(g.batch * g.inputHeight, threads: threadsWorthUsing(threads, work: work)) { range in
                    for item in range {
                        // Input row `item` fills output rows item * kernelHeight ..< (item + 1) * kernelHeight.
                        let outputBlockRow = destination + item * blockRowLength
                        for ix in 0..<g.inputWidth {
                            let pixel = source + (item * g.inputWidth + ix) * channels
                            let block = outputBlockRow + ix * g.kernelWidth * g.outputChannels
                            var first = 0
                            while first < taps {
                                // Four partial sums, so that consecutive multiply-adds do not wait on each other.
                                var sums = Vector16.load(packedBias + first)
                                var sum1 = Vector16.Lanes(), sum2 = Vector16.Lanes(), sum3 = Vector16.Lanes()
                                var row = packed + first
                                var i = 0
                                while i + 4 <= channels {
                                    sums.addProduct(Vector16.Lanes(repeating: pixel[i]), Vector16.load(row))
                                    sum1.addProduct(Vector16.Lanes(repeating: pixel[i + 1]), Vector16.load(row + paddedTaps))
                                    sum2.addProduct(Vector16.Lanes(repeating: pixel[i + 2]),
                                                    Vector16.load(row + 2 * paddedTaps))
                                    sum3.addProduct(Vector16.Lanes(repeating: pixel[i + 3]),
                                                    Vector16.load(row + 3 * paddedTaps))
                                    row += 4 * paddedTaps
                                    i += 4
                                }
                                while i < channels {
                                    sums.addProduct(Vector16.Lanes(repeating: pixel[i]), Vector16.load(row))
                                    row += paddedTaps
                                    i += 1
                                }
                                sums += (sum1 + sum2) + sum3
                                for lane in 0..<min(16, taps - first) {
                                    block[outputOffsets[first + lane]] = sums[lane]
                                }
                                first += 16
                            }
                        }
                        activateContiguous(activation, outputBlockRow, outputBlockRow, count: blockRowLength)
                    }
                }
            }
        }
    }
}
