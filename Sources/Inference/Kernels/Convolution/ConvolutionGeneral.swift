import Parallelism

extension PackedConvolution {
    /// Any kernel size, stride, dilation, padding and grouping, as an implicit GEMM: for each
    /// output row, the input rows its kernel rows reach come from a zero-padded ring
    /// (`ConvolutionRows`), kernel rows that fall outside the image are skipped, and tiles of
    /// neighbouring output pixels sum over `[kernelRow][kernelColumn][inputChannel]` in place.
    /// The input may come in channel `parts` (see `ConvolutionRows`).
    func runGeneral(parts: [ConvolutionRows.Part], residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, threads: Int) {
        let g = geometry
        let segments = PackedConvolution.segments(g)
        let reach = (g.kernelHeight - 1) * g.dilationHeight + 1
        let paddedWidth = (g.outputWidth - 1) * g.strideWidth + (g.kernelWidth - 1) * g.dilationWidth + 1
        let kernelRowFloats = g.kernelWidth * g.inputChannelsPerGroup
        let blocks = self.blocks, activation = self.activation
        parallelFor(g.batch * g.outputHeight, threads: threads) { range in
            let rows = ConvolutionRows(parts: parts, height: g.inputHeight, width: g.inputWidth,
                                       padLeft: g.padLeft, paddedWidth: paddedWidth,
                                       channelStride: g.inputChannels, slots: reach)
            let rowPointers = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: g.kernelHeight)
            let sums = UnsafeMutablePointer<ConvolutionTiles.Vector>.allocate(capacity: 16)
            defer { rowPointers.deallocate(); sums.deallocate() }
            for outputRow in range {
                let image = outputRow / g.outputHeight, oy = outputRow % g.outputHeight
                var rowCount = 0
                let firstKernelRow = g.inputRows(ofOutputRow: oy) { iy in
                    rowPointers[rowCount] = rows.row(image: image, y: iy)
                    rowCount += 1
                }
                let skippedFloats = firstKernelRow * kernelRowFloats
                let outputRowOffset = outputRow * g.outputWidth * g.outputChannels
                let outputRowStart = output + outputRowOffset
                // Chunks of 24 output pixels (both tile heights divide it) keep the inputs
                // they read in L1 while every column block passes over them.
                var chunkStart = 0
                while chunkStart < g.outputWidth {
                    let chunkEnd = min(chunkStart + 24, g.outputWidth)
                    for block in blocks {
                        let height = block.shape.pixels
                        let blockWeights = weights + block.weightOffset + skippedFloats * block.shape.width
                        var ox = chunkStart
                        while ox < chunkEnd {
                            let source = ConvolutionTiles.Source(
                                rows: rowPointers, rowCount: rowCount,
                                offset: ox * g.strideWidth * g.inputChannels + block.inputChannel,
                                pixelStride: g.strideWidth * g.inputChannels,
                                segmentCount: segments.count, segmentStride: segments.stride,
                                segmentLength: segments.length)
                            let target = ConvolutionTiles.Target(
                                output: outputRowStart + ox * g.outputChannels + block.outputChannel,
                                pixelStride: g.outputChannels, pixels: min(height, chunkEnd - ox),
                                channels: block.channels, bias: bias + block.biasOffset, activation: activation, sums: sums,
                                residual: residual.map { $0 + outputRowOffset + ox * g.outputChannels + block.outputChannel })
                            block.shape.run(source, weights: blockWeights, target)
                            ox += height
                        }
                    }
                    chunkStart = chunkEnd
                }
            }
        }
    }
}
