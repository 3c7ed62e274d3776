extension Graph {
    /// Concatenations that a convolution can read in parts instead (`PackedConvolution.run(concatenating:)`):
    /// for each such convolution's node index, the index of the concatenation node it absorbs.
    ///
    /// A concatenation qualifies when it joins NHWC tensors along channels, its output is read by
    /// nothing but one ungrouped convolution (as that convolution's input `x`, not a graph output),
    /// and its parts are computed values, not constants. U-2-Net's decoders concatenate the
    /// upsampled deeper stage with the skip connection before every convolution; gathered this way
    /// the joined tensor is never written, each input row being copied once into the convolution's
    /// row buffer, which it copies anyway.
    ///
    ///
    /// A part that is a resize read by nothing else is gathered from the resize's input, each row
    /// interpolated as it is buffered (U-2-Net upsamples every deeper stage only to concatenate it).
    ///
    /// - Parameter shapes: every value's shape, as the plan inferred them.
    func concatenationsGatheredByConvolutions(shapes: [[Int]?]) -> [Int: GatheredConcatenation] {
        var readers = [Int](repeating: 0, count: values.count)
        var reader = [Int?](repeating: nil, count: values.count)
        for (index, node) in nodes.enumerated() {
            for id in node.inputs where values.indices.contains(id) {
                readers[id] += 1
                reader[id] = index
            }
        }
        for id in outputs where values.indices.contains(id) { readers[id] += 1 }
        var producer = [Int?](repeating: nil, count: values.count)
        for (index, node) in nodes.enumerated() {
            for id in node.outputs where values.indices.contains(id) { producer[id] = index }
        }

        var gathered: [Int: GatheredConcatenation] = [:]
        for (index, node) in nodes.enumerated() {
            guard case .concatenate(let axis) = node.operation, node.outputs.count == 1,
                  let joined = node.outputs.first, values.indices.contains(joined),
                  let shape = shapes[joined], shape.count == 4, normalizedAxis(axis, rank: 4) == 3,
                  readers[joined] == 1, let convolutionIndex = reader[joined],
                  gathered[convolutionIndex] == nil,
                  node.inputs.allSatisfy({ values.indices.contains($0) && values[$0].constant == nil })
            else { continue }
            let convolution = nodes[convolutionIndex]
            guard case .convolution(let attributes) = convolution.operation, attributes.groups == 1,
                  convolution.inputs.first == joined
            else { continue }
            let resizes = node.inputs.map { part -> Int? in
                guard readers[part] == 1, let source = producer[part], case .resize = nodes[source].operation,
                      let resized = nodes[source].inputs.first, values.indices.contains(resized),
                      values[resized].constant == nil, shapes[resized]?.count == 4
                else { return nil }
                return source
            }
            gathered[convolutionIndex] = GatheredConcatenation(concatenation: index, resizes: resizes)
        }
        return gathered
    }
}

/// A concatenation a convolution gathers (`Graph.concatenationsGatheredByConvolutions`).
struct GatheredConcatenation: Equatable {
    /// The concatenation's node index.
    var concatenation: Int
    /// For each part, the index of the resize node it gathers through, or nil when it reads the part as is.
    var resizes: [Int?]
}
