/// The ONNX messages the reader uses, decoded from protobuf (onnx/onnx.proto, IR versions 3 to 11) with the
/// fields the reader needs. Field numbers in the `case` labels are onnx.proto's; every other field is
/// skipped. Each message is read by one `merge(from:)`: protobuf lets a singular embedded message appear
/// more than once, and the occurrences then merge, so a repeated occurrence simply merges again.
///
/// Tensor contents stay in the file bytes (`ONNXTensor.rawData` is a range) until the translation asks for
/// them, so reading the structure costs little more than walking it.
struct ONNXModel {
    var irVersion: Int64 = 0
    var operatorSets: [ONNXOperatorSet] = []
    var graph: ONNXGraph?

    /// The file's bytes, which `ONNXTensor.rawData` ranges point into.
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) throws(ModelError) {
        self.bytes = bytes
        var reader = ProtobufReader(bytes)
        while let key = try reader.nextKey() {
            switch key.field {
            case 1: irVersion = try reader.int64(key, "ModelProto.ir_version")
            case 7:
                var message = try reader.message(key, "ModelProto.graph")
                var merged = graph ?? ONNXGraph()
                try merged.merge(from: &message)
                graph = merged
            case 8:
                var message = try reader.message(key, "ModelProto.opset_import")
                var operatorSet = ONNXOperatorSet()
                try operatorSet.merge(from: &message)
                operatorSets.append(operatorSet)
            default: try reader.skip(key)  // model-local functions (25) among others: nodes calling them are refused
            }
        }
    }

    /// Whether `bytes` start with the key of a ModelProto field: a cheap test for an ONNX file, which
    /// protobuf writers begin with `ir_version` (field 1, varint: byte 0x08).
    static func startsLikeModel(_ bytes: [UInt8]) -> Bool {
        var reader = ProtobufReader(bytes)
        guard let key = try? reader.nextKey() else { return false }
        let expected: [Int: ProtobufReader.WireType] = [
            1: .varint, 2: .lengthDelimited, 3: .lengthDelimited, 4: .lengthDelimited, 5: .varint,
            6: .lengthDelimited, 7: .lengthDelimited, 8: .lengthDelimited, 14: .lengthDelimited,
            20: .lengthDelimited, 25: .lengthDelimited,
        ]
        return expected[key.field] == key.wireType
    }
}

/// `OperatorSetIdProto`: an operator set the model's nodes bind to.
struct ONNXOperatorSet {
    /// `""` and `"ai.onnx"` both name the default ONNX operator set.
    var domain = ""
    var version: Int64 = 0

    mutating func merge(from reader: inout ProtobufReader) throws(ModelError) {
        while let key = try reader.nextKey() {
            switch key.field {
            case 1: domain = try reader.string(key, "OperatorSetIdProto.domain")
            case 2: version = try reader.int64(key, "OperatorSetIdProto.version")
            default: try reader.skip(key)
            }
        }
    }
}

/// `GraphProto`: nodes in topological order, initializers (named constants), inputs and outputs.
struct ONNXGraph {
    var name = ""
    var nodes: [ONNXNode] = []
    var initializers: [ONNXTensor] = []
    var sparseInitializerCount = 0
    var inputs: [ONNXValueInfo] = []
    var outputs: [ONNXValueInfo] = []
    /// Types of intermediate values as the exporter inferred them (the reader infers its own shapes).
    var valueInfo: [ONNXValueInfo] = []

    mutating func merge(from reader: inout ProtobufReader) throws(ModelError) {
        while let key = try reader.nextKey() {
            switch key.field {
            case 1:
                var message = try reader.message(key, "GraphProto.node")
                var node = ONNXNode()
                try node.merge(from: &message)
                nodes.append(node)
            case 2: name = try reader.string(key, "GraphProto.name")
            case 5:
                var message = try reader.message(key, "GraphProto.initializer")
                var tensor = ONNXTensor()
                try tensor.merge(from: &message)
                initializers.append(tensor)
            case 11: inputs.append(try Self.valueInfo(&reader, key, "GraphProto.input"))
            case 12: outputs.append(try Self.valueInfo(&reader, key, "GraphProto.output"))
            case 13: valueInfo.append(try Self.valueInfo(&reader, key, "GraphProto.value_info"))
            case 15:
                try reader.skip(key)
                sparseInitializerCount += 1
            default: try reader.skip(key)
            }
        }
    }

    private static func valueInfo(_ reader: inout ProtobufReader, _ key: ProtobufReader.Key, _ what: String)
        throws(ModelError) -> ONNXValueInfo {
        var message = try reader.message(key, what)
        var info = ONNXValueInfo()
        try info.merge(from: &message)
        return info
    }
}

/// `NodeProto`: one operator applied to named values. An empty input name is an optional input left out.
struct ONNXNode {
    var inputs: [String] = []
    var outputs: [String] = []
    var name = ""
    var operatorType = ""
    var domain = ""
    var attributes: [ONNXAttribute] = []

    mutating func merge(from reader: inout ProtobufReader) throws(ModelError) {
        while let key = try reader.nextKey() {
            switch key.field {
            case 1: inputs.append(try reader.string(key, "NodeProto.input"))
            case 2: outputs.append(try reader.string(key, "NodeProto.output"))
            case 3: name = try reader.string(key, "NodeProto.name")
            case 4: operatorType = try reader.string(key, "NodeProto.op_type")
            case 5:
                var message = try reader.message(key, "NodeProto.attribute")
                var attribute = ONNXAttribute()
                try attribute.merge(from: &message)
                attributes.append(attribute)
            case 7: domain = try reader.string(key, "NodeProto.domain")
            default: try reader.skip(key)
            }
        }
    }
}

/// `AttributeProto`: a named constant parameter of a node; `type` says which value field is meant.
struct ONNXAttribute {
    /// `AttributeProto.AttributeType` codes.
    enum Kind: Int32 {
        case undefined = 0, float = 1, int = 2, string = 3, tensor = 4, graph = 5, floats = 6, ints = 7
        case strings = 8, tensors = 9, graphs = 10, sparseTensor = 11, sparseTensors = 12, typeProto = 13
        case typeProtos = 14
    }

    var name = ""
    /// The `type` code as stored (an unknown code has no `Kind`).
    var type: Int32 = 0
    var float: Float?
    var int: Int64?
    var string: String?
    var tensor: ONNXTensor?
    var floats: [Float] = []
    var ints: [Int64] = []
    var strings: [String] = []
    /// Set when the attribute refers to an attribute of an enclosing function (functions only).
    var referenceName: String?

    var kind: Kind? { Kind(rawValue: type) }

    mutating func merge(from reader: inout ProtobufReader) throws(ModelError) {
        while let key = try reader.nextKey() {
            switch key.field {
            case 1: name = try reader.string(key, "AttributeProto.name")
            case 2: float = try reader.float(key, "AttributeProto.f")
            case 3: int = try reader.int64(key, "AttributeProto.i")
            case 4:
                // `bytes` in the schema; the attributes the reader uses hold ASCII names.
                let range = try reader.bytesRange(key, "AttributeProto.s")
                string = String(decoding: reader.bytes[range], as: UTF8.self)
            case 5:
                var message = try reader.message(key, "AttributeProto.t")
                var merged = tensor ?? ONNXTensor()
                try merged.merge(from: &message)
                tensor = merged
            case 7: try reader.appendFloats(key, "AttributeProto.floats", to: &floats)
            case 8: try reader.appendInt64s(key, "AttributeProto.ints", to: &ints)
            case 9:
                let range = try reader.bytesRange(key, "AttributeProto.strings")
                strings.append(String(decoding: reader.bytes[range], as: UTF8.self))
            case 20: type = try reader.int32(key, "AttributeProto.type")
            case 21: referenceName = try reader.string(key, "AttributeProto.ref_attr_name")
            default: try reader.skip(key)
            }
        }
    }
}

/// `TensorProto`: a constant tensor (initializer, or a `Constant` node's value).
struct ONNXTensor {
    var name = ""
    var dimensions: [Int64] = []
    /// `TensorProto.DataType` code.
    var dataType: Int32 = 0
    /// Little-endian element bytes, as a range of the file.
    var rawData: Range<Int>?
    var floatData: [Float] = []
    /// Elements of INT32, INT16, INT8, UINT16, UINT8, BOOL, and the bits of FLOAT16 and BFLOAT16.
    var int32Data: [Int32] = []
    var int64Data: [Int64] = []
    var doubleData: [Double] = []
    /// Elements of UINT32 and UINT64.
    var uint64Data: [UInt64] = []
    var hasSegment = false
    /// `data_location == EXTERNAL`, or `external_data` entries: the contents live in another file.
    var isExternal = false

    mutating func merge(from reader: inout ProtobufReader) throws(ModelError) {
        while let key = try reader.nextKey() {
            switch key.field {
            case 1: try reader.appendInt64s(key, "TensorProto.dims", to: &dimensions)
            case 2: dataType = try reader.int32(key, "TensorProto.data_type")
            case 3:
                try reader.skip(key)
                hasSegment = true
            case 4: try reader.appendFloats(key, "TensorProto.float_data", to: &floatData)
            case 5: try reader.appendInt32s(key, "TensorProto.int32_data", to: &int32Data)
            case 7: try reader.appendInt64s(key, "TensorProto.int64_data", to: &int64Data)
            case 8: name = try reader.string(key, "TensorProto.name")
            case 9: rawData = try reader.bytesRange(key, "TensorProto.raw_data")
            case 10: try reader.appendDoubles(key, "TensorProto.double_data", to: &doubleData)
            case 11: try reader.appendUInt64s(key, "TensorProto.uint64_data", to: &uint64Data)
            case 13:
                try reader.skip(key)
                isExternal = true
            case 14:
                if try reader.int32(key, "TensorProto.data_location") == 1 { isExternal = true }
            default: try reader.skip(key)
            }
        }
    }
}

/// `ValueInfoProto`: a graph input's or output's name and type.
struct ONNXValueInfo {
    var name = ""
    var type: ONNXType?

    mutating func merge(from reader: inout ProtobufReader) throws(ModelError) {
        while let key = try reader.nextKey() {
            switch key.field {
            case 1: name = try reader.string(key, "ValueInfoProto.name")
            case 2:
                var message = try reader.message(key, "ValueInfoProto.type")
                var merged = type ?? ONNXType()
                try merged.merge(from: &message)
                type = merged
            default: try reader.skip(key)
            }
        }
    }
}

/// `TypeProto`, of which the reader knows tensors (`TypeProto.Tensor`: element type and shape).
struct ONNXType {
    enum Dimension: Equatable {
        /// `dim_value`.
        case value(Int64)
        /// `dim_param`: a symbolic size.
        case parameter(String)
        /// Neither is set.
        case unknown
    }

    /// Whether the type is a tensor (not a sequence, map, optional or sparse tensor).
    var isTensor = false
    /// `TensorProto.DataType` code of the elements.
    var elementType: Int32 = 0
    /// Nil when the type states no shape (any rank).
    var shape: [Dimension]?

    mutating func merge(from reader: inout ProtobufReader) throws(ModelError) {
        while let key = try reader.nextKey() {
            switch key.field {
            case 1:
                isTensor = true
                var message = try reader.message(key, "TypeProto.tensor_type")
                try mergeTensorType(from: &message)
            case 4, 5, 8, 9:
                // sequence_type, map_type, sparse_tensor_type, optional_type
                try reader.skip(key)
                isTensor = false
            default: try reader.skip(key)
            }
        }
    }

    private mutating func mergeTensorType(from reader: inout ProtobufReader) throws(ModelError) {
        while let key = try reader.nextKey() {
            switch key.field {
            case 1: elementType = try reader.int32(key, "TypeProto.Tensor.elem_type")
            case 2:
                var message = try reader.message(key, "TypeProto.Tensor.shape")
                var dimensions = shape ?? []
                try Self.mergeShape(from: &message, into: &dimensions)
                shape = dimensions
            default: try reader.skip(key)
            }
        }
    }

    /// `TensorShapeProto`: repeated `dim` (field 1).
    private static func mergeShape(from reader: inout ProtobufReader, into dimensions: inout [Dimension])
        throws(ModelError) {
        while let key = try reader.nextKey() {
            switch key.field {
            case 1:
                var message = try reader.message(key, "TensorShapeProto.dim")
                dimensions.append(try dimension(from: &message))
            default: try reader.skip(key)
            }
        }
    }

    /// `TensorShapeProto.Dimension`: `dim_value` (1) or `dim_param` (2), a oneof.
    private static func dimension(from reader: inout ProtobufReader) throws(ModelError) -> Dimension {
        var dimension = Dimension.unknown
        while let key = try reader.nextKey() {
            switch key.field {
            case 1: dimension = .value(try reader.int64(key, "TensorShapeProto.Dimension.dim_value"))
            case 2: dimension = .parameter(try reader.string(key, "TensorShapeProto.Dimension.dim_param"))
            default: try reader.skip(key)
            }
        }
        return dimension
    }
}

/// `TensorProto.DataType` codes and names.
enum ONNXDataType {
    static let float: Int32 = 1, uint8: Int32 = 2, int8: Int32 = 3, uint16: Int32 = 4, int16: Int32 = 5
    static let int32: Int32 = 6, int64: Int32 = 7, string: Int32 = 8, bool: Int32 = 9, float16: Int32 = 10
    static let double: Int32 = 11, uint32: Int32 = 12, uint64: Int32 = 13, bfloat16: Int32 = 16

    static func name(_ code: Int32) -> String {
        let names = ["UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
                     "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
                     "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4",
                     "FLOAT4E2M1"]
        return code >= 0 && Int(code) < names.count ? names[Int(code)] : "data type \(code)"
    }

    /// Bytes per element in `raw_data`, for the types the reader decodes.
    static func elementSize(_ code: Int32) -> Int? {
        switch code {
        case uint8, int8, bool: 1
        case uint16, int16, float16, bfloat16: 2
        case float, int32, uint32: 4
        case int64, double, uint64: 8
        default: nil
        }
    }
}

extension ONNXTensor {
    /// Refuses tensors of more elements than this (4 GiB of float32).
    static let maximumElementCount = 1 << 30
    static let maximumRank = 8

    /// The shape as `Int`s, checked: rank at most 8, no negative dimension, and at most 2^30 elements
    /// counting zero dimensions as 1 (so that no product of some of the dimensions can overflow later,
    /// even in an empty tensor).
    func shape(_ what: String) throws(ModelError) -> (shape: [Int], count: Int) {
        guard dimensions.count <= Self.maximumRank else {
            throw .unsupported("\(what) has rank \(dimensions.count) (at most \(Self.maximumRank))")
        }
        guard dimensions.allSatisfy({ $0 >= 0 && $0 <= Int64(Self.maximumElementCount) }) else {
            throw .malformed("\(what) has dimensions \(dimensions)")
        }
        let shape = dimensions.map { Int($0) }
        guard let magnitude = ShapeFolding.magnitude(shape), magnitude <= Self.maximumElementCount else {
            throw .unsupported("\(what) has dimensions \(dimensions): more than 2^30 elements")
        }
        return (shape, shape.reduce(1, *))
    }

    /// The tensor's contents: float types as `Float`, integer and boolean types as `Int64`.
    /// - Parameter bytes: the file, which `rawData` indexes.
    func contents(in bytes: [UInt8], _ what: String) throws(ModelError) -> ConstantTensor {
        guard !isExternal else {
            throw .unsupported("\(what) keeps its data in another file: external weights not supported")
        }
        guard !hasSegment else { throw .unsupported("\(what) is a segment of a larger tensor") }
        let (shape, count) = try shape(what)
        let typeName = ONNXDataType.name(dataType)
        guard let size = ONNXDataType.elementSize(dataType) else {
            throw .unsupported("\(what) has element type \(typeName)")
        }
        if let raw = rawData {
            guard raw.count == count * size, raw.upperBound <= bytes.count else {
                throw .malformed("\(what) has \(raw.count) bytes of raw data for \(count) \(typeName) elements")
            }
            return Self.decode(raw: raw, bytes: bytes, shape: shape, count: count, dataType: dataType)
        }
        /// Checks that the typed field holds one element per tensor element.
        func check(_ available: Int, _ field: String) throws(ModelError) {
            guard available == count else {
                throw .malformed("\(what) has \(available) elements in \(field) for shape \(shape)")
            }
        }
        switch dataType {
        case ONNXDataType.float:
            try check(floatData.count, "float_data")
            return ConstantTensor(shape: shape, floats: floatData)
        case ONNXDataType.double:
            try check(doubleData.count, "double_data")
            return ConstantTensor(shape: shape, floats: doubleData.map { Float($0) })
        case ONNXDataType.float16:
            try check(int32Data.count, "int32_data")
            return ConstantTensor(shape: shape, floats: int32Data.map { Float(halfBits: UInt16(truncatingIfNeeded: $0)) })
        case ONNXDataType.bfloat16:
            try check(int32Data.count, "int32_data")
            return ConstantTensor(shape: shape, floats: int32Data.map {
                Float(bitPattern: UInt32(UInt16(truncatingIfNeeded: $0)) << 16)
            })
        case ONNXDataType.int64:
            try check(int64Data.count, "int64_data")
            return ConstantTensor(shape: shape, integers: int64Data, dataType: dataType)
        case ONNXDataType.uint32, ONNXDataType.uint64:
            try check(uint64Data.count, "uint64_data")
            return ConstantTensor(shape: shape, integers: uint64Data.map { Int64(bitPattern: $0) }, dataType: dataType)
        default:
            // INT32, INT16, INT8, UINT16, UINT8, BOOL: held in int32_data.
            try check(int32Data.count, "int32_data")
            return ConstantTensor(shape: shape, integers: int32Data.map { Int64($0) }, dataType: dataType)
        }
    }

    /// Decodes `count` little-endian elements of `dataType` from `raw`, a range within `bytes` of exactly
    /// `count * elementSize` bytes.
    private static func decode(raw: Range<Int>, bytes: [UInt8], shape: [Int], count: Int, dataType: Int32)
        -> ConstantTensor {
        bytes.withUnsafeBytes { file -> ConstantTensor in
            let data = UnsafeRawBufferPointer(rebasing: file[raw])
            func load<T: FixedWidthInteger>(_ type: T.Type, _ index: Int) -> T {
                T(littleEndian: data.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
            }
            switch dataType {
            case ONNXDataType.float:
                // Little-endian in the file as in memory here: one copy (a load per element took 2 ms
                // of U-2-Net-p's reading).
                #if _endian(little)
                let floats = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: data[0..<(count * 4)]))
                    initialized = count
                }
                return ConstantTensor(shape: shape, floats: floats)
                #else
                return ConstantTensor(shape: shape, floats: (0..<count).map { Float(bitPattern: load(UInt32.self, $0)) })
                #endif
            case ONNXDataType.double:
                return ConstantTensor(shape: shape, floats: (0..<count).map {
                    Float(Double(bitPattern: load(UInt64.self, $0)))
                })
            case ONNXDataType.float16:
                return ConstantTensor(shape: shape, floats: (0..<count).map { Float(halfBits: load(UInt16.self, $0)) })
            case ONNXDataType.bfloat16:
                return ConstantTensor(shape: shape, floats: (0..<count).map {
                    Float(bitPattern: UInt32(load(UInt16.self, $0)) << 16)
                })
            default:
                let integers: [Int64] = (0..<count).map { index in
                    switch dataType {
                    case ONNXDataType.uint8: Int64(load(UInt8.self, index))
                    case ONNXDataType.int8: Int64(load(Int8.self, index))
                    case ONNXDataType.bool: load(UInt8.self, index) == 0 ? 0 : 1
                    case ONNXDataType.uint16: Int64(load(UInt16.self, index))
                    case ONNXDataType.int16: Int64(load(Int16.self, index))
                    case ONNXDataType.int32: Int64(load(Int32.self, index))
                    case ONNXDataType.uint32: Int64(load(UInt32.self, index))
                    default: load(Int64.self, index)  // INT64, UINT64 (bit pattern)
                    }
                }
                return ConstantTensor(shape: shape, integers: integers, dataType: dataType)
            }
        }
    }
}
