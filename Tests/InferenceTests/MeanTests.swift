import Inference
import Testing

private func meanRun(_ input: [Float], _ shape: [Int], axes: [Int], threads: Int? = nil) -> [Float] {
    let count = meanShape(shape, axes: axes, keepDimensions: true)!.reduce(1, *)
    var output = [Float](repeating: .nan, count: count)
    input.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { output in
            if let threads {
                mean(input, shape: shape, axes: axes, output: output, threads: threads)
            } else {
                ReferenceKernels.mean(input, shape: shape, axes: axes, output: output)
            }
        }
    }
    return output
}

@Suite struct MeanTests {
    @Test func shapes() {
        #expect(meanShape([1, 8, 8, 16], axes: [1, 2], keepDimensions: true) == [1, 1, 1, 16])
        #expect(meanShape([1, 8, 8, 16], axes: [2, 1], keepDimensions: false) == [1, 16])
        #expect(meanShape([1, 8, 8, 16], axes: [-3, -2], keepDimensions: true) == [1, 1, 1, 16])
        #expect(meanShape([2, 3, 4], axes: [], keepDimensions: false) == [2, 3, 4])
        #expect(meanShape([2, 3, 4], axes: [1, -2], keepDimensions: true) == nil)
        #expect(meanShape([2, 3, 4], axes: [3], keepDimensions: true) == nil)
    }

    @Test func handComputed() {
        // [1, 2, 2, 2]: channel 0 holds 1, 2, 3, 4 and channel 1 holds 10, 20, 30, 40.
        let input: [Float] = [1, 10, 2, 20, 3, 30, 4, 40]
        #expect(meanRun(input, [1, 2, 2, 2], axes: [1, 2], threads: 1) == [2.5, 25])
        #expect(meanRun(input, [1, 2, 2, 2], axes: [1, 2]) == [2.5, 25])
        // Generic axes (reference path): over the last axis, and over everything.
        #expect(meanRun(input, [1, 2, 2, 2], axes: [-1], threads: 1) == [5.5, 11, 16.5, 22])
        #expect(meanRun(input, [1, 2, 2, 2], axes: [0, 1, 2, 3], threads: 1) == [13.75])
        #expect(meanRun([1, 2, 3, 4, 5, 6], [2, 3], axes: [0], threads: 1) == [2.5, 3.5, 4.5])
        #expect(meanRun([1, 2, 3, 4, 5, 6], [2, 3], axes: [], threads: 1) == [1, 2, 3, 4, 5, 6])
    }

    @Test func spatialMeanMatchesReferenceOverShapes() {
        let shapes: [[Int]] = [
            [1, 1, 1, 1], [1, 1, 1, 17], [2, 3, 5, 17], [1, 7, 9, 33], [2, 16, 16, 16], [1, 8, 8, 96],
            [1, 2, 3, 5], [1, 96, 96, 40], [2, 64, 64, 64],
        ]
        for (index, shape) in shapes.enumerated() {
            let input = KernelSweep.random(shape.reduce(1, *), seed: UInt64(index), in: -1...3)
            let reference = meanRun(input, shape, axes: [1, 2])
            for threads in [1, 2] {
                #expect(KernelSweep.largestDifference(meanRun(input, shape, axes: [1, 2], threads: threads),
                                                      reference) <= 1e-5, "\(shape) threads \(threads)")
                #expect(KernelSweep.largestDifference(meanRun(input, shape, axes: [-2, -3], threads: threads),
                                                      reference) <= 1e-5, "\(shape) threads \(threads)")
            }
        }
    }
}
