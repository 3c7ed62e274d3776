extension PackedConvolution {
    /// Depthwise (`groups == inputChannels == outputChannels`): each channel convolved with its own
    /// kernel, 16 channels per vector. Near the borders, or everywhere when the channel count is not
    /// a multiple of 16, input rows come zero-padded (left, right, and up to whole vectors) from
    /// `ConvolutionRows`; kernel rows outside the image are skipped.
    func runDepthwise(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                      weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, threads: Int) {
        let g = geometry
        let channels = g.inputChannels
        let vectors = (channels + 15) / 16
        let channelStride = vectors * 16
        let taps = g.kernelHeight * g.kernelWidth
        // Rows read in place only when whole vectors fit their pixels.
        let spans = ConvolutionSpans(g, inPlace: channelStride == channels)
        let activation = self.activation
        parallelFor(g.batch * g.outputHeight, threads: threads) { range in
            let rows = ConvolutionRows(input: input, height: g.inputHeight, width: g.inputWidth,
                                       channels: channels, padLeft: g.padLeft, paddedWidth: spans.paddedWidth,
                                       paddedColumns: spans.paddedColumns, channelStride: channelStride,
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
                    let outputRowStart = output + outputRow * g.outputWidth * channels
                    for span in spans.spans {
                        // Padded column c is input column c - padLeft; in-place spans have channelStride == channels.
                        let spanRows = UnsafePointer(span.padded ? paddedRows : inputRows)
                        let shift = span.padded ? 0 : -g.padLeft * channels
                        for vector in 0..<vectors {
                            let vectorWeights = weights + (vector * taps + max(firstKernelRow, 0) * g.kernelWidth) * 16
                            var ox = span.columns.lowerBound
                            while ox < span.columns.upperBound {
                                let source = ConvolutionTiles.Source(
                                    rows: spanRows, rowCount: rowCount,
                                    offset: ox * g.strideWidth * channelStride + shift + vector * 16,
                                    pixelStride: g.strideWidth * channelStride,
                                    segmentCount: g.kernelWidth, segmentStride: g.dilationWidth * channelStride,
                                    segmentLength: 1)
                                let target = ConvolutionTiles.Target(
                                    output: outputRowStart + ox * channels + vector * 16, pixelStride: channels,
                                    pixels: min(4, span.columns.upperBound - ox), channels: min(16, channels - vector * 16),
                                    bias: bias + vector * 16, activation: activation)
                                ConvolutionTiles.depthwise4x16(source, weights: vectorWeights, target)
                                ox += 4
                            }
                        }
                    }
                }
            }
        }
    }
}

extension ConvolutionTiles {
    /// 4 pixels x 16 channels of a depthwise convolution. Each segment of `source` is one kernel
    /// column: one 16-channel vector per pixel. `weights`: `[row][column][16]`.
    @inline(never)
    static func depthwise4x16(_ source: Source, weights: UnsafePointer<Float>, _ target: Target) {
        let last = target.pixels - 1
        let s = source.pixelStride
        let o1 = min(1, last) * s, o2 = min(2, last) * s, o3 = min(3, last) * s
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector()
        var w = weights
        for row in 0..<source.rowCount {
            var a = source.rows[row] + source.offset
            for _ in 0..<source.segmentCount {
                let b = load(w)
                w += 16
                c0.addProduct(load(a), b)
                c1.addProduct(load(a + o1), b)
                c2.addProduct(load(a + o2), b)
                c3.addProduct(load(a + o3), b)
                a += source.segmentStride
            }
        }
        finishPixel(c0, 0, target)
        if target.pixels > 1 { finishPixel(c1, 1, target) }
        if target.pixels > 2 { finishPixel(c2, 2, target) }
        if target.pixels > 3 { finishPixel(c3, 3, target) }
    }
}
