/// One translation function per ONNX operator family (onnx.ai, "Operators"; versions up to operator
/// set 23). Operators on activations become graph nodes; operators on constants fold (`ShapeFolding`).
extension ONNXImporter {
    mutating func translate(_ op: ONNXOperator) throws(ModelError) {
        guard op.node.domain.isEmpty || op.node.domain == "ai.onnx" else {
            throw .unsupported("operator \(op.node.domain).\(op.type) in node '\(op.name)' is not supported")
        }
        switch op.type {
        case "Conv": try convolution(op)
        case "Relu": try activation(op, .relu)
        case "Sigmoid": try activation(op, .sigmoid)
        case "HardSwish": try activation(op, .hardSwish)
        case "Add": try arithmetic(op, .add, graphOperator: .add)
        case "Mul": try arithmetic(op, .multiply, graphOperator: .multiply)
        case "Sub": try arithmetic(op, .subtract, graphOperator: nil)
        case "Div": try arithmetic(op, .divide, graphOperator: nil)
        case "MaxPool": try pool(op, .max)
        case "AveragePool": try pool(op, .average)
        case "GlobalAveragePool": try globalAveragePool(op)
        case "Resize": try resize(op)
        case "Concat": try concatenation(op)
        case "Identity": try identity(op)
        case "Constant": try constantNode(op)
        case "Shape": try shape(op)
        case "Gather": try gather(op)
        case "Unsqueeze": try unsqueeze(op)
        case "Squeeze": try squeeze(op)
        case "Slice": try slice(op)
        case "Cast": try cast(op)
        case "Floor": try floor(op)
        default: throw .unsupported("operator \(op.type) in node '\(op.name)' is not supported")
        }
    }

    // MARK: Convolution

    /// `Conv` (opsets 1, 11), 2-D: inputs `X` NCHW, weights `W` OIHW `[O, I / group, KH, KW]` (constant),
    /// optional bias `B` `[O]` (constant). Weights become OHWI; `auto_pad` and `pads`
    /// `[top, left, bottom, right]` become explicit padding.
    mutating func convolution(_ op: ONNXOperator) throws(ModelError) {
        try op.expect(inputs: 2...3)
        try op.check(attributes: ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
        let (input, inputShape) = try imageOperand(op.input(0), of: op)
        let weightsName = try op.input(1)
        let weights = try requiredConstant(weightsName, of: op, role: "weights")
        guard case .float(let oihw) = weights.elements, weights.shape.count == 4, oihw.count > 0 else {
            throw .malformed("\(op) has weights '\(weightsName)' of type \(weights.typeName) and shape \(weights.shape)")
        }
        let (outputChannels, channelsPerGroup) = (weights.shape[0], weights.shape[1])
        let (kernelHeight, kernelWidth) = (weights.shape[2], weights.shape[3])
        let groups = try op.positive(op.int("group", default: 1), "group")
        guard inputShape[3] == channelsPerGroup * groups, outputChannels % groups == 0 else {
            throw .malformed("\(op) has \(inputShape[3]) input channels, \(groups) groups and weights \(weights.shape)")
        }
        if let kernel = try op.ints("kernel_shape"), kernel != [Int64(kernelHeight), Int64(kernelWidth)] {
            throw .malformed("\(op) has kernel_shape \(kernel) and weights \(weights.shape)")
        }
        let strides = try op.spatialPair("strides", default: 1)
        let dilations = try op.spatialPair("dilations", default: 1)
        let padding = try Self.padding(op, input: (inputShape[1], inputShape[2]),
                                       kernel: (kernelHeight, kernelWidth), strides: strides, dilations: dilations)
        // OIHW to OHWI (through pointers: indexing the arrays cost 2 ms of U-2-Net-p's reading).
        let taps = kernelHeight * kernelWidth
        let ohwi = [Float](unsafeUninitializedCapacity: oihw.count) { target, initialized in
            oihw.withUnsafeBufferPointer { source in
                let source = source.baseAddress!, target = target.baseAddress!
                for o in 0..<outputChannels {
                    for i in 0..<channelsPerGroup {
                        let from = source + (o * channelsPerGroup + i) * taps
                        let to = target + o * taps * channelsPerGroup + i
                        for tap in 0..<taps { to[tap * channelsPerGroup] = from[tap] }
                    }
                }
            }
            initialized = oihw.count
        }
        let weightShape = [outputChannels, kernelHeight, kernelWidth, channelsPerGroup]
        var inputs = [(input, inputShape),
                      (constantValue(key: weightsName + "#OHWI", name: weightsName,
                                     Tensor(shape: weightShape, scalars: ohwi)), weightShape)]
        if let biasName = op.optionalInput(2) {
            let bias = try requiredConstant(biasName, of: op, role: "bias")
            guard case .float(let scalars) = bias.elements, bias.shape == [outputChannels] else {
                throw .malformed("\(op) has bias '\(biasName)' of shape \(bias.shape) for \(outputChannels) outputs")
            }
            inputs.append((constantValue(key: biasName + "#vector", name: biasName,
                                         Tensor(shape: [outputChannels], scalars: scalars)), [outputChannels]))
        }
        let convolution = Convolution(strides: strides, dilations: dilations, padding: padding, groups: groups)
        try addNode(op, .convolution(convolution), inputs: inputs)
    }

    /// ONNX `auto_pad` and `pads` for a 2-D window: `NOTSET` uses `pads` `[top, left, bottom, right]`
    /// (default zeros); `VALID` none; `SAME_UPPER` and `SAME_LOWER` pad to an output of
    /// `ceil(input / stride)`, the odd cell of padding after (UPPER) or before (LOWER).
    static func padding(_ op: ONNXOperator, input: (height: Int, width: Int), kernel: (height: Int, width: Int),
                        strides: (height: Int, width: Int), dilations: (height: Int, width: Int))
        throws(ModelError) -> Padding {
        let autoPad = try op.string("auto_pad", default: "NOTSET")
        switch autoPad {
        case "NOTSET":
            guard let pads = try op.ints("pads") else { return .explicit(top: 0, left: 0, bottom: 0, right: 0) }
            guard pads.count == 4 else { throw .unsupported("\(op) has pads \(pads); only 2-D windows are supported") }
            guard pads.allSatisfy({ $0 >= 0 && $0 <= 1 << 24 }) else {
                throw .unsupported("\(op) has pads \(pads); only pads from 0 to 2^24 are supported")
            }
            return .explicit(top: Int(pads[0]), left: Int(pads[1]), bottom: Int(pads[2]), right: Int(pads[3]))
        case "VALID":
            return .valid
        case "SAME_UPPER", "SAME_LOWER":
            // Lengths are at most 2^30 and kernels, strides and dilations 2^24: no product overflows.
            func split(_ length: Int, _ kernel: Int, _ stride: Int, _ dilation: Int) -> (before: Int, after: Int) {
                let output = (length + stride - 1) / stride
                let total = max((output - 1) * stride + (kernel - 1) * dilation + 1 - length, 0)
                return autoPad == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
            }
            let vertical = split(input.height, kernel.height, strides.height, dilations.height)
            let horizontal = split(input.width, kernel.width, strides.width, dilations.width)
            return .explicit(top: vertical.before, left: horizontal.before, bottom: vertical.after,
                             right: horizontal.after)
        default:
            throw .malformed("\(op) has auto_pad '\(autoPad)'")
        }
    }

    /// A rank-4 (NCHW in ONNX, NHWC in the graph) operand of a spatial operator.
    mutating func imageOperand(_ name: String, of op: ONNXOperator) throws(ModelError) -> (ValueID, [Int]) {
        let rank = try onnxShape(of: name, reader: "\(op)").count
        guard rank == 4 else {
            throw .unsupported("\(op) reads '\(name)' of rank \(rank); only 2-D images (rank 4, NCHW) are supported")
        }
        return try operand(name, of: op, rank: 4)
    }

    // MARK: Elementwise

    /// `Relu`, `Sigmoid`, `HardSwish`: input `X` of any rank.
    mutating func activation(_ op: ONNXOperator, _ activation: Activation) throws(ModelError) {
        try op.expect(inputs: 1...1)
        try op.check(attributes: [])
        let x = try op.input(0)
        let rank = try onnxShape(of: x, reader: "\(op)").count
        try addNode(op, .activation(activation), inputs: [try operand(x, of: op, rank: rank)])
    }

    /// `Add`, `Sub`, `Mul`, `Div` (opsets 7 and later; NumPy broadcasting): folded when both operands are
    /// constants, else a graph node (`Add` and `Mul` only).
    mutating func arithmetic(_ op: ONNXOperator, _ arithmetic: ShapeFolding.Arithmetic,
                             graphOperator: BinaryOperator?) throws(ModelError) {
        try op.expect(inputs: 2...2)
        try op.check(attributes: [])
        let a = try op.input(0), b = try op.input(1)
        if let x = try constant(a, of: op), let y = try constant(b, of: op) {
            try define(op.output(0), as: .constant(ShapeFolding.arithmetic(arithmetic, x, y, "\(op)")), by: op)
            return
        }
        guard let graphOperator else {
            throw .unsupported("\(op) on values computed at run time is not supported (only constants fold)")
        }
        let rank = max(try onnxShape(of: a, reader: "\(op)").count, try onnxShape(of: b, reader: "\(op)").count)
        try addNode(op, .binary(graphOperator), inputs: [try operand(a, of: op, rank: rank),
                                                         try operand(b, of: op, rank: rank)])
    }

    /// `Identity`: the output names the input's value.
    mutating func identity(_ op: ONNXOperator) throws(ModelError) {
        try op.expect(inputs: 1...1)
        try op.check(attributes: [])
        try define(op.output(0), as: value(op.input(0), reader: "\(op)"), by: op)
    }

    // MARK: Pooling

    /// `MaxPool` (opsets 1, 8, 10, 11, 12) and `AveragePool` (1, 7, 10, 11, 19), 2-D: input `X` NCHW,
    /// `kernel_shape`, `strides`, `pads`/`auto_pad`, `ceil_mode`. Windows clip to the input: an average
    /// divides by the cells inside (`count_include_pad = 0`; `1` only without padding). Dilations must be 1;
    /// MaxPool's `Indices` output is refused.
    mutating func pool(_ op: ONNXOperator, _ kind: Pooling.Kind) throws(ModelError) {
        if kind == .max {
            try op.expect(inputs: 1...1, outputs: 1...2)
            if op.node.outputs.count == 2, !op.node.outputs[1].isEmpty {
                throw .unsupported("\(op) asks for the Indices output")
            }
            try op.check(attributes: ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                                      "storage_order", "strides"])
        } else {
            try op.expect(inputs: 1...1)
            try op.check(attributes: ["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape",
                                      "pads", "strides"])
        }
        let (input, inputShape) = try imageOperand(op.input(0), of: op)
        guard try op.ints("kernel_shape") != nil else { throw .malformed("\(op) has no kernel_shape") }
        let kernel = try op.spatialPair("kernel_shape", default: 1)
        let strides = try op.spatialPair("strides", default: 1)
        guard try op.spatialPair("dilations", default: 1) == (1, 1) else {
            throw .unsupported("\(op) has dilations; only undilated pooling is supported")
        }
        let ceilMode = try op.int("ceil_mode", default: 0)
        guard ceilMode == 0 || ceilMode == 1 else { throw .malformed("\(op) has ceil_mode \(ceilMode)") }
        let padding = try Self.padding(op, input: (inputShape[1], inputShape[2]), kernel: kernel, strides: strides,
                                       dilations: (1, 1))
        if kind == .average, try op.int("count_include_pad", default: 0) != 0 {
            let unpadded = padding == .valid || padding == .explicit(top: 0, left: 0, bottom: 0, right: 0)
            guard unpadded, ceilMode == 0 else {
                throw .unsupported("\(op) counts padding in its averages (count_include_pad = 1)")
            }
        }
        let pooling = Pooling(kind: kind, kernel: kernel, strides: strides, padding: padding, ceilMode: ceilMode == 1)
        try addNode(op, .pool(pooling), inputs: [(input, inputShape)])
    }

    /// `GlobalAveragePool`: the mean of each channel over height and width, `[N, C, 1, 1]`.
    mutating func globalAveragePool(_ op: ONNXOperator) throws(ModelError) {
        try op.expect(inputs: 1...1)
        try op.check(attributes: [])
        let (input, inputShape) = try imageOperand(op.input(0), of: op)
        let pooling = Pooling(kind: .average, kernel: (inputShape[1], inputShape[2]), strides: (1, 1), padding: .valid)
        try addNode(op, .pool(pooling), inputs: [(input, inputShape)])
    }

    // MARK: Resize and concatenation

    /// `Resize` (opsets 11, 13, 18, 19) of the height and width of `X` NCHW: inputs `X`, `roi`, `scales`,
    /// `sizes` (one of the last two, constant after folding). Modes `nearest` (with `nearest_mode`) and
    /// `linear`; coordinate transforms `half_pixel` (the default), `pytorch_half_pixel`, `align_corners`,
    /// `asymmetric`. Scales must give whole output lengths (the graph resizes to sizes, and a size from a
    /// fractional product would map coordinates differently).
    mutating func resize(_ op: ONNXOperator) throws(ModelError) {
        guard op.operatorSet >= 11 else {
            throw .unsupported("\(op) uses Resize of operator set \(op.operatorSet); only 11 and later are supported")
        }
        try op.expect(inputs: 1...4)
        try op.check(attributes: ["antialias", "axes", "coordinate_transformation_mode", "cubic_coeff_a",
                                  "exclude_outside", "extrapolation_value", "keep_aspect_ratio_policy", "mode",
                                  "nearest_mode"])
        guard try op.int("antialias", default: 0) == 0 else { throw .unsupported("\(op) has antialias set") }
        guard try op.ints("axes") == nil else { throw .unsupported("\(op) has axes") }
        let policy = try op.string("keep_aspect_ratio_policy", default: "stretch")
        guard policy == "stretch" else { throw .unsupported("\(op) has keep_aspect_ratio_policy '\(policy)'") }

        let mode: Resize.Mode
        switch try op.string("mode", default: "nearest") {
        case "nearest": mode = .nearest
        case "linear": mode = .linear
        case "cubic": throw .unsupported("\(op) has mode 'cubic'")
        case let other: throw .malformed("\(op) has mode '\(other)'")
        }
        let transform: Resize.CoordinateTransform
        switch try op.string("coordinate_transformation_mode", default: "half_pixel") {
        case "half_pixel": transform = .halfPixel
        case "pytorch_half_pixel": transform = .pytorchHalfPixel
        case "align_corners": transform = .alignCorners
        case "asymmetric": transform = .asymmetric
        case let other where ["tf_crop_and_resize", "tf_half_pixel_for_nn", "half_pixel_symmetric"].contains(other):
            throw .unsupported("\(op) has coordinate_transformation_mode '\(other)'")
        case let other: throw .malformed("\(op) has coordinate_transformation_mode '\(other)'")
        }
        let rounding: Resize.NearestRounding
        switch try op.string("nearest_mode", default: "round_prefer_floor") {
        case "round_prefer_floor": rounding = .roundPreferFloor
        case "round_prefer_ceil": rounding = .roundPreferCeil
        case "floor": rounding = .floor
        case "ceil": rounding = .ceil
        case let other: throw .malformed("\(op) has nearest_mode '\(other)'")
        }

        let (input, inputShape) = try imageOperand(op.input(0), of: op)
        let (batch, height, width, channels) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        // `roi` matters only to tf_crop_and_resize (refused above), but must name a value.
        if let roi = op.optionalInput(1) { _ = try value(roi, reader: "\(op)") }
        var sizes: [Int64] = []
        if let name = op.optionalInput(3) { sizes = try integers(name, of: op, role: "sizes") }
        var scales: [Float] = []
        if let name = op.optionalInput(2) {
            let constant = try requiredConstant(name, of: op, role: "scales")
            guard case .float(let values) = constant.elements, constant.shape.count == 1 else {
                throw .malformed("\(op) has scales '\(name)' of type \(constant.typeName) and shape \(constant.shape)")
            }
            scales = values
        }
        let size: (height: Int, width: Int)
        switch (sizes.isEmpty, scales.isEmpty) {
        case (false, true):
            guard sizes.count == 4, sizes[0] == Int64(batch), sizes[1] == Int64(channels) else {
                throw .unsupported("\(op) resizes [\(batch), \(channels), \(height), \(width)] to sizes \(sizes); "
                                   + "only height and width may change")
            }
            guard sizes[2] >= 1, sizes[2] <= 1 << 24, sizes[3] >= 1, sizes[3] <= 1 << 24 else {
                throw .malformed("\(op) has sizes \(sizes)")
            }
            size = (Int(sizes[2]), Int(sizes[3]))
        case (true, false):
            guard scales.count == 4, scales[0] == 1, scales[1] == 1 else {
                throw .unsupported("\(op) has scales \(scales); only height and width may change")
            }
            func length(_ input: Int, _ scale: Float) throws(ModelError) -> Int {
                let product = Double(input) * Double(scale)
                guard scale > 0, product >= 1, product <= Double(1 << 24) else {
                    throw .malformed("\(op) scales a length of \(input) by \(scale)")
                }
                guard product == product.rounded(.down) else {
                    throw .unsupported("\(op) scales a length of \(input) by \(scale), a fractional length; "
                                       + "only scales giving whole lengths are supported")
                }
                return Int(product)
            }
            size = (try length(height, scales[2]), try length(width, scales[3]))
        case (false, false): throw .malformed("\(op) has both scales and sizes")
        case (true, true): throw .malformed("\(op) has neither scales nor sizes")
        }
        let resize = Resize(mode: mode, coordinateTransform: transform, nearestRounding: rounding, size: size)
        try addNode(op, .resize(resize), inputs: [(input, inputShape)])
    }

    /// `Concat` (opsets 4, 11, 13) along `axis` (negative counts from the end): folded when every input is
    /// a constant, else a graph node on the axis mapped to the graph's layout.
    mutating func concatenation(_ op: ONNXOperator) throws(ModelError) {
        try op.expect(inputs: 1...Int.max)
        try op.check(attributes: ["axis"])
        guard let axis = try op.int("axis") else { throw .malformed("\(op) has no axis") }
        var names: [String] = []
        for position in op.node.inputs.indices { names.append(try op.input(position)) }
        var constants: [ConstantTensor] = []
        for name in names {
            guard let constant = try constant(name, of: op) else { break }
            constants.append(constant)
        }
        if constants.count == names.count {
            try define(op.output(0), as: .constant(ShapeFolding.concatenate(constants, axis: axis, "\(op)")), by: op)
            return
        }
        let rank = try onnxShape(of: names[0], reader: "\(op)").count
        let onnxAxis = try ShapeFolding.normalizedAxis(axis, rank: rank, "\(op)")
        var inputs: [(ValueID, [Int])] = []
        for name in names {
            guard try onnxShape(of: name, reader: "\(op)").count == rank else {
                throw .malformed("\(op) concatenates values of different ranks")
            }
            inputs.append(try operand(name, of: op, rank: rank))
        }
        try addNode(op, .concatenate(axis: Self.graphAxis(onnxAxis, rank: rank)), inputs: inputs)
    }

    // MARK: Folded operators (shape computations)

    /// `Constant` (opsets 1, 9, 11, 12, 13, 19, 21): one of `value` (a tensor), `value_float`,
    /// `value_floats`, `value_int`, `value_ints`.
    mutating func constantNode(_ op: ONNXOperator) throws(ModelError) {
        try op.expect(inputs: 0...0)
        try op.check(attributes: ["value", "value_float", "value_floats", "value_int", "value_ints",
                                  "value_string", "value_strings", "sparse_value"])
        guard op.node.attributes.count == 1, let attribute = op.node.attributes.first else {
            throw .malformed("\(op) has \(op.node.attributes.count) value attributes, not one")
        }
        let constant: ConstantTensor
        switch attribute.name {
        case "value":
            guard let tensor = try op.tensor("value") else { throw .malformed("\(op) has no value") }
            constant = try tensor.contents(in: model.bytes, "\(op)")
        case "value_float":
            constant = ConstantTensor(shape: [], floats: [try op.float("value_float") ?? 0])
        case "value_floats":
            let values = try op.floats("value_floats") ?? []
            constant = ConstantTensor(shape: [values.count], floats: values)
        case "value_int":
            constant = ConstantTensor(shape: [], integers: [try op.int("value_int") ?? 0])
        case "value_ints":
            let values = try op.ints("value_ints") ?? []
            constant = ConstantTensor(shape: [values.count], integers: values)
        default:
            throw .unsupported("\(op) has a \(attribute.name)")
        }
        try define(op.output(0), as: .constant(constant), by: op)
    }

    /// `Shape` (opsets 1, 13, 15): the ONNX-layout shape of any value, optionally from `start` to `end`.
    mutating func shape(_ op: ONNXOperator) throws(ModelError) {
        try op.expect(inputs: 1...1)
        try op.check(attributes: ["start", "end"])
        let shape = try onnxShape(of: op.input(0), reader: "\(op)")
        let folded = ShapeFolding.shape(shape, start: try op.int("start", default: 0), end: try op.int("end"))
        try define(op.output(0), as: .constant(folded), by: op)
    }

    /// `Gather` (opsets 1, 11, 13) of constants along `axis`.
    mutating func gather(_ op: ONNXOperator) throws(ModelError) {
        try op.expect(inputs: 2...2)
        try op.check(attributes: ["axis"])
        let data = try requiredConstant(op.input(0), of: op, role: "data")
        let indices = try requiredConstant(op.input(1), of: op, role: "indices")
        let folded = try ShapeFolding.gather(data, indices: indices, axis: op.int("axis", default: 0), "\(op)")
        try define(op.output(0), as: .constant(folded), by: op)
    }

    /// `Unsqueeze` of a constant: `axes` an attribute before operator set 13, an input from 13.
    mutating func unsqueeze(_ op: ONNXOperator) throws(ModelError) {
        let axes: [Int64]
        if op.operatorSet < 13 {
            try op.expect(inputs: 1...1)
            try op.check(attributes: ["axes"])
            guard let values = try op.ints("axes") else { throw .malformed("\(op) has no axes") }
            axes = values
        } else {
            try op.expect(inputs: 2...2)
            try op.check(attributes: [])
            axes = try integers(op.input(1), of: op, role: "axes")
        }
        let x = try requiredConstant(op.input(0), of: op, role: "data")
        try define(op.output(0), as: .constant(ShapeFolding.unsqueeze(x, axes: axes, "\(op)")), by: op)
    }

    /// `Squeeze` of a constant: optional `axes`, an attribute before operator set 13, an input from 13.
    mutating func squeeze(_ op: ONNXOperator) throws(ModelError) {
        var axes: [Int64]?
        if op.operatorSet < 13 {
            try op.expect(inputs: 1...1)
            try op.check(attributes: ["axes"])
            axes = try op.ints("axes")
        } else {
            try op.expect(inputs: 1...2)
            try op.check(attributes: [])
            if let name = op.optionalInput(1) { axes = try integers(name, of: op, role: "axes") }
        }
        let x = try requiredConstant(op.input(0), of: op, role: "data")
        try define(op.output(0), as: .constant(ShapeFolding.squeeze(x, axes: axes, "\(op)")), by: op)
    }

    /// `Slice` of a constant: `starts`, `ends`, `axes` attributes before operator set 10; inputs `starts`,
    /// `ends`, optional `axes` and `steps` from 10.
    mutating func slice(_ op: ONNXOperator) throws(ModelError) {
        let starts: [Int64], ends: [Int64]
        var axes: [Int64]?, steps: [Int64]?
        if op.operatorSet < 10 {
            try op.expect(inputs: 1...1)
            try op.check(attributes: ["starts", "ends", "axes"])
            guard let first = try op.ints("starts"), let last = try op.ints("ends") else {
                throw .malformed("\(op) lacks starts or ends")
            }
            (starts, ends, axes) = (first, last, try op.ints("axes"))
        } else {
            try op.expect(inputs: 3...5)
            try op.check(attributes: [])
            starts = try integers(op.input(1), of: op, role: "starts")
            ends = try integers(op.input(2), of: op, role: "ends")
            if let name = op.optionalInput(3) { axes = try integers(name, of: op, role: "axes") }
            if let name = op.optionalInput(4) { steps = try integers(name, of: op, role: "steps") }
        }
        let x = try requiredConstant(op.input(0), of: op, role: "data")
        let folded = try ShapeFolding.slice(x, starts: starts, ends: ends, axes: axes, steps: steps, "\(op)")
        try define(op.output(0), as: .constant(folded), by: op)
    }

    /// `Cast` of a constant to the type `to`.
    mutating func cast(_ op: ONNXOperator) throws(ModelError) {
        try op.expect(inputs: 1...1)
        try op.check(attributes: ["to", "saturate"])
        guard let target = try op.int("to"), let type = Int32(exactly: target) else {
            throw .malformed("\(op) has no valid 'to'")
        }
        let x = try requiredConstant(op.input(0), of: op, role: "input")
        let folded = try ShapeFolding.cast(x, to: type, "\(op)")
        try define(op.output(0), as: .constant(folded), by: op)
    }

    /// `Floor` of a constant.
    mutating func floor(_ op: ONNXOperator) throws(ModelError) {
        try op.expect(inputs: 1...1)
        try op.check(attributes: [])
        let x = try requiredConstant(op.input(0), of: op, role: "input")
        try define(op.output(0), as: .constant(ShapeFolding.floor(x)), by: op)
    }
}
