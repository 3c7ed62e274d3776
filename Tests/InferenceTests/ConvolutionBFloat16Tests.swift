import CBFloat16
import Testing
@testable import Inference

/// The bfloat16 convolutions (`Precision.bf16`) against their twins: the reference convolution run on
/// the bfloat16-rounded inputs and weights (what the kernel multiplies; the float32 sums then agree to
/// float32 rounding), and the float32 reference (how far bfloat16 moves the result).
@Suite(.enabled(if: Precision.bfloat16Supported, "the CPU has no AVX512_BF16"))
struct ConvolutionBFloat16Tests {
    /// Whether `PackedConvolution` should take bfloat16 for `geometry`: every kernel-row run an even
    /// number of inputs, and not the narrow 8x1 tiles.
    static func takesBFloat16(_ convolution: PackedConvolution) -> Bool {
        convolution.strategy != .depthwise && PackedConvolution.segments(convolution.geometry).length % 2 == 0
            && !convolution.blocks.contains { $0.shape == .pixels8x1 }
    }

    static func made(_ test: ConvolutionCase, seed: UInt64, precision: Precision = .bf16)
        -> (convolution: PackedConvolution, input: [Float], weights: [Float], bias: [Float]?) {
        let g = test.geometry
        var values = SeededValues(seed: seed)
        let input = values.array(g.inputCount)
        let weights = values.array(g.weightCount)
        let bias = test.hasBias ? values.array(g.outputChannels) : nil
        let convolution = PackedConvolution(weights: weights, bias: bias, geometry: g, activation: test.activation,
                                            precision: precision)
        return (convolution, input, weights, bias)
    }

    @Test(arguments: pointwiseCases + generalCases + depthwiseCases)
    func matchesRoundedReference(_ test: ConvolutionCase) {
        let g = test.geometry
        let (convolution, input, weights, bias) = Self.made(test, seed: UInt64(g.inputCount &* 29 &+ g.weightCount))
        #expect(convolution.usesBFloat16 == Self.takesBFloat16(convolution))
        let one = runPacked(convolution, input: input, threads: 1)
        let two = runPacked(convolution, input: input, threads: 2)
        #expect(one == two, "1 and 2 threads differ")
        let exact = runReference(g, input: input, weights: weights, bias: bias, activation: test.activation)
        guard convolution.usesBFloat16 else {
            #expect(relativeError(one, exact) <= 1e-5)
            return
        }
        let rounded = runReference(g, input: input.map(BFloat16.rounded), weights: weights.map(BFloat16.rounded),
                                   bias: bias, activation: test.activation)
        #expect(relativeError(one, rounded) <= 1e-5)
        // Each product within about 2 * 2^-9 of the exact one; sums of up to ~600 random-signed products
        // of values in [-1, 1) stay far below this.
        let error = relativeError(one, exact)
        #expect(error <= 2e-2)
        // ... and the rounding is really there: a float32 kernel would be within 1e-5.
        if g.inputChannelsPerGroup * g.kernelHeight * g.kernelWidth >= 16 { #expect(error > 1e-5) }
    }

    /// Layers of U-2-Net-p's sizes and kinds, split by the public `run`'s own rule.
    @Test(arguments: [
        ConvolutionCase(geometry: ConvolutionGeometry(inputHeight: 40, inputWidth: 40, inputChannels: 64,
                                                      outputChannels: 16, kernelHeight: 3, kernelWidth: 3,
                                                      padding: .explicit(top: 1, left: 1, bottom: 1, right: 1)),
                        activation: .relu),
        ConvolutionCase(geometry: ConvolutionGeometry(inputHeight: 40, inputWidth: 36, inputChannels: 16,
                                                      outputChannels: 64, kernelHeight: 3, kernelWidth: 3,
                                                      dilations: (2, 2),
                                                      padding: .explicit(top: 2, left: 2, bottom: 2, right: 2)),
                        activation: .relu),
        ConvolutionCase(geometry: ConvolutionGeometry(inputHeight: 48, inputWidth: 48, inputChannels: 64,
                                                      outputChannels: 64, kernelHeight: 1, kernelWidth: 1,
                                                      padding: .valid)),
    ])
    func fullSize(_ test: ConvolutionCase) {
        let g = test.geometry
        let (convolution, input, weights, bias) = Self.made(test, seed: 5)
        #expect(convolution.usesBFloat16)
        let rounded = runReference(g, input: input.map(BFloat16.rounded), weights: weights.map(BFloat16.rounded),
                                   bias: bias, activation: test.activation)
        var outputs: [[Float]] = []
        for threads in [1, 2] {
            var output = [Float](repeating: .nan, count: g.outputCount)
            input.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { output in
                    convolution.run(input: input.baseAddress!, output: output.baseAddress!, threads: threads)
                }
            }
            outputs.append(output)
        }
        #expect(relativeError(outputs[0], rounded) <= 1e-5)
        #expect(outputs[0] == outputs[1], "1 and 2 threads differ")
    }

    /// Channel parts and a residual give, bit for bit, what the joined input and a separate addition do.
    @Test(arguments: (pointwiseCases + generalCases).filter { $0.geometry.groups == 1 && $0.geometry.inputChannels >= 4 })
    func partsAndResidual(_ test: ConvolutionCase) {
        let g = test.geometry
        let (convolution, input, _, _) = Self.made(test, seed: UInt64(g.outputCount &* 3 &+ g.weightCount))
        var values = SeededValues(seed: 99)
        let residual = values.array(g.outputCount)
        let plain = runPacked(convolution, input: input, threads: 1)
        let expected = zip(plain, residual).map { $0 + $1 }
        // Two parts: the first `first` channels of each pixel, then the rest.
        let first = g.inputChannels / 4, channels = g.inputChannels
        let parts = [(0, first), (first, channels - first)].map { start, count in
            stride(from: 0, to: input.count, by: channels).flatMap { input[($0 + start)..<($0 + start + count)] }
        }
        for threads in [1, 2] {
            var output = [Float](repeating: .nan, count: g.outputCount)
            parts[0].withUnsafeBufferPointer { part0 in
                parts[1].withUnsafeBufferPointer { part1 in
                    residual.withUnsafeBufferPointer { residual in
                        output.withUnsafeMutableBufferPointer { output in
                            convolution.run(parts: [ConvolutionRows.Part(input: part0.baseAddress!, channels: first),
                                                    ConvolutionRows.Part(input: part1.baseAddress!, channels: channels - first)],
                                            residual: residual.baseAddress!, output: output.baseAddress!,
                                            threads: threads, multiplyAddsPerThread: 1)
                        }
                    }
                }
            }
            #expect(output == expected, "\(threads) threads")
        }
    }

    /// A part read through a resize or a pooling gives, bit for bit, what running that first does.
    @Test func partThroughProducer() throws {
        let test = ConvolutionCase(geometry: ConvolutionGeometry(
            inputHeight: 9, inputWidth: 7, inputChannels: 32, outputChannels: 16, kernelHeight: 3, kernelWidth: 3,
            dilations: (2, 2), padding: .explicit(top: 2, left: 2, bottom: 2, right: 2)), activation: .relu)
        let g = test.geometry
        let (convolution, _, _, _) = Self.made(test, seed: 3)
        #expect(convolution.usesBFloat16)
        var values = SeededValues(seed: 4)
        let first = 16, second = 16
        let smallShape = [1, 5, 4, first]
        let rows = ConvolutionRows.RowProducer.resize(ResizeRows(
            Resize(mode: .linear, coordinateTransform: .pytorchHalfPixel, size: (g.inputHeight, g.inputWidth)),
            inputShape: smallShape))
        let small = values.array(smallShape.reduce(1, *))
        let plain = values.array(g.inputHeight * g.inputWidth * second)
        var resized = [Float](repeating: .nan, count: g.inputHeight * g.inputWidth * first)
        small.withUnsafeBufferPointer { small in
            resized.withUnsafeMutableBufferPointer { resized in
                for row in 0..<g.inputHeight {
                    rows.write(row: row, from: small.baseAddress!, to: resized.baseAddress! + row * g.inputWidth * first,
                               pixelStride: first, columns: g.inputWidth)
                }
            }
        }
        var joined: [Float] = []
        for pixel in 0..<(g.inputHeight * g.inputWidth) {
            joined += resized[(pixel * first)..<((pixel + 1) * first)]
            joined += plain[(pixel * second)..<((pixel + 1) * second)]
        }
        let expected = runPacked(convolution, input: joined, threads: 1)
        var output = [Float](repeating: .nan, count: g.outputCount)
        small.withUnsafeBufferPointer { small in
            plain.withUnsafeBufferPointer { plain in
                output.withUnsafeMutableBufferPointer { output in
                    convolution.run(parts: [ConvolutionRows.Part(input: small.baseAddress!, channels: first, through: rows),
                                            ConvolutionRows.Part(input: plain.baseAddress!, channels: second)],
                                    residual: nil, output: output.baseAddress!, threads: 2, multiplyAddsPerThread: 1)
                }
            }
        }
        #expect(output == expected)
    }

    /// Asking for fp32 keeps today's float32 kernels, bit for bit.
    @Test(arguments: [pointwiseCases[3], generalCases[2]])
    func fp32IsUnchanged(_ test: ConvolutionCase) {
        let g = test.geometry
        let seed = UInt64(g.inputCount)
        let fp32 = Self.made(test, seed: seed, precision: .fp32)
        let plain = PackedConvolution(weights: fp32.weights, bias: fp32.bias, geometry: g, activation: test.activation)
        let bf16 = Self.made(test, seed: seed)
        #expect(!fp32.convolution.usesBFloat16 && bf16.convolution.usesBFloat16)
        #expect(fp32.convolution.packedWeights == plain.packedWeights && fp32.convolution.bfloat16Weights.isEmpty)
        #expect(runPacked(fp32.convolution, input: fp32.input, threads: 2) == runPacked(plain, input: fp32.input, threads: 2))
        #expect(runPacked(fp32.convolution, input: fp32.input, threads: 1) != runPacked(bf16.convolution, input: fp32.input, threads: 1))
    }

    /// The C tiles' epilogue (bias, activation and residual on the registers, pixels and channels past
    /// the tile's counts left unwritten) against its Swift twin `ConvolutionTiles.finishTile` run on the
    /// sums the same tile leaves, bit for bit. Inputs reach past the clamps of relu6 and hard-swish.
    @Test(arguments: [Activation.identity, .relu, .relu6, .hardSwish])
    func epilogueMatchesFinishTile(_ activation: Activation) {
        var values = SeededValues(seed: 17)
        let length = 8, pixelStride = 40
        for (width, height) in [(16, 12), (32, 8)] {
            let weights = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: length * width)
            let input = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: height * length)
            let bias = UnsafeMutableBufferPointer<Float>.allocate(capacity: width)
            let residual = UnsafeMutableBufferPointer<Float>.allocate(capacity: height * pixelStride)
            let fused = UnsafeMutableBufferPointer<Float>.allocate(capacity: height * pixelStride)
            let finished = UnsafeMutableBufferPointer<Float>.allocate(capacity: height * pixelStride)
            let sums = UnsafeMutablePointer<ConvolutionTiles.Vector>.allocate(capacity: 16)
            let rows = UnsafeMutablePointer<UnsafePointer<UInt16>?>.allocate(capacity: 1)
            defer {
                for buffer in [bias, residual, fused, finished] { buffer.deallocate() }
                weights.deallocate(); input.deallocate(); sums.deallocate(); rows.deallocate()
            }
            for i in weights.indices { weights[i] = BFloat16.round(values.next()) }
            for i in input.indices { input[i] = BFloat16.round(4 * values.next()) }
            for i in bias.indices { bias[i] = 4 * values.next() }
            for i in residual.indices { residual[i] = values.next() }
            rows[0] = UnsafePointer(input.baseAddress!)
            let sumFloats = UnsafeMutableRawPointer(sums).assumingMemoryBound(to: Float.self)
            func tile(_ target: inout matte_bf16_target, pixels: Int) {
                if width == 16 {
                    matte_bf16_tile12x16(rows, 1, 0, length, 1, 0, length, pixels, weights.baseAddress!, &target)
                } else {
                    matte_bf16_tile8x32(rows, 1, 0, length, 1, 0, length, pixels, weights.baseAddress!, &target)
                }
            }
            for pixels in [1, height - 1, height] {
                for channels in Set([1, 7, 16, width - 1, width]) {
                    for residual in [nil, UnsafePointer(residual.baseAddress!)] {
                        fused.initialize(repeating: .nan)
                        finished.initialize(repeating: .nan)
                        var target = matte_bf16_target(
                            output: fused.baseAddress!, pixelStride: pixelStride, channels: channels,
                            bias: bias.baseAddress!, residual: residual,
                            activation: PackedConvolution.epilogue(activation), sums: sumFloats)
                        tile(&target, pixels: pixels)
                        target.activation = Int32(MATTE_BF16_SUMS)
                        tile(&target, pixels: pixels)
                        ConvolutionTiles.finishTile(ConvolutionTiles.Target(
                            output: finished.baseAddress!, pixelStride: pixelStride, pixels: pixels, channels: channels,
                            bias: bias.baseAddress!, activation: activation, sums: sums, residual: residual))
                        #expect(fused.map(\.bitPattern) == finished.map(\.bitPattern),
                                "\(width) columns, \(pixels) pixels, \(channels) channels, residual: \(residual != nil)")
                        // Something was written, and nothing past the tile's pixels and channels.
                        #expect(!fused[0].isNaN && fused[(pixels - 1) * pixelStride + channels - 1].isFinite)
                        #expect(fused[channels].isNaN && (pixels == height || fused[pixels * pixelStride].isNaN))
                    }
                }
            }
        }
    }

    /// The vector conversion of the inputs rounds as the weights' scalar twin does.
    @Test func conversionMatchesScalarRounding() {
        var patterns: [UInt32] = [
            0x3F80_0000, 0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x3F80_7FFF, 0xBF80_8000, 0xBF81_8000,
            0x7F7F_FFFF, 0xFF7F_FFFF, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0x7F80_0001, 0xFF81_2345,
            0x0000_0000, 0x8000_0000, 0x0000_0001, 0x807F_FFFF, 0x0080_0000, 0x0080_8000,
        ]
        var state: UInt32 = 1
        for _ in 0..<5000 {
            state = state &* 1_664_525 &+ 1_013_904_223
            patterns.append(state)
        }
        for count in [patterns.count, 1, 15, 16, 17, 31, 33, 47] {
            let floats = patterns.prefix(count).map(Float.init(bitPattern:))
            var converted = [UInt16](repeating: 0xDEAD, count: count + 1)
            floats.withUnsafeBufferPointer { source in
                converted.withUnsafeMutableBufferPointer { destination in
                    BFloat16.convert(source.baseAddress!, destination.baseAddress!, count: count)
                }
            }
            let mismatches = zip(floats, converted).filter { BFloat16.round($0) != $1 }
            #expect(mismatches.isEmpty, "\(count) values: \(mismatches.prefix(3).map { ($0.bitPattern, $1) })")
            #expect(converted[count] == 0xDEAD, "wrote past \(count) values")
        }
    }

    /// Round to nearest, ties to even, on values whose answers are known.
    @Test func roundsToNearestEven() {
        #expect(BFloat16.round(1) == 0x3F80)
        #expect(BFloat16.round(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie, down to even
        #expect(BFloat16.round(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie, up to even
        #expect(BFloat16.round(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(BFloat16.round(Float(bitPattern: 0x3F80_7FFF)) == 0x3F80)
        #expect(BFloat16.round(-1.5) == 0xBFC0)
        #expect(BFloat16.round(.greatestFiniteMagnitude) == 0x7F80)  // rounds up to infinity
        #expect(BFloat16.round(.infinity) == 0x7F80)
        #expect(BFloat16.float(BFloat16.round(.nan)).isNaN)
        #expect(BFloat16.rounded(3.14159) == 3.140625)
    }
}
