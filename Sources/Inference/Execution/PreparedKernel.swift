/// One node's operator made ready to run at fixed shapes: padding resolved, weights packed,
/// the fast kernel (or, for testing, the reference twin) chosen.
enum PreparedKernel {
    /// `inputParts`: the input arrives as that many tensors to join along channels, each read as
    /// is (nil) or through a resize or pooling; `[nil]` for one tensor read as is.
    /// `residual`: a last input, shaped as the output, is added after the activation.
    case convolution(PackedConvolution, inputParts: [ConvolutionRows.RowProducer?], residual: Bool)
    case referenceConvolution(ConvolutionGeometry, Activation, hasBias: Bool)
    case transposedConvolution(TransposedConvolutionGeometry, hasBias: Bool)
    case binary(BinaryOperator)
    case activation(Activation)
    case pool(Pooling.Kind, PoolingGeometry, Activation)
    case mean(axes: [Int])
    case resize(Resize)
    case concatenate(axis: Int)
    case pad(before: [Int], after: [Int])
    /// A copy: the elements stay in order.
    case reshape

    /// A short name of the kernel for profiles: the operator, and for convolutions their shape.
    var kind: String {
        switch self {
        case .convolution(let packed, _, _):
            let geometry = packed.geometry
            let name = geometry.groups == 1
                ? "convolution \(geometry.kernelHeight)x\(geometry.kernelWidth)"
                : "convolution grouped"
            return packed.usesBFloat16 ? name + " bf16" : name
        case .referenceConvolution: return "convolution"
        case .transposedConvolution: return "transposed convolution"
        case .binary(let binaryOperator): return "\(binaryOperator)"
        case .activation(let activation): return "\(activation)"
        case .pool(let kind, _, _): return "\(kind) pool"
        case .mean: return "mean"
        case .resize(let resize): return "resize \(resize.mode)"
        case .concatenate: return "concatenate"
        case .pad: return "pad"
        case .reshape: return "reshape"
        }
    }

    var multiplyAdds: Int {
        switch self {
        case .convolution(let packed, _, _): packed.geometry.multiplyAdds
        case .referenceConvolution(let geometry, _, _): geometry.multiplyAdds
        case .transposedConvolution(let geometry, _):
            geometry.inputCount * geometry.kernelHeight * geometry.kernelWidth * geometry.outputChannels
        default: 0
        }
    }

    /// - Parameters:
    ///   - constants: for each input, its contents when it is a constant.
    ///   - inputParts: for a convolution that gathers its input, one entry per part, the resize
    ///     or pooling it is read through or nil (`node` and `inputShapes` still name the input `x`).
    ///   - residual: the convolution adds a residual input to its output.
    ///   - precision: what a packed convolution multiplies in (`PackedConvolution`).
    init(node: Node, inputShapes: [[Int]], outputShapes: [[Int]], constants: [[Float]?], inputParts: [ConvolutionRows.RowProducer?] = [nil],
         residual: Bool = false, reference: Bool, precision: Precision = .fp32) throws(ModelError) {
        switch node.operation {
        case .convolution(let convolution):
            let geometry = convolution.geometry(input: inputShapes[0], weights: inputShapes[1])
            if reference {
                self = .referenceConvolution(geometry, convolution.activation, hasBias: inputShapes.count > 2)
            } else {
                guard let weightValues = constants[1] else {
                    throw .unsupported("node \(node.name): convolution weights must be constant")
                }
                let bias = constants.count > 2 ? constants[2] : nil
                if inputShapes.count > 2, bias == nil {
                    throw .unsupported("node \(node.name): convolution bias must be constant")
                }
                self = .convolution(PackedConvolution(weights: weightValues, bias: bias, geometry: geometry,
                                                      activation: convolution.activation, precision: precision),
                                    inputParts: inputParts, residual: residual)
            }
        case .transposedConvolution(let transposed):
            self = .transposedConvolution(
                try TransposedConvolutionGeometry(inputShape: inputShapes[0], weightShape: inputShapes[1],
                                                  attributes: transposed),
                hasBias: inputShapes.count > 2)
        case .binary(let binaryOperator):
            self = .binary(binaryOperator)
        case .activation(let activation):
            self = .activation(activation)
        case .pool(let pooling):
            self = .pool(pooling.kind, try PoolingGeometry(inputShape: inputShapes[0], pooling: pooling),
                         pooling.activation)
        case .mean(let axes, _):
            self = .mean(axes: axes)
        case .resize(let resize):
            self = .resize(resize)
        case .concatenate(let axis):
            self = .concatenate(axis: axis)
        case .pad(let before, let after):
            self = .pad(before: before, after: after)
        case .reshape:
            self = .reshape
        }
    }

    /// Runs the kernel. Buffers have the counts of the planned shapes. A packed convolution takes
    /// its input parts (a part read through a resize or pooling: that operator's input), then the
    /// residual if any, and no weights or bias: it holds them packed. A reference convolution takes
    /// its input, weights and bias.
    func run(inputs: [UnsafeBufferPointer<Float>], inputShapes: [[Int]],
             outputs: [UnsafeMutableBufferPointer<Float>], outputShapes: [[Int]], threads: Int,
             reference: Bool) {
        let output = outputs[0]
        switch self {
        case .convolution(let packed, let inputParts, let residual) where inputParts.count > 1 || inputParts[0] != nil || residual:
            let parts = inputParts.enumerated().map { index, producer in
                ConvolutionRows.Part(input: inputs[index].baseAddress!, channels: inputShapes[index][3], through: producer)
            }
            packed.run(parts: parts, residual: residual ? inputs[inputs.count - 1].baseAddress! : nil,
                       output: output.baseAddress!, threads: threads)
        case .convolution(let packed, _, _):
            packed.run(input: inputs[0].baseAddress!, output: output.baseAddress!, threads: threads)
        case .referenceConvolution(let geometry, let activation, let hasBias):
            ReferenceKernels.convolution(input: inputs[0], weights: inputs[1], bias: hasBias ? inputs[2] : nil,
                                         output: output, geometry: geometry, activation: activation)
        case .transposedConvolution(let geometry, let hasBias):
            let bias = hasBias ? inputs[2] : nil
            if reference {
                ReferenceKernels.transposedConvolution(input: inputs[0], weights: inputs[1], bias: bias,
                                                       output: output, geometry: geometry)
            } else {
                Inference.transposedConvolution(input: inputs[0], weights: inputs[1], bias: bias, output: output,
                                      geometry: geometry, threads: threads)
            }
        case .binary(let binaryOperator):
            if reference {
                ReferenceKernels.binary(binaryOperator, inputs[0], shape: inputShapes[0], inputs[1],
                                        shape: inputShapes[1], output: output)
            } else {
                Inference.binary(binaryOperator, inputs[0], shape: inputShapes[0], inputs[1], shape: inputShapes[1],
                       output: output, threads: threads)
            }
        case .activation(let activation):
            if reference {
                ReferenceKernels.activate(activation, input: inputs[0], output: output)
            } else {
                Inference.activate(activation, input: inputs[0], output: output, threads: threads)
            }
        case .pool(let kind, let geometry, let activation):
            if reference {
                ReferenceKernels.pool(kind, input: inputs[0], output: output, geometry: geometry, activation: activation)
            } else {
                Inference.pool(kind, input: inputs[0], output: output, geometry: geometry, activation: activation, threads: threads)
            }
        case .mean(let axes):
            if reference {
                ReferenceKernels.mean(inputs[0], shape: inputShapes[0], axes: axes, output: output)
            } else {
                Inference.mean(inputs[0], shape: inputShapes[0], axes: axes, output: output, threads: threads)
            }
        case .resize(let resize):
            if reference {
                ReferenceKernels.resize(resize, input: inputs[0], inputShape: inputShapes[0], output: output)
            } else {
                Inference.resize(resize, input: inputs[0], inputShape: inputShapes[0], output: output, threads: threads)
            }
        case .concatenate(let axis):
            if reference {
                ReferenceKernels.concatenate(inputs, shapes: inputShapes, axis: axis, output: output)
            } else {
                Inference.concatenate(inputs, shapes: inputShapes, axis: axis, output: output, threads: threads)
            }
        case .pad(let before, let after):
            if reference {
                ReferenceKernels.pad(inputs[0], shape: inputShapes[0], before: before, after: after, output: output)
            } else {
                Inference.pad(inputs[0], shape: inputShapes[0], before: before, after: after, output: output,
                              threads: threads)
            }
        case .reshape:
            // Same count: the planned shapes hold the same elements.
            if let source = inputs[0].baseAddress, let destination = output.baseAddress {
                destination.update(from: source, count: output.count)
            }
        }
    }
}
