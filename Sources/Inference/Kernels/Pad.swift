import Parallelism

// Zero padding of a row-major tensor (TFLite PAD with its default constant 0).

/// The shape of `shape` padded by `before[d]` elements before and `after[d]` after along each axis `d`,
/// or nil when the lists do not match the rank or an amount is negative.
public func paddedShape(_ shape: [Int], before: [Int], after: [Int]) -> [Int]? {
    guard before.count == shape.count, after.count == shape.count,
          before.allSatisfy({ $0 >= 0 }), after.allSatisfy({ $0 >= 0 }) else { return nil }
    return shape.indices.map { shape[$0] + before[$0] + after[$0] }
}

extension ReferenceKernels {
    /// Pads a row-major `shape` tensor with zeros: output element at coordinates `c` is the input at
    /// `c - before` when that lies inside the input, else 0. `output` holds `paddedShape(shape, ...)`.
    /// One element at a time.
    public static func pad(_ input: UnsafeBufferPointer<Float>, shape: [Int], before: [Int], after: [Int],
                           output: UnsafeMutableBufferPointer<Float>) {
        guard let outputShape = paddedShape(shape, before: before, after: after) else {
            preconditionFailure("padding \(before), \(after) does not fit shape \(shape)")
        }
        precondition(input.count == shape.reduce(1, *) && output.count == outputShape.reduce(1, *), "counts")
        for index in 0..<output.count {
            var remainder = index
            var inputOffset = 0, inputStride = 1
            var inside = true
            for dimension in stride(from: shape.count - 1, through: 0, by: -1) {
                let coordinate = remainder % outputShape[dimension] - before[dimension]
                remainder /= outputShape[dimension]
                if coordinate < 0 || coordinate >= shape[dimension] { inside = false }
                inputOffset += coordinate * inputStride
                inputStride *= shape[dimension]
            }
            output[index] = inside ? input[inputOffset] : 0
        }
    }
}

/// Pads as `ReferenceKernels.pad`, a row at a time: every output row (all axes but the last fixed)
/// either lies in the padding and is zero-filled, or is zeros, one copied input row, zeros.
/// Along NHWC's channel axis (how BlazeFace widens its residual branches) that is one copy per pixel.
public func pad(_ input: UnsafeBufferPointer<Float>, shape: [Int], before: [Int], after: [Int],
                output: UnsafeMutableBufferPointer<Float>, threads: Int) {
    guard let outputShape = paddedShape(shape, before: before, after: after) else {
        preconditionFailure("padding \(before), \(after) does not fit shape \(shape)")
    }
    precondition(input.count == shape.reduce(1, *) && output.count == outputShape.reduce(1, *), "counts")
    guard let last = shape.indices.last, output.count > 0, let outputStart = output.baseAddress else { return }
    let rowLength = shape[last], outputRowLength = outputShape[last]
    let rows = output.count / outputRowLength
    parallelFor(rows, threads: threadsWorthUsing(threads, work: output.count)) { range in
        for row in range {
            let destination = outputStart + row * outputRowLength
            // The input row this output row copies, if any: its outer coordinates less `before`.
            var remainder = row
            var inputRow = 0, inputStride = 1
            var inside = rowLength > 0
            for dimension in stride(from: last - 1, through: 0, by: -1) {
                let coordinate = remainder % outputShape[dimension] - before[dimension]
                remainder /= outputShape[dimension]
                if coordinate < 0 || coordinate >= shape[dimension] { inside = false }
                inputRow += coordinate * inputStride
                inputStride *= shape[dimension]
            }
            guard inside, let inputStart = input.baseAddress else {
                destination.update(repeating: 0, count: outputRowLength)
                continue
            }
            destination.update(repeating: 0, count: before[last])
            Vector16.copy(inputStart + inputRow * rowLength, destination + before[last], count: rowLength)
            (destination + before[last] + rowLength).update(repeating: 0, count: after[last])
        }
    }
}
