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

    /// For each output index along one axis, the `(kernel index, input index)` taps that reach it.
    func taps(outputLength: Int, inputLength: Int, kernel: Int, stride: Int, pad: Int) -> [[(kernel: Int, input: Int)]] {
        (0..<outputLength).map { output in
            var taps: [(kernel: Int, input: Int)] = []
            // Kernel indices with `output + pad - k` a non-negative multiple of the stride.
            var k = ((output + pad) % stride + stride) % stride
            while k < kernel {
                let input = (output + pad - k) / stride
                if output + pad - k >= 0 && input < inputLength { taps.append((k, input)) }
                k += stride
            }
            return taps
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

/// Transposed convolution, as `ReferenceKernels.transposedConvolution`, gathering per output pixel: the taps
/// of each output row and column are listed once, and each (tap, output channel) is a dot product over input
/// channels, 16 at a time. Made for few output channels (MediaPipe's 2x2 stride-2 upsampling head to one
/// channel: one tap per output pixel); output rows spread over threads.
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
    let rowTaps = g.taps(outputLength: g.outputHeight, inputLength: g.inputHeight, kernel: g.kernelHeight,
                         stride: g.strideHeight, pad: g.padTop)
    let columnTaps = g.taps(outputLength: g.outputWidth, inputLength: g.inputWidth, kernel: g.kernelWidth,
                            stride: g.strideWidth, pad: g.padLeft)
    let biasStart = bias?.baseAddress
    let channels = g.inputChannels
    let fullBlocks = channels / 16 * 16
    let tail = channels - fullBlocks
    let work = g.outputCount * channels * max(1, g.kernelHeight / g.strideHeight * g.kernelWidth / g.strideWidth)
    parallelFor(g.batch * g.outputHeight, threads: threadsWorthUsing(threads, work: work)) { range in
        for item in range {
            let n = item / g.outputHeight, oy = item % g.outputHeight
            let outputRow = destination + item * g.outputWidth * g.outputChannels
            for ox in 0..<g.outputWidth {
                for o in 0..<g.outputChannels {
                    var sum = Vector16.Lanes()
                    for (ky, iy) in rowTaps[oy] {
                        for (kx, ix) in columnTaps[ox] {
                            let pixel = source + ((n * g.inputHeight + iy) * g.inputWidth + ix) * channels
                            let filter = kernel + ((o * g.kernelHeight + ky) * g.kernelWidth + kx) * channels
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
                    outputRow[ox * g.outputChannels + o] = (biasStart?[o] ?? 0) + Vector16.sum(sum)
                }
            }
            activateContiguous(activation, outputRow, outputRow, count: g.outputWidth * g.outputChannels)
        }
    }
}
