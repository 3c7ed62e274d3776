/// Sizes of one 2-D convolution over NHWC activations with OHWI weights, padding resolved.
///
/// Input `[batch, inputHeight, inputWidth, inputChannels]`, weights
/// `[outputChannels, kernelHeight, kernelWidth, inputChannels / groups]`, output
/// `[batch, outputHeight, outputWidth, outputChannels]`. Output pixel `(oy, ox)` reads input rows
/// `oy * strideHeight - padTop + ky * dilationHeight` (likewise columns); reads outside the input are 0.
public struct ConvolutionGeometry: Sendable, Equatable {
    public var batch: Int
    public var inputHeight: Int, inputWidth: Int, inputChannels: Int
    public var outputHeight: Int, outputWidth: Int, outputChannels: Int
    public var kernelHeight: Int, kernelWidth: Int
    public var strideHeight: Int, strideWidth: Int
    public var dilationHeight: Int, dilationWidth: Int
    public var padTop: Int, padLeft: Int
    public var groups: Int

    public init(batch: Int = 1, inputHeight: Int, inputWidth: Int, inputChannels: Int,
                outputHeight: Int, outputWidth: Int, outputChannels: Int,
                kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
                dilationHeight: Int = 1, dilationWidth: Int = 1, padTop: Int = 0, padLeft: Int = 0,
                groups: Int = 1) {
        self.batch = batch
        self.inputHeight = inputHeight; self.inputWidth = inputWidth; self.inputChannels = inputChannels
        self.outputHeight = outputHeight; self.outputWidth = outputWidth; self.outputChannels = outputChannels
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.dilationHeight = dilationHeight; self.dilationWidth = dilationWidth
        self.padTop = padTop; self.padLeft = padLeft
        self.groups = groups
    }

    public var inputChannelsPerGroup: Int { inputChannels / groups }
    public var outputChannelsPerGroup: Int { outputChannels / groups }
    /// The kernel rows that output row `oy` reaches inside the input, in order: calls `reached(iy)` with
    /// each one's input row, and returns the first such kernel row (0 when none is inside). The packed
    /// kernels gather their row pointers through it and skip the weights of the rows before.
    @inline(__always)
    func inputRows(ofOutputRow oy: Int, _ reached: (_ iy: Int) -> Void) -> Int {
        var first = -1
        for ky in 0..<kernelHeight {
            let iy = oy * strideHeight - padTop + ky * dilationHeight
            guard iy >= 0 && iy < inputHeight else { continue }
            if first < 0 { first = ky }
            reached(iy)
        }
        return max(first, 0)
    }

    public var inputCount: Int { batch * inputHeight * inputWidth * inputChannels }
    public var outputCount: Int { batch * outputHeight * outputWidth * outputChannels }
    public var weightCount: Int { outputChannels * kernelHeight * kernelWidth * inputChannelsPerGroup }
    /// Multiply-adds of one run.
    public var multiplyAdds: Int { outputCount * kernelHeight * kernelWidth * inputChannelsPerGroup }

    /// Builds the geometry of a convolution from its attributes, resolving `padding` as `Padding`
    /// documents (TensorFlow SAME puts the smaller half of the padding first; VALID and explicit
    /// pads round the output size down).
    public init(batch: Int = 1, inputHeight: Int, inputWidth: Int, inputChannels: Int, outputChannels: Int,
                kernelHeight: Int, kernelWidth: Int, strides: (height: Int, width: Int) = (1, 1),
                dilations: (height: Int, width: Int) = (1, 1), padding: Padding, groups: Int = 1) {
        func resolve(_ size: Int, _ kernel: Int, _ stride: Int, _ dilation: Int) -> (output: Int, before: Int) {
            let reach = (kernel - 1) * dilation + 1
            switch padding {
            case .valid:
                return (size >= reach ? (size - reach) / stride + 1 : 0, 0)
            case .same:
                let output = (size + stride - 1) / stride
                let total = max((output - 1) * stride + reach - size, 0)
                return (output, total / 2)
            case .explicit:
                return (0, 0)
            }
        }
        var height = resolve(inputHeight, kernelHeight, strides.height, dilations.height)
        var width = resolve(inputWidth, kernelWidth, strides.width, dilations.width)
        if case .explicit(let top, let left, let bottom, let right) = padding {
            let reachHeight = (kernelHeight - 1) * dilations.height + 1
            let reachWidth = (kernelWidth - 1) * dilations.width + 1
            let spanHeight = inputHeight + top + bottom - reachHeight
            let spanWidth = inputWidth + left + right - reachWidth
            height = (spanHeight >= 0 ? spanHeight / strides.height + 1 : 0, top)
            width = (spanWidth >= 0 ? spanWidth / strides.width + 1 : 0, left)
        }
        self.init(batch: batch, inputHeight: inputHeight, inputWidth: inputWidth, inputChannels: inputChannels,
                  outputHeight: height.output, outputWidth: width.output, outputChannels: outputChannels,
                  kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                  strideHeight: strides.height, strideWidth: strides.width,
                  dilationHeight: dilations.height, dilationWidth: dilations.width,
                  padTop: height.before, padLeft: width.before, groups: groups)
    }

    /// Why these sizes cannot describe a convolution, or nil when they can: every size positive,
    /// pads not negative, channels divisible by `groups`. Model readers turn a reason into a
    /// `ModelError`; kernels treat an invalid geometry as a programming error.
    public var invalidReason: String? {
        if batch < 1 || inputHeight < 1 || inputWidth < 1 || inputChannels < 1 {
            return "convolution input [\(batch), \(inputHeight), \(inputWidth), \(inputChannels)] is empty"
        }
        if outputHeight < 1 || outputWidth < 1 || outputChannels < 1 {
            return "convolution output [\(batch), \(outputHeight), \(outputWidth), \(outputChannels)] is empty"
        }
        if kernelHeight < 1 || kernelWidth < 1 { return "convolution kernel \(kernelHeight)x\(kernelWidth) is empty" }
        if strideHeight < 1 || strideWidth < 1 { return "convolution strides \(strideHeight)x\(strideWidth) are not positive" }
        if dilationHeight < 1 || dilationWidth < 1 {
            return "convolution dilations \(dilationHeight)x\(dilationWidth) are not positive"
        }
        if padTop < 0 || padLeft < 0 { return "convolution pads \(padTop), \(padLeft) are negative" }
        if groups < 1 || inputChannels % groups != 0 || outputChannels % groups != 0 {
            return "\(inputChannels) input and \(outputChannels) output channels do not split into \(groups) groups"
        }
        return nil
    }

    /// Traps with `invalidReason` if there is one.
    func validate() {
        if let reason = invalidReason { preconditionFailure(reason) }
    }
}
