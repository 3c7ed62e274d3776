import Dispatch
import Testing
@testable import Inference

/// Fills arrays with reproducible values in [-1, 1) (a 64-bit linear congruential generator).
struct SeededValues {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 6364136223846793005 &+ 1442695040888963407 }

    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 40) - (1 << 23)) / Float(1 << 23)
    }

    mutating func array(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
}

/// One convolution to check: geometry, activation, and whether it has a bias.
struct ConvolutionCase: CustomTestStringConvertible, Sendable {
    var geometry: ConvolutionGeometry
    var activation: Activation = .identity
    var hasBias = true

    var testDescription: String {
        let g = geometry
        return "\(g.batch)x\(g.inputHeight)x\(g.inputWidth)x\(g.inputChannels) -> \(g.outputHeight)x\(g.outputWidth)x\(g.outputChannels)"
            + " k\(g.kernelHeight)x\(g.kernelWidth) s\(g.strideHeight)x\(g.strideWidth) d\(g.dilationHeight)x\(g.dilationWidth)"
            + " p\(g.padTop),\(g.padLeft) g\(g.groups) \(activation)\(hasBias ? "" : " no bias")"
    }
}

private func same(_ size: (Int, Int), _ channels: (Int, Int), kernel: Int, stride: Int = 1, dilation: Int = 1,
                  groups: Int = 1, batch: Int = 1, activation: Activation = .identity, bias: Bool = true) -> ConvolutionCase {
    ConvolutionCase(geometry: ConvolutionGeometry(
        batch: batch, inputHeight: size.0, inputWidth: size.1, inputChannels: channels.0, outputChannels: channels.1,
        kernelHeight: kernel, kernelWidth: kernel, strides: (stride, stride), dilations: (dilation, dilation),
        padding: .same, groups: groups), activation: activation, hasBias: bias)
}

/// ONNX style: `pads = dilation` on every side.
private func padded(_ size: (Int, Int), _ channels: (Int, Int), dilation: Int = 1, batch: Int = 1,
                    activation: Activation = .relu) -> ConvolutionCase {
    ConvolutionCase(geometry: ConvolutionGeometry(
        batch: batch, inputHeight: size.0, inputWidth: size.1, inputChannels: channels.0, outputChannels: channels.1,
        kernelHeight: 3, kernelWidth: 3, dilations: (dilation, dilation),
        padding: .explicit(top: dilation, left: dilation, bottom: dilation, right: dilation)), activation: activation)
}

let pointwiseCases: [ConvolutionCase] = [
    same((7, 5), (3, 16), kernel: 1),
    same((7, 5), (16, 8), kernel: 1, activation: .relu),
    same((9, 4), (24, 40), kernel: 1, activation: .hardSwish),
    same((6, 6), (64, 16), kernel: 1, batch: 2),
    same((5, 7), (128, 128), kernel: 1, activation: .relu6),
    same((11, 3), (6, 1), kernel: 1, activation: .sigmoid),
    same((4, 5), (144, 24), kernel: 1, bias: false),
    same((3, 3), (16, 72), kernel: 1),
    same((2, 3), (8, 3), kernel: 1),
    same((1, 1), (16, 8), kernel: 1, activation: .relu),
    same((1, 1), (120, 48), kernel: 1, activation: .hardSwish),
    same((5, 5), (64, 1), kernel: 1),
    same((13, 13), (40, 120), kernel: 1),
]

let generalCases: [ConvolutionCase] = [
    padded((13, 11), (3, 64)),
    padded((13, 11), (64, 16)),
    padded((12, 12), (16, 16), dilation: 2),
    padded((9, 10), (32, 16), dilation: 4),
    padded((20, 20), (16, 16), dilation: 8),
    padded((5, 5), (16, 16), dilation: 8),
    padded((7, 9), (16, 64), batch: 2),
    padded((10, 10), (64, 1), activation: .sigmoid),
    padded((10, 10), (128, 16), dilation: 2),
    padded((2, 3), (16, 16)),
    padded((1, 1), (16, 16), dilation: 2),
    padded((6, 7), (40, 8)),
    padded((6, 7), (24, 4), dilation: 2),
    padded((8, 8), (6, 1)),
    same((16, 16), (3, 16), kernel: 3, stride: 2, activation: .hardSwish),
    same((15, 17), (3, 16), kernel: 3, stride: 2),
    same((9, 9), (8, 24), kernel: 5, stride: 2, bias: false),
    same((9, 9), (8, 24), kernel: 5),
    same((7, 6), (5, 33), kernel: 3, dilation: 3, batch: 2),
    same((4, 4), (16, 16), kernel: 1, stride: 2),
    ConvolutionCase(geometry: ConvolutionGeometry(inputHeight: 9, inputWidth: 8, inputChannels: 12, outputChannels: 20,
                                                  kernelHeight: 3, kernelWidth: 3, padding: .valid)),
    ConvolutionCase(geometry: ConvolutionGeometry(inputHeight: 9, inputWidth: 8, inputChannels: 12, outputChannels: 20,
                                                  kernelHeight: 3, kernelWidth: 2, strides: (1, 2),
                                                  padding: .explicit(top: 0, left: 2, bottom: 1, right: 0)),
                    activation: .relu),
    ConvolutionCase(geometry: ConvolutionGeometry(inputHeight: 6, inputWidth: 11, inputChannels: 16, outputChannels: 16,
                                                  kernelHeight: 1, kernelWidth: 3, dilations: (1, 2),
                                                  padding: .explicit(top: 0, left: 2, bottom: 0, right: 2))),
    ConvolutionCase(geometry: ConvolutionGeometry(inputHeight: 6, inputWidth: 5, inputChannels: 16, outputChannels: 8,
                                                  kernelHeight: 3, kernelWidth: 1, strides: (2, 1),
                                                  padding: .explicit(top: 3, left: 0, bottom: 3, right: 0))),
    // Grouped but not depthwise.
    same((7, 7), (8, 4), kernel: 3, groups: 2),
    same((6, 5), (16, 32), kernel: 3, stride: 2, groups: 4, activation: .relu),
    same((5, 5), (12, 36), kernel: 1, groups: 3),
    same((6, 6), (8, 16), kernel: 3, groups: 8),
    same((8, 8), (64, 64), kernel: 3, dilation: 2, groups: 2),
]

let depthwiseCases: [ConvolutionCase] = [
    same((16, 16), (16, 16), kernel: 3, groups: 16),
    same((16, 16), (16, 16), kernel: 3, stride: 2, groups: 16, activation: .relu),
    same((15, 13), (24, 24), kernel: 5, groups: 24, activation: .hardSwish),
    same((15, 13), (24, 24), kernel: 5, stride: 2, groups: 24),
    same((8, 8), (72, 72), kernel: 3, stride: 2, groups: 72, bias: false),
    same((8, 8), (120, 120), kernel: 5, groups: 120, activation: .relu6),
    same((4, 4), (40, 40), kernel: 5, stride: 2, groups: 40),
    same((6, 5), (3, 3), kernel: 3, groups: 3, batch: 2),
    same((1, 1), (16, 16), kernel: 3, groups: 16),
    same((2, 3), (144, 144), kernel: 5, groups: 144, activation: .sigmoid),
    same((9, 9), (32, 32), kernel: 3, dilation: 2, groups: 32),
]

/// Runs the packed kernel with `threads`, splitting even small layers between them.
func runPacked(_ convolution: PackedConvolution, input: [Float], threads: Int) -> [Float] {
    var output = [Float](repeating: .nan, count: convolution.geometry.outputCount)
    input.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { output in
            convolution.run(input: input.baseAddress!, output: output.baseAddress!, threads: threads,
                            multiplyAddsPerThread: 1)
        }
    }
    return output
}

func runReference(_ geometry: ConvolutionGeometry, input: [Float], weights: [Float], bias: [Float]?,
                  activation: Activation) -> [Float] {
    var output = [Float](repeating: .nan, count: geometry.outputCount)
    input.withUnsafeBufferPointer { input in
        weights.withUnsafeBufferPointer { weights in
            output.withUnsafeMutableBufferPointer { output in
                if let bias {
                    bias.withUnsafeBufferPointer { bias in
                        ReferenceKernels.convolution(input: input, weights: weights, bias: bias, output: output,
                                                     geometry: geometry, activation: activation)
                    }
                } else {
                    ReferenceKernels.convolution(input: input, weights: weights, bias: nil, output: output,
                                                 geometry: geometry, activation: activation)
                }
            }
        }
    }
    return output
}

/// Largest difference relative to the largest reference magnitude (at least 1).
func relativeError(_ actual: [Float], _ expected: [Float]) -> Float {
    let scale = max(1, expected.map { abs($0) }.max() ?? 0)
    var worst: Float = 0
    for (a, e) in zip(actual, expected) {
        worst = max(worst, a.isNaN || e.isNaN ? .infinity : abs(a - e) / scale)
    }
    return worst
}

func check(_ test: ConvolutionCase, expecting strategy: PackedConvolution.Strategy) {
    let g = test.geometry
    var values = SeededValues(seed: UInt64(g.inputCount &* 31 &+ g.weightCount))
    let input = values.array(g.inputCount)
    let weights = values.array(g.weightCount)
    let bias = test.hasBias ? values.array(g.outputChannels) : nil
    let convolution = PackedConvolution(weights: weights, bias: bias, geometry: g, activation: test.activation)
    #expect(convolution.strategy == strategy)
    let expected = runReference(g, input: input, weights: weights, bias: bias, activation: test.activation)
    let one = runPacked(convolution, input: input, threads: 1)
    let two = runPacked(convolution, input: input, threads: 2)
    #expect(relativeError(one, expected) <= 1e-5)
    #expect(one == two, "1 and 2 threads differ")
}

@Suite struct ConvolutionTests {
    @Test(arguments: pointwiseCases)
    func pointwise(_ test: ConvolutionCase) {
        check(test, expecting: .pointwise)
    }

    @Test(arguments: generalCases)
    func general(_ test: ConvolutionCase) {
        check(test, expecting: .general)
    }

    @Test(arguments: depthwiseCases)
    func depthwise(_ test: ConvolutionCase) {
        check(test, expecting: .depthwise)
    }

    /// Layers the size of the target models' larger ones, split by the public `run`'s own rule.
    @Test(arguments: [
        padded((40, 40), (64, 16)),
        padded((40, 36), (16, 64), dilation: 2),
        same((64, 64), (16, 16), kernel: 3, groups: 16),
        same((48, 48), (64, 64), kernel: 1),
    ])
    func fullSize(_ test: ConvolutionCase) {
        let g = test.geometry
        var values = SeededValues(seed: 7)
        let input = values.array(g.inputCount)
        let weights = values.array(g.weightCount)
        let bias = values.array(g.outputChannels)
        let convolution = PackedConvolution(weights: weights, bias: bias, geometry: g, activation: test.activation)
        let expected = runReference(g, input: input, weights: weights, bias: bias, activation: test.activation)
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
        #expect(relativeError(outputs[0], expected) <= 1e-5)
        #expect(outputs[0] == outputs[1], "1 and 2 threads differ")
    }

    /// An input given in channel parts computes exactly what the joined input does.
    @Test(arguments: (pointwiseCases + generalCases).filter { $0.geometry.groups == 1 && $0.geometry.inputChannels > 1 })
    func concatenatedInput(_ test: ConvolutionCase) {
        let g = test.geometry
        var values = SeededValues(seed: UInt64(g.inputCount &* 17 &+ g.weightCount))
        let input = values.array(g.inputCount)
        let convolution = PackedConvolution(weights: values.array(g.weightCount),
                                            bias: test.hasBias ? values.array(g.outputChannels) : nil,
                                            geometry: g, activation: test.activation)
        let expected = runPacked(convolution, input: input, threads: 1)
        let channels = g.inputChannels
        let splits = [[1, channels - 1], [channels / 2, channels - channels / 2]]
            + (channels >= 3 ? [[channels - 2, 1, 1]] : [])
        for split in splits where split.allSatisfy({ $0 > 0 }) {
            // Part `p` holds input channels `starts[p] ..< starts[p] + split[p]` of every pixel.
            let starts = split.indices.map { split[..<$0].reduce(0, +) }
            let parts = split.indices.map { part in
                stride(from: 0, to: input.count, by: channels).flatMap { pixel in
                    input[(pixel + starts[part])..<(pixel + starts[part] + split[part])]
                }
            }
            for threads in [1, 2] {
                var output = [Float](repeating: .nan, count: g.outputCount)
                let buffers = parts.map { part in
                    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: part.count)
                    _ = buffer.initialize(from: part)
                    return buffer
                }
                defer { buffers.forEach { $0.deallocate() } }
                output.withUnsafeMutableBufferPointer { output in
                    convolution.run(parts: zip(buffers, split).map { ConvolutionRows.Part(input: $0.baseAddress!, channels: $1) },
                                    residual: nil, output: output.baseAddress!, threads: threads,
                                    multiplyAddsPerThread: 1)
                }
                #expect(output == expected, "parts \(split), \(threads) threads")
            }
        }
    }

    /// A part read through a resize or a pooling computes exactly what running that first does.
    @Test(arguments: ["linear resize", "nearest resize", "max pool"])
    func partThroughProducer(_ producer: String) throws {
        let cases = (pointwiseCases + generalCases).filter { $0.geometry.groups == 1 && $0.geometry.inputChannels > 1 }
        for test in cases {
            let g = test.geometry
            var values = SeededValues(seed: UInt64(g.inputCount &* 7 &+ g.weightCount))
            let convolution = PackedConvolution(weights: values.array(g.weightCount),
                                                bias: test.hasBias ? values.array(g.outputChannels) : nil,
                                                geometry: g, activation: test.activation)
            // Part 0: `first` channels resized from about half the size or pooled from about twice
            // the size; part 1: the other channels.
            let first = max(1, g.inputChannels / 4), second = g.inputChannels - first
            let rows: ConvolutionRows.RowProducer, smallShape: [Int]
            if producer == "max pool" {
                // An odd width where it can be: ceil mode pools the last column alone.
                smallShape = [g.batch, 2 * g.inputHeight, max(2 * g.inputWidth - 1, 2), first]
                let pooling = Pooling(kind: .max, kernel: (2, 2), strides: (2, 2), padding: .valid, ceilMode: true)
                rows = .pool(PoolRows(kind: .max, geometry: try PoolingGeometry(inputShape: smallShape, pooling: pooling)))
            } else {
                smallShape = [g.batch, (g.inputHeight + 1) / 2, (g.inputWidth + 1) / 2, first]
                rows = .resize(ResizeRows(Resize(mode: producer == "linear resize" ? .linear : .nearest,
                                                 coordinateTransform: .pytorchHalfPixel,
                                                 size: (g.inputHeight, g.inputWidth)), inputShape: smallShape))
            }
            let small = values.array(smallShape.reduce(1, *))
            let plain = values.array(g.batch * g.inputHeight * g.inputWidth * second)
            var resized = [Float](repeating: .nan, count: g.batch * g.inputHeight * g.inputWidth * first)
            small.withUnsafeBufferPointer { small in
                resized.withUnsafeMutableBufferPointer { resized in
                    for row in 0..<(g.batch * g.inputHeight) {
                        rows.write(row: row, from: small.baseAddress!, to: resized.baseAddress! + row * g.inputWidth * first,
                                   pixelStride: first, columns: g.inputWidth)
                    }
                }
            }
            var joined: [Float] = []
            for pixel in 0..<(g.batch * g.inputHeight * g.inputWidth) {
                joined += resized[(pixel * first)..<((pixel + 1) * first)]
                joined += plain[(pixel * second)..<((pixel + 1) * second)]
            }
            let expected = runPacked(convolution, input: joined, threads: 1)
            for threads in [1, 2] {
                var output = [Float](repeating: .nan, count: g.outputCount)
                small.withUnsafeBufferPointer { small in
                    plain.withUnsafeBufferPointer { plain in
                        output.withUnsafeMutableBufferPointer { output in
                            convolution.run(parts: [ConvolutionRows.Part(input: small.baseAddress!, channels: first, through: rows),
                                                    ConvolutionRows.Part(input: plain.baseAddress!, channels: second)],
                                            residual: nil, output: output.baseAddress!, threads: threads,
                                            multiplyAddsPerThread: 1)
                        }
                    }
                }
                #expect(output == expected, "\(test.testDescription), \(threads) threads")
            }
        }
    }

    /// A residual is added after the activation, as a separate addition would.
    @Test(arguments: (pointwiseCases + generalCases).filter { $0.geometry.groups == 1 })
    func residual(_ test: ConvolutionCase) {
        let g = test.geometry
        var values = SeededValues(seed: UInt64(g.outputCount &* 13 &+ g.weightCount))
        let input = values.array(g.inputCount)
        let residual = values.array(g.outputCount)
        let convolution = PackedConvolution(weights: values.array(g.weightCount),
                                            bias: test.hasBias ? values.array(g.outputChannels) : nil,
                                            geometry: g, activation: test.activation)
        let expected = zip(runPacked(convolution, input: input, threads: 1), residual).map { $0 + $1 }
        for threads in [1, 2] {
            var output = [Float](repeating: .nan, count: g.outputCount)
            input.withUnsafeBufferPointer { input in
                residual.withUnsafeBufferPointer { residual in
                    output.withUnsafeMutableBufferPointer { output in
                        convolution.run(parts: [ConvolutionRows.Part(input: input.baseAddress!, channels: g.inputChannels)],
                                        residual: residual.baseAddress!, output: output.baseAddress!, threads: threads,
                                        multiplyAddsPerThread: 1)
                    }
                }
            }
            #expect(output == expected, "\(threads) threads")
        }
    }

    /// One instance serves several callers at once, each with its own buffers.
    @Test func concurrentCallers() {
        let g = padded((24, 24), (16, 16)).geometry
        var values = SeededValues(seed: 11)
        let input = values.array(g.inputCount)
        let convolution = PackedConvolution(weights: values.array(g.weightCount), bias: values.array(g.outputChannels),
                                            geometry: g, activation: .relu)
        let expected = runPacked(convolution, input: input, threads: 1)
        let outputs = UnsafeMutableBufferPointer<Float>.allocate(capacity: 4 * g.outputCount)
        defer { outputs.deallocate() }
        input.withUnsafeBufferPointer { input in
            nonisolated(unsafe) let outputs = outputs
            nonisolated(unsafe) let inputStart = input.baseAddress!
            DispatchQueue.concurrentPerform(iterations: 4) { caller in
                convolution.run(input: inputStart, output: outputs.baseAddress! + caller * g.outputCount, threads: 2)
            }
        }
        for caller in 0..<4 {
            #expect(Array(outputs[(caller * g.outputCount)..<((caller + 1) * g.outputCount)]) == expected)
        }
    }

    /// The register tiles chosen for typical layers.
    @Test func tileShapes() {
        func shapes(_ test: ConvolutionCase) -> [PackedConvolution.TileShape] {
            let g = test.geometry
            return PackedConvolution(weights: [Float](repeating: 0, count: g.weightCount), bias: nil, geometry: g,
                                     activation: .identity).blocks.map(\.shape)
        }
        #expect(shapes(padded((8, 8), (64, 16))) == [.pixels12x16])
        #expect(shapes(padded((8, 8), (32, 64))) == [.pixels8x32, .pixels8x32])
        #expect(shapes(padded((8, 8), (64, 40))) == [.pixels8x32, .pixels12x16])
        #expect(shapes(padded((8, 8), (64, 1))) == [.pixels8x1])
        #expect(shapes(same((8, 8), (16, 8), kernel: 1)) == [.pixels12x16])
        #expect(shapes(same((8, 8), (6, 1), kernel: 1)) == [.pixels12x16])
    }

    @Test func geometryResolvesPadding() {
        // TensorFlow SAME, stride 2, even input: 1 pixel of padding, all of it after.
        let even = ConvolutionGeometry(inputHeight: 256, inputWidth: 256, inputChannels: 3, outputChannels: 16,
                                       kernelHeight: 3, kernelWidth: 3, strides: (2, 2), padding: .same)
        #expect(even.outputHeight == 128 && even.outputWidth == 128 && even.padTop == 0 && even.padLeft == 0)
        let odd = ConvolutionGeometry(inputHeight: 15, inputWidth: 17, inputChannels: 3, outputChannels: 16,
                                      kernelHeight: 5, kernelWidth: 5, strides: (2, 2), padding: .same)
        #expect(odd.outputHeight == 8 && odd.outputWidth == 9 && odd.padTop == 2 && odd.padLeft == 2)
        let dilated = ConvolutionGeometry(inputHeight: 20, inputWidth: 20, inputChannels: 16, outputChannels: 16,
                                          kernelHeight: 3, kernelWidth: 3, dilations: (8, 8),
                                          padding: .explicit(top: 8, left: 8, bottom: 8, right: 8))
        #expect(dilated.outputHeight == 20 && dilated.outputWidth == 20 && dilated.padTop == 8)
        let valid = ConvolutionGeometry(inputHeight: 9, inputWidth: 8, inputChannels: 1, outputChannels: 1,
                                        kernelHeight: 3, kernelWidth: 3, strides: (2, 2), padding: .valid)
        #expect(valid.outputHeight == 4 && valid.outputWidth == 3)
        #expect(valid.invalidReason == nil)
        var broken = valid
        broken.groups = 3
        #expect(broken.invalidReason != nil)
    }

    @Test func referenceMatchesHandComputedValues() {
        // 1 image 2x2x1, 2x2 kernel, SAME-style pad of 1 after: each output sums its lower-right window.
        let g = ConvolutionGeometry(inputHeight: 2, inputWidth: 2, inputChannels: 1, outputHeight: 2, outputWidth: 2,
                                    outputChannels: 1, kernelHeight: 2, kernelWidth: 2)
        let output = runReference(g, input: [1, 2, 3, 4], weights: [1, 10, 100, 1000], bias: [0.5], activation: .identity)
        #expect(output == [4321.5, 402.5, 43.5, 4.5])
    }
}
