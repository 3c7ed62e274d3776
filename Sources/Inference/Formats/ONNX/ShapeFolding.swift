/// A tensor whose contents the reader knows while importing: an initializer, a `Constant` node's value,
/// or the result of a folded shape computation.
///
/// Shapes are ONNX's own (NCHW for images). Floating-point types are held as `Float` (DOUBLE narrowed,
/// FLOAT16 and BFLOAT16 widened exactly), integer and boolean types as `Int64`; `dataType` remembers the
/// ONNX type it stands for.
struct ConstantTensor: Equatable {
    enum Elements: Equatable {
        case float([Float])
        case integer([Int64])
    }

    var shape: [Int]
    var elements: Elements
    /// `TensorProto.DataType` code.
    var dataType: Int32

    /// - Precondition: `shape`'s element count is `floats.count` (callers build both together).
    init(shape: [Int], floats: [Float], dataType: Int32 = ONNXDataType.float) {
        precondition(shape.reduce(1, *) == floats.count, "constant shape \(shape) for \(floats.count) elements")
        self.shape = shape
        elements = .float(floats)
        self.dataType = dataType
    }

    /// - Precondition: `shape`'s element count is `integers.count`.
    init(shape: [Int], integers: [Int64], dataType: Int32 = ONNXDataType.int64) {
        precondition(shape.reduce(1, *) == integers.count, "constant shape \(shape) for \(integers.count) elements")
        self.shape = shape
        elements = .integer(integers)
        self.dataType = dataType
    }

    private init(shape: [Int], elements: Elements, dataType: Int32) {
        self.shape = shape
        self.elements = elements
        self.dataType = dataType
    }

    var count: Int {
        switch elements {
        case .float(let values): values.count
        case .integer(let values): values.count
        }
    }

    var isInteger: Bool {
        if case .integer = elements { return true }
        return false
    }

    var typeName: String { ONNXDataType.name(dataType) }

    /// The same elements under another shape of the same element count.
    func reshaped(_ shape: [Int]) -> ConstantTensor {
        precondition(shape.reduce(1, *) == count, "reshape \(self.shape) to \(shape)")
        return ConstantTensor(shape: shape, elements: elements, dataType: dataType)
    }

    /// The elements at flat positions `indices` (each checked by the caller), under `shape`.
    func picking(_ indices: [Int], shape: [Int]) -> ConstantTensor {
        switch elements {
        case .float(let values): ConstantTensor(shape: shape, floats: indices.map { values[$0] }, dataType: dataType)
        case .integer(let values): ConstantTensor(shape: shape, integers: indices.map { values[$0] }, dataType: dataType)
        }
    }
}

/// Evaluates the small integer and float computations that exporters put in front of shape-taking
/// operators (PyTorch's `F.interpolate` becomes Shape, Gather, Unsqueeze, Slice, Cast and Concat feeding
/// Resize's `sizes`). Once the input shapes are fixed these are constants, and the reader folds them while
/// importing instead of running them. Semantics follow the ONNX operator specifications (onnx.ai,
/// "Operators"); each function names the one it follows. Results hold at most `maximumCount` elements.
enum ShapeFolding {
    static let maximumCount = 1 << 24

    /// Row-major strides of `shape`.
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var stride = 1
        for axis in shape.indices.reversed() {
            strides[axis] = stride
            stride *= shape[axis]
        }
        return strides
    }

    /// `axis` in `-rank..<rank`, made non-negative.
    static func normalizedAxis(_ axis: Int64, rank: Int, _ what: String) throws(ModelError) -> Int {
        guard axis >= -Int64(rank), axis < Int64(rank) else {
            throw .malformed("\(what) has axis \(axis) for rank \(rank)")
        }
        return Int(axis < 0 ? axis + Int64(rank) : axis)
    }

    /// The product of a shape's dimensions counting zeros as 1: a bound on the product of any of them.
    /// Nil on overflow.
    static func magnitude(_ shape: [Int]) -> Int? {
        checkedCount(shape.map { max($0, 1) })
    }

    /// Checks a result's shape before building it: at most `maximumCount` elements, zero dimensions
    /// counted as 1.
    private static func checkedResultCount(_ shape: [Int], _ what: String) throws(ModelError) -> Int {
        guard let magnitude = magnitude(shape), magnitude <= maximumCount else {
            throw .unsupported("\(what) would fold to shape \(shape), more than \(maximumCount) elements")
        }
        return shape.reduce(1, *)
    }

    /// `Shape` (opsets 1 and 15): the dimensions of `shape` from `start` up to `end` as INT64; negative
    /// bounds count from the end, and both are clamped to `0...rank`.
    static func shape(_ shape: [Int], start: Int64, end: Int64?) -> ConstantTensor {
        let rank = Int64(shape.count)
        func clamp(_ bound: Int64) -> Int {
            Int(min(max(bound < 0 ? bound + rank : bound, 0), rank))
        }
        let from = clamp(start), to = clamp(end ?? rank)
        let dimensions = from < to ? shape[from..<to].map { Int64($0) } : []
        return ConstantTensor(shape: [dimensions.count], integers: dimensions)
    }

    /// `Gather` (opsets 1, 11, 13): along `axis` of `data`, the slices named by `indices` (negative indices
    /// count from the end). Output shape `data.shape[..<axis] + indices.shape + data.shape[(axis + 1)...]`.
    static func gather(_ data: ConstantTensor, indices: ConstantTensor, axis: Int64, _ what: String)
        throws(ModelError) -> ConstantTensor {
        guard case .integer(let positions) = indices.elements else {
            throw .malformed("\(what) has indices of type \(indices.typeName)")
        }
        guard !data.shape.isEmpty else { throw .malformed("\(what) gathers from a scalar") }
        let axis = try normalizedAxis(axis, rank: data.shape.count, what)
        let length = data.shape[axis]
        let outer = data.shape[..<axis].reduce(1, *), inner = data.shape[(axis + 1)...].reduce(1, *)
        let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
        _ = try checkedResultCount(shape, what)
        var sources: [Int] = []
        sources.reserveCapacity(outer * positions.count * inner)
        for block in 0..<outer {
            for position in positions {
                guard position >= -Int64(length), position < Int64(length) else {
                    throw .malformed("\(what) has index \(position) for a dimension of \(length)")
                }
                let index = Int(position < 0 ? position + Int64(length) : position)
                let start = (block * length + index) * inner
                sources.append(contentsOf: start..<(start + inner))
            }
        }
        return data.picking(sources, shape: shape)
    }

    /// `Unsqueeze` (opsets 1, 11, 13): inserts dimensions of length 1 at `axes` of the output (negative
    /// axes count from the output's end; no axis twice).
    static func unsqueeze(_ x: ConstantTensor, axes: [Int64], _ what: String) throws(ModelError) -> ConstantTensor {
        let rank = x.shape.count + axes.count
        guard rank <= ONNXTensor.maximumRank else { throw .unsupported("\(what) makes rank \(rank)") }
        var inserted = Set<Int>()
        for axis in axes {
            guard inserted.insert(try normalizedAxis(axis, rank: rank, what)).inserted else {
                throw .malformed("\(what) names axis \(axis) twice")
            }
        }
        var shape: [Int] = []
        var remaining = x.shape.makeIterator()
        for axis in 0..<rank {
            if inserted.contains(axis) {
                shape.append(1)
            } else if let dimension = remaining.next() {
                shape.append(dimension)
            }
        }
        return x.reshaped(shape)
    }

    /// `Squeeze` (opsets 1, 11, 13): removes the dimensions at `axes`, which must be 1; without axes,
    /// every dimension of length 1.
    static func squeeze(_ x: ConstantTensor, axes: [Int64]?, _ what: String) throws(ModelError) -> ConstantTensor {
        guard let axes else { return x.reshaped(x.shape.filter { $0 != 1 }) }
        var removed = Set<Int>()
        for axis in axes {
            let axis = try normalizedAxis(axis, rank: x.shape.count, what)
            guard x.shape[axis] == 1 else {
                throw .malformed("\(what) squeezes axis \(axis) of length \(x.shape[axis])")
            }
            removed.insert(axis)
        }
        return x.reshaped(x.shape.indices.filter { !removed.contains($0) }.map { x.shape[$0] })
    }

    /// `Slice` (opsets 10, 11, 13; opset 1 passes its attributes here): along each of `axes` (default
    /// `0..<starts.count`), elements `start, start + step, ...` before `end`. Negative starts and ends count
    /// from the end; then, for a positive step, both are clamped to `0...length`, for a negative step the
    /// start to `0...length - 1` and the end to `-1...length - 1`.
    static func slice(_ x: ConstantTensor, starts: [Int64], ends: [Int64], axes: [Int64]?, steps: [Int64]?,
                      _ what: String) throws(ModelError) -> ConstantTensor {
        let rank = x.shape.count
        let axes = axes ?? (0..<Int64(starts.count)).map { $0 }
        let steps = steps ?? [Int64](repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
            throw .malformed("\(what) has \(starts.count) starts, \(ends.count) ends, \(axes.count) axes "
                             + "and \(steps.count) steps")
        }
        var first = [Int](repeating: 0, count: rank)
        var step = [Int](repeating: 1, count: rank)
        var shape = x.shape
        var sliced = Set<Int>()
        for position in starts.indices {
            let axis = try normalizedAxis(axes[position], rank: rank, what)
            guard sliced.insert(axis).inserted else { throw .malformed("\(what) slices axis \(axis) twice") }
            guard steps[position] != 0 else { throw .malformed("\(what) has step 0") }
            let length = Int64(x.shape[axis])
            // A step longer than the axis takes one element at most, as a step of `length + 1` does;
            // clamping keeps the arithmetic below far from overflow.
            let stride = min(max(steps[position], -(length + 1)), length + 1)
            var start = starts[position], end = ends[position]
            // Adding a length of at most 2^30 to a negative Int64 cannot overflow.
            if start < 0 { start += length }
            if end < 0 { end += length }
            let count: Int64
            if stride > 0 {
                start = min(max(start, 0), length)
                end = min(max(end, 0), length)
                count = end > start ? (end - start + stride - 1) / stride : 0
            } else {
                start = min(max(start, 0), length - 1)
                end = min(max(end, -1), length - 1)
                count = start > end ? (start - end - stride - 1) / -stride : 0
            }
            first[axis] = Int(start)
            step[axis] = Int(stride)
            shape[axis] = Int(count)
        }
        let count = try checkedResultCount(shape, what)
        let sourceStrides = strides(x.shape)
        var sources: [Int] = []
        sources.reserveCapacity(count)
        var index = [Int](repeating: 0, count: rank)
        for _ in 0..<count {
            var source = 0
            for axis in 0..<rank { source += (first[axis] + index[axis] * step[axis]) * sourceStrides[axis] }
            sources.append(source)
            // Odometer over the output index.
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return x.picking(sources, shape: shape)
    }

    /// `Concat` (opsets 1, 4, 11, 13): joins tensors of one kind and rank along `axis`; other dimensions
    /// must agree.
    static func concatenate(_ tensors: [ConstantTensor], axis: Int64, _ what: String)
        throws(ModelError) -> ConstantTensor {
        guard let head = tensors.first, !head.shape.isEmpty else {
            throw .malformed("\(what) concatenates no tensors, or scalars")
        }
        let axis = try normalizedAxis(axis, rank: head.shape.count, what)
        var shape = head.shape
        shape[axis] = 0
        for tensor in tensors {
            guard tensor.isInteger == head.isInteger, tensor.shape.count == head.shape.count,
                  tensor.shape.indices.allSatisfy({ $0 == axis || tensor.shape[$0] == head.shape[$0] }) else {
                throw .malformed("\(what) concatenates \(head.typeName) \(head.shape) and \(tensor.typeName) \(tensor.shape)")
            }
            shape[axis] += tensor.shape[axis]
            _ = try checkedResultCount(shape, what)
        }
        let outer = head.shape[..<axis].reduce(1, *)
        // Each tensor contributes one contiguous block per index of the axes before `axis`.
        func joined<Element>(_ values: (ConstantTensor) -> [Element]?) -> [Element] {
            var result: [Element] = []
            for block in 0..<outer {
                for tensor in tensors {
                    guard let elements = values(tensor) else { continue }
                    let size = tensor.count / max(outer, 1)
                    result.append(contentsOf: elements[(block * size)..<((block + 1) * size)])
                }
            }
            return result
        }
        switch head.elements {
        case .float:
            let result: [Float] = joined { if case .float(let values) = $0.elements { values } else { nil } }
            return ConstantTensor(shape: shape, floats: result, dataType: head.dataType)
        case .integer:
            let result: [Int64] = joined { if case .integer(let values) = $0.elements { values } else { nil } }
            return ConstantTensor(shape: shape, integers: result, dataType: head.dataType)
        }
    }

    /// `Cast` (opsets 1, 6, 9, 13, 19): to FLOAT or DOUBLE (held as `Float`), or to an integer or boolean
    /// type, wrapping to the target's width as C conversions do; floats to integers round toward zero and
    /// must be finite and within INT64.
    static func cast(_ x: ConstantTensor, to target: Int32, _ what: String) throws(ModelError) -> ConstantTensor {
        switch target {
        case ONNXDataType.float, ONNXDataType.double:
            switch x.elements {
            case .float(let values): return ConstantTensor(shape: x.shape, floats: values, dataType: target)
            case .integer(let values): return ConstantTensor(shape: x.shape, floats: values.map { Float($0) }, dataType: target)
            }
        case ONNXDataType.int64, ONNXDataType.int32, ONNXDataType.int16, ONNXDataType.int8, ONNXDataType.uint64,
             ONNXDataType.uint32, ONNXDataType.uint16, ONNXDataType.uint8, ONNXDataType.bool:
            var integers: [Int64]
            switch x.elements {
            case .integer(let values): integers = values
            case .float(let values):
                integers = []
                integers.reserveCapacity(values.count)
                for value in values {
                    let truncated = value.rounded(.towardZero)
                    guard truncated.isFinite, truncated >= -0x1p63, truncated < 0x1p63 else {
                        throw .malformed("\(what) casts \(value) to \(ONNXDataType.name(target))")
                    }
                    integers.append(target == ONNXDataType.bool ? (value != 0 ? 1 : 0) : Int64(truncated))
                }
            }
            let wrapped: [Int64] = switch target {
            case ONNXDataType.int32: integers.map { Int64(Int32(truncatingIfNeeded: $0)) }
            case ONNXDataType.int16: integers.map { Int64(Int16(truncatingIfNeeded: $0)) }
            case ONNXDataType.int8: integers.map { Int64(Int8(truncatingIfNeeded: $0)) }
            case ONNXDataType.uint32: integers.map { Int64(UInt32(truncatingIfNeeded: $0)) }
            case ONNXDataType.uint16: integers.map { Int64(UInt16(truncatingIfNeeded: $0)) }
            case ONNXDataType.uint8: integers.map { Int64(UInt8(truncatingIfNeeded: $0)) }
            case ONNXDataType.bool: integers.map { $0 != 0 ? 1 : 0 }
            default: integers
            }
            return ConstantTensor(shape: x.shape, integers: wrapped, dataType: target)
        default:
            throw .unsupported("\(what) casts to \(ONNXDataType.name(target))")
        }
    }

    enum Arithmetic {
        case add, subtract, multiply, divide
    }

    /// `Add`, `Sub`, `Mul`, `Div` (opsets 7, 13, 14) with NumPy broadcasting, on two tensors of one kind.
    /// Integers wrap on overflow and divide rounding toward zero (as onnxruntime's C++ does); division of an
    /// integer by zero is refused.
    static func arithmetic(_ operation: Arithmetic, _ a: ConstantTensor, _ b: ConstantTensor, _ what: String)
        throws(ModelError) -> ConstantTensor {
        guard let shape = broadcastShape(a.shape, b.shape) else {
            throw .malformed("\(what) combines shapes \(a.shape) and \(b.shape), which do not broadcast")
        }
        let count = try checkedResultCount(shape, what)
        let aSources = broadcastSources(a.shape, to: shape, count: count)
        let bSources = broadcastSources(b.shape, to: shape, count: count)
        switch (a.elements, b.elements) {
        case (.float(let x), .float(let y)):
            var result: [Float] = []
            result.reserveCapacity(count)
            for (i, j) in zip(aSources, bSources) {
                switch operation {
                case .add: result.append(x[i] + y[j])
                case .subtract: result.append(x[i] - y[j])
                case .multiply: result.append(x[i] * y[j])
                case .divide: result.append(x[i] / y[j])
                }
            }
            return ConstantTensor(shape: shape, floats: result, dataType: a.dataType)
        case (.integer(let x), .integer(let y)):
            var result: [Int64] = []
            result.reserveCapacity(count)
            for (i, j) in zip(aSources, bSources) {
                switch operation {
                case .add: result.append(x[i] &+ y[j])
                case .subtract: result.append(x[i] &- y[j])
                case .multiply: result.append(x[i] &* y[j])
                case .divide:
                    guard y[j] != 0 else { throw .malformed("\(what) divides by zero") }
                    result.append(x[i].dividedReportingOverflow(by: y[j]).partialValue)
                }
            }
            return ConstantTensor(shape: shape, integers: result, dataType: a.dataType)
        default:
            throw .malformed("\(what) combines \(a.typeName) and \(b.typeName)")
        }
    }

    /// For each element of `shape` (row-major), the flat index of the element of `source` that
    /// broadcasting reads there.
    private static func broadcastSources(_ source: [Int], to shape: [Int], count: Int) -> [Int] {
        let rank = shape.count
        let aligned = [Int](repeating: 1, count: rank - source.count) + source
        let sourceStrides = strides(aligned)
        var sources: [Int] = []
        sources.reserveCapacity(count)
        var index = [Int](repeating: 0, count: rank)
        for _ in 0..<count {
            var flat = 0
            for axis in 0..<rank where aligned[axis] != 1 { flat += index[axis] * sourceStrides[axis] }
            sources.append(flat)
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return sources
    }

    /// `Floor` (opsets 6, 13) of floats; integers are their own floor.
    static func floor(_ x: ConstantTensor) -> ConstantTensor {
        guard case .float(let values) = x.elements else { return x }
        return ConstantTensor(shape: x.shape, floats: values.map { $0.rounded(.down) }, dataType: x.dataType)
    }
}
