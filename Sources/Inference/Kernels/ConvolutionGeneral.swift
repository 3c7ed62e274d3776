extension PackedConvolution {
    /// Any kernel size, stride, dilation, padding and grouping, as an implicit GEMM: each output
    /// row sums over the input rows its kernel rows reach (kernel rows outside the image are
    /// skipped), in spans that read the input in place or, near the left and right borders, from
    /// zero-padded copies of the rows (`ConvolutionSpans`, `ConvolutionRows`). Tiles of
    /// neighbouring output pixels sum over `[kernelRow][kernelColumn][inputChannel]`.
    func runGeneral(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, threads: Int) {
        let g = geometry
        let segments = PackedConvolution.segments(g)
        let spans = ConvolutionSpans(g, inPlace: true)
        let kernelRowFloats = g.kernelWidth * g.inputChannelsPerGroup
        let pixelStride = g.strideWidth * g.inputChannels
        let blocks = self.blocks, activation = self.activation
        parallelFor(g.batch * g.outputHeight, threads: threads) { range in
            let rows = ConvolutionRows(input: input, height: g.inputHeight, width: g.inputWidth,
                                       channels: g.inputChannels, padLeft: g.padLeft, paddedWidth: spans.paddedWidth,
                                       paddedColumns: spans.paddedColumns, channelStride: g.inputChannels,
                                       slots: (g.kernelHeight - 1) * g.dilationHeight + 1)
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 2 * g.kernelHeight) { pointers in
                let inputRows = pointers.baseAddress!, paddedRows = inputRows + g.kernelHeight
                for outputRow in range {
                    let image = outputRow / g.outputHeight, oy = outputRow % g.outputHeight
                    var firstKernelRow = -1, rowCount = 0
                    for ky in 0..<g.kernelHeight {
                        let iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight
                        guard iy >= 0 && iy < g.inputHeight else { continue }
                        if firstKernelRow < 0 { firstKernelRow = ky }
                        inputRows[rowCount] = rows.inputRow(image: image, y: iy)
                        if !spans.paddedColumns.isEmpty { paddedRows[rowCount] = rows.paddedRow(image: image, y: iy) }
                        rowCount += 1
                    }
                    let skippedFloats = max(firstKernelRow, 0) * kernelRowFloats
                    let outputRowStart = output + outputRow * g.outputWidth * g.outputChannels
                    for span in spans.spans {
                        // Padded column c is input column c - padLeft.
                        let spanRows = UnsafePointer(span.padded ? paddedRows : inputRows)
                        let shift = span.padded ? 0 : -g.padLeft * g.inputChannels
                        for block in blocks {
                            let height = block.shape.pixels
                            let blockWeights = weights + block.weightOffset + skippedFloats * block.shape.width
                            var ox = span.columns.lowerBound
                            while ox < span.columns.upperBound {
                                let source = ConvolutionTiles.Source(
                                    rows: spanRows, rowCount: rowCount,
                                    offset: ox * pixelStride + shift + block.inputChannel, pixelStride: pixelStride,
                                    segmentCount: segments.count, segmentStride: segments.stride,
                                    segmentLength: segments.length)
                                let target = ConvolutionTiles.Target(
                                    output: outputRowStart + ox * g.outputChannels + block.outputChannel,
                                    pixelStride: g.outputChannels, pixels: min(height, span.columns.upperBound - ox),
                                    channels: block.channels, bias: bias + block.biasOffset, activation: activation)
                                block.shape.run(source, weights: blockWeights, target)
                                ox += height
                            }
                        }
                    }
                }
            }
        }
    }
}
