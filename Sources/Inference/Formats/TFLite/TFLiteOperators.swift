/// One TFLite operator being translated, with helpers that check its operands and options.
struct TFLiteOperator: CustomStringConvertible {
    let info: TFLiteModel.OperatorInfo
    /// Position in the subgraph's operator list.
    let index: Int
    let code: TFLiteModel.OperatorCode
    /// The name of its first output tensor (TFLite operators have no names of their own).
    let name: String

    init(info: TFLiteModel.OperatorInfo, index: Int, code: TFLiteModel.OperatorCode, model: TFLiteModel) {
        self.info = info
        self.index = index
        self.code = code
        name = info.outputs.first.map { model.tensors[$0].name } ?? "operator \(index)"
    }

    var description: String { "\(code.name) '\(name)' (operator \(index))" }

    /// Input `position`, which must be present.
    func input(_ position: Int) throws(ModelError) -> Int {
        guard position < info.inputs.count, let tensor = info.inputs[position] else {
            throw .malformed("\(self) lacks input \(position)")
        }
        return tensor
    }

    /// Input `position`, or nil when left out (-1) or beyond the input list.
    func optionalInput(_ position: Int) -> Int? {
        position < info.inputs.count ? info.inputs[position] : nil
    }

    /// Checks the operand counts: at least `minimum` inputs (at most `maximum`), exactly `outputs` outputs.
    func expect(inputs minimum: Int, _ maximum: Int? = nil, outputs: Int = 1) throws(ModelError) {
        let count = info.inputs.count
        guard count >= minimum, count <= (maximum ?? minimum), info.outputs.count == outputs else {
            throw .malformed("\(self) has \(count) inputs and \(info.outputs.count) outputs")
        }
    }

    /// The first output tensor (`expect` checks that there is one).
    var output: Int {
        get throws(ModelError) {
            guard let output = info.outputs.first else { throw .malformed("\(self) has no output") }
            return output
        }
    }

    /// The builtin options table, checked to be of union type `type`; nil when absent.
    func options(_ type: UInt8) throws(ModelError) -> FlatTable? {
        guard let options = info.builtinOptions else { return nil }
        guard info.builtinOptionsType == type else {
            throw .malformed("\(self) has options of union type \(info.builtinOptionsType), expected \(type)")
        }
        return options
    }

    /// Options that the operator cannot do without (strides, kernel sizes).
    func requiredOptions(_ type: UInt8) throws(ModelError) -> FlatTable {
        guard let options = try options(type) else { throw .malformed("\(self) has no options") }
        return options
    }

    func padding(_ code: Int8) throws(ModelError) -> Padding {
        switch code {
        case TFLiteSchema.Padding.same: return .same
        case TFLiteSchema.Padding.valid: return .valid
        default: throw .malformed("\(self) has padding code \(code)")
        }
    }

    func activation(_ code: Int8) throws(ModelError) -> Activation {
        typealias Function = TFLiteSchema.ActivationFunction
        switch code {
        case Function.none: return .identity
        case Function.relu: return .relu
        case Function.relu6: return .relu6
        case Function.reluMinusOneToOne: throw .unsupported("\(self) has fused activation RELU_N1_TO_1")
        case Function.tanh: throw .unsupported("\(self) has fused activation TANH")
        case Function.signBit: throw .unsupported("\(self) has fused activation SIGN_BIT")
        default: throw .malformed("\(self) has fused activation code \(code)")
        }
    }

    /// A stride, dilation, or kernel size: from 1 to 2^24 (sizes downstream multiply these safely).
    func positive(_ value: Int32, _ what: String) throws(ModelError) -> Int {
        guard value >= 1, value <= 1 << 24 else { throw .malformed("\(self) has \(what) \(value)") }
        return Int(value)
    }
}

/// One translation function per operator family.
extension TFLiteImporter {
    mutating func translate(_ op: TFLiteOperator) throws(ModelError) {
        typealias Builtin = TFLiteSchema.BuiltinOperator
        switch op.code.builtinCode {
        case Builtin.dequantize: try foldDequantize(op)
        case Builtin.conv2D: try convolution(op)
        case Builtin.depthwiseConv2D: try depthwiseConvolution(op)
        case Builtin.add: try binary(op, .add, optionsType: TFLiteSchema.BuiltinOptionsType.add)
        case Builtin.mul: try binary(op, .multiply, optionsType: TFLiteSchema.BuiltinOptionsType.mul)
        case Builtin.relu: try activation(op, .relu)
        case Builtin.relu6: try activation(op, .relu6)
        case Builtin.hardSwish: try activation(op, .hardSwish)
        case Builtin.logistic: try activation(op, .sigmoid)
        case Builtin.averagePool2D: try pool(op, .average)
        case Builtin.maxPool2D: try pool(op, .max)
        case Builtin.mean: try mean(op)
        case Builtin.resizeBilinear: try resizeBilinear(op)
        case Builtin.concatenation: try concatenation(op)
        case Builtin.pad: try pad(op)
        case Builtin.reshape: try reshape(op)
        case Builtin.custom where op.code.customCode == TFLiteSchema.transposedConvolutionCustomCode:
            try transposedConvolution(op)
        default:
            let kind = op.code.builtinCode == Builtin.custom ? "custom operator" : "operator"
            throw .unsupported("\(kind) \(op.code.name) at '\(op.name)' (operator \(op.index))")
        }
    }

    // MARK: DEQUANTIZE

    /// `DEQUANTIZE` of a constant float16 tensor: folded into a float32 constant, no node.
    mutating func foldDequantize(_ op: TFLiteOperator) throws(ModelError) {
        try op.expect(inputs: 1)
        let input = try op.input(0), output = try op.output
        let source = model.tensors[input], target = model.tensors[output]
        guard source.type == TFLiteSchema.TensorType.float16.rawValue else {
            throw .unsupported("\(op) dequantizes \(source.typeName) tensor '\(source.name)' (only FLOAT16 is read)")
        }
        guard let constant = try floatConstant(input) else {
            throw .unsupported("\(op) dequantizes '\(source.name)', which is not a constant")
        }
        guard target.type == TFLiteSchema.TensorType.float32.rawValue, target.shape == source.shape else {
            throw .malformed("\(op) writes \(target.typeName) \(target.shape) from float16 \(source.shape)")
        }
        try setFoldedConstant(constant, for: output, by: "\(op)")
    }

    // MARK: Convolutions

    /// `CONV_2D`: inputs `x` NHWC, weights OHWI `[O, KH, KW, I / groups]`, optional bias `[O]`.
    mutating func convolution(_ op: TFLiteOperator) throws(ModelError) {
        typealias Field = TFLiteSchema.Conv2DOptions
        try op.expect(inputs: 2, 3)
        let options = try op.requiredOptions(TFLiteSchema.BuiltinOptionsType.conv2D)
        let x = try op.input(0), weights = try op.input(1), bias = op.optionalInput(2)
        let weightShape = try constantShape(weights, rank: 4, of: op, role: "weights")
        let outputChannels = weightShape[0], channelsPerGroup = weightShape[3]
        var groups = 1
        let inputShape = model.tensors[x].shape
        if inputShape.count == 4 {
            let inputChannels = inputShape[3]
            // channelsPerGroup > 0 (the weights are not empty), so the quotient below is at least 1.
            guard inputChannels >= channelsPerGroup, inputChannels % channelsPerGroup == 0,
                  outputChannels % (inputChannels / channelsPerGroup) == 0 else {
                throw .malformed("\(op) has \(inputChannels) input channels and weights \(weightShape)")
            }
            groups = inputChannels / channelsPerGroup
        }
        if let bias { try checkBias(bias, count: outputChannels, of: op) }
        let convolution = Convolution(
            strides: (try op.positive(options.int32(Field.strideHeight), "stride height"),
                      try op.positive(options.int32(Field.strideWidth), "stride width")),
            dilations: (try op.positive(options.int32(Field.dilationHeight, default: 1), "dilation height"),
                        try op.positive(options.int32(Field.dilationWidth, default: 1), "dilation width")),
            padding: try op.padding(options.int8(Field.padding)), groups: groups,
            activation: try op.activation(options.int8(Field.fusedActivation)))
        try addNode(op, .convolution(convolution), inputs: [x, weights] + (bias.map { [$0] } ?? []),
                    outputs: [try op.output])
    }

    /// `DEPTHWISE_CONV_2D`: weights `[1, KH, KW, C * multiplier]` become OHWI `[C * multiplier, KH, KW, 1]`
    /// of a convolution with `groups = C`; output channel `c * multiplier + m` reads input channel `c`.
    mutating func depthwiseConvolution(_ op: TFLiteOperator) throws(ModelError) {
        typealias Field = TFLiteSchema.DepthwiseConv2DOptions
        try op.expect(inputs: 2, 3)
        let options = try op.requiredOptions(TFLiteSchema.BuiltinOptionsType.depthwiseConv2D)
        let x = try op.input(0), weights = try op.input(1), bias = op.optionalInput(2)
        let weightShape = try constantShape(weights, rank: 4, of: op, role: "weights")
        let (kernelHeight, kernelWidth, outputChannels) = (weightShape[1], weightShape[2], weightShape[3])
        guard weightShape[0] == 1 else { throw .malformed("\(op) has depthwise weights \(weightShape)") }
        let inputShape = model.tensors[x].shape
        let inputChannels: Int
        if inputShape.count == 4 {
            inputChannels = inputShape[3]
        } else {
            let multiplier = try op.positive(options.int32(Field.depthMultiplier), "depth multiplier")
            inputChannels = outputChannels / multiplier
        }
        guard inputChannels > 0, outputChannels % inputChannels == 0 else {
            throw .malformed("\(op) has \(inputChannels) input channels and weights \(weightShape)")
        }
        if let bias { try checkBias(bias, count: outputChannels, of: op) }
        let convolution = Convolution(
            strides: (try op.positive(options.int32(Field.strideHeight), "stride height"),
                      try op.positive(options.int32(Field.strideWidth), "stride width")),
            dilations: (try op.positive(options.int32(Field.dilationHeight, default: 1), "dilation height"),
                        try op.positive(options.int32(Field.dilationWidth, default: 1), "dilation width")),
            padding: try op.padding(options.int8(Field.padding)), groups: inputChannels,
            activation: try op.activation(options.int8(Field.fusedActivation)))

        guard let source = try floatConstant(weights) else {
            throw .unsupported("\(op) has computed weights")
        }
        try model.file.charge(source.count * 4, for: "\(op)")
        let taps = kernelHeight * kernelWidth
        guard source.count == taps * outputChannels else {
            throw .malformed("\(op) has \(source.count) weights for shape \(weightShape)")
        }
        var reordered = [Float](repeating: 0, count: source.count)
        for tap in 0..<taps {
            for channel in 0..<outputChannels {
                reordered[channel * taps + tap] = source.scalars[tap * outputChannels + channel]
            }
        }
        let weightValue = graph.addValue(Graph.Value(
            name: model.tensors[weights].name,
            constant: Tensor(shape: [outputChannels, kernelHeight, kernelWidth, 1], scalars: reordered)))
        var inputs = [try inputValue(x, of: op), weightValue]
        if let bias { inputs.append(try inputValue(bias, of: op)) }
        try addNode(op, .convolution(convolution), inputValues: inputs, outputs: [try op.output])
    }

    /// MediaPipe's `Convolution2DTransposeBias`: inputs `x` NHWC, weights OHWI `[O, KH, KW, I]`, bias `[O]`;
    /// custom options `int32` [padding (1 SAME, 2 VALID), stride width, stride height].
    mutating func transposedConvolution(_ op: TFLiteOperator) throws(ModelError) {
        try op.expect(inputs: 3)
        guard let options = op.info.customOptions, options.count >= 12 else {
            throw .malformed("\(op) needs 12 bytes of custom options")
        }
        let reader = model.file.reader
        let paddingCode = try reader.int32(at: options.lowerBound)
        let strideWidth = try op.positive(reader.int32(at: options.lowerBound + 4), "stride width")
        let strideHeight = try op.positive(reader.int32(at: options.lowerBound + 8), "stride height")
        let padding: Padding
        switch paddingCode {
        case 1: padding = .same
        case 2: padding = .valid
        default: throw .malformed("\(op) has padding code \(paddingCode)")
        }
        let x = try op.input(0), weights = try op.input(1), bias = try op.input(2)
        let weightShape = try constantShape(weights, rank: 4, of: op, role: "weights")
        let inputShape = model.tensors[x].shape
        if inputShape.count == 4, inputShape[3] != weightShape[3] {
            throw .malformed("\(op) has \(inputShape[3]) input channels and weights \(weightShape)")
        }
        try checkBias(bias, count: weightShape[0], of: op)
        let operation = TransposedConvolution(strides: (strideHeight, strideWidth), padding: padding)
        try addNode(op, .transposedConvolution(operation), inputs: [x, weights, bias], outputs: [try op.output])
    }

    /// The shape of a constant operand of rank `rank`.
    private func constantShape(_ tensor: Int, rank: Int, of op: TFLiteOperator, role: String)
        throws(ModelError) -> [Int] {
        let info = model.tensors[tensor]
        guard try isConstant(tensor) else {
            throw .unsupported("\(op) has computed \(role) '\(info.name)'")
        }
        guard info.shape.count == rank, info.elementCount > 0 else {
            throw .malformed("\(op) has \(role) '\(info.name)' of shape \(info.shape)")
        }
        return info.shape
    }

    private func checkBias(_ bias: Int, count: Int, of op: TFLiteOperator) throws(ModelError) {
        let info = model.tensors[bias]
        guard try isConstant(bias) else {
            throw .unsupported("\(op) has computed bias '\(info.name)'")
        }
        guard info.elementCount == count else {
            throw .malformed("\(op) has bias '\(info.name)' of shape \(info.shape) for \(count) output channels")
        }
    }


    // MARK: Elementwise

    /// `ADD`, `MUL`: inputs `a`, `b` (broadcasting); a fused activation becomes a node of its own.
    mutating func binary(_ op: TFLiteOperator, _ kind: BinaryOperator, optionsType: UInt8) throws(ModelError) {
        try op.expect(inputs: 2)
        let activationCode = try op.options(optionsType)?.int8(TFLiteSchema.ArithmeticOptions.fusedActivation) ?? 0
        let activation = try op.activation(activationCode)
        try addNode(op, .binary(kind), inputs: [try op.input(0), try op.input(1)], outputs: [try op.output],
                    fusedActivation: activation)
    }

    /// `RELU`, `RELU6`, `HARD_SWISH`, `LOGISTIC`: input `x`.
    mutating func activation(_ op: TFLiteOperator, _ activation: Activation) throws(ModelError) {
        try op.expect(inputs: 1)
        try addNode(op, .activation(activation), inputs: [try op.input(0)], outputs: [try op.output])
    }

    // MARK: Pooling and reductions

    /// `AVERAGE_POOL_2D`, `MAX_POOL_2D`: input `x` NHWC.
    mutating func pool(_ op: TFLiteOperator, _ kind: Pooling.Kind) throws(ModelError) {
        typealias Field = TFLiteSchema.Pool2DOptions
        try op.expect(inputs: 1)
        let options = try op.requiredOptions(TFLiteSchema.BuiltinOptionsType.pool2D)
        let pooling = Pooling(
            kind: kind,
            kernel: (try op.positive(options.int32(Field.filterHeight), "filter height"),
                     try op.positive(options.int32(Field.filterWidth), "filter width")),
            strides: (try op.positive(options.int32(Field.strideHeight), "stride height"),
                      try op.positive(options.int32(Field.strideWidth), "stride width")),
            padding: try op.padding(options.int8(Field.padding)),
            activation: try op.activation(options.int8(Field.fusedActivation)))
        try addNode(op, .pool(pooling), inputs: [try op.input(0)], outputs: [try op.output])
    }

    /// `MEAN`: input `x`, axes from a constant int32 tensor (scalar or vector); `keep_dims` option.
    mutating func mean(_ op: TFLiteOperator) throws(ModelError) {
        try op.expect(inputs: 2)
        let x = try op.input(0)
        let axes = try constantInts(op.input(1), of: op, role: "axes")
        let rank = model.tensors[x].shape.count
        if rank > 0 {
            for axis in axes where axis < -rank || axis >= rank {
                throw .malformed("\(op) reduces axis \(axis) of a rank-\(rank) tensor")
            }
        }
        let keep = try op.options(TFLiteSchema.BuiltinOptionsType.reducer)?
            .bool(TFLiteSchema.ReducerOptions.keepDimensions) ?? false
        try addNode(op, .mean(axes: axes, keepDimensions: keep), inputs: [x], outputs: [try op.output])
    }

    // MARK: Shape changes

    /// `RESIZE_BILINEAR`: input `x` NHWC, output size `[height, width]` from a constant int32 tensor.
    /// `align_corners` maps to `.alignCorners`, `half_pixel_centers` to `.halfPixel`, neither to `.asymmetric`.
    mutating func resizeBilinear(_ op: TFLiteOperator) throws(ModelError) {
        typealias Field = TFLiteSchema.ResizeBilinearOptions
        try op.expect(inputs: 2)
        let size = try constantInts(op.input(1), of: op, role: "size")
        guard size.count == 2, size[0] >= 1, size[1] >= 1,
              size[0] <= TFLiteModel.maximumElementCount, size[1] <= TFLiteModel.maximumElementCount else {
            throw .malformed("\(op) has output size \(size)")
        }
        let options = try op.options(TFLiteSchema.BuiltinOptionsType.resizeBilinear)
        let alignCorners = try options?.bool(Field.alignCorners) ?? false
        let halfPixel = try options?.bool(Field.halfPixelCenters) ?? false
        let transform: Resize.CoordinateTransform
        switch (alignCorners, halfPixel) {
        case (true, true): throw .malformed("\(op) sets both align_corners and half_pixel_centers")
        case (true, false): transform = .alignCorners
        case (false, true): transform = .halfPixel
        case (false, false): transform = .asymmetric
        }
        let resize = Resize(mode: .linear, coordinateTransform: transform, size: (size[0], size[1]))
        try addNode(op, .resize(resize), inputs: [try op.input(0)], outputs: [try op.output])
    }

    /// `CONCATENATION`: any number of inputs along `axis` (negative counts from the end).
    mutating func concatenation(_ op: TFLiteOperator) throws(ModelError) {
        typealias Field = TFLiteSchema.ConcatenationOptions
        guard op.info.inputs.count >= 1, op.info.outputs.count == 1 else {
            throw .malformed("\(op) has \(op.info.inputs.count) inputs and \(op.info.outputs.count) outputs")
        }
        let options = try op.requiredOptions(TFLiteSchema.BuiltinOptionsType.concatenation)
        var axis = Int(try options.int32(Field.axis))
        let rank = model.tensors[try op.output].shape.count
        if rank > 0 {
            guard axis >= -rank, axis < rank else { throw .malformed("\(op) has axis \(axis) for rank \(rank)") }
            if axis < 0 { axis += rank }
        }
        var inputs: [Int] = []
        for position in op.info.inputs.indices { inputs.append(try op.input(position)) }
        try addNode(op, .concatenate(axis: axis), inputs: inputs, outputs: [try op.output],
                    fusedActivation: try op.activation(options.int8(Field.fusedActivation)))
    }

    /// `PAD`: input `x`, paddings from a constant int32 tensor `[rank, 2]` (before, after per axis);
    /// the padding value is 0.
    mutating func pad(_ op: TFLiteOperator) throws(ModelError) {
        try op.expect(inputs: 2)
        let x = try op.input(0), paddings = try op.input(1)
        let info = model.tensors[paddings]
        guard info.shape.count == 2, info.shape[1] == 2, let values = try intConstant(paddings) else {
            throw .unsupported("\(op) has paddings '\(info.name)' that are not a constant int32 [rank, 2] tensor")
        }
        let rank = info.shape[0]
        let inputRank = model.tensors[x].shape.count
        guard values.allSatisfy({ $0 >= 0 && $0 <= TFLiteModel.maximumElementCount }),
              inputRank == 0 || inputRank == rank else {
            throw .malformed("\(op) has paddings \(values) for a rank-\(inputRank) input")
        }
        let before = (0..<rank).map { values[2 * $0] }, after = (0..<rank).map { values[2 * $0 + 1] }
        try addNode(op, .pad(before: before, after: after), inputs: [x], outputs: [try op.output])
    }

    /// `RESHAPE`: input `x`; the new shape from a constant int32 second input, else the options'
    /// `new_shape`, else the output tensor's shape as the file states it.
    mutating func reshape(_ op: TFLiteOperator) throws(ModelError) {
        try op.expect(inputs: 1, 2)
        let x = try op.input(0), output = try op.output
        var shape: [Int]
        if let shapeTensor = op.optionalInput(1) {
            shape = try constantInts(shapeTensor, of: op, role: "shape")
        } else if let options = try op.options(TFLiteSchema.BuiltinOptionsType.reshape),
                  let newShape = try options.vector(TFLiteSchema.ReshapeOptions.newShape, elementSize: 4,
                                                    what: "new_shape of \(op)") {
            shape = try newShape.int32s().map { Int($0) }
        } else {
            shape = model.tensors[output].shape
        }
        guard !shape.isEmpty, shape.allSatisfy({ $0 == -1 || ($0 >= 1 && $0 <= TFLiteModel.maximumElementCount) }) else {
            throw .malformed("\(op) has new shape \(shape)")
        }
        try addNode(op, .reshape(shape: shape), inputs: [x], outputs: [output])
    }

    // MARK: Helpers

    /// A constant int32 operand (axes, sizes).
    private func constantInts(_ tensor: Int, of op: TFLiteOperator, role: String) throws(ModelError) -> [Int] {
        let info = model.tensors[tensor]
        guard info.shape.count <= 1, let values = try intConstant(tensor) else {
            throw .unsupported("\(op) has \(role) '\(info.name)' that is not a constant int32 scalar or vector")
        }
        return values
    }

    /// Adds `operation` writing `outputs`; a fused activation other than identity goes in a node of its own,
    /// reading an intermediate value named after the output with "/before_activation".
    private mutating func addNode(_ op: TFLiteOperator, _ operation: Operation, inputs: [Int], outputs: [Int],
                                  fusedActivation: Activation) throws(ModelError) {
        guard fusedActivation != .identity else {
            try addNode(op, operation, inputs: inputs, outputs: outputs)
            return
        }
        var inputValues: [ValueID] = []
        for input in inputs { inputValues.append(try inputValue(input, of: op)) }
        let output = model.tensors[try op.output]
        let name = output.name + "/before_activation"
        let intermediate = addIntermediate(named: name, shape: output.shape)
        graph.nodes.append(Node(name: name, operation: operation, inputs: inputValues, outputs: [intermediate]))
        try addNode(op, .activation(fusedActivation), inputValues: [intermediate], outputs: outputs)
    }
}
