import Inference
import Testing

private func concatenateRun(_ parts: [[Float]], _ shapes: [[Int]], axis: Int, threads: Int? = nil) -> [Float] {
    let count = concatenatedShape(shapes, axis: axis)!.reduce(1, *)
    var output = [Float](repeating: .nan, count: count)
    // Copy each part into memory that stays valid for the call.
    let buffers = parts.map { part -> UnsafeMutableBufferPointer<Float> in
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: part.count)
        _ = buffer.initialize(from: part)
        return buffer
    }
    defer { buffers.forEach { $0.deallocate() } }
    let inputs = buffers.map { UnsafeBufferPointer($0) }
    output.withUnsafeMutableBufferPointer { output in
        if let threads {
            concatenate(inputs, shapes: shapes, axis: axis, output: output, threads: threads)
        } else {
            ReferenceKernels.concatenate(inputs, shapes: shapes, axis: axis, output: output)
        }
    }
    return output
}

@Suite struct ConcatenationTests {
    @Test func shapes() {
        #expect(concatenatedShape([[1, 2, 2, 3], [1, 2, 2, 5]], axis: 3) == [1, 2, 2, 8])
        #expect(concatenatedShape([[1, 2, 2, 3], [1, 2, 2, 5]], axis: -1) == [1, 2, 2, 8])
        #expect(concatenatedShape([[2, 3], [4, 3], [1, 3]], axis: 0) == [7, 3])
        #expect(concatenatedShape([[1, 2, 2, 3], [1, 2, 3, 3]], axis: 3) == nil)
        #expect(concatenatedShape([[1, 2, 2, 3], [1, 2, 2]], axis: 2) == nil)
        #expect(concatenatedShape([[1, 2]], axis: 2) == nil)
        #expect(concatenatedShape([[1, 2]], axis: -3) == nil)
        #expect(concatenatedShape([], axis: 0) == nil)
    }

    @Test func channelsHandComputed() {
        // [1, 2, 2, 1] and [1, 2, 2, 2] along channels: each pixel is one channel of the first, two of the second.
        let first: [Float] = [1, 2, 3, 4]
        let second: [Float] = [5, 6, 7, 8, 9, 10, 11, 12]
        let expected: [Float] = [1, 5, 6, 2, 7, 8, 3, 9, 10, 4, 11, 12]
        #expect(concatenateRun([first, second], [[1, 2, 2, 1], [1, 2, 2, 2]], axis: 3, threads: 1) == expected)
        #expect(concatenateRun([first, second], [[1, 2, 2, 1], [1, 2, 2, 2]], axis: 3) == expected)
        // Along height: the second part's rows follow the first's.
        #expect(concatenateRun([[1, 2], [3, 4, 5, 6]], [[1, 1, 2, 1], [1, 2, 2, 1]], axis: 1, threads: 1)
            == [1, 2, 3, 4, 5, 6])
    }

    @Test func matchesReferenceOverShapes() {
        let base = [2, 3, 5, 7]
        let partLengths: [[Int]] = [[1], [1, 1], [3, 16, 17], [16, 0, 33], [64, 64]]
        var seed: UInt64 = 1
        for axis in -4..<4 {
            let dimension = axis < 0 ? axis + 4 : axis
            for lengths in partLengths {
                let shapes = lengths.map { length -> [Int] in
                    var shape = base
                    shape[dimension] = length
                    return shape
                }
                let parts = shapes.map { shape -> [Float] in
                    seed += 1
                    return KernelSweep.random(shape.reduce(1, *), seed: seed)
                }
                let reference = concatenateRun(parts, shapes, axis: axis)
                for threads in [1, 2] {
                    #expect(concatenateRun(parts, shapes, axis: axis, threads: threads) == reference,
                            "axis \(axis) parts \(shapes) threads \(threads)")
                }
            }
        }
        // Large enough to use both threads: U-2-Net style channel concatenation.
        let shapes = [[1, 80, 80, 64], [1, 80, 80, 64]]
        let parts = shapes.map { KernelSweep.random($0.reduce(1, *), seed: 99) }
        #expect(concatenateRun(parts, shapes, axis: 3, threads: 2) == concatenateRun(parts, shapes, axis: 3))
    }
}
