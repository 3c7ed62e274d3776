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
    public var inputCount: Int { batch * inputHeight * inputWidth * inputChannels }
    public var outputCount: Int { batch * outputHeight * outputWidth * outputChannels }
    public var weightCount: Int { outputChannels * kernelHeight * kernelWidth * inputChannelsPerGroup }
    /// Multiply-adds of one run.
    public var multiplyAdds: Int { outputCount * kernelHeight * kernelWidth * inputChannelsPerGroup }
}
