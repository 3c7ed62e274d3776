import Parallelism

// Mean over axes (TFLite MEAN, ONNX ReduceMean, and global average pooling).

/// The shape of the mean of a `shape` tensor over `axes` (negative counts from the end), or nil when an
/// axis is out of range or repeated. Reduced axes become 1 with `keepDimensions`, and are dropped otherwise.
/// An empty `axes` reduces nothing (ONNX's "all axes" default is the importer's to spell out).
public func meanShape(_ shape: [Int], axes: [Int], keepDimensions: Bool) -> [Int]? {
    guard let reduced = normalizedAxes(axes, rank: shape.count) else { return nil }
    var result: [Int] = []
    for (dimension, length) in shape.enumerated() {
        if !reduced.contains(dimension) {
            result.append(length)
        } else if keepDimensions {
            result.append(1)
        }
    }
    return result
}

/// `axes` in `0..<rank`, sorted, or nil when one is out of range or repeated.
func normalizedAxes(_ axes: [Int], rank: Int) -> [Int]? {
    var result: [Int] = []
    for axis in axes {
        guard let axis = normalizedAxis(axis, rank: rank), !result.contains(axis) else { return nil }
        result.append(axis)
    }
    return result.sorted()
}

extension ReferenceKernels {
    /// The mean of a row-major `shape` tensor over `axes` (negative counts from the end): `output` holds
    /// `meanShape(shape, axes: axes, keepDimensions:)` (the same elements with or without kept dimensions).
    /// Sums in Double.
    public static func mean(_ input: UnsafeBufferPointer<Float>, shape: [Int], axes: [Int],
                            output: UnsafeMutableBufferPointer<Float>) {
        guard let reduced = normalizedAxes(axes, rank: shape.count),
              let outputShape = meanShape(shape, axes: axes, keepDimensions: true)
        else { preconditionFailure("axes \(axes) do not fit shape \(shape)") }
        precondition(input.count == shape.reduce(1, *) && output.count == outputShape.reduce(1, *), "counts")
        var sums = [Double](repeating: 0, count: output.count)
        for index in 0..<input.count {
            // Output offset: the input coordinates with every reduced one set to 0.
            var remainder = index
            var outputOffset = 0
            var outputStride = 1
            for dimension in stride(from: shape.count - 1, through: 0, by: -1) {
                let coordinate = remainder % shape[dimension]
                remainder /= shape[dimension]
                if !reduced.contains(dimension) {
                    outputOffset += coordinate * outputStride
                    outputStride *= shape[dimension]
                }
            }
            sums[outputOffset] += Double(input[index])
        }
        let reducedCount = reduced.reduce(1) { $0 * shape[$1] }
        for index in 0..<output.count {
            output[index] = Float(sums[index] / Double(reducedCount))
        }
    }
}

/// The mean over `axes`, as `ReferenceKernels.mean`. Fast path: NHWC over height and width (axes 1 and 2,
/// output `[N, 1, 1, C]` or `[N, C]`), 16 channels at a time, summing each row before adding it to the total
/// (Float sums, error about (height + width) units in the last place). Other axes use the reference.
public func mean(_ input: UnsafeBufferPointer<Float>, shape: [Int], axes: [Int],
                 output: UnsafeMutableBufferPointer<Float>, threads: Int) {
    guard shape.count == 4, normalizedAxes(axes, rank: 4) == [1, 2] else {
        ReferenceKernels.mean(input, shape: shape, axes: axes, output: output)
        return
    }
    precondition(input.count == shape.reduce(1, *) && output.count == shape[0] * shape[3], "counts")
    spatialMean(input, batch: shape[0], height: shape[1], width: shape[2], channels: shape[3],
                output: output, threads: threads)
}

/// `output[n, c]` = the mean of `input[n, y, x, c]` over all `y, x` (NHWC), vectorised over channels.
func spatialMean(_ input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                 output: UnsafeMutableBufferPointer<Float>, threads: Int) {
    guard let source = input.baseAddress, let destination = output.baseAddress, channels > 0 else { return }
    let channelBlocks = (channels + 15) / 16
    let count = Float(height * width)
    let rowStride = width * channels
    parallelFor(batch * channelBlocks, threads: threadsWorthUsing(threads, work: input.count)) { range in
        for item in range {
            let image = item / channelBlocks
            let channel = (item % channelBlocks) * 16
            let lanes = min(16, channels - channel)
            var total = Vector16.Lanes()
            for y in 0..<height {
                var pixel = source + (image * height + y) * rowStride + channel
                var rowSum = Vector16.Lanes()
                if lanes == 16 {
                    for _ in 0..<width {
                        rowSum += Vector16.load(pixel)
                        pixel += channels
                    }
                } else {
                    for _ in 0..<width {
                        rowSum += Vector16.load(pixel, count: lanes)
                        pixel += channels
                    }
                }
                total += rowSum
            }
            Vector16.store(total / count, destination + image * channels + channel, count: lanes)
        }
    }
}
