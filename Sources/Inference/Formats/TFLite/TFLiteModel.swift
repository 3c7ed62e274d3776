/// The parts of a TFLite file the reader uses, decoded from its FlatBuffer and checked: every tensor index in
/// range, every shape non-negative with an element count that fits, every opcode index in range.
/// Constant data stays in the file bytes until `constantData(of:)` asks for it.
struct TFLiteModel {
    struct OperatorCode {
        /// `max(deprecated_builtin_code, builtin_code)`.
        var builtinCode: Int32
        var customCode: String?

        /// The builtin's schema name, or the custom code for custom operators.
        var name: String {
            if builtinCode == TFLiteSchema.BuiltinOperator.custom {
                return customCode ?? "CUSTOM (no custom code)"
            }
            return TFLiteSchema.BuiltinOperator.name(builtinCode)
        }
    }

    struct TensorInfo {
        var name: String
        /// Non-negative dimensions; `[]` is a scalar (or, for activations, an unknown shape).
        var shape: [Int]
        var elementCount: Int
        /// `TensorType` code; not every code has a case.
        var type: Int8
        /// Absolute byte range of the tensor's constant data (unchecked against the shape; see
        /// `constantData(of:)`), or nil for tensors without data (activations).
        var data: Range<Int>?
        var isSparse: Bool

        var typeName: String { TFLiteSchema.TensorType.name(type) }
    }

    struct OperatorInfo {
        var opcodeIndex: Int
        /// Tensor indices; nil where the file has -1 (optional input left out).
        var inputs: [Int?]
        var outputs: [Int]
        var builtinOptionsType: UInt8
        var builtinOptions: FlatTable?
        /// Absolute byte range of the custom options, if any.
        var customOptions: Range<Int>?
    }

    /// Refuses tensors declaring more elements than this (4 GiB of float32): no real model comes close,
    /// and later stages allocate by these counts.
    static let maximumElementCount = 1 << 30
    static let maximumRank = 8

    let file: FlatBuffer
    var description: String?
    var operatorCodes: [OperatorCode] = []
    var tensors: [TensorInfo] = []
    var operators: [OperatorInfo] = []
    var inputs: [Int] = []
    var outputs: [Int] = []
    private var buffers: FlatVector?

    init(_ bytes: [UInt8]) throws(ModelError) {
        file = FlatBuffer(bytes, readFactor: 16)
        let model = try file.root(identifier: TFLiteSchema.fileIdentifier, type: "Model")
        typealias Field = TFLiteSchema.Model

        let version = try model.uint32(Field.version)
        guard version == 3 else { throw .unsupported("TFLite schema version \(version) (only 3 is read)") }
        description = try model.string(Field.description, what: "description")

        if let codes = try model.vector(Field.operatorCodes, elementSize: 4, what: "operator_codes") {
            for index in 0..<codes.count {
                operatorCodes.append(try Self.operatorCode(codes.table(at: index, type: "OperatorCode")))
            }
        }
        buffers = try model.vector(Field.buffers, elementSize: 4, what: "buffers")

        guard let subgraphs = try model.vector(Field.subgraphs, elementSize: 4, what: "subgraphs"),
              subgraphs.count >= 1 else {
            throw .malformed("the model has no subgraph")
        }
        // Subgraph 0 is the main graph; others are only reachable through control-flow operators,
        // which the reader refuses.
        try readSubgraph(subgraphs.table(at: 0, type: "SubGraph"))
    }

    private mutating func readSubgraph(_ subgraph: FlatTable) throws(ModelError) {
        typealias Field = TFLiteSchema.SubGraph
        if let tensorTables = try subgraph.vector(Field.tensors, elementSize: 4, what: "tensors") {
            tensors.reserveCapacity(tensorTables.count)
            for index in 0..<tensorTables.count {
                tensors.append(try tensor(tensorTables.table(at: index, type: "Tensor"), index: index))
            }
        }
        inputs = try tensorIndices(subgraph.vector(Field.inputs, elementSize: 4, what: "inputs"),
                                   what: "subgraph input")
        outputs = try tensorIndices(subgraph.vector(Field.outputs, elementSize: 4, what: "outputs"),
                                    what: "subgraph output")
        if let operatorTables = try subgraph.vector(Field.operators, elementSize: 4, what: "operators") {
            operators.reserveCapacity(operatorTables.count)
            for index in 0..<operatorTables.count {
                operators.append(try operatorInfo(operatorTables.table(at: index, type: "Operator"), index: index))
            }
        }
    }

    private static func operatorCode(_ table: FlatTable) throws(ModelError) -> OperatorCode {
        typealias Field = TFLiteSchema.OperatorCode
        let deprecated = Int32(try table.int8(Field.deprecatedBuiltinCode))
        let builtin = try table.int32(Field.builtinCode)
        return OperatorCode(builtinCode: max(deprecated, builtin),
                            customCode: try table.string(Field.customCode, what: "custom_code"))
    }

    private func tensor(_ table: FlatTable, index: Int) throws(ModelError) -> TensorInfo {
        typealias Field = TFLiteSchema.Tensor
        let name = try table.string(Field.name, what: "name") ?? "tensor \(index)"
        var shape: [Int] = []
        if let dimensions = try table.vector(Field.shape, elementSize: 4, what: "shape") {
            guard dimensions.count <= Self.maximumRank else {
                throw .unsupported("tensor '\(name)' has rank \(dimensions.count) (at most \(Self.maximumRank))")
            }
            shape = try dimensions.int32s().map { Int($0) }
        }
        var elementCount = 1
        for dimension in shape {
            guard dimension >= 0 else {
                throw .malformed("tensor '\(name)' has a negative dimension in shape \(shape)")
            }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= Self.maximumElementCount else {
                throw .unsupported("tensor '\(name)' of shape \(shape) is too large")
            }
            elementCount = product
        }
        let buffer = Int(try table.uint32(Field.buffer))
        guard buffer == 0 || buffer < (buffers?.count ?? 0) else {
            throw .malformed("tensor '\(name)' refers to buffer \(buffer) of \(buffers?.count ?? 0)")
        }
        return TensorInfo(name: name, shape: shape, elementCount: elementCount, type: try table.int8(Field.type),
                          data: try bufferData(buffer, for: name),
                          isSparse: try table.fieldPosition(Field.sparsity, size: 4) != nil)
    }

    private func operatorInfo(_ table: FlatTable, index: Int) throws(ModelError) -> OperatorInfo {
        typealias Field = TFLiteSchema.Operator
        let opcodeIndex = Int(try table.uint32(Field.opcodeIndex))
        guard opcodeIndex < operatorCodes.count else {
            throw .malformed("operator \(index) uses opcode \(opcodeIndex) of \(operatorCodes.count)")
        }
        var inputs: [Int?] = []
        if let vector = try table.vector(Field.inputs, elementSize: 4, what: "inputs") {
            inputs = try vector.int32s().map { (tensor: Int32) throws(ModelError) -> Int? in
                tensor == -1 ? nil : try tensorIndex(tensor, what: "operator \(index) input")
            }
        }
        let outputs = try tensorIndices(table.vector(Field.outputs, elementSize: 4, what: "outputs"),
                                        what: "operator \(index) output")
        var customOptions: Range<Int>?
        if let vector = try table.vector(Field.customOptions, elementSize: 1, what: "custom_options") {
            customOptions = vector.byteRange
        } else {
            let offset = try table.uint64(Field.largeCustomOptionsOffset)
            if offset > 1 {
                customOptions = try outsideRange(offset: offset, size: table.uint64(Field.largeCustomOptionsSize),
                                                 what: "operator \(index) custom options")
            }
        }
        let optionsType = try table.uint8(Field.builtinOptionsType)
        return OperatorInfo(opcodeIndex: opcodeIndex, inputs: inputs, outputs: outputs,
                            builtinOptionsType: optionsType,
                            builtinOptions: optionsType == 0 ? nil : try table.table(Field.builtinOptions,
                                                                                      type: "BuiltinOptions"),
                            customOptions: customOptions)
    }

    private func tensorIndex(_ index: Int32, what: String) throws(ModelError) -> Int {
        guard index >= 0, Int(index) < tensors.count else {
            throw .malformed("\(what) refers to tensor \(index) of \(tensors.count)")
        }
        return Int(index)
    }

    private func tensorIndices(_ vector: FlatVector?, what: String) throws(ModelError) -> [Int] {
        guard let vector else { return [] }
        return try vector.int32s().map { (index: Int32) throws(ModelError) -> Int in
            try tensorIndex(index, what: what)
        }
    }

    /// A range given as a 64-bit file offset and size (data stored after the FlatBuffer).
    private func outsideRange(offset: UInt64, size: UInt64, what: String) throws(ModelError) -> Range<Int> {
        let fileSize = UInt64(file.reader.count)
        guard offset <= fileSize, size <= fileSize - offset else {
            throw .truncated("\(what): \(size) bytes at offset \(offset) run past the end of \(fileSize) bytes")
        }
        return Int(offset)..<Int(offset + size)
    }

    /// The raw bytes of buffer `index`, or nil when it is empty (the tensors using it are not constants).
    private func bufferData(_ index: Int, for tensorName: String) throws(ModelError) -> Range<Int>? {
        guard index != 0, let buffers else { return nil }
        typealias Field = TFLiteSchema.Buffer
        let buffer = try buffers.table(at: index, type: "Buffer")
        if let data = try buffer.vector(Field.data, elementSize: 1, what: "data"), data.count > 0 {
            return data.byteRange
        }
        let offset = try buffer.uint64(Field.offset)
        guard offset > 1 else { return nil }
        let range = try outsideRange(offset: offset, size: buffer.uint64(Field.size),
                                     what: "data of tensor '\(tensorName)'")
        try file.charge(range.count, for: "data of tensor '\(tensorName)'")
        return range.isEmpty ? nil : range
    }

    /// The absolute byte range of a tensor's constant data, or nil when the tensor has none (an activation).
    /// The length is checked against the shape and element type.
    func constantData(of tensorIndex: Int) throws(ModelError) -> Range<Int>? {
        let tensor = tensors[tensorIndex]
        guard let range = tensor.data else { return nil }
        guard !tensor.isSparse else { throw .unsupported("tensor '\(tensor.name)' holds sparse data") }
        guard let elementSize = TFLiteSchema.TensorType(rawValue: tensor.type)?.elementSize else {
            throw .unsupported("constant tensor '\(tensor.name)' has type \(tensor.typeName)")
        }
        guard range.count == tensor.elementCount * elementSize else {
            throw .malformed("tensor '\(tensor.name)' of shape \(tensor.shape) and type \(tensor.typeName) "
                             + "has \(range.count) bytes of data, expected \(tensor.elementCount * elementSize)")
        }
        return range
    }
}
