import Parallelism

// Concatenation of row-major tensors along one axis (ONNX Concat, TFLite CONCATENATION).

/// The shape of `shapes` concatenated along `axis`, or nil when they cannot be: no parts, different ranks,
/// lengths that differ off the axis, or an axis outside `-rank..<rank` (negative counts from the end).
public func concatenatedShape(_ shapes: [[Int]], axis: Int) -> [Int]? {
    guard let first = shapes.first, let axis = normalizedAxis(axis, rank: first.count) else { return nil }
    var shape = first
    shape[axis] = 0
    for part in shapes {
        guard part.count == first.count else { return nil }
        for dimension in 0..<part.count where dimension != axis && part[dimension] != first[dimension] {
            return nil
        }
        shape[axis] += part[axis]
    }
    return shape
}

/// `axis` in `0..<rank`, counting a negative axis from the end; nil when out of range.
func normalizedAxis(_ axis: Int, rank: Int) -> Int? {
    let normalized = axis < 0 ? axis + rank : axis
    return (0..<rank).contains(normalized) ? normalized : nil
}

extension ReferenceKernels {
    /// Concatenates row-major `inputs` (shapes `shapes`) along `axis` (negative counts from the end) into
    /// `output`, which holds `concatenatedShape(shapes, axis: axis)`. One element at a time.
    public static func concatenate(_ inputs: [UnsafeBufferPointer<Float>], shapes: [[Int]], axis: Int,
                                   output: UnsafeMutableBufferPointer<Float>) {
        guard let shape = concatenatedShape(shapes, axis: axis), let axis = normalizedAxis(axis, rank: shape.count)
        else { preconditionFailure("shapes \(shapes) do not concatenate along axis \(axis)") }
        precondition(inputs.count == shapes.count && output.count == shape.reduce(1, *), "counts")
        for (part, input) in inputs.enumerated() {
            precondition(input.count == shapes[part].reduce(1, *), "input \(part) count")
        }
        for index in 0..<output.count {
            // Coordinates of `index` in the output, last axis fastest.
            var coordinates = [Int](repeating: 0, count: shape.count)
            var remainder = index
            for dimension in stride(from: shape.count - 1, through: 0, by: -1) {
                coordinates[dimension] = remainder % shape[dimension]
                remainder /= shape[dimension]
            }
            // Find the part holding the coordinate along the axis.
            var part = 0
            while coordinates[axis] >= shapes[part][axis] {
                coordinates[axis] -= shapes[part][axis]
                part += 1
            }
            var offset = 0
            for dimension in 0..<shape.count {
                offset = offset * shapes[part][dimension] + coordinates[dimension]
            }
            output[index] = inputs[part][offset]
        }
    }
}

/// Concatenates along `axis`, as `ReferenceKernels.concatenate`, by block copies: for each index of the
/// axes before `axis`, each part contributes one contiguous block of `shape[axis] * (product of later axes)`
/// elements. Along the channel axis of NHWC that is one copy of each part's channels per pixel.
public func concatenate(_ inputs: [UnsafeBufferPointer<Float>], shapes: [[Int]], axis: Int,
                        output: UnsafeMutableBufferPointer<Float>, threads: Int) {
    guard let shape = concatenatedShape(shapes, axis: axis), let axis = normalizedAxis(axis, rank: shape.count)
    else { preconditionFailure("shapes \(shapes) do not concatenate along axis \(axis)") }
    precondition(inputs.count == shapes.count && output.count == shape.reduce(1, *), "counts")
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    var sources: [UnsafePointer<Float>] = []
    var blockLengths: [Int] = []
    for (part, input) in inputs.enumerated() {
        precondition(input.count == shapes[part].reduce(1, *), "input \(part) count")
        let blockLength = shapes[part][axis] * inner
        guard blockLength > 0, let start = input.baseAddress else { continue }
        sources.append(start)
        blockLengths.append(blockLength)
    }
    let outputBlockLength = shape[axis] * inner
    guard outer > 0, outputBlockLength > 0, let outputStart = output.baseAddress else { return }
    parallelFor(outer, threads: threadsWorthUsing(threads, work: output.count)) { range in
        for block in range {
            var destination = outputStart + block * outputBlockLength
            for (source, length) in zip(sources, blockLengths) {
                Vector16.copy(source + block * length, destination, count: length)
                destination += length
            }
        }
    }
}
