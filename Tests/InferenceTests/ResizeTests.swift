import Inference
import Testing

private func resizeRun(_ parameters: Resize, _ input: [Float], _ shape: [Int], threads: Int? = nil) -> [Float] {
    let count = shape[0] * parameters.size.height * parameters.size.width * shape[3]
    var output = [Float](repeating: .nan, count: count)
    input.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { output in
            if let threads {
                resize(parameters, input: input, inputShape: shape, output: output, threads: threads)
            } else {
                ReferenceKernels.resize(parameters, input: input, inputShape: shape, output: output)
            }
        }
    }
    return output
}

/// Runs both kernels on a one-channel image and checks them against `expected` (rows of the output).
private func expectResize(_ parameters: Resize, _ input: [Float], height: Int, width: Int, _ expected: [[Float]],
                          tolerance: Float = 1e-6, sourceLocation: SourceLocation = #_sourceLocation) {
    let flat = expected.flatMap { $0 }
    for threads in [nil, 1] as [Int?] {
        let output = resizeRun(parameters, input, [1, height, width, 1], threads: threads)
        #expect(KernelSweep.largestDifference(output, flat) <= tolerance, "\(output)", sourceLocation: sourceLocation)
    }
}

private let transforms: [Resize.CoordinateTransform] = [.halfPixel, .pytorchHalfPixel, .alignCorners, .asymmetric]
private let roundings: [Resize.NearestRounding] = [.roundPreferFloor, .roundPreferCeil, .floor, .ceil]

@Suite struct ResizeTests {
    @Test func sourceCoordinates() {
        #expect(Resize.CoordinateTransform.halfPixel.sourceCoordinate(0, inputLength: 2, outputLength: 4) == -0.25)
        #expect(Resize.CoordinateTransform.halfPixel.sourceCoordinate(3, inputLength: 2, outputLength: 4) == 1.25)
        #expect(Resize.CoordinateTransform.halfPixel.sourceCoordinate(0, inputLength: 4, outputLength: 1) == 1.5)
        #expect(Resize.CoordinateTransform.pytorchHalfPixel.sourceCoordinate(0, inputLength: 4, outputLength: 1) == 0)
        #expect(Resize.CoordinateTransform.pytorchHalfPixel.sourceCoordinate(1, inputLength: 2, outputLength: 4) == 0.25)
        #expect(Resize.CoordinateTransform.alignCorners.sourceCoordinate(1, inputLength: 3, outputLength: 5) == 0.5)
        #expect(Resize.CoordinateTransform.alignCorners.sourceCoordinate(0, inputLength: 3, outputLength: 1) == 0)
        #expect(Resize.CoordinateTransform.asymmetric.sourceCoordinate(1, inputLength: 3, outputLength: 2) == 1.5)
    }

    @Test func nearestRoundings() {
        #expect(Resize.NearestRounding.roundPreferFloor.index(1.5, length: 4) == 1)
        #expect(Resize.NearestRounding.roundPreferFloor.index(1.6, length: 4) == 2)
        #expect(Resize.NearestRounding.roundPreferCeil.index(1.5, length: 4) == 2)
        #expect(Resize.NearestRounding.roundPreferCeil.index(1.4, length: 4) == 1)
        #expect(Resize.NearestRounding.floor.index(1.7, length: 4) == 1)
        #expect(Resize.NearestRounding.ceil.index(1.2, length: 4) == 2)
        #expect(Resize.NearestRounding.ceil.index(-0.25, length: 4) == 0)
        #expect(Resize.NearestRounding.roundPreferCeil.index(-0.5, length: 4) == 0)
        #expect(Resize.NearestRounding.ceil.index(3.25, length: 4) == 3)
    }

    // Expected outputs below are the ONNX operator tests' (onnx/backend/test/case/node/resize.py), given as
    // `sizes` (where the ONNX test gives `scales`, they equal output / input).

    @Test func onnxLinearExamples() {
        let square: [Float] = [1, 2, 3, 4]
        // resize_upsample_scales_linear (half_pixel).
        expectResize(Resize(mode: .linear, coordinateTransform: .halfPixel, size: (4, 4)), square, height: 2, width: 2, [
            [1, 1.25, 1.75, 2],
            [1.5, 1.75, 2.25, 2.5],
            [2.5, 2.75, 3.25, 3.5],
            [3, 3.25, 3.75, 4],
        ])
        // resize_upsample_scales_linear_align_corners.
        expectResize(Resize(mode: .linear, coordinateTransform: .alignCorners, size: (4, 4)), square, height: 2,
                     width: 2, [
            [1, 4.0 / 3, 5.0 / 3, 2],
            [5.0 / 3, 2, 7.0 / 3, 8.0 / 3],
            [7.0 / 3, 8.0 / 3, 3, 10.0 / 3],
            [3, 10.0 / 3, 11.0 / 3, 4],
        ])
        // resize_downsample_sizes_linear_pytorch_half_pixel: 4x4 to 3x1.
        let sixteen = (1...16).map { Float($0) }
        expectResize(Resize(mode: .linear, coordinateTransform: .pytorchHalfPixel, size: (3, 1)), sixteen, height: 4,
                     width: 4, [[1.666_666_6], [7], [12.333_333]], tolerance: 1e-6)
    }

    @Test func onnxNearestExamples() {
        let square: [Float] = [1, 2, 3, 4]
        // resize_upsample_sizes_nearest: half_pixel, round_prefer_floor, 2x2 to 7x8.
        let top: [Float] = [1, 1, 1, 1, 2, 2, 2, 2], bottom: [Float] = [3, 3, 3, 3, 4, 4, 4, 4]
        expectResize(Resize(mode: .nearest, coordinateTransform: .halfPixel, size: (7, 8)), square, height: 2,
                     width: 2, [top, top, top, top, bottom, bottom, bottom])
        let sixteen = (1...16).map { Float($0) }
        func rows(_ sourceRows: [Int], _ sourceColumns: [Int]) -> [[Float]] {
            sourceRows.map { y in sourceColumns.map { x in Float(y * 4 + x + 1) } }
        }
        // resize_upsample_sizes_nearest_ceil_half_pixel: 4x4 to 8x8.
        expectResize(Resize(mode: .nearest, coordinateTransform: .halfPixel, nearestRounding: .ceil, size: (8, 8)),
                     sixteen, height: 4, width: 4, rows([0, 1, 1, 2, 2, 3, 3, 3], [0, 1, 1, 2, 2, 3, 3, 3]))
        // resize_upsample_sizes_nearest_floor_align_corners.
        expectResize(Resize(mode: .nearest, coordinateTransform: .alignCorners, nearestRounding: .floor, size: (8, 8)),
                     sixteen, height: 4, width: 4, rows([0, 0, 0, 1, 1, 2, 2, 3], [0, 0, 0, 1, 1, 2, 2, 3]))
        // resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric.
        expectResize(Resize(mode: .nearest, coordinateTransform: .asymmetric, nearestRounding: .roundPreferCeil,
                            size: (8, 8)),
                     sixteen, height: 4, width: 4, rows([0, 1, 1, 2, 2, 3, 3, 3], [0, 1, 1, 2, 2, 3, 3, 3]))
    }

    @Test func tfliteHalfPixelBilinearDoubling() {
        // TFLite RESIZE_BILINEAR, half_pixel_centers: in = (out + 0.5) / 2 - 0.5, edges clamped.
        // A row [0, 4, 8] doubles to [0, 1, 3, 5, 7, 8].
        expectResize(Resize(mode: .linear, coordinateTransform: .halfPixel, size: (1, 6)), [0, 4, 8], height: 1,
                     width: 3, [[0, 1, 3, 5, 7, 8]])
    }

    @Test func matchesReferenceOverShapes() {
        let inputShapes: [[Int]] = [[1, 1, 1, 1], [1, 3, 5, 17], [2, 4, 4, 3], [1, 8, 8, 16], [1, 5, 3, 33],
                                    [1, 20, 20, 1]]
        let outputSizes: [(Int, Int)] = [(1, 1), (7, 3), (2, 9), (16, 16), (40, 40)]
        var seed: UInt64 = 0
        for shape in inputShapes {
            seed += 1
            let input = KernelSweep.random(shape.reduce(1, *), seed: seed, in: -3...3)
            for size in outputSizes + [(shape[1] * 2, shape[2] * 2)] {
                for transform in transforms {
                    var cases = [Resize(mode: .linear, coordinateTransform: transform, size: size)]
                    for rounding in roundings {
                        cases.append(Resize(mode: .nearest, coordinateTransform: transform, nearestRounding: rounding,
                                            size: size))
                    }
                    for parameters in cases {
                        let reference = resizeRun(parameters, input, shape)
                        let fast = resizeRun(parameters, input, shape, threads: 1)
                        #expect(KernelSweep.largestDifference(fast, reference) <= 1e-6, "\(shape) \(parameters)")
                    }
                }
            }
        }
        // U-2-Net's side-output upsampling to 320x320 (one channel) and a 64-channel doubling, over two threads.
        for (shape, size) in [([1, 20, 20, 1], (320, 320)), ([1, 40, 40, 64], (80, 80))] {
            let input = KernelSweep.random(shape.reduce(1, *), seed: 7)
            let parameters = Resize(mode: .linear, coordinateTransform: .pytorchHalfPixel, size: size)
            #expect(KernelSweep.largestDifference(resizeRun(parameters, input, shape, threads: 2),
                                                  resizeRun(parameters, input, shape)) <= 1e-6)
        }
    }
}
