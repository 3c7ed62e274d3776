import Foundation
import Inference
import Testing

/// Seeded data and comparisons shared by the operator kernel tests.
enum KernelSweep {
    static func random(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float.random(in: range, using: &generator) }
    }

    /// The largest `|actual - expected| / max(1, |expected|)`; infinity when the counts differ or a value is NaN
    /// in one array only.
    static func largestDifference(_ actual: [Float], _ expected: [Float]) -> Float {
        guard actual.count == expected.count else { return .infinity }
        var largest: Float = 0
        for (a, e) in zip(actual, expected) {
            if a.isNaN && e.isNaN { continue }
            if a == e { continue }
            let difference = abs(a - e) / max(1, abs(e))
            guard !difference.isNaN else { return .infinity }
            largest = max(largest, difference)
        }
        return largest
    }
}

private func activateFast(_ activation: Activation, _ input: [Float], threads: Int) -> [Float] {
    var output = [Float](repeating: .nan, count: input.count)
    input.withUnsafeBufferPointer { source in
        output.withUnsafeMutableBufferPointer { activate(activation, input: source, output: $0, threads: threads) }
    }
    return output
}

private func activateReference(_ activation: Activation, _ input: [Float]) -> [Float] {
    var output = [Float](repeating: .nan, count: input.count)
    input.withUnsafeBufferPointer { source in
        output.withUnsafeMutableBufferPointer { ReferenceKernels.activate(activation, input: source, output: $0) }
    }
    return output
}

private func binaryRun(_ binaryOperator: BinaryOperator, _ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int],
                       activation: Activation = .identity, threads: Int? = nil) -> [Float] {
    let count = broadcastShape(aShape, bShape)!.reduce(1, *)
    var output = [Float](repeating: .nan, count: count)
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            output.withUnsafeMutableBufferPointer { output in
                if let threads {
                    binary(binaryOperator, a, shape: aShape, b, shape: bShape, activation: activation, output: output,
                           threads: threads)
                } else {
                    ReferenceKernels.binary(binaryOperator, a, shape: aShape, b, shape: bShape, activation: activation,
                                            output: output)
                }
            }
        }
    }
    return output
}

private let activations: [Activation] = [.identity, .relu, .relu6, .hardSwish, .sigmoid]

@Suite struct ElementwiseTests {
    @Test func broadcastShapes() {
        #expect(broadcastShape([1, 4, 4, 8], [8]) == [1, 4, 4, 8])
        #expect(broadcastShape([1, 1, 1, 8], [2, 4, 4, 8]) == [2, 4, 4, 8])
        #expect(broadcastShape([2, 1, 3], [4, 1]) == [2, 4, 3])
        #expect(broadcastShape([], [2, 3]) == [2, 3])
        #expect(broadcastShape([], []) == [])
        #expect(broadcastShape([3], [4]) == nil)
        #expect(broadcastShape([2, 3], [3, 3]) == nil)
    }

    @Test func activationsMatchReferenceOverCounts() {
        for count in [0, 1, 7, 15, 16, 17, 33, 1000, 300_007] {
            let input = KernelSweep.random(count, seed: UInt64(count), in: -10...10)
            for activation in activations {
                for threads in [1, 2] {
                    let fast = activateFast(activation, input, threads: threads)
                    let reference = activateReference(activation, input)
                    let tolerance: Float = activation == .sigmoid ? 1e-6 : 0
                    #expect(KernelSweep.largestDifference(fast, reference) <= tolerance,
                            "\(activation) count \(count) threads \(threads)")
                }
            }
        }
    }

    @Test func activationInPlace() {
        var values: [Float] = [-7, -3, -1, 0, 0.5, 3, 6.5, 100]
        values.withUnsafeMutableBufferPointer { activate(.relu6, inPlace: $0, threads: 1) }
        #expect(values == [0, 0, 0, 0, 0.5, 3, 6, 6])
        var swish: [Float] = [-4, -3, -1.5, 0, 1.5, 3, 4]
        swish.withUnsafeMutableBufferPointer { activate(.hardSwish, inPlace: $0, threads: 1) }
        #expect(swish == [0, 0, -0.375, 0, 1.125, 3, 4])
    }

    @Test func sigmoidAccuracy() {
        let input = stride(from: Float(-30), through: 30, by: 0.0007).map { $0 }
        let fast = activateFast(.sigmoid, input, threads: 1)
        var worst: Float = 0
        for (x, y) in zip(input, fast) {
            worst = max(worst, abs(y - 1 / (1 + exp(-x))))
        }
        #expect(worst <= 1e-6)

        let extremes: [Float] = [0, 17.5, 50, 100, 1e30, .infinity, -50, -88, -100, -1e30, -.infinity]
        let saturated = activateFast(.sigmoid, extremes, threads: 1)
        #expect(saturated[0] == 0.5)
        #expect(saturated[1...5].allSatisfy { $0 == 1 })
        #expect(abs(saturated[6] - 1 / (1 + exp(50))) < 1e-12)
        #expect(saturated[7...].allSatisfy { $0 >= 0 && $0 < 2e-38 })
        #expect(activateFast(.sigmoid, [.nan], threads: 1)[0].isNaN)
    }

    @Test func binaryHandComputed() {
        #expect(binaryRun(.add, [1, 2], [2], [10], [1], threads: 1) == [11, 12])
        #expect(binaryRun(.multiply, [1, 2], [2, 1], [3, 4], [2], threads: 1) == [3, 4, 6, 8])
        #expect(binaryRun(.multiply, [1, 2], [2, 1], [3, 4], [2]) == [3, 4, 6, 8])
        // Per channel: [1, 1, 2, 2] * [2] with a fused relu6.
        #expect(binaryRun(.multiply, [1, -2, 3, 4], [1, 1, 2, 2], [4, 2], [2], activation: .relu6, threads: 1)
            == [4, 0, 6, 6])
        #expect(binaryRun(.add, [5], [], [2], [], threads: 1) == [7])
    }

    @Test func binaryInPlace() {
        // The output may be the operand that has the output's shape (same-shape, per-channel and general paths).
        for (aShape, bShape) in [([2, 3, 5, 17], [2, 3, 5, 17]), ([2, 3, 5, 17], [17]), ([2, 3, 5, 17], [2, 3, 1, 17])] {
            let a = KernelSweep.random(aShape.reduce(1, *), seed: 40)
            let b = KernelSweep.random(bShape.reduce(1, *), seed: 41)
            let expected = binaryRun(.add, a, aShape, b, bShape, activation: .relu)
            var values = a
            b.withUnsafeBufferPointer { b in
                values.withUnsafeMutableBufferPointer { values in
                    binary(.add, UnsafeBufferPointer(values), shape: aShape, b, shape: bShape, activation: .relu,
                           output: values, threads: 2)
                }
            }
            #expect(values == expected, "\(aShape) \(bShape)")
        }
    }

    @Test func binaryMatchesReferenceOverShapes() {
        let shapePairs: [([Int], [Int])] = [
            ([2, 3, 5, 17], [2, 3, 5, 17]),      // same shape
            ([1], [2, 3, 5, 17]),                // scalar first
            ([2, 3, 5, 17], []),                 // rank-0 scalar
            ([1, 1, 1, 17], [2, 3, 5, 17]),      // per channel, first
            ([2, 3, 5, 33], [33]),               // per channel, lower rank
            ([1, 4, 4, 16], [1, 1, 1, 16]),
            ([2, 3, 5, 1], [2, 3, 5, 17]),       // per pixel against channels
            ([1, 3, 1, 17], [2, 1, 5, 1]),       // both broadcast
            ([2, 1, 5, 7], [3, 1, 7]),
            ([1, 1, 1, 1], [1, 1, 1, 1]),
            ([1, 1, 1, 5], [1, 1, 1, 5]),
            ([1, 96, 96, 32], [1, 1, 1, 32]),    // large enough for two threads
            ([1, 96, 96, 32], [1, 96, 96, 32]),
            ([1, 96, 96, 1], [1, 1, 1, 32]),
        ]
        for (index, (aShape, bShape)) in shapePairs.enumerated() {
            let a = KernelSweep.random(aShape.reduce(1, *), seed: UInt64(2 * index), in: -4...4)
            let b = KernelSweep.random(bShape.reduce(1, *), seed: UInt64(2 * index + 1), in: -4...4)
            for binaryOperator in [BinaryOperator.add, .multiply] {
                for activation in activations {
                    let reference = binaryRun(binaryOperator, a, aShape, b, bShape, activation: activation)
                    for threads in [1, 2] {
                        let fast = binaryRun(binaryOperator, a, aShape, b, bShape, activation: activation,
                                             threads: threads)
                        let tolerance: Float = activation == .sigmoid ? 1e-6 : 0
                        #expect(KernelSweep.largestDifference(fast, reference) <= tolerance,
                                "\(binaryOperator) \(aShape) \(bShape) \(activation) threads \(threads)")
                    }
                }
            }
        }
    }
}
