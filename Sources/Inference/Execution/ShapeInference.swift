/// Output shapes of each operation, from input shapes. Checks that inputs fit the operation and
/// throws `ModelError.malformed` when they do not (shapes come from untrusted model files).
enum ShapeInference {
    static func outputShapes(of node: Node, inputs: [[Int]]) throws(ModelError) -> [[Int]] {
        func fail(_ reason: String) -> ModelError {
            .malformed("node \(node.name): \(reason) (input shapes \(inputs))")
        }
        func input(_ index: Int, rank: Int? = nil) throws(ModelError) -> [Int] {
            guard index < inputs.count else { throw fail("missing input \(index)") }
            if let rank, inputs[index].count != rank { throw fail("input \(index) must have rank \(rank)") }
            return inputs[index]
        }
        switch node.operation {
        case .convolution(let convolution):
            let x = try input(0, rank: 4), weights = try input(1, rank: 4)
            let groups = convolution.groups
            guard groups >= 1, x[3] % groups == 0, weights[0] % groups == 0, weights[3] * groups == x[3] else {
                throw fail("channels do not fit weights \(weights) with \(groups) groups")
            }
            if inputs.count > 2, try input(2) != [weights[0]], inputs[2].reduce(1, *) != weights[0] {
                throw fail("bias must have \(weights[0]) elements")
            }
            guard min(convolution.strides.height, convolution.strides.width,
                      convolution.dilations.height, convolution.dilations.width) >= 1
            else { throw fail("strides and dilations must be positive") }
            let geometry = convolution.geometry(input: x, weights: weights)
            if let reason = geometry.invalidReason { throw fail(reason) }
            return [[x[0], geometry.outputHeight, geometry.outputWidth, weights[0]]]
        case .transposedConvolution(let transposed):
            let geometry: TransposedConvolutionGeometry
            do {
                geometry = try TransposedConvolutionGeometry(inputShape: try input(0, rank: 4),
                                                             weightShape: try input(1, rank: 4), attributes: transposed)
            } catch { throw fail(error.description) }
            return [[geometry.batch, geometry.outputHeight, geometry.outputWidth, geometry.outputChannels]]
        case .binary:
            guard let shape = broadcastShape(try input(0), try input(1)) else { throw fail("shapes do not broadcast") }
            return [shape]
        case .activation:
            return [try input(0)]
        case .pool(let pooling):
            let x = try input(0, rank: 4)
            let geometry: PoolingGeometry
            do { geometry = try PoolingGeometry(inputShape: x, pooling: pooling) } catch { throw fail(error.description) }
            return [[x[0], geometry.outputHeight, geometry.outputWidth, x[3]]]
        case .mean(let axes, let keepDimensions):
            guard let shape = meanShape(try input(0), axes: axes, keepDimensions: keepDimensions) else {
                throw fail("axes \(axes) out of range")
            }
            return [shape]
        case .resize(let resize):
            let x = try input(0, rank: 4)
            guard resize.size.height > 0, resize.size.width > 0 else { throw fail("empty output size") }
            return [[x[0], resize.size.height, resize.size.width, x[3]]]
        case .concatenate(let axis):
            guard let shape = concatenatedShape(inputs, axis: axis) else {
                throw fail("no inputs, axis out of range, or shapes differ off the concatenation axis")
            }
            return [shape]
        case .pad(let before, let after):
            guard let shape = paddedShape(try input(0), before: before, after: after) else {
                throw fail("padding \(before), \(after) does not fit")
            }
            return [shape]
        case .reshape(let target):
            guard let shape = reshapedShape(try input(0), to: target) else {
                throw fail("cannot be reshaped to \(target)")
            }
            return [shape]
        }
    }
}

extension Convolution {
    /// The geometry of this convolution over an NHWC `input` with OHWI `weights` (shapes checked by
    /// `ShapeInference`; strides and dilations positive), padding resolved as `Padding` documents.
    func geometry(input: [Int], weights: [Int]) -> ConvolutionGeometry {
        ConvolutionGeometry(batch: input[0], inputHeight: input[1], inputWidth: input[2], inputChannels: input[3],
                            outputChannels: weights[0], kernelHeight: weights[1], kernelWidth: weights[2],
                            strides: strides, dilations: dilations, padding: padding, groups: groups)
    }
}
