import Inference
import Testing

private func poolRun(_ kind: Pooling.Kind, _ input: [Float], _ geometry: PoolingGeometry,
                     activation: Activation = .identity, threads: Int? = nil) -> [Float] {
    var output = [Float](repeating: .nan, count: geometry.outputCount)
    input.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { output in
            if let threads {
                pool(kind, input: input, output: output, geometry: geometry, activation: activation, threads: threads)
            } else {
                ReferenceKernels.pool(kind, input: input, output: output, geometry: geometry, activation: activation)
            }
        }
    }
    return output
}

@Suite struct PoolingTests {
    @Test func outputLengths() {
        func length(_ input: Int, _ kernel: Int, _ stride: Int, _ before: Int, _ after: Int, ceil: Bool) -> Int {
            PoolingGeometry.outputLength(inputLength: input, kernel: kernel, stride: stride, padBefore: before,
                                         padAfter: after, ceilMode: ceil)
        }
        // U-2-Net's MaxPool 2x2 stride 2 ceil_mode: odd lengths keep a last window over one cell.
        #expect(length(320, 2, 2, 0, 0, ceil: true) == 160)
        #expect(length(5, 2, 2, 0, 0, ceil: false) == 2)
        #expect(length(5, 2, 2, 0, 0, ceil: true) == 3)
        #expect(length(1, 2, 2, 0, 0, ceil: true) == 0)
        #expect(length(1, 1, 2, 0, 0, ceil: true) == 1)
        // A last window starting in the end padding is dropped: 3 cells, kernel 2, stride 2, pads 1 and 1
        // give windows starting at padded 0, 2 and 4; 4 is padding only.
        #expect(length(3, 2, 2, 1, 1, ceil: true) == 2)
        #expect(length(3, 2, 2, 1, 1, ceil: false) == 2)
        #expect(length(6, 3, 2, 1, 1, ceil: true) == 4)
        #expect(length(6, 3, 2, 1, 1, ceil: false) == 3)
        #expect(length(2, 3, 1, 0, 0, ceil: false) == 0)
    }

    @Test func geometryResolution() throws {
        // TensorFlow SAME: 7 with kernel 3 stride 2 gives 4, total padding 2, one before.
        let same = try PoolingGeometry(inputShape: [1, 7, 8, 3], pooling: Pooling(
            kind: .max, kernel: (3, 3), strides: (2, 2), padding: .same))
        #expect(same.outputHeight == 4 && same.outputWidth == 4 && same.padTop == 1 && same.padLeft == 0)
        // TFLite global average pooling (MediaPipe selfie): filter = stride = the spatial size, VALID.
        let global = try PoolingGeometry(inputShape: [1, 16, 16, 96], pooling: Pooling(
            kind: .average, kernel: (16, 16), strides: (16, 16), padding: .valid))
        #expect(global.outputHeight == 1 && global.outputWidth == 1 && global.isGlobal)
        let ceil = try PoolingGeometry(inputShape: [1, 5, 7, 4], pooling: Pooling(
            kind: .max, kernel: (2, 2), strides: (2, 2), padding: .explicit(top: 0, left: 0, bottom: 0, right: 0),
            ceilMode: true))
        #expect(ceil.outputHeight == 3 && ceil.outputWidth == 4 && !ceil.isGlobal)

        #expect(throws: ModelError.self) {
            try PoolingGeometry(inputShape: [1, 5, 5, 4], pooling: Pooling(
                kind: .max, kernel: (2, 2), strides: (1, 1), padding: .explicit(top: 2, left: 0, bottom: 0, right: 0)))
        }
        #expect(throws: ModelError.self) {
            try PoolingGeometry(inputShape: [1, 5, 5, 4], pooling: Pooling(
                kind: .max, kernel: (6, 2), strides: (1, 1), padding: .valid))
        }
        #expect(throws: ModelError.self) {
            try PoolingGeometry(inputShape: [1, 5, 5], pooling: Pooling(
                kind: .max, kernel: (2, 2), strides: (1, 1), padding: .valid))
        }
        #expect(throws: ModelError.self) {
            try PoolingGeometry(inputShape: [1, 5, 5, 2], pooling: Pooling(
                kind: .max, kernel: (2, 2), strides: (0, 1), padding: .valid))
        }
    }

    @Test func handComputed() throws {
        // [1, 2, 2, 1] = [[1, 2], [3, 4]], kernel 2 stride 1 SAME: padding 1 after, excluded from averages.
        let geometry = try PoolingGeometry(inputShape: [1, 2, 2, 1], pooling: Pooling(
            kind: .average, kernel: (2, 2), strides: (1, 1), padding: .same))
        let input: [Float] = [1, 2, 3, 4]
        for threads in [nil, 1] as [Int?] {
            #expect(poolRun(.average, input, geometry, threads: threads) == [2.5, 3, 3.5, 4])
            #expect(poolRun(.max, input, geometry, threads: threads) == [4, 4, 4, 4])
            #expect(poolRun(.average, input, geometry, activation: .relu6, threads: threads) == [2.5, 3, 3.5, 4])
        }
        // Max 2x2 stride 2 ceil mode over 3x3: the last row and column pool what is left.
        let ceil = try PoolingGeometry(inputShape: [1, 3, 3, 1], pooling: Pooling(
            kind: .max, kernel: (2, 2), strides: (2, 2), padding: .valid, ceilMode: true))
        let grid: [Float] = [1, 9, 2, 4, 3, 8, 7, 5, 6]
        #expect(poolRun(.max, grid, ceil, threads: 1) == [9, 8, 7, 6])
        #expect(poolRun(.average, grid, ceil, threads: 1) == [4.25, 5, 6, 6])
    }

    @Test func matchesReferenceOverGeometries() throws {
        let inputSizes: [(Int, Int)] = [(1, 1), (5, 7), (8, 8), (9, 6)]
        let channelCounts = [1, 3, 16, 17, 40]
        let paddings: [Padding] = [.valid, .same, .explicit(top: 1, left: 0, bottom: 0, right: 1)]
        var seed: UInt64 = 0
        var cases = 0
        for (height, width) in inputSizes {
            for channels in channelCounts {
                let batch = channels == 3 ? 2 : 1
                let shape = [batch, height, width, channels]
                seed += 1
                let input = KernelSweep.random(shape.reduce(1, *), seed: seed, in: -2...2)
                for kernel in [(1, 1), (2, 2), (3, 3), (2, 3)] {
                    for stride in [(1, 1), (2, 2), (3, 2)] {
                        for padding in paddings {
                            for ceilMode in [false, true] {
                                for kind in [Pooling.Kind.average, .max] {
                                    let pooling = Pooling(kind: kind, kernel: kernel, strides: stride, padding: padding,
                                                          ceilMode: ceilMode)
                                    guard let geometry = try? PoolingGeometry(inputShape: shape, pooling: pooling)
                                    else { continue }
                                    let activation: Activation = ceilMode ? .relu6 : .identity
                                    let reference = poolRun(kind, input, geometry, activation: activation)
                                    let fast = poolRun(kind, input, geometry, activation: activation, threads: 1)
                                    #expect(KernelSweep.largestDifference(fast, reference) <= 1e-6,
                                            "\(kind) \(shape) \(geometry)")
                                    cases += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(cases > 500)
    }

    @Test func largeAndGlobalPools() throws {
        // U-2-Net's max pool on a large map, and global averages (the mean's path), over two threads.
        let shapes: [[Int]] = [[1, 80, 80, 64], [1, 41, 33, 16]]
        for (index, shape) in shapes.enumerated() {
            let input = KernelSweep.random(shape.reduce(1, *), seed: UInt64(100 + index))
            let maxPool = try PoolingGeometry(inputShape: shape, pooling: Pooling(
                kind: .max, kernel: (2, 2), strides: (2, 2), padding: .valid, ceilMode: true))
            let reference = poolRun(.max, input, maxPool)
            #expect(poolRun(.max, input, maxPool, threads: 2) == reference)
            let global = try PoolingGeometry(inputShape: shape, pooling: Pooling(
                kind: .average, kernel: (shape[1], shape[2]), strides: (shape[1], shape[2]), padding: .valid))
            for kind in [Pooling.Kind.average, .max] {
                let globalReference = poolRun(kind, input, global, activation: .hardSwish)
                for threads in [1, 2] {
                    #expect(KernelSweep.largestDifference(poolRun(kind, input, global, activation: .hardSwish,
                                                                  threads: threads), globalReference) <= 1e-5)
                }
            }
        }
    }
}
