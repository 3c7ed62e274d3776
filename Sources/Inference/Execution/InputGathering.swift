extension Graph {
    /// Convolutions that read their input `x` straight from the operators that made it, so that `x`
    /// is never stored whole (`PackedConvolution.run(parts:...)`): for each such convolution's
    /// node index, what it gathers.
    ///
    /// Only ungrouped convolutions gather, and only values that nothing else reads (nor a graph
    /// output). Such an `x` may be:
    /// - a concatenation of NHWC tensors along channels, of computed values (not constants): the
    ///   convolution's row buffer (`ConvolutionRows`), which it fills anyway, copies each input row
    ///   from the parts;
    /// - or a part of that concatenation, or `x` itself, may be a resize or a pooling (without
    ///   activation, not global) of a computed NHWC value: its rows are computed as they are buffered.
    /// U-2-Net concatenates an upsampled deeper stage with the skip connection before every decoder
    /// convolution, and max-pools before every encoder one.
    ///
    /// - Parameter shapes: every value's shape, as the plan inferred them.
    func inputsGatheredByConvolutions(shapes: [[Int]?]) -> [Int: GatheredInput] {
        let (readers, producer) = readersAndProducers()

        /// The resize or pooling node computing `id`, when its rows can be computed by the reader.
        func rowProducer(_ id: ValueID) -> Int? {
            guard readers[id] == 1, let source = producer[id], nodes[source].outputs == [id],
                  let input = nodes[source].inputs.first, values.indices.contains(input),
                  values[input].constant == nil, let inputShape = shapes[input], inputShape.count == 4
            else { return nil }
            switch nodes[source].operation {
            case .resize:
                return source
            case .pool(let pooling) where pooling.activation == .identity:
                guard let geometry = try? PoolingGeometry(inputShape: inputShape, pooling: pooling),
                      !(pooling.kind == .average && geometry.isGlobal)
                else { return nil }
                return source
            default:
                return nil
            }
        }

        var gathered: [Int: GatheredInput] = [:]
        for (index, node) in nodes.enumerated() {
            guard case .convolution(let attributes) = node.operation, attributes.groups == 1,
                  let x = node.inputs.first, values.indices.contains(x), readers[x] == 1,
                  let shape = shapes[x], shape.count == 4, let source = producer[x]
            else { continue }
            let joining = nodes[source]
            if case .concatenate(let axis) = joining.operation, joining.outputs == [x], normalizedAxis(axis, rank: 4) == 3,
               joining.inputs.allSatisfy({ values.indices.contains($0) && values[$0].constant == nil }) {
                gathered[index] = GatheredInput(concatenation: source, producers: joining.inputs.map(rowProducer))
            } else if let rows = rowProducer(x) {
                gathered[index] = GatheredInput(concatenation: nil, producers: [rows])
            }
        }
        return gathered
    }
}

/// What a convolution gathers (`Graph.inputsGatheredByConvolutions`).
struct GatheredInput: Equatable {
    /// The concatenation's node index, or nil when `x` is one part.
    var concatenation: Int?
    /// For each part (the concatenation's inputs, or `x`), the index of the resize or pooling node
    /// it is computed by as rows are buffered, or nil when the part is read as it is.
    var producers: [Int?]
}
