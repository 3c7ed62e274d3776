/// Reads ONNX model files (protobuf `ModelProto`, IR versions 3 to 11, default-domain operator sets 7 to 23)
/// into a `Graph`, specialised to fixed input shapes.
///
/// Layout: ONNX images are NCHW, the graph's are NHWC. Every rank-4 value changes layout at import:
/// - Graph inputs of rank 4 are declared NHWC: an ONNX input `[N, C, H, W]` becomes a graph input
///   `[N, H, W, C]`, and callers feed NHWC tensors. Other ranks keep their shape.
/// - Graph outputs of rank 4 are NHWC `[N, H, W, C]` too. With one channel (U-2-Net's `[1, 1, 320, 320]`
///   maps) the NHWC and NCHW bytes are identical.
/// - Convolution weights OIHW become OHWI; constants read beside rank-4 activations (biases of `Add`,
///   `Concat` operands) are broadcast to rank 4 and transposed alike; axes of rank-4 `Concat` map
///   N, C, H, W to 0, 3, 1, 2.
///
/// Shapes: the reader tracks every value's static shape (in ONNX's layout for `Shape`), so the integer
/// computations that feed shape-taking operands (PyTorch's Shape, Gather, Unsqueeze, Slice, Cast, Concat
/// before `Resize`'s `sizes`) fold to constants (`ShapeFolding`). A graph read for one input shape must be
/// run with that shape; `read(_:inputShapes:)` specialises a model to other sizes.
///
/// Refused with `ModelError.unsupported` naming the operator and node: operators without a translation
/// (`ONNXOperators.swift` lists those with one), attributes with no counterpart, and computations left
/// that the graph cannot run. External or sparse weights are refused too.
public enum ONNXReader {
    public static let supportedIRVersions: ClosedRange<Int64> = 3...11
    public static let supportedOperatorSets: ClosedRange<Int64> = 7...23

    /// Reads a model whose inputs all have fixed shapes in the file.
    public static func read(_ bytes: [UInt8]) throws(ModelError) -> Graph {
        try read(bytes, inputShapes: [:])
    }

    /// Reads a model specialised to `inputShapes`: ONNX-layout shapes (NCHW for images) by input name,
    /// for inputs whose file shape is symbolic or that should take another size. Inputs not named keep the
    /// file's shape.
    public static func read(_ bytes: [UInt8], inputShapes: [String: [Int]]) throws(ModelError) -> Graph {
        var importer = try ONNXImporter(model: ONNXModel(bytes), inputShapes: inputShapes)
        return try importer.importGraph()
    }

    /// How many nodes of each operator type the file's graph holds, before any folding.
    public static func operatorCounts(_ bytes: [UInt8]) throws(ModelError) -> [String: Int] {
        guard let graph = try ONNXModel(bytes).graph else { throw .malformed("the ONNX model has no graph") }
        var counts: [String: Int] = [:]
        for node in graph.nodes { counts[node.operatorType, default: 0] += 1 }
        return counts
    }
}

/// Translation state: what each ONNX value name stands for, and the graph built so far.
struct ONNXImporter {
    enum Value {
        /// Computed when the graph runs: its graph value and its shape in the graph's layout (NHWC when
        /// rank 4).
        case activation(ValueID, shape: [Int])
        /// Known at import: a decoded initializer, a `Constant`, or a folded result.
        case constant(ConstantTensor)
        /// An initializer (index into the graph's list), decoded when first read.
        case initializer(Int)
    }

    /// Folded results may hold this many elements in all, bounding import time on hostile files.
    static let foldingBudget = 1 << 26

    let model: ONNXModel
    let source: ONNXGraph
    /// The default-domain operator set version the nodes bind to.
    let operatorSet: Int64
    let inputShapes: [String: [Int]]
    var graph = Graph()
    var values: [String: Value] = [:]
    /// Graph values already made for constants, by name and arrangement (see `constantValue`).
    private var constantValues: [String: ValueID] = [:]
    private var foldedCount = 0

    init(model: ONNXModel, inputShapes: [String: [Int]]) throws(ModelError) {
        guard model.irVersion != 0 else {
            throw .malformed("the model states no ONNX IR version (field 1 of ModelProto): not an ONNX model")
        }
        guard ONNXReader.supportedIRVersions.contains(model.irVersion) else {
            throw .unsupported("ONNX IR version \(model.irVersion) (this reader reads "
                               + "\(ONNXReader.supportedIRVersions.lowerBound) to \(ONNXReader.supportedIRVersions.upperBound))")
        }
        let defaults = model.operatorSets.filter { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard let operatorSet = defaults.map(\.version).max() else {
            throw .malformed("the ONNX model imports no default-domain operator set")
        }
        guard ONNXReader.supportedOperatorSets.contains(operatorSet) else {
            throw .unsupported("ONNX operator set \(operatorSet) (this reader reads "
                               + "\(ONNXReader.supportedOperatorSets.lowerBound) to \(ONNXReader.supportedOperatorSets.upperBound))")
        }
        guard let source = model.graph else { throw .malformed("the ONNX model has no graph") }
        guard source.sparseInitializerCount == 0 else { throw .unsupported("sparse initializers") }
        self.model = model
        self.source = source
        self.operatorSet = operatorSet
        self.inputShapes = inputShapes
    }

    mutating func importGraph() throws(ModelError) -> Graph {
        for (index, tensor) in source.initializers.enumerated() {
            guard !tensor.name.isEmpty else { throw .malformed("initializer \(index) has no name") }
            guard values[tensor.name] == nil else { throw .malformed("two initializers are named '\(tensor.name)'") }
            values[tensor.name] = .initializer(index)
        }
        var named = Set<String>()
        for input in source.inputs {
            // Before IR 4 initializers were listed as inputs too; they stay constants.
            if case .initializer = values[input.name] { continue }
            guard named.insert(input.name).inserted else { throw .malformed("two inputs are named '\(input.name)'") }
            try addInput(input)
        }
        for name in inputShapes.keys.sorted() where !named.contains(name) {
            throw .invalidInput("the model has no input named '\(name)' to give a shape")
        }
        for (index, node) in source.nodes.enumerated() {
            try translate(ONNXOperator(node: node, index: index, operatorSet: operatorSet))
        }
        guard !source.outputs.isEmpty else { throw .malformed("the ONNX graph has no outputs") }
        for output in source.outputs {
            graph.outputs.append(try outputValue(output.name))
        }
        return graph
    }

    // MARK: Graph inputs and outputs

    private mutating func addInput(_ input: ONNXValueInfo) throws(ModelError) {
        let name = input.name
        guard !name.isEmpty else { throw .malformed("a graph input has no name") }
        guard let type = input.type, type.isTensor else { throw .unsupported("input '\(name)' is not a tensor") }
        guard type.elementType == ONNXDataType.float else {
            throw .unsupported("input '\(name)' has element type \(ONNXDataType.name(type.elementType)); "
                               + "inputs must be FLOAT")
        }
        var shape: [Int] = []
        if let given = inputShapes[name] {
            shape = given
        } else {
            guard let dimensions = type.shape else {
                throw .unsupported("input '\(name)' states no shape; give one in inputShapes")
            }
            for dimension in dimensions {
                switch dimension {
                case .value(let length) where length > 0 && length <= Int64(ONNXTensor.maximumElementCount):
                    shape.append(Int(length))
                case .parameter(let symbol):
                    throw .unsupported("input '\(name)' has the symbolic dimension '\(symbol)'; give its shape in inputShapes")
                default:
                    throw .unsupported("input '\(name)' has dimensions \(dimensions); give its shape in inputShapes")
                }
            }
        }
        guard shape.count <= ONNXTensor.maximumRank, shape.allSatisfy({ $0 > 0 }),
              let count = checkedCount(shape), count <= ONNXTensor.maximumElementCount else {
            throw .invalidInput("input '\(name)' cannot take the shape \(shape)")
        }
        let graphShape = Self.graphShape(shape)
        let id = graph.addValue(Graph.Value(name: name, shape: graphShape))
        graph.inputs.append(id)
        values[name] = .activation(id, shape: graphShape)
    }

    private mutating func outputValue(_ name: String) throws(ModelError) -> ValueID {
        guard values[name] != nil else { throw .malformed("graph output '\(name)' is never written") }
        switch try value(name, reader: "graph output '\(name)'") {
        case .activation(let id, _): return id
        case .constant(let constant):
            guard case .float = constant.elements else {
                throw .unsupported("graph output '\(name)' is \(constant.typeName); outputs must be FLOAT")
            }
            return constantValue(name, constant, arrangedFor: constant.shape.count)
        case .initializer: throw .malformed("graph output '\(name)' was not decoded")
        }
    }

    // MARK: Layout

    /// An ONNX shape in the graph's layout: rank 4 `[N, C, H, W]` becomes `[N, H, W, C]`.
    static func graphShape(_ shape: [Int]) -> [Int] {
        shape.count == 4 ? [shape[0], shape[2], shape[3], shape[1]] : shape
    }

    /// A graph shape in ONNX's layout: rank 4 `[N, H, W, C]` becomes `[N, C, H, W]`.
    static func onnxShape(_ shape: [Int]) -> [Int] {
        shape.count == 4 ? [shape[0], shape[3], shape[1], shape[2]] : shape
    }

    /// The graph axis of ONNX axis `axis` (non-negative) of a rank-`rank` value.
    static func graphAxis(_ axis: Int, rank: Int) -> Int {
        rank == 4 ? [0, 3, 1, 2][axis] : axis
    }

    /// A rank-4 NCHW tensor's elements in NHWC order.
    static func nhwcElements(_ values: [Float], nchw shape: [Int]) -> [Float] {
        let (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        var result = [Float](repeating: 0, count: values.count)
        var source = 0
        for n in 0..<batch {
            for c in 0..<channels {
                for y in 0..<height {
                    for x in 0..<width {
                        result[((n * height + y) * width + x) * channels + c] = values[source]
                        source += 1
                    }
                }
            }
        }
        return result
    }

    // MARK: Values

    /// What `name` stands for, decoding an initializer on first use.
    mutating func value(_ name: String, reader: String) throws(ModelError) -> Value {
        guard let value = values[name] else {
            throw .malformed("\(reader) reads '\(name)' before anything writes it")
        }
        guard case .initializer(let index) = value else { return value }
        let tensor = source.initializers[index]
        let constant = Value.constant(try tensor.contents(in: model.bytes, "initializer '\(name)'"))
        values[name] = constant
        return constant
    }

    /// The ONNX-layout shape of `name`, whatever it is.
    mutating func onnxShape(of name: String, reader: String) throws(ModelError) -> [Int] {
        switch try value(name, reader: reader) {
        case .activation(_, let shape): Self.onnxShape(shape)
        case .constant(let constant): constant.shape
        case .initializer: throw .malformed("'\(name)' was not decoded")
        }
    }

    /// The contents of `name` when known at import; nil when it is computed at run time.
    mutating func constant(_ name: String, of op: ONNXOperator) throws(ModelError) -> ConstantTensor? {
        if case .constant(let constant) = try value(name, reader: "\(op)") { return constant }
        return nil
    }

    /// The contents of `name`, which must be known at import.
    mutating func requiredConstant(_ name: String, of op: ONNXOperator, role: String)
        throws(ModelError) -> ConstantTensor {
        guard let constant = try constant(name, of: op) else {
            throw .unsupported("\(op) has \(role) '\(name)' computed at run time; the reader needs it constant")
        }
        return constant
    }

    /// The integer contents of constant `name` (axes, sizes, indices).
    mutating func integers(_ name: String, of op: ONNXOperator, role: String) throws(ModelError) -> [Int64] {
        let constant = try requiredConstant(name, of: op, role: role)
        guard case .integer(let values) = constant.elements, constant.shape.count <= 1 else {
            throw .malformed("\(op) has \(role) '\(name)' of type \(constant.typeName) and shape \(constant.shape)")
        }
        return values
    }

    /// The graph value and graph-layout shape of operand `name` of a node working on rank-`rank` values
    /// (ONNX ranks): an activation as it is, a float constant as a constant value arranged like the
    /// activations (see `constantValue`).
    mutating func operand(_ name: String, of op: ONNXOperator, rank: Int) throws(ModelError) -> (ValueID, [Int]) {
        switch try value(name, reader: "\(op)") {
        case .activation(let id, let shape):
            guard shape.count == rank || (shape.count != 4 && rank != 4) else {
                throw .unsupported("\(op) mixes '\(name)' of rank \(shape.count) with rank-\(rank) values")
            }
            return (id, shape)
        case .constant(let constant):
            guard case .float = constant.elements else {
                throw .malformed("\(op) reads '\(name)' of type \(constant.typeName) where FLOAT is expected")
            }
            guard constant.shape.count <= rank else {
                throw .unsupported("\(op) broadcasts '\(name)' of rank \(constant.shape.count) over rank \(rank)")
            }
            let id = constantValue(name, constant, arrangedFor: rank)
            return (id, graph.values[id].shape ?? constant.shape)
        case .initializer: throw .malformed("'\(name)' was not decoded")
        }
    }

    /// A graph value holding float constant `constant`, arranged to sit beside rank-`rank` activations:
    /// for rank 4, broadcast to rank 4 (leading 1s, as ONNX broadcasting aligns trailing axes) and
    /// transposed NCHW to NHWC; otherwise as it is. Made once per name and rank.
    mutating func constantValue(_ name: String, _ constant: ConstantTensor, arrangedFor rank: Int) -> ValueID {
        let key = "\(name)#\(rank)"
        if let id = constantValues[key] { return id }
        guard case .float(var scalars) = constant.elements else { preconditionFailure("float constant expected") }
        var shape = constant.shape
        if rank == 4 {
            shape = [Int](repeating: 1, count: 4 - shape.count) + shape
            scalars = Self.nhwcElements(scalars, nchw: shape)
            shape = Self.graphShape(shape)
        }
        let id = graph.addValue(Graph.Value(name: name, constant: Tensor(shape: shape, scalars: scalars)))
        constantValues[key] = id
        return id
    }

    /// A graph value for constant weights already rearranged by the caller (`key` names the arrangement).
    mutating func constantValue(key: String, name: String, _ tensor: Tensor) -> ValueID {
        if let id = constantValues[key] { return id }
        let id = graph.addValue(Graph.Value(name: name, constant: tensor))
        constantValues[key] = id
        return id
    }

    /// Records what a node's output `name` stands for; each name is written once.
    mutating func define(_ name: String, as value: Value, by op: ONNXOperator) throws(ModelError) {
        guard !name.isEmpty else { throw .malformed("\(op) writes an output with no name") }
        guard values[name] == nil else { throw .malformed("\(op) writes '\(name)', which already has a value") }
        if case .constant(let constant) = value {
            foldedCount += constant.count
            guard foldedCount <= Self.foldingBudget else {
                throw .unsupported("\(op): folded constants exceed \(Self.foldingBudget) elements in all")
            }
        }
        values[name] = value
    }

    /// Adds a graph node computing `operation` on `inputs` (values and graph-layout shapes), its output
    /// shape inferred and checked, and defines the operator's first output as its result.
    mutating func addNode(_ op: ONNXOperator, _ operation: Operation, inputs: [(ValueID, [Int])])
        throws(ModelError) {
        let output = try op.output(0)
        let node = Node(name: op.name, operation: operation, inputs: inputs.map(\.0), outputs: [])
        let shapes = try ShapeInference.outputShapes(of: node, inputs: inputs.map(\.1))
        guard shapes.count == 1, let shape = shapes.first, shape.allSatisfy({ $0 > 0 }),
              let count = checkedCount(shape), count <= ONNXTensor.maximumElementCount else {
            throw .unsupported("\(op) would output shape \(shapes.first ?? []), empty or too large")
        }
        guard values[output] == nil, !output.isEmpty else {
            throw .malformed("\(op) writes '\(output)', which already has a value")
        }
        let id = graph.addValue(Graph.Value(name: output, shape: shape))
        graph.nodes.append(Node(name: op.name, operation: operation, inputs: node.inputs, outputs: [id]))
        values[output] = .activation(id, shape: shape)
    }
}

/// One ONNX node being translated, with helpers that check its operands and attributes.
struct ONNXOperator: CustomStringConvertible {
    let node: ONNXNode
    /// Position in the graph's node list.
    let index: Int
    let operatorSet: Int64

    var type: String { node.operatorType }
    /// The node's name, or its first output's when it has none.
    var name: String {
        if !node.name.isEmpty { return node.name }
        return node.outputs.first.map { $0.isEmpty ? "node \(index)" : $0 } ?? "node \(index)"
    }

    var description: String { "\(type) node '\(name)'" }

    /// Checks the operand counts. Optional inputs and outputs left out are empty names.
    func expect(inputs: ClosedRange<Int>, outputs: ClosedRange<Int> = 1...1) throws(ModelError) {
        guard inputs.contains(node.inputs.count), outputs.contains(node.outputs.count) else {
            throw .malformed("\(self) has \(node.inputs.count) inputs and \(node.outputs.count) outputs")
        }
    }

    /// Input `position`, which must be present.
    func input(_ position: Int) throws(ModelError) -> String {
        guard let name = optionalInput(position) else { throw .malformed("\(self) lacks input \(position)") }
        return name
    }

    /// Input `position`, or nil when left out.
    func optionalInput(_ position: Int) -> String? {
        position < node.inputs.count && !node.inputs[position].isEmpty ? node.inputs[position] : nil
    }

    func output(_ position: Int) throws(ModelError) -> String {
        guard position < node.outputs.count, !node.outputs[position].isEmpty else {
            throw .malformed("\(self) lacks output \(position)")
        }
        return node.outputs[position]
    }

    // MARK: Attributes

    /// Refuses attributes outside `known` (their meaning would be lost), repeated names, and references
    /// to function attributes.
    func check(attributes known: Set<String>) throws(ModelError) {
        var seen = Set<String>()
        for attribute in node.attributes {
            guard seen.insert(attribute.name).inserted else {
                throw .malformed("\(self) has two attributes named '\(attribute.name)'")
            }
            guard attribute.referenceName == nil else {
                throw .malformed("\(self) refers to a function attribute outside a function")
            }
            guard known.contains(attribute.name) else {
                throw .unsupported("\(self) has attribute '\(attribute.name)', which this reader does not implement")
            }
        }
    }

    func attribute(_ name: String) -> ONNXAttribute? {
        node.attributes.first { $0.name == name }
    }

    /// The attribute `name` if present, checked to be of `kind`; `present` says whether its value field is
    /// set (attributes written before IR 2 have no type, only the value field).
    private func attribute(_ name: String, _ kind: ONNXAttribute.Kind, present: (ONNXAttribute) -> Bool)
        throws(ModelError) -> ONNXAttribute? {
        guard let attribute = attribute(name) else { return nil }
        guard attribute.kind == kind || (attribute.type == 0 && present(attribute)) else {
            throw .malformed("\(self) has attribute '\(name)' of type code \(attribute.type), expected \(kind)")
        }
        return attribute
    }

    func int(_ name: String) throws(ModelError) -> Int64? {
        try attribute(name, .int) { $0.int != nil }.map { $0.int ?? 0 }
    }

    func int(_ name: String, default value: Int64) throws(ModelError) -> Int64 {
        try int(name) ?? value
    }

    func ints(_ name: String) throws(ModelError) -> [Int64]? {
        try attribute(name, .ints) { !$0.ints.isEmpty }?.ints
    }

    func float(_ name: String) throws(ModelError) -> Float? {
        try attribute(name, .float) { $0.float != nil }.map { $0.float ?? 0 }
    }

    func floats(_ name: String) throws(ModelError) -> [Float]? {
        try attribute(name, .floats) { !$0.floats.isEmpty }?.floats
    }

    func string(_ name: String, default value: String) throws(ModelError) -> String {
        try attribute(name, .string) { $0.string != nil }.map { $0.string ?? "" } ?? value
    }

    func tensor(_ name: String) throws(ModelError) -> ONNXTensor? {
        try attribute(name, .tensor) { $0.tensor != nil }.map { $0.tensor ?? ONNXTensor() }
    }

    /// A size-like attribute value (kernel, stride, dilation, group): 1 to 2^24.
    func positive(_ value: Int64, _ what: String) throws(ModelError) -> Int {
        guard value >= 1, value <= 1 << 24 else { throw .malformed("\(self) has \(what) \(value)") }
        return Int(value)
    }

    /// Two spatial values `[height, width]` of attribute `name`, each 1 to 2^24; `default` when absent.
    func spatialPair(_ name: String, default value: Int) throws(ModelError) -> (height: Int, width: Int) {
        guard let values = try ints(name) else { return (value, value) }
        guard values.count == 2 else {
            throw .unsupported("\(self) has \(name) \(values); only 2-D (\(name) of 2 values) is supported")
        }
        return (try positive(values[0], name), try positive(values[1], name))
    }
}
