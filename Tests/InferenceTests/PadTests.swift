import Inference
import Testing

private func padRun(_ input: [Float], _ shape: [Int], before: [Int], after: [Int], threads: Int? = nil) -> [Float] {
    let count = paddedShape(shape, before: before, after: after)!.reduce(1, *)
    var output = [Float](repeating: .nan, count: count)
    input.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { output in
            if let threads {
                pad(input, shape: shape, before: before, after: after, output: output, threads: threads)
            } else {
                ReferenceKernels.pad(input, shape: shape, before: before, after: after, output: output)
            }
        }
    }
    return output
}

@Suite struct PadTests {
    @Test func shapes() {
        #expect(paddedShape([1, 4, 4, 24], before: [0, 0, 0, 0], after: [0, 0, 0, 4]) == [1, 4, 4, 28])
        #expect(paddedShape([2, 3], before: [1, 2], after: [3, 4]) == [6, 9])
        #expect(paddedShape([2, 3], before: [1], after: [3, 4]) == nil)
        #expect(paddedShape([2, 3], before: [0, -1], after: [0, 0]) == nil)
    }

    @Test func handComputed() {
        // [1, 1, 2, 2] padded by one channel after and one column before: zeros where nothing was.
        let input: [Float] = [1, 2, 3, 4]
        let expected: [Float] = [0, 0, 0, 1, 2, 0, 3, 4, 0]
        for threads in [nil, 1, 2] as [Int?] {
            #expect(padRun(input, [1, 1, 2, 2], before: [0, 0, 1, 0], after: [0, 0, 0, 1], threads: threads) == expected)
        }
        // Rows before and after along the first axis.
        #expect(padRun([5, 6], [1, 2], before: [1, 0], after: [1, 0], threads: 1) == [0, 0, 5, 6, 0, 0])
    }

    /// The row-at-a-time kernel against the element-at-a-time twin over ranks 1 to 4, padding on every
    /// axis alone and together, rows shorter and longer than a vector, and empty rows.
    @Test func matchesReferenceOverShapes() {
        let shapes: [[Int]] = [[5], [3, 17], [2, 3, 1], [1, 4, 4, 24], [2, 3, 5, 33], [1, 2, 2, 0]]
        var seed: UInt64 = 7
        for shape in shapes {
            let count = shape.reduce(1, *)
            let input = (0..<count).map { _ -> Float in
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int(seed >> 40) % 2001 - 1000) / 100
            }
            var paddings: [([Int], [Int])] = [(shape.map { _ in 0 }, shape.map { _ in 0 })]
            for axis in shape.indices {
                var before = shape.map { _ in 0 }, after = shape.map { _ in 0 }
                before[axis] = 1
                after[axis] = 4
                paddings.append((before, after))
            }
            paddings.append((shape.map { _ in 2 }, shape.indices.map { $0 % 2 }))
            for (before, after) in paddings {
                let expected = padRun(input, shape, before: before, after: after)
                for threads in [1, 2] {
                    #expect(padRun(input, shape, before: before, after: after, threads: threads) == expected,
                            "shape \(shape) before \(before) after \(after) threads \(threads)")
                }
            }
        }
    }
}

@Suite struct ReshapeTests {
    @Test func shapes() {
        #expect(reshapedShape([1, 16, 16, 32], to: [1, 512, 16]) == [1, 512, 16])
        #expect(reshapedShape([1, 16, 16, 32], to: [1, -1, 16]) == [1, 512, 16])
        #expect(reshapedShape([1, 16, 16, 32], to: [1, 500, 16]) == nil)
        #expect(reshapedShape([1, 16, 16, 32], to: [-1, -1, 16]) == nil)
        #expect(reshapedShape([1, 16, 16, 32], to: [1, 0, 16]) == nil)
        #expect(reshapedShape([1, 16, 16, 32], to: [-2, 256, 16]) == nil)
        #expect(reshapedShape([6], to: [-1, 4]) == nil)
        #expect(reshapedShape([6], to: [1 << 40, 1 << 40]) == nil)
    }
}
