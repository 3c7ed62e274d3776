extension PackedConvolution {
    /// Depthwise (`groups == inputChannels == outputChannels`): each channel convolved with its own
    /// kernel, 16 channels per vector. Input rows come zero-padded left, right and up to a multiple
    /// of 16 channels from `ConvolutionRows`; kernel rows outside the image are skipped.
    func runDepthwise(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                      weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, threads: Int) {
        let g = geometry
        let channels = g.inputChannels
        let vectors = (channels + 15) / 16
        let channelStride = vectors * 16
        let taps = g.kernelHeight * g.kernelWidth
        let reach = (g.kernelHeight - 1) * g.dilationHeight + 1
        let paddedWidth = (g.outputWidth - 1) * g.strideWidth + (g.kernelWidth - 1) * g.dilationWidth + 1
        let activation = self.activation
        parallelFor(g.batch * g.outputHeight, threads: threads) { range in
            let rows = ConvolutionRows(input: input, height: g.inputHeight, width: g.inputWidth,
                                       channels: channels, padLeft: g.padLeft, paddedWidth: paddedWidth,
                                       channelStride: channelStride, slots: reach)
            let rowPointers = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: g.kernelHeight)
            let sums = UnsafeMutablePointer<ConvolutionTiles.Vector>.allocate(capacity: 16)
            defer { rowPointers.deallocate(); sums.deallocate() }
            for outputRow in range {
                let image = outputRow / g.outputHeight, oy = outputRow % g.outputHeight
                var firstKernelRow = -1, rowCount = 0
                for ky in 0..<g.kernelHeight {
                    let iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight
                    guard iy >= 0 && iy < g.inputHeight else { continue }
                    if firstKernelRow < 0 { firstKernelRow = ky }
                    rowPointers[rowCount] = rows.row(image: image, y: iy)
                    rowCount += 1
                }
                let outputRowStart = output + outputRow * g.outputWidth * channels
                for vector in 0..<vectors {
                    let vectorWeights = weights + (vector * taps + max(firstKernelRow, 0) * g.kernelWidth) * 16
                    var ox = 0
                    while ox < g.outputWidth {
                        let source = ConvolutionTiles.Source(
                            rows: rowPointers, rowCount: rowCount,
                            offset: ox * g.strideWidth * channelStride + vector * 16,
                            pixelStride: g.strideWidth * channelStride,
                            segmentCount: g.kernelWidth, segmentStride: g.dilationWidth * channelStride,
                            segmentLength: 1)
                        let target = ConvolutionTiles.Target(
                            output: outputRowStart + ox * channels + vector * 16, pixelStride: channels,
                            pixels: min(8, g.outputWidth - ox), channels: min(16, channels - vector * 16),
                            bias: bias + vector * 16, activation: activation, sums: sums)
                        ConvolutionTiles.depthwise8x16(source, weights: vectorWeights, target)
                        ox += 8
                    }
                }
            }
        }
    }
}

extension ConvolutionTiles {
    /// 8 pixels x 16 channels of a depthwise convolution. Each segment of `source` is one kernel
    /// column: one 16-channel vector per pixel. `weights`: `[row][column][16]`.
    @inline(never)
    static func depthwise8x16(_ source: Source, weights: UnsafePointer<Float>, _ target: Target) {
        let last = target.pixels - 1
        let s = source.pixelStride
        let o1 = min(1, last) * s, o2 = min(2, last) * s, o3 = min(3, last) * s
        let o4 = min(4, last) * s, o5 = min(5, last) * s, o6 = min(6, last) * s, o7 = min(7, last) * s
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector()
        var c4 = Vector(), c5 = Vector(), c6 = Vector(), c7 = Vector()
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
                c4.addProduct(load(a + o4), b)
                c5.addProduct(load(a + o5), b)
                c6.addProduct(load(a + o6), b)
                c7.addProduct(load(a + o7), b)
                a += source.segmentStride
            }
        }
        let sums = target.sums
        sums[0] = c0; sums[1] = c1; sums[2] = c2; sums[3] = c3; sums[4] = c4; sums[5] = c5; sums[6] = c6; sums[7] = c7
        finishTile(target)
    }
}
