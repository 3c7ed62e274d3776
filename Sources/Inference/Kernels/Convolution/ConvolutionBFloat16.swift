import CBFloat16
import Parallelism

extension PackedConvolution {
    /// The pointwise and general strategies in bfloat16 (`usesBFloat16`), both as the general
    /// strategy's implicit GEMM: each output row sums the input rows its kernel rows reach, buffered
    /// with their zero padding by `ConvolutionRows` and rounded there to bfloat16, against
    /// `bfloat16Weights`, in the same tiles, chunks and blocks as `runGeneral`. The tiles' inner loops
    /// are `vdpbf16ps` (the C target `CBFloat16`): each step multiplies a pair of consecutive inputs
    /// by each column's pair of weights and adds both products to the column's float32 sum; bias,
    /// activation and residual are then applied on the registers as the C tile ends, in the order and
    /// with the results of `ConvolutionTiles.finishTile` (which still finishes a sigmoid's tiles).
    /// A pointwise layer costs a row copy it does not need in float32, small beside its sums.
    func runBFloat16(parts: [ConvolutionRows.Part], residual: UnsafePointer<Float>?,
                     output: UnsafeMutablePointer<Float>, threads: Int) {
        let g = geometry
        let segments = PackedConvolution.segments(g)
        let reach = (g.kernelHeight - 1) * g.dilationHeight + 1
        let paddedWidth = (g.outputWidth - 1) * g.strideWidth + (g.kernelWidth - 1) * g.dilationWidth + 1
        let kernelRowValues = g.kernelWidth * g.inputChannelsPerGroup
        let blocks = self.blocks, activation = self.activation
        let epilogue = Self.epilogue(activation)
        bfloat16Weights.withUnsafeBufferPointer { weights in
            packedBias.withUnsafeBufferPointer { bias in
                guard let weights = weights.baseAddress, let bias = bias.baseAddress else { return }
                parallelFor(g.batch * g.outputHeight, threads: threads) { range in
                    let rows = ConvolutionRows(parts: parts, height: g.inputHeight, width: g.inputWidth,
                                               padLeft: g.padLeft, paddedWidth: paddedWidth,
                                               channelStride: g.inputChannels, slots: reach, bfloat16: true)
                    let rowPointers = UnsafeMutablePointer<UnsafePointer<UInt16>?>.allocate(capacity: g.kernelHeight)
                    let sums = UnsafeMutablePointer<ConvolutionTiles.Vector>.allocate(capacity: 16)
                    defer { rowPointers.deallocate(); sums.deallocate() }
                    let sumFloats = UnsafeMutableRawPointer(sums).assumingMemoryBound(to: Float.self)
                    for outputRow in range {
                        let image = outputRow / g.outputHeight, oy = outputRow % g.outputHeight
                        var rowCount = 0
                        let firstKernelRow = g.inputRows(ofOutputRow: oy) { iy in
                            rowPointers[rowCount] = rows.bfloat16Row(image: image, y: iy)
                            rowCount += 1
                        }
                        let skippedValues = firstKernelRow * kernelRowValues
                        let outputRowOffset = outputRow * g.outputWidth * g.outputChannels
                        var chunkStart = 0
                        while chunkStart < g.outputWidth {
                            let chunkEnd = min(chunkStart + 24, g.outputWidth)
                            for block in blocks {
                                let height = block.shape.pixels
                                let blockWeights = weights + block.weightOffset + skippedValues * block.shape.width
                                var ox = chunkStart
                                while ox < chunkEnd {
                                    let pixels = min(height, chunkEnd - ox)
                                    let offset = ox * g.strideWidth * g.inputChannels + block.inputChannel
                                    let pixelStride = g.strideWidth * g.inputChannels
                                    let start = outputRowOffset + ox * g.outputChannels + block.outputChannel
                                    var target = matte_bf16_target(
                                        output: output + start, pixelStride: g.outputChannels, channels: block.channels,
                                        bias: bias + block.biasOffset, residual: residual.map { $0 + start },
                                        activation: epilogue, sums: sumFloats)
                                    switch block.shape {
                                    case .pixels12x16:
                                        matte_bf16_tile12x16(rowPointers, rowCount, offset, pixelStride, segments.count,
                                                             segments.stride, segments.length, pixels, blockWeights,
                                                             &target)
                                    case .pixels8x32:
                                        matte_bf16_tile8x32(rowPointers, rowCount, offset, pixelStride, segments.count,
                                                            segments.stride, segments.length, pixels, blockWeights,
                                                            &target)
                                    case .pixels8x1:
                                        preconditionFailure("narrow layers stay in float32")
                                    }
                                    if epilogue == Int32(MATTE_BF16_SUMS) {
                                        ConvolutionTiles.finishTile(ConvolutionTiles.Target(
                                            output: output + start, pixelStride: g.outputChannels, pixels: pixels,
                                            channels: block.channels, bias: bias + block.biasOffset,
                                            activation: activation, sums: sums, residual: residual.map { $0 + start }))
                                    }
                                    ox += height
                                }
                            }
                            chunkStart = chunkEnd
                        }
                    }
                }
            }
        }
    }

    /// The C tiles' code for `activation` (`matte_bf16_target.activation`): they finish the tile
    /// themselves, or, for an activation they lack (the sigmoid), leave the sums to `finishTile`.
    static func epilogue(_ activation: Activation) -> Int32 {
        switch activation {
        case .identity: Int32(MATTE_BF16_IDENTITY)
        case .relu: Int32(MATTE_BF16_RELU)
        case .relu6: Int32(MATTE_BF16_RELU6)
        case .hardSwish: Int32(MATTE_BF16_HARD_SWISH)
        case .sigmoid: Int32(MATTE_BF16_SUMS)
        }
    }
}
