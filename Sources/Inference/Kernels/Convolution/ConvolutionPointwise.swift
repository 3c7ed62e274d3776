import Parallelism

extension PackedConvolution {
    /// 1x1, stride 1, unpadded, one group: the GEMM `[pixels x inputChannels] x [inputChannels x
    /// outputChannels]` over all pixels of all images. Pixels go in chunks small enough for the
    /// chunk's inputs to stay in cache while every column block passes over them.
    func runPointwise(input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                      weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, threads: Int) {
        let g = geometry
        let inputChannels = g.inputChannels, outputChannels = g.outputChannels
        let pixels = g.batch * g.inputHeight * g.inputWidth
        // A multiple of 24 (both tile heights), about 16 KB of input.
        let chunk = max(24, 4096 / inputChannels / 24 * 24)
        let chunks = (pixels + chunk - 1) / chunk
        let blocks = self.blocks, activation = self.activation
        parallelFor(chunks, threads: threads) { range in
            let rows = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: 1)
            let sums = UnsafeMutablePointer<ConvolutionTiles.Vector>.allocate(capacity: 16)
            defer { rows.deallocate(); sums.deallocate() }
            rows[0] = input
            for chunkIndex in range {
                let start = chunkIndex * chunk, end = min(start + chunk, pixels)
                for block in blocks {
                    let height = block.shape.pixels
                    var pixel = start
                    while pixel < end {
                        let source = ConvolutionTiles.Source(
                            rows: rows, rowCount: 1,
                            offset: pixel * inputChannels + block.inputChannel, pixelStride: inputChannels,
                            segmentCount: 1, segmentStride: 0, segmentLength: inputChannels)
                        let target = ConvolutionTiles.Target(
                            output: output + pixel * outputChannels + block.outputChannel,
                            pixelStride: outputChannels, pixels: min(height, end - pixel),
                            channels: block.channels, bias: bias + block.biasOffset, activation: activation, sums: sums,
                            residual: residual.map { $0 + pixel * outputChannels + block.outputChannel })
                        block.shape.run(source, weights: weights + block.weightOffset, target)
                        pixel += height
                    }
                }
            }
        }
    }
}
