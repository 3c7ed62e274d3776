extension Graph {
    /// The graph with each activation folded into the convolution or pooling that feeds it, when
    /// that producer has no activation of its own and nothing else reads its output (ONNX writes
    /// Conv then Relu as two nodes; running them as one saves a pass over the tensor).
    func fusingActivations() -> Graph {
        let (readers, producer) = readersAndProducers()

        var fused = self
        var removed = Set<Int>()
        for (index, node) in nodes.enumerated() {
            guard case .activation(let activation) = node.operation, node.inputs.count == 1,
                  let source = producer[node.inputs[0]], readers[node.inputs[0]] == 1,
                  !removed.contains(source)
            else { continue }
            switch fused.nodes[source].operation {
            case .convolution(var convolution) where convolution.activation == .identity:
                convolution.activation = activation
                fused.nodes[source].operation = .convolution(convolution)
            case .pool(var pooling) where pooling.activation == .identity:
                pooling.activation = activation
                fused.nodes[source].operation = .pool(pooling)
            default:
                continue
            }
            // The producer now writes the activation's output directly.
            fused.nodes[source].outputs = node.outputs
            removed.insert(index)
        }
        fused.nodes = fused.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        return fused
    }
}
