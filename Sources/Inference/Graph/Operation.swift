import Foundation

/// The operators the engine runs, with their attributes. Tensor operands are node inputs,
/// in the order each case documents.
public enum Operation: Sendable, Equatable {
    /// Inputs: `x` NHWC, `weights` OHWI `[O, KH, KW, I/groups]`, optional `bias` `[O]`.
    /// Depthwise convolution is a grouped convolution with `groups == I == O` (or `O = I * multiplier`).
    case convolution(Convolution)
    /// Inputs: `x` NHWC, `weights` OHWI `[O, KH, KW, I]`, optional `bias` `[O]`.
    /// Output size is `(inputSize - 1) * stride + kernel - padBefore - padAfter`.
    case transposedConvolution(TransposedConvolution)
    /// Elementwise with NumPy broadcasting. Inputs: `a`, `b`.
    case binary(BinaryOperator)
    /// Elementwise. Input: `x`.
    case activation(Activation)
    /// Spatial pooling over NHWC. Input: `x`.
    case pool(Pooling)
    /// Mean over `axes` (NHWC axes; negative counts from the end). Input: `x`.
    case mean(axes: [Int], keepDimensions: Bool)
    /// Spatial resize of NHWC. Input: `x`.
    case resize(Resize)
    /// Concatenation along `axis` (NHWC axis). Inputs: any number.
    case concatenate(axis: Int)
    /// Zero padding: `before[d]` elements before and `after[d]` after along each axis `d` (one entry
    /// per axis of `x`). Input: `x`.
    case pad(before: [Int], after: [Int])
    /// The same row-major elements under `shape` (at most one -1, resolved from the element count).
    /// Input: `x`.
    case reshape(shape: [Int])
}

public enum BinaryOperator: Sendable, Equatable {
    case add, multiply
}

public enum Activation: Sendable, Equatable {
    case identity
    case relu
    case relu6
    /// `x * relu6(x + 3) / 6`
    case hardSwish
    /// `1 / (1 + exp(-x))`
    case sigmoid

    public func apply(_ x: Float) -> Float {
        switch self {
        case .identity: x
        case .relu: max(x, 0)
        case .relu6: min(max(x, 0), 6)
        case .hardSwish: x * min(max(x + 3, 0), 6) / 6
        case .sigmoid: 1 / (1 + exp(-x))
        }
    }
}

/// How spatial padding is chosen.
public enum Padding: Sendable, Equatable {
    /// No padding.
    case valid
    /// TensorFlow SAME: output = ceil(input / stride); total padding
    /// `max((output - 1) * stride + effectiveKernel - input, 0)`, the smaller half before.
    case same
    /// Explicit amounts (ONNX `pads`).
    case explicit(top: Int, left: Int, bottom: Int, right: Int)
}

public struct Convolution: Sendable, Equatable {
    public var strides: (height: Int, width: Int)
    public var dilations: (height: Int, width: Int)
    public var padding: Padding
    public var groups: Int
    /// Applied to the output (TFLite fused activations); `.identity` when none.
    public var activation: Activation

    public init(strides: (height: Int, width: Int) = (1, 1), dilations: (height: Int, width: Int) = (1, 1),
                padding: Padding, groups: Int = 1, activation: Activation = .identity) {
        self.strides = strides
        self.dilations = dilations
        self.padding = padding
        self.groups = groups
        self.activation = activation
    }

    public static func == (a: Convolution, b: Convolution) -> Bool {
        a.strides == b.strides && a.dilations == b.dilations && a.padding == b.padding
            && a.groups == b.groups && a.activation == b.activation
    }
}

public struct TransposedConvolution: Sendable, Equatable {
    public var strides: (height: Int, width: Int)
    public var padding: Padding

    public init(strides: (height: Int, width: Int), padding: Padding) {
        self.strides = strides
        self.padding = padding
    }

    public static func == (a: TransposedConvolution, b: TransposedConvolution) -> Bool {
        a.strides == b.strides && a.padding == b.padding
    }
}

public struct Pooling: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case average, max }
    public var kind: Kind
    public var kernel: (height: Int, width: Int)
    public var strides: (height: Int, width: Int)
    public var padding: Padding
    /// ONNX `ceil_mode`: the output size rounds up, and windows may hang over the end.
    public var ceilMode: Bool
    public var activation: Activation

    public init(kind: Kind, kernel: (height: Int, width: Int), strides: (height: Int, width: Int),
                padding: Padding, ceilMode: Bool = false, activation: Activation = .identity) {
        self.kind = kind
        self.kernel = kernel
        self.strides = strides
        self.padding = padding
        self.ceilMode = ceilMode
        self.activation = activation
    }

    public static func == (a: Pooling, b: Pooling) -> Bool {
        a.kind == b.kind && a.kernel == b.kernel && a.strides == b.strides && a.padding == b.padding
            && a.ceilMode == b.ceilMode && a.activation == b.activation
    }
}

public struct Resize: Sendable, Equatable {
    public enum Mode: Sendable, Equatable { case nearest, linear }
    /// How an output coordinate maps to an input coordinate (ONNX names).
    public enum CoordinateTransform: Sendable, Equatable {
        /// `(x + 0.5) / scale - 0.5`
        case halfPixel
        /// As `halfPixel`, but 0 when the output length is 1.
        case pytorchHalfPixel
        /// `x * (inputLength - 1) / (outputLength - 1)`
        case alignCorners
        /// `x / scale`
        case asymmetric
    }
    /// ONNX `nearest_mode` for `.nearest`.
    public enum NearestRounding: Sendable, Equatable { case roundPreferFloor, roundPreferCeil, floor, ceil }

    public var mode: Mode
    public var coordinateTransform: CoordinateTransform
    public var nearestRounding: NearestRounding
    /// Output spatial size.
    public var size: (height: Int, width: Int)

    public init(mode: Mode, coordinateTransform: CoordinateTransform,
                nearestRounding: NearestRounding = .roundPreferFloor, size: (height: Int, width: Int)) {
        self.mode = mode
        self.coordinateTransform = coordinateTransform
        self.nearestRounding = nearestRounding
        self.size = size
    }

    public static func == (a: Resize, b: Resize) -> Bool {
        a.mode == b.mode && a.coordinateTransform == b.coordinateTransform
            && a.nearestRounding == b.nearestRounding && a.size == b.size
    }
}
