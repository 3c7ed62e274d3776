/// Facts from the TensorFlow Lite FlatBuffers schema (`tensorflow/lite/schema/schema.fbs`, schema version 3
/// with its backward-compatible revisions 3a-3c): field ids of the tables the reader uses, and enum values.
///
/// A field id is the field's position in its table declaration, counting a union as two fields
/// (its type id, then its value).
enum TFLiteSchema {
    static let fileIdentifier = "TFL3"

    enum Model {
        static let version = 0
        static let operatorCodes = 1
        static let subgraphs = 2
        static let description = 3
        static let buffers = 4
    }

    enum OperatorCode {
        /// `int8`; the real code is `max(deprecatedBuiltinCode, builtinCode)` (revision 3a).
        static let deprecatedBuiltinCode = 0
        static let customCode = 1
        static let version = 2
        /// `int32`.
        static let builtinCode = 3
    }

    enum SubGraph {
        static let tensors = 0
        static let inputs = 1
        static let outputs = 2
        static let operators = 3
        static let name = 4
    }

    enum Tensor {
        static let shape = 0
        static let type = 1
        static let buffer = 2
        static let name = 3
        static let quantization = 4
        static let isVariable = 5
        static let sparsity = 6
    }

    enum Operator {
        static let opcodeIndex = 0
        static let inputs = 1
        static let outputs = 2
        static let builtinOptionsType = 3
        static let builtinOptions = 4
        static let customOptions = 5
        static let customOptionsFormat = 6
        static let mutatingVariableInputs = 7
        static let intermediates = 8
        static let largeCustomOptionsOffset = 9
        static let largeCustomOptionsSize = 10
    }

    enum Buffer {
        static let data = 0
        /// `uint64` file offset of data stored after the FlatBuffer (revision 3c); meaningful only when > 1.
        static let offset = 1
        static let size = 2
    }

    enum Conv2DOptions {
        static let padding = 0
        static let strideWidth = 1
        static let strideHeight = 2
        static let fusedActivation = 3
        static let dilationWidth = 4  // default 1
        static let dilationHeight = 5  // default 1
    }

    enum DepthwiseConv2DOptions {
        static let padding = 0
        static let strideWidth = 1
        static let strideHeight = 2
        static let depthMultiplier = 3
        static let fusedActivation = 4
        static let dilationWidth = 5  // default 1
        static let dilationHeight = 6  // default 1
    }

    enum Pool2DOptions {
        static let padding = 0
        static let strideWidth = 1
        static let strideHeight = 2
        static let filterWidth = 3
        static let filterHeight = 4
        static let fusedActivation = 5
    }

    enum ConcatenationOptions {
        static let axis = 0
        static let fusedActivation = 1
    }

    /// `AddOptions` and `MulOptions`.
    enum ArithmeticOptions {
        static let fusedActivation = 0
    }

    enum ResizeBilinearOptions {
        static let alignCorners = 2
        static let halfPixelCenters = 3
    }

    enum ReducerOptions {
        static let keepDimensions = 0
    }

    enum ReshapeOptions {
        static let newShape = 0
    }

    /// `union BuiltinOptions` type ids (1-based; 0 = none).
    enum BuiltinOptionsType {
        static let conv2D: UInt8 = 1
        static let depthwiseConv2D: UInt8 = 2
        static let pool2D: UInt8 = 5
        static let concatenation: UInt8 = 10
        static let add: UInt8 = 11
        static let resizeBilinear: UInt8 = 15
        static let reshape: UInt8 = 17
        static let mul: UInt8 = 21
        static let reducer: UInt8 = 27
    }

    /// `enum TensorType : byte`.
    enum TensorType: Int8 {
        case float32 = 0, float16 = 1, int32 = 2, uint8 = 3, int64 = 4, string = 5, bool = 6, int16 = 7
        case complex64 = 8, int8 = 9, float64 = 10, complex128 = 11, uint64 = 12, resource = 13, variant = 14
        case uint32 = 15, uint16 = 16, int4 = 17

        /// Bytes per element for the types whose data the reader decodes.
        var elementSize: Int? {
            switch self {
            case .float32, .int32: 4
            case .float16: 2
            default: nil
            }
        }

        static func name(_ code: Int8) -> String {
            TensorType(rawValue: code).map { "\($0)".uppercased() } ?? "type \(code)"
        }
    }

    /// `enum Padding : byte`.
    enum Padding {
        static let same: Int8 = 0
        static let valid: Int8 = 1
    }

    /// `enum ActivationFunctionType : byte`.
    enum ActivationFunction {
        static let none: Int8 = 0
        static let relu: Int8 = 1
        static let reluMinusOneToOne: Int8 = 2
        static let relu6: Int8 = 3
        static let tanh: Int8 = 4
        static let signBit: Int8 = 5
    }

    /// `enum BuiltinOperator : int32`, the codes the reader translates.
    enum BuiltinOperator {
        static let add: Int32 = 0
        static let averagePool2D: Int32 = 1
        static let concatenation: Int32 = 2
        static let conv2D: Int32 = 3
        static let depthwiseConv2D: Int32 = 4
        static let dequantize: Int32 = 6
        static let logistic: Int32 = 14
        static let maxPool2D: Int32 = 17
        static let mul: Int32 = 18
        static let relu: Int32 = 19
        static let relu6: Int32 = 21
        static let reshape: Int32 = 22
        static let resizeBilinear: Int32 = 23
        static let custom: Int32 = 32
        static let pad: Int32 = 34
        static let mean: Int32 = 40
        static let hardSwish: Int32 = 117

        /// The schema's name for `code`, for messages.
        static func name(_ code: Int32) -> String {
            if code >= 0, Int(code) < names.count { return names[Int(code)] }
            return "builtin operator \(code)"
        }

        /// Names of codes 0...161, in order.
        private static let names = [
            "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
            "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
            "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION",
            "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN",
            "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM",
            "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND",
            "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
            "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE",
            "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG",
            "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
            "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT",
            "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR",
            "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY",
            "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU",
            "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N",
            "GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE",
            "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4",
            "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
            "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D", "CONV_3D",
            "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE",
            "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE",
            "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU",
            "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX",
            "UNSORTED_SEGMENT_SUM", "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR",
            "RIGHT_SHIFT",
        ]
    }

    /// MediaPipe's custom transposed convolution. Its custom options are three little-endian `int32`:
    /// padding (MediaPipe's `TfLitePadding`: 1 = SAME, 2 = VALID), stride width, stride height.
    static let transposedConvolutionCustomCode = "Convolution2DTransposeBias"
}
