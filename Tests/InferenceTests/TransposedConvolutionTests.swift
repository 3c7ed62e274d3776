import Inference
import Testing

private func transposedRun(_ input: [Float], _ weights: [Float], _ bias: [Float]?,
                           _ geometry: TransposedConvolutionGeometry, activation: Activation = .identity,
                           threads: Int? = nil) -> [Float] {
    var output = [Float](repeating: .nan, count: geometry.outputCount)
    input.withUnsafeBufferPointer { input in
        weights.withUnsafeBufferPointer { weights in
            output.withUnsafeMutableBufferPointer { output in
                func run(_ bias: UnsafeBufferPointer<Float>?) {
                    if let threads {
                        transposedConvolution(input: input, weights: weights, bias: bias, output: output,
                                              geometry: geometry, activation: activation, threads: threads)
                    } else {
                        ReferenceKernels.transposedConvolution(input: input, weights: weights, bias: bias,
                                                               output: output, geometry: geometry,
                                                               activation: activation)
                    }
                }
                if let bias {
                    bias.withUnsafeBufferPointer { run($0) }
                } else {
                    run(nil)
                }
            }
        }
    }
    return output
}

@Suite struct TransposedConvolutionTests {
    @Test func geometryResolution() throws {
        // MediaPipe selfie head: [1, 128, 128, 16] with OHWI [1, 2, 2, 16], stride 2, SAME: 256x256, no padding.
        let selfie = try TransposedConvolutionGeometry(inputShape: [1, 128, 128, 16], weightShape: [1, 2, 2, 16],
                                                       attributes: TransposedConvolution(strides: (2, 2), padding: .same))
        #expect(selfie.outputHeight == 256 && selfie.outputWidth == 256 && selfie.outputChannels == 1)
        #expect(selfie.padTop == 0 && selfie.padLeft == 0)
        // SAME with a 3x3 kernel, stride 2, on 4x5: output 8x10, total padding 1 (0 before), and with 4x4: 2 (1 before).
        let three = try TransposedConvolutionGeometry(inputShape: [1, 4, 5, 3], weightShape: [2, 3, 3, 3],
                                                      attributes: TransposedConvolution(strides: (2, 2), padding: .same))
        #expect(three.outputHeight == 8 && three.outputWidth == 10 && three.padTop == 0 && three.padLeft == 0)
        let four = try TransposedConvolutionGeometry(inputShape: [1, 4, 4, 3], weightShape: [2, 4, 4, 3],
                                                     attributes: TransposedConvolution(strides: (2, 2), padding: .same))
        #expect(four.outputHeight == 8 && four.padTop == 1)
        // VALID: (3 - 1) * 2 + 3 = 7. ONNX pads 1, 1: 5.
        let valid = try TransposedConvolutionGeometry(inputShape: [1, 3, 3, 2], weightShape: [4, 3, 3, 2],
                                                      attributes: TransposedConvolution(strides: (2, 2), padding: .valid))
        #expect(valid.outputHeight == 7 && valid.outputWidth == 7)
        let explicit = try TransposedConvolutionGeometry(
            inputShape: [1, 3, 3, 2], weightShape: [4, 3, 3, 2],
            attributes: TransposedConvolution(strides: (2, 2), padding: .explicit(top: 1, left: 1, bottom: 1, right: 1)))
        #expect(explicit.outputHeight == 5 && explicit.padTop == 1)

        #expect(throws: ModelError.self) {
            try TransposedConvolutionGeometry(inputShape: [1, 3, 3, 2], weightShape: [4, 3, 3, 5],
                                              attributes: TransposedConvolution(strides: (2, 2), padding: .same))
        }
        #expect(throws: ModelError.self) {
            try TransposedConvolutionGeometry(
                inputShape: [1, 1, 1, 2], weightShape: [4, 2, 2, 2],
                attributes: TransposedConvolution(strides: (1, 1), padding: .explicit(top: 1, left: 0, bottom: 1, right: 0)))
        }
        #expect(throws: ModelError.self) {
            try TransposedConvolutionGeometry(inputShape: [1, 3, 3, 2], weightShape: [4, 3, 3, 2],
                                              attributes: TransposedConvolution(strides: (0, 2), padding: .same))
        }
    }

    @Test func selfieHeadHandComputed() throws {
        // One input pixel with channels (1, 2); OHWI [1, 2, 2, 2]: each output pixel takes exactly one tap.
        let geometry = try TransposedConvolutionGeometry(inputShape: [1, 1, 1, 2], weightShape: [1, 2, 2, 2],
                                                         attributes: TransposedConvolution(strides: (2, 2), padding: .same))
        let weights: [Float] = [1, 0, 0, 1, 1, 1, 2, -1]
        for threads in [nil, 1] as [Int?] {
            #expect(transposedRun([1, 2], weights, [0.5], geometry, threads: threads) == [1.5, 2.5, 3.5, 0.5])
        }
    }

    @Test func overlappingTapsHandComputed() {
        // One row [1, 2], kernel [1, 10, 100], stride 2, no padding: the taps overlap at output 2.
        let geometry = TransposedConvolutionGeometry(inputHeight: 1, inputWidth: 2, inputChannels: 1,
                                                     outputHeight: 1, outputWidth: 5, outputChannels: 1,
                                                     kernelHeight: 1, kernelWidth: 3, strideWidth: 2)
        for threads in [nil, 1] as [Int?] {
            #expect(transposedRun([1, 2], [1, 10, 100], nil, geometry, threads: threads) == [1, 10, 102, 20, 200])
        }
        // With ONNX pads (left 1, right 1) the first and last outputs are cut: [10, 102, 20].
        let padded = TransposedConvolutionGeometry(inputHeight: 1, inputWidth: 2, inputChannels: 1,
                                                   outputHeight: 1, outputWidth: 3, outputChannels: 1,
                                                   kernelHeight: 1, kernelWidth: 3, strideWidth: 2, padLeft: 1)
        for threads in [nil, 1] as [Int?] {
            #expect(transposedRun([1, 2], [1, 10, 100], [-2], padded, activation: .relu, threads: threads)
                == [8, 100, 18])
        }
    }

    @Test func matchesReferenceOverShapes() throws {
        let inputSizes: [(Int, Int)] = [(1, 1), (3, 4), (5, 5)]
        let channelPairs: [(input: Int, output: Int)] = [(1, 1), (3, 2), (16, 1), (17, 5), (33, 2)]
        let paddings: [Padding] = [.same, .valid, .explicit(top: 1, left: 0, bottom: 2, right: 1)]
        var seed: UInt64 = 0
        var cases = 0
        for (height, width) in inputSizes {
            for channels in channelPairs {
                let batch = channels.output == 2 ? 2 : 1
                let inputShape = [batch, height, width, channels.input]
                seed += 1
                let input = KernelSweep.random(inputShape.reduce(1, *), seed: seed)
                for kernel in [(1, 1), (2, 2), (3, 3), (4, 2)] {
                    let weightShape = [channels.output, kernel.0, kernel.1, channels.input]
                    let weights = KernelSweep.random(weightShape.reduce(1, *), seed: seed + 1000)
                    let bias = KernelSweep.random(channels.output, seed: seed + 2000)
                    for stride in [(1, 1), (2, 2), (3, 2)] {
                        for padding in paddings {
                            let attributes = TransposedConvolution(strides: stride, padding: padding)
                            guard let geometry = try? TransposedConvolutionGeometry(
                                inputShape: inputShape, weightShape: weightShape, attributes: attributes)
                            else { continue }
                            let activation: Activation = stride.0 == 3 ? .relu : .identity
                            let reference = transposedRun(input, weights, bias, geometry, activation: activation)
                            let fast = transposedRun(input, weights, bias, geometry, activation: activation, threads: 1)
                            #expect(KernelSweep.largestDifference(fast, reference) <= 1e-5, "\(geometry)")
                            let noBias = transposedRun(input, weights, nil, geometry, threads: 1)
                            #expect(KernelSweep.largestDifference(
                                noBias, transposedRun(input, weights, nil, geometry)) <= 1e-5, "\(geometry)")
                            cases += 1
                        }
                    }
                }
            }
        }
        #expect(cases > 150)
    }

    @Test func selfieHeadOverTwoThreads() throws {
        let geometry = try TransposedConvolutionGeometry(inputShape: [1, 128, 128, 16], weightShape: [1, 2, 2, 16],
                                                         attributes: TransposedConvolution(strides: (2, 2), padding: .same))
        let input = KernelSweep.random(geometry.inputCount, seed: 5)
        let weights = KernelSweep.random(geometry.weightCount, seed: 6)
        let reference = transposedRun(input, weights, [0.25], geometry)
        #expect(KernelSweep.largestDifference(transposedRun(input, weights, [0.25], geometry, threads: 2),
                                              reference) <= 1e-5)
    }
}
