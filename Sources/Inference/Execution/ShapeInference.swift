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
            let x = try input(0, rank: 4), weights = try input(1, rank: 4)
            guard weights[3] == x[3] else { throw fail("weights \(weights) do not fit input channels") }
            func size(_ length: Int, _ kernel: Int, _ stride: Int, _ before: Int, _ after: Int) -> Int {
                switch transposed.padding {
                case .same: length * stride
                case .valid: (length - 1) * stride + kernel
                case .explicit: (length - 1) * stride + kernel - before - after
                }
            }
            var padding = (top: 0, left: 0, bottom: 0, right: 0)
            if case .explicit(let top, let left, let bottom, let right) = transposed.padding {
                padding = (top, left, bottom, right)
            }
            let height = size(x[1], weights[1], transposed.strides.height, padding.top, padding.bottom)
            let width = size(x[2], weights[2], transposed.strides.width, padding.left, padding.right)
            guard height > 0, width > 0 else { throw fail("empty output") }
            return [[x[0], height, width, weights[0]]]
        case .binary:
            guard let shape = broadcast(try input(0), try input(1)) else { throw fail("shapes do not broadcast") }
            return [shape]
        case .activation:
            return [try input(0)]
        case .pool(let pooling):
            let x = try input(0, rank: 4)
            guard let height = poolOutput(x[1], kernel: pooling.kernel.height, stride: pooling.strides.height,
                                          padding: pooling.padding, ceilMode: pooling.ceilMode, vertical: true),
                  let width = poolOutput(x[2], kernel: pooling.kernel.width, stride: pooling.strides.width,
                                         padding: pooling.padding, ceilMode: pooling.ceilMode, vertical: false)
            else { throw fail("pooling window larger than padded input") }
            return [[x[0], height, width, x[3]]]
        case .mean(let axes, let keepDimensions):
            let x = try input(0)
            let normalised = Set(axes.map { $0 < 0 ? $0 + x.count : $0 })
            guard normalised.allSatisfy({ (0..<x.count).contains($0) }) else { throw fail("axes \(axes) out of range") }
            return [keepDimensions
                ? x.enumerated().map { normalised.contains($0.offset) ? 1 : $0.element }
                : x.enumerated().filter { !normalised.contains($0.offset) }.map(\.element)]
        case .resize(let resize):
            let x = try input(0, rank: 4)
            guard resize.size.height > 0, resize.size.width > 0 else { throw fail("empty output size") }
            return [[x[0], resize.size.height, resize.size.width, x[3]]]
        case .concatenate(let axis):
            guard let first = inputs.first else { throw fail("no inputs") }
            let axis = axis < 0 ? axis + first.count : axis
            guard (0..<first.count).contains(axis) else { throw fail("axis out of range") }
            var shape = first
            shape[axis] = 0
            for other in inputs {
                guard other.count == first.count,
                      other.indices.allSatisfy({ $0 == axis || other[$0] == first[$0] })
                else { throw fail("shapes differ off the concatenation axis") }
                shape[axis] += other[axis]
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

    static func poolOutput(_ length: Int, kernel: Int, stride: Int, padding: Padding, ceilMode: Bool,
                           vertical: Bool) -> Int? {
        guard stride >= 1, kernel >= 1 else { return nil }
        var before = 0, after = 0
        switch padding {
        case .same: return (length + stride - 1) / stride
        case .valid: break
        case .explicit(let top, let left, let bottom, let right):
            (before, after) = vertical ? (top, bottom) : (left, right)
        }
        let span = length + before + after - kernel
        guard span >= 0 else { return nil }
        if !ceilMode { return span / stride + 1 }
        var output = (span + stride - 1) / stride + 1
        // A window must start inside the input or its leading padding (ONNX).
        if (output - 1) * stride >= length + before { output -= 1 }
        return output
    }

    /// NumPy broadcasting of two shapes; nil when they do not broadcast.
    static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var shape = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let x = axis - (rank - a.count) >= 0 ? a[axis - (rank - a.count)] : 1
            let y = axis - (rank - b.count) >= 0 ? b[axis - (rank - b.count)] : 1
            guard x == y || x == 1 || y == 1 else { return nil }
            shape[axis] = x == 1 ? y : x
        }
        return shape
    }
}
