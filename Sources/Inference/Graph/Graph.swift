/// Index of a value (a tensor that flows between nodes) in `Graph.values`.
public typealias ValueID = Int

/// A format-neutral computation graph. Model-file front ends (TFLite, ONNX) translate into it;
/// the execution plan reads it.
///
/// Conventions every front end follows:
/// - Activations are NHWC float32 (an NCHW format transposes at its edges).
/// - Convolution weights are OHWI: `[outputChannels, kernelHeight, kernelWidth, inputChannels / groups]`.
/// - Weights and biases are constant values; quantised or float16 weights are dequantised on import.
/// - Nodes are stored in an order where every input is produced before it is read.
public struct Graph: Sendable {
    public struct Value: Sendable {
        public var name: String
        /// Known shape, if the file states it; the plan infers the rest.
        public var shape: [Int]?
        /// The value's contents when it is a constant (weights, biases, folded shapes).
        public var constant: Tensor?

        public init(name: String, shape: [Int]? = nil, constant: Tensor? = nil) {
            self.name = name
            self.shape = shape ?? constant?.shape
            self.constant = constant
        }
    }

    public var values: [Value] = []
    public var nodes: [Node] = []
    public var inputs: [ValueID] = []
    public var outputs: [ValueID] = []

    public init() {}

    /// Adds a value and returns its ID.
    @discardableResult
    public mutating func addValue(_ value: Value) -> ValueID {
        values.append(value)
        return values.count - 1
    }

    public func value(named name: String) -> ValueID? {
        values.firstIndex { $0.name == name }
    }

    /// Per value: how many node inputs and graph outputs read it, and the index of the node that
    /// computes it (nil for graph inputs and constants). IDs outside `values` are skipped. What the
    /// fusion passes ask before they let one step absorb another.
    func readersAndProducers() -> (readers: [Int], producers: [Int?]) {
        var readers = [Int](repeating: 0, count: values.count)
        for node in nodes { for id in node.inputs where values.indices.contains(id) { readers[id] += 1 } }
        for id in outputs where values.indices.contains(id) { readers[id] += 1 }
        var producers = [Int?](repeating: nil, count: values.count)
        for (index, node) in nodes.enumerated() {
            for id in node.outputs where values.indices.contains(id) { producers[id] = index }
        }
        return (readers, producers)
    }
}

/// One operation applied to input values, producing output values.
public struct Node: Sendable {
    public var name: String
    public var operation: Operation
    public var inputs: [ValueID]
    public var outputs: [ValueID]

    public init(name: String, operation: Operation, inputs: [ValueID], outputs: [ValueID]) {
        self.name = name
        self.operation = operation
        self.inputs = inputs
        self.outputs = outputs
    }
}
