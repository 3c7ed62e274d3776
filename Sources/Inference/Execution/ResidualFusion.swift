extension Graph {
    /// Additions that the convolution feeding them can do as it stores its output
    /// (`PackedConvolution.run(concatenating:residual:...)`): for each such addition's node index,
    /// the index of the convolution and the input of the addition that is the residual.
    ///
    /// An addition qualifies when one operand is the output of an ungrouped convolution read by
    /// nothing else (not a graph output) and the other, the residual, is a computed value of the
    /// same shape (no broadcasting). The fused step runs where the addition ran, when both
    /// operands exist. U-2-Net ends every residual block so: `relu(convolution) + input`.
    ///
    /// - Parameter shapes: every value's shape, as the plan inferred them.
    func residualsAddedByConvolutions(shapes: [[Int]?]) -> [Int: (convolution: Int, residual: ValueID)] {
        let (readers, producer) = readersAndProducers()

        var fused: [Int: (convolution: Int, residual: ValueID)] = [:]
        var taken = Set<Int>()
        for (index, node) in nodes.enumerated() {
            guard node.operation == .binary(.add), node.inputs.count == 2, node.outputs.count == 1,
                  node.inputs.allSatisfy({ values.indices.contains($0) && values[$0].constant == nil }),
                  let shape = shapes[node.inputs[0]], shape.count == 4, shapes[node.inputs[1]] == shape,
                  node.inputs[0] != node.inputs[1]
            else { continue }
            for (operand, residual) in [(node.inputs[0], node.inputs[1]), (node.inputs[1], node.inputs[0])] {
                guard readers[operand] == 1, let source = producer[operand], !taken.contains(source),
                      case .convolution(let attributes) = nodes[source].operation, attributes.groups == 1,
                      nodes[source].outputs == [operand]
                else { continue }
                fused[index] = (source, residual)
                taken.insert(source)
                break
            }
        }
        return fused
    }
}
