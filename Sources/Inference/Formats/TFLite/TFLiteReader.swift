/// Reads TensorFlow Lite model files (FlatBuffers, identifier `TFL3`, schema version 3) into a `Graph`.
///
/// The FlatBuffer is read by its own offsets only, so data appended after it (MediaPipe appends a zip of
/// metadata) is ignored. Only subgraph 0 is read. Translation:
/// - Activations must be float32; TFLite's NHWC layout and OHWI convolution weights are the graph's own.
/// - `DEQUANTIZE` of a constant float16 tensor is folded into a float32 constant (no node).
/// - `DEPTHWISE_CONV_2D` becomes a grouped convolution with `groups = inputChannels`, its weights reordered
///   from `[1, KH, KW, C * multiplier]` to `[C * multiplier, KH, KW, 1]`.
/// - Fused activations NONE, RELU and RELU6 are kept on convolutions and pools, and become a separate
///   activation node after `ADD`, `MUL` and `CONCATENATION`.
/// - Axes of `MEAN`, sizes of `RESIZE_BILINEAR` and paddings of `PAD` come from constant int32 tensors and
///   become attributes; `RESHAPE` takes its shape from its constant input, its options or its output tensor.
/// - MediaPipe's custom `Convolution2DTransposeBias` becomes a transposed convolution.
/// Anything else throws `ModelError.unsupported` naming the operator and its first output tensor.
public enum TFLiteReader {
    public static func read(_ bytes: [UInt8]) throws(ModelError) -> Graph {
        var importer = TFLiteImporter(model: try TFLiteModel(bytes))
        return try importer.importGraph()
    }

    /// How many operators of each kind subgraph 0 holds, before any folding: builtin operators by their
    /// schema name (`"CONV_2D"`), custom operators by their custom code.
    public static func operatorCounts(_ bytes: [UInt8]) throws(ModelError) -> [String: Int] {
        let model = try TFLiteModel(bytes)
        var counts: [String: Int] = [:]
        for op in model.operators {
            counts[model.operatorCodes[op.opcodeIndex].name, default: 0] += 1
        }
        return counts
    }
}

/// Translation state: which graph value stands for each TFLite tensor, and which tensors are available
/// (graph inputs, constants, or written by an earlier operator).
struct TFLiteImporter {
    let model: TFLiteModel
    var graph = Graph()
    /// Graph value of each tensor that has one, created when first used.
    private var values: [Int: ValueID] = [:]
    /// Float32 contents of tensors written by a folded `DEQUANTIZE`.
    private var foldedConstants: [Int: Tensor] = [:]
    /// Tensors written by graph inputs or by earlier operators.
    private var written: Set<Int> = []

    init(model: TFLiteModel) {
        self.model = model
    }

    mutating func importGraph() throws(ModelError) -> Graph {
        for input in model.inputs {
            let tensor = model.tensors[input]
            guard try model.constantData(of: input) == nil else {
                throw .malformed("graph input '\(tensor.name)' is a constant")
            }
            try markWritten(input, by: "a graph input")
            graph.inputs.append(try value(of: input))
        }
        for (index, op) in model.operators.enumerated() {
            try translate(TFLiteOperator(info: op, index: index, code: model.operatorCodes[op.opcodeIndex],
                                         model: model))
        }
        for output in model.outputs {
            guard try isAvailable(output) else {
                throw .malformed("graph output '\(model.tensors[output].name)' is never written")
            }
            graph.outputs.append(try value(of: output))
        }
        return graph
    }

    // MARK: Tensors as graph values

    /// Whether `tensor` can be read: a graph input, a constant, or written by an earlier operator.
    func isAvailable(_ tensor: Int) throws(ModelError) -> Bool {
        if written.contains(tensor) { return true }
        return try isConstant(tensor)
    }

    /// Whether `tensor` is a constant: it has data in the file, or a folded operator wrote it.
    func isConstant(_ tensor: Int) throws(ModelError) -> Bool {
        if foldedConstants[tensor] != nil { return true }
        return try model.constantData(of: tensor) != nil
    }

    /// The graph value holding `tensor` as stored in the file (activations must be float32; float16 and
    /// float32 constants become float32 constants).
    mutating func value(of tensor: Int) throws(ModelError) -> ValueID {
        if let id = values[tensor] { return id }
        let info = model.tensors[tensor]
        let value: Graph.Value
        if let constant = try floatConstant(tensor) {
            value = Graph.Value(name: info.name, constant: constant)
        } else {
            guard info.type == TFLiteSchema.TensorType.float32.rawValue else {
                throw .unsupported("tensor '\(info.name)' has type \(info.typeName); activations must be FLOAT32")
            }
            value = Graph.Value(name: info.name, shape: info.shape.isEmpty ? nil : info.shape)
        }
        let id = graph.addValue(value)
        values[tensor] = id
        return id
    }

    /// The float32 contents of a constant tensor (float32 or float16 data, or a folded `DEQUANTIZE`),
    /// or nil when `tensor` is not a constant.
    func floatConstant(_ tensor: Int) throws(ModelError) -> Tensor? {
        if let folded = foldedConstants[tensor] { return folded }
        guard let range = try model.constantData(of: tensor) else { return nil }
        let info = model.tensors[tensor]
        let reader = model.file.reader
        var scalars: [Float] = []
        switch TFLiteSchema.TensorType(rawValue: info.type) {
        case .float32:
            try model.file.charge(range.count, for: "tensor '\(info.name)'")
            scalars.reserveCapacity(info.elementCount)
            for offset in stride(from: range.lowerBound, to: range.upperBound, by: 4) {
                scalars.append(try reader.float32(at: offset))
            }
        case .float16:
            try model.file.charge(range.count * 2, for: "tensor '\(info.name)'")
            scalars.reserveCapacity(info.elementCount)
            for offset in stride(from: range.lowerBound, to: range.upperBound, by: 2) {
                scalars.append(try reader.float16(at: offset))
            }
        default:
            throw .unsupported("constant tensor '\(info.name)' has type \(info.typeName) where float data is read")
        }
        // constantData checked range.count == elementCount * elementSize, so the shape fits the scalars.
        return Tensor(shape: info.shape, scalars: scalars)
    }

    /// The contents of a constant int32 tensor (axes, sizes).
    func intConstant(_ tensor: Int) throws(ModelError) -> [Int]? {
        let info = model.tensors[tensor]
        guard let range = try model.constantData(of: tensor) else { return nil }
        guard info.type == TFLiteSchema.TensorType.int32.rawValue else {
            throw .unsupported("tensor '\(info.name)' has type \(info.typeName) where INT32 is expected")
        }
        var values: [Int] = []
        for offset in stride(from: range.lowerBound, to: range.upperBound, by: 4) {
            values.append(Int(try model.file.reader.int32(at: offset)))
        }
        return values
    }

    /// Records that `tensor` is written; a tensor is written once and never is a constant.
    mutating func markWritten(_ tensor: Int, by writer: String) throws(ModelError) {
        guard try !isAvailable(tensor) else {
            throw .malformed("\(writer) writes tensor '\(model.tensors[tensor].name)', which already has a value")
        }
        written.insert(tensor)
    }

    /// Records a folded constant for `tensor` (the output of a folded operator).
    mutating func setFoldedConstant(_ constant: Tensor, for tensor: Int, by writer: String) throws(ModelError) {
        guard try !isAvailable(tensor) else {
            throw .malformed("\(writer) writes tensor '\(model.tensors[tensor].name)', which already has a value")
        }
        foldedConstants[tensor] = constant
    }

    /// Adds a node, creating values for its input and output tensors.
    mutating func addNode(_ op: TFLiteOperator, _ operation: Operation, inputs: [Int], outputs: [Int])
        throws(ModelError) {
        var inputValues: [ValueID] = []
        for input in inputs {
            guard try isAvailable(input) else {
                throw .malformed("\(op) reads tensor '\(model.tensors[input].name)' before anything writes it")
            }
            inputValues.append(try value(of: input))
        }
        var outputValues: [ValueID] = []
        for output in outputs {
            try markWritten(output, by: "\(op)")
            outputValues.append(try value(of: output))
        }
        graph.nodes.append(Node(name: op.name, operation: operation, inputs: inputValues, outputs: outputValues))
    }

    /// Adds a node whose inputs are given as values already (for reordered weights), then its outputs.
    mutating func addNode(_ op: TFLiteOperator, _ operation: Operation, inputValues: [ValueID],
                          outputs: [Int]) throws(ModelError) {
        var outputValues: [ValueID] = []
        for output in outputs {
            try markWritten(output, by: "\(op)")
            outputValues.append(try value(of: output))
        }
        graph.nodes.append(Node(name: op.name, operation: operation, inputs: inputValues, outputs: outputValues))
    }

    /// The value of an activation input tensor, checked to be available.
    mutating func inputValue(_ tensor: Int, of op: TFLiteOperator) throws(ModelError) -> ValueID {
        guard try isAvailable(tensor) else {
            throw .malformed("\(op) reads tensor '\(model.tensors[tensor].name)' before anything writes it")
        }
        return try value(of: tensor)
    }

    /// A new value for a node's output, not tied to any tensor (e.g. the result before a fused activation).
    mutating func addIntermediate(named name: String, shape: [Int]) -> ValueID {
        graph.addValue(Graph.Value(name: name, shape: shape.isEmpty ? nil : shape))
    }
}
