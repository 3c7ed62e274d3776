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
            let height = try spatialOutput(x[1], kernel: weights[1], stride: convolution.strides.height,
                                           dilation: convolution.dilations.height, padding: convolution.padding, vertical: true)
            let width = try spatialOutput(x[2], kernel: weights[2], stride: convolution.strides.width,
                                          dilation: convolution.dilations.width, padding: convolution.padding, vertical: false)
            guard let height, let width else { throw fail("kernel larger than padded input") }
            return [[x[0], height, width, weights[0]]]
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
        }
    }

    /// Output length along one spatial axis of a convolution; nil when nothing fits.
    static func spatialOutput(_ length: Int, kernel: Int, stride: Int, dilation: Int, padding: Padding,
                              vertical: Bool) throws(ModelError) -> Int? {
        guard stride >= 1, dilation >= 1, kernel >= 1 else { throw .malformed("stride, dilation and kernel must be positive") }
        let effectiveKernel = (kernel - 1) * dilation + 1
        let padded: Int
        switch padding {
        case .same: return (length + stride - 1) / stride
        case .valid: padded = length
        case .explicit(let top, let left, let bottom, let right):
            padded = length + (vertical ? top + bottom : left + right)
        }
        guard padded >= effectiveKernel else { return nil }
        return (padded - effectiveKernel) / stride + 1
    }

    /// Padding before the first element along one axis (TensorFlow SAME puts the smaller half before).
    static func paddingBefore(_ length: Int, output: Int, kernel: Int, stride: Int, dilation: Int,
                              padding: Padding, vertical: Bool) -> Int {
        switch padding {
        case .valid: return 0
        case .same:
            let effectiveKernel = (kernel - 1) * dilation + 1
            return max((output - 1) * stride + effectiveKernel - length, 0) / 2
        case .explicit(let top, let left, _, _): return vertical ? top : left
        }
    }
}
