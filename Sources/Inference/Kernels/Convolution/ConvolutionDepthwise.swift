import Parallelism

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
        // 3 or 5 kernel columns at stride 1: tiles that slide along the row, loading each input
        // vector once; they read up to 7 pixels past the last output pixel's window.
        let slides = (g.kernelWidth == 3 || g.kernelWidth == 5) && g.strideWidth == 1 && g.dilationWidth == 1
        let paddedWidth = (g.outputWidth - 1) * g.strideWidth + (g.kernelWidth - 1) * g.dilationWidth + 1
            + (slides ? 7 : 0)
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
                var rowCount = 0
                let firstKernelRow = g.inputRows(ofOutputRow: oy) { iy in
                    rowPointers[rowCount] = rows.row(image: image, y: iy)
                    rowCount += 1
                }
                let outputRowStart = output + outputRow * g.outputWidth * channels
                for vector in 0..<vectors {
                    let vectorWeights = weights + (vector * taps + firstKernelRow * g.kernelWidth) * 16
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
                        if slides && g.kernelWidth == 3 {
                            ConvolutionTiles.depthwise8x16Width3(source, weights: vectorWeights, target)
                        } else if slides {
                            ConvolutionTiles.depthwise8x16Width5(source, weights: vectorWeights, target)
                        } else {
                            ConvolutionTiles.depthwise8x16(source, weights: vectorWeights, target)
                        }
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

    /// `depthwise8x16` for 3 kernel columns, stride 1 and dilation 1: each input vector of a row
    /// is loaded once and used by every pixel and kernel column that reads it (10 loads instead of
    /// 24 per kernel row). A partial tile still reads all 8 pixels' windows: the padded rows
    /// leave room for them.
    @inline(never)
    static func depthwise8x16Width3(_ source: Source, weights: UnsafePointer<Float>, _ target: Target) {
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector()
        var c4 = Vector(), c5 = Vector(), c6 = Vector(), c7 = Vector()
        let s = source.pixelStride
        var w = weights
        for row in 0..<source.rowCount {
            let a = source.rows[row] + source.offset
            let w0 = load(w), w1 = load(w + 16), w2 = load(w + 32)
            w += 48
            let x0 = load(a), x1 = load(a + s), x2 = load(a + 2 * s), x3 = load(a + 3 * s), x4 = load(a + 4 * s)
            let x5 = load(a + 5 * s), x6 = load(a + 6 * s), x7 = load(a + 7 * s), x8 = load(a + 8 * s)
            let x9 = load(a + 9 * s)
            c0.addProduct(x0, w0); c0.addProduct(x1, w1); c0.addProduct(x2, w2)
            c1.addProduct(x1, w0); c1.addProduct(x2, w1); c1.addProduct(x3, w2)
            c2.addProduct(x2, w0); c2.addProduct(x3, w1); c2.addProduct(x4, w2)
            c3.addProduct(x3, w0); c3.addProduct(x4, w1); c3.addProduct(x5, w2)
            c4.addProduct(x4, w0); c4.addProduct(x5, w1); c4.addProduct(x6, w2)
            c5.addProduct(x5, w0); c5.addProduct(x6, w1); c5.addProduct(x7, w2)
            c6.addProduct(x6, w0); c6.addProduct(x7, w1); c6.addProduct(x8, w2)
            c7.addProduct(x7, w0); c7.addProduct(x8, w1); c7.addProduct(x9, w2)
        }
        let sums = target.sums
        sums[0] = c0; sums[1] = c1; sums[2] = c2; sums[3] = c3; sums[4] = c4; sums[5] = c5; sums[6] = c6; sums[7] = c7
        finishTile(target)
    }

    /// `depthwise8x16Width3` for 5 kernel columns (12 loads instead of 40 per kernel row).
    @inline(never)
    static func depthwise8x16Width5(_ source: Source, weights: UnsafePointer<Float>, _ target: Target) {
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector()
        var c4 = Vector(), c5 = Vector(), c6 = Vector(), c7 = Vector()
        let s = source.pixelStride
        var w = weights
        for row in 0..<source.rowCount {
            let a = source.rows[row] + source.offset
            let w0 = load(w), w1 = load(w + 16), w2 = load(w + 32), w3 = load(w + 48), w4 = load(w + 64)
            w += 80
            let x0 = load(a), x1 = load(a + s), x2 = load(a + 2 * s), x3 = load(a + 3 * s), x4 = load(a + 4 * s)
            let x5 = load(a + 5 * s), x6 = load(a + 6 * s), x7 = load(a + 7 * s), x8 = load(a + 8 * s)
            let x9 = load(a + 9 * s), x10 = load(a + 10 * s), x11 = load(a + 11 * s)
            c0.addProduct(x0, w0); c0.addProduct(x1, w1); c0.addProduct(x2, w2); c0.addProduct(x3, w3); c0.addProduct(x4, w4)
            c1.addProduct(x1, w0); c1.addProduct(x2, w1); c1.addProduct(x3, w2); c1.addProduct(x4, w3); c1.addProduct(x5, w4)
            c2.addProduct(x2, w0); c2.addProduct(x3, w1); c2.addProduct(x4, w2); c2.addProduct(x5, w3); c2.addProduct(x6, w4)
            c3.addProduct(x3, w0); c3.addProduct(x4, w1); c3.addProduct(x5, w2); c3.addProduct(x6, w3); c3.addProduct(x7, w4)
            c4.addProduct(x4, w0); c4.addProduct(x5, w1); c4.addProduct(x6, w2); c4.addProduct(x7, w3); c4.addProduct(x8, w4)
            c5.addProduct(x5, w0); c5.addProduct(x6, w1); c5.addProduct(x7, w2); c5.addProduct(x8, w3); c5.addProduct(x9, w4)
            c6.addProduct(x6, w0); c6.addProduct(x7, w1); c6.addProduct(x8, w2); c6.addProduct(x9, w3); c6.addProduct(x10, w4)
            c7.addProduct(x7, w0); c7.addProduct(x8, w1); c7.addProduct(x9, w2); c7.addProduct(x10, w3); c7.addProduct(x11, w4)
        }
        let sums = target.sums
        sums[0] = c0; sums[1] = c1; sums[2] = c2; sums[3] = c3; sums[4] = c4; sums[5] = c5; sums[6] = c6; sums[7] = c7
        finishTile(target)
    }
}
