extension ReferenceKernels {
    /// Direct convolution by its definition, any geometry (groups, strides, dilations, padding),
    /// summed in Double, then `bias` and `activation`.
    ///
    /// - Parameters:
    ///   - input: NHWC `[batch, inputHeight, inputWidth, inputChannels]`.
    ///   - weights: OHWI `[outputChannels, kernelHeight, kernelWidth, inputChannels / groups]`.
    ///   - bias: `[outputChannels]`, or nil for none.
    ///   - output: NHWC `[batch, outputHeight, outputWidth, outputChannels]`.
    /// Output channel `o` belongs to group `o / (outputChannels / groups)` and reads that group's
    /// input channels only.
    public static func convolution(input: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>,
                                   bias: UnsafeBufferPointer<Float>?, output: UnsafeMutableBufferPointer<Float>,
                                   geometry g: ConvolutionGeometry, activation: Activation) {
        g.validate()
        precondition(input.count >= g.inputCount, "input holds \(input.count) floats, needs \(g.inputCount)")
        precondition(weights.count >= g.weightCount, "weights hold \(weights.count) floats, need \(g.weightCount)")
        precondition(output.count >= g.outputCount, "output holds \(output.count) floats, needs \(g.outputCount)")
        precondition(bias.map { $0.count >= g.outputChannels } ?? true, "bias is shorter than the output channels")
        let inputsPerGroup = g.inputChannelsPerGroup
        let outputsPerGroup = g.outputChannelsPerGroup
        for n in 0..<g.batch {
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    for o in 0..<g.outputChannels {
                        let group = o / outputsPerGroup
                        var sum = Double(bias?[o] ?? 0)
                        for ky in 0..<g.kernelHeight {
                            let iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight
                            guard iy >= 0 && iy < g.inputHeight else { continue }
                            for kx in 0..<g.kernelWidth {
                                let ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth
                                guard ix >= 0 && ix < g.inputWidth else { continue }
                                let pixel = ((n * g.inputHeight + iy) * g.inputWidth + ix) * g.inputChannels
                                let tap = ((o * g.kernelHeight + ky) * g.kernelWidth + kx) * inputsPerGroup
                                for i in 0..<inputsPerGroup {
                                    sum += Double(input[pixel + group * inputsPerGroup + i]) * Double(weights[tap + i])
                                }
                            }
                        }
                        let index = ((n * g.outputHeight + oy) * g.outputWidth + ox) * g.outputChannels + o
                        output[index] = activation.apply(Float(sum))
                    }
                }
            }
        }
    }
}
