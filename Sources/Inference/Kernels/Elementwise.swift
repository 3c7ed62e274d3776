import Foundation
import Parallelism

// Elementwise operators: activations (TFLite RELU, RELU6, HARD_SWISH, LOGISTIC; ONNX Relu, Sigmoid) and the
// binary operators add and multiply with NumPy broadcasting (TFLite ADD/MUL, ONNX Add/Mul), optionally followed
// by a fused activation (TFLite `fused_activation_function`).

// MARK: - Shapes

/// The NumPy broadcast of two shapes, or nil when they do not broadcast.
///
/// Shapes are aligned at their last dimension and the shorter one is padded with leading 1s; each pair of
/// lengths must be equal, or one of them 1 (the result takes the other).
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    let a = [Int](repeating: 1, count: rank - a.count) + a
    let b = [Int](repeating: 1, count: rank - b.count) + b
    var shape: [Int] = []
    shape.reserveCapacity(rank)
    for (x, y) in zip(a, b) {
        if x == y || y == 1 {
            shape.append(x)
        } else if x == 1 {
            shape.append(y)
        } else {
            return nil
        }
    }
    return shape
}

/// Row-major strides of `shape` read as a broadcast operand of an output of rank `rank`: the shape is padded
/// with leading 1s, and every axis of length 1 gets stride 0 (the same element is reused along it).
func broadcastStrides(_ shape: [Int], rank: Int) -> [Int] {
    let padded = [Int](repeating: 1, count: rank - shape.count) + shape
    var strides = [Int](repeating: 0, count: rank)
    var step = 1
    for axis in stride(from: rank - 1, through: 0, by: -1) {
        strides[axis] = padded[axis] == 1 ? 0 : step
        step *= padded[axis]
    }
    return strides
}

extension BinaryOperator {
    public func apply(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .add: a + b
        case .multiply: a * b
        }
    }
}

// MARK: - Reference

extension ReferenceKernels {
    /// `output[i] = activation(input[i])` for every `i` (see `Activation.apply`).
    /// `input` and `output` have the same count and may be the same memory.
    public static func activate(_ activation: Activation, input: UnsafeBufferPointer<Float>,
                                output: UnsafeMutableBufferPointer<Float>) {
        precondition(input.count == output.count, "activation input \(input.count) and output \(output.count) differ")
        for index in 0..<input.count {
            output[index] = activation.apply(input[index])
        }
    }

    /// `output = activation(a ⊕ b)` where `⊕` is `binaryOperator`, with NumPy broadcasting.
    ///
    /// `a` and `b` are row-major with shapes `aShape` and `bShape`; `output` holds `broadcastShape(aShape, bShape)`.
    public static func binary(_ binaryOperator: BinaryOperator,
                              _ a: UnsafeBufferPointer<Float>, shape aShape: [Int],
                              _ b: UnsafeBufferPointer<Float>, shape bShape: [Int],
                              activation: Activation = .identity, output: UnsafeMutableBufferPointer<Float>) {
        guard let shape = broadcastShape(aShape, bShape) else {
            preconditionFailure("shapes \(aShape) and \(bShape) do not broadcast")
        }
        precondition(a.count == aShape.reduce(1, *) && b.count == bShape.reduce(1, *), "operand counts")
        precondition(output.count == shape.reduce(1, *), "output count")
        let rank = shape.count
        let aStrides = broadcastStrides(aShape, rank: rank)
        let bStrides = broadcastStrides(bShape, rank: rank)
        for index in 0..<output.count {
            var remainder = index
            var aOffset = 0, bOffset = 0
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                let coordinate = remainder % shape[axis]
                remainder /= shape[axis]
                aOffset += coordinate * aStrides[axis]
                bOffset += coordinate * bStrides[axis]
            }
            output[index] = activation.apply(binaryOperator.apply(a[aOffset], b[bOffset]))
        }
    }
}

// MARK: - Fast

/// `output[i] = activation(input[i])`, 16 lanes at a time. `input` and `output` have the same count and may
/// be the same memory. `.sigmoid` uses a vectorised exponential: within 1e-6 of `1 / (1 + exp(-x))` for every
/// `x`; it reaches 1 for `x` above about 17 and stays below 2e-38 for `x` below -87.
public func activate(_ activation: Activation, input: UnsafeBufferPointer<Float>,
                     output: UnsafeMutableBufferPointer<Float>, threads: Int) {
    precondition(input.count == output.count, "activation input \(input.count) and output \(output.count) differ")
    guard let source = input.baseAddress, let destination = output.baseAddress else { return }
    parallelFor(input.count, threads: threadsWorthUsing(threads, work: input.count)) { range in
        activateContiguous(activation, source + range.lowerBound, destination + range.lowerBound, count: range.count)
    }
}

/// `values[i] = activation(values[i])`, in place (the fused activation of convolutions, pools and binary operators).
public func activate(_ activation: Activation, inPlace values: UnsafeMutableBufferPointer<Float>, threads: Int) {
    activate(activation, input: UnsafeBufferPointer(values), output: values, threads: threads)
}

/// `output = activation(a ⊕ b)` with NumPy broadcasting, as `ReferenceKernels.binary`.
///
/// Fast paths: equal shapes, a scalar operand, and an operand that is one row of the last dimension repeated
/// at every position (per-channel `[1, 1, 1, C]` against `[N, H, W, C]`). Other broadcasts run one row of the
/// last dimension at a time. `output` may be the same memory as an operand whose shape is the output's.
public func binary(_ binaryOperator: BinaryOperator,
                   _ a: UnsafeBufferPointer<Float>, shape aShape: [Int],
                   _ b: UnsafeBufferPointer<Float>, shape bShape: [Int],
                   activation: Activation = .identity, output: UnsafeMutableBufferPointer<Float>, threads: Int) {
    guard let shape = broadcastShape(aShape, bShape) else {
        preconditionFailure("shapes \(aShape) and \(bShape) do not broadcast")
    }
    precondition(a.count == aShape.reduce(1, *) && b.count == bShape.reduce(1, *), "operand counts")
    precondition(output.count == shape.reduce(1, *), "output count")
    let count = output.count
    guard count > 0, let aStart = a.baseAddress, let bStart = b.baseAddress, let outputStart = output.baseAddress
    else { return }
    let rank = shape.count

    // Both operators commute (bit for bit in IEEE arithmetic), so the operand that spans the output goes first.
    var (full, fullShape, other, otherShape) = (aStart, aShape, bStart, bShape)
    if bShape.reduce(1, *) == count && aShape.reduce(1, *) != count {
        (full, fullShape, other, otherShape) = (bStart, bShape, aStart, aShape)
    }
    let fullSpansOutput = fullShape.reduce(1, *) == count
    let otherCount = otherShape.reduce(1, *)
    let rowLength = rank == 0 ? 1 : shape[rank - 1]
    let workers = threadsWorthUsing(threads, work: count)

    if fullSpansOutput && (otherCount == count || otherCount == 1) {
        // One run over the whole output: equal shapes, or a scalar.
        let otherStep = otherCount == count ? 1 : 0
        parallelFor(count, threads: workers) { range in
            var start = range.lowerBound
            while start < range.upperBound {
                let length = min(elementwiseBlockLength, range.upperBound - start)
                combineRun(binaryOperator, full + start, step: 1, other + start * otherStep, step: otherStep,
                           into: outputStart + start, count: length)
                activateContiguous(activation, outputStart + start, outputStart + start, count: length)
                start += length
            }
        }
        return
    }

    let rows = count / rowLength
    let rowsPerBlock = max(1, elementwiseBlockLength / max(rowLength, 1))
    let otherPadded = [Int](repeating: 1, count: rank - otherShape.count) + otherShape
    if fullSpansOutput && otherCount == rowLength && otherPadded.last == rowLength {
        // `other` is one row repeated at every position.
        parallelFor(rows, threads: workers) { range in
            var firstRow = range.lowerBound
            while firstRow < range.upperBound {
                let endRow = min(firstRow + rowsPerBlock, range.upperBound)
                for row in firstRow..<endRow {
                    combineRun(binaryOperator, full + row * rowLength, step: 1, other, step: 1,
                               into: outputStart + row * rowLength, count: rowLength)
                }
                activateContiguous(activation, outputStart + firstRow * rowLength, outputStart + firstRow * rowLength,
                                   count: (endRow - firstRow) * rowLength)
                firstRow = endRow
            }
        }
        return
    }

    // General broadcast: offsets of each row from broadcast strides; along the row each operand steps by 0 or 1.
    let fullStrides = broadcastStrides(fullShape, rank: rank)
    let otherStrides = broadcastStrides(otherShape, rank: rank)
    let fullStep = fullStrides.last ?? 0
    let otherStep = otherStrides.last ?? 0
    parallelFor(rows, threads: workers) { range in
        var firstRow = range.lowerBound
        while firstRow < range.upperBound {
            let endRow = min(firstRow + rowsPerBlock, range.upperBound)
            for row in firstRow..<endRow {
                var remainder = row
                var fullOffset = 0, otherOffset = 0
                for axis in stride(from: rank - 2, through: 0, by: -1) {
                    let coordinate = remainder % shape[axis]
                    remainder /= shape[axis]
                    fullOffset += coordinate * fullStrides[axis]
                    otherOffset += coordinate * otherStrides[axis]
                }
                combineRun(binaryOperator, full + fullOffset, step: fullStep, other + otherOffset, step: otherStep,
                           into: outputStart + row * rowLength, count: rowLength)
            }
            activateContiguous(activation, outputStart + firstRow * rowLength, outputStart + firstRow * rowLength,
                               count: (endRow - firstRow) * rowLength)
            firstRow = endRow
        }
    }
}

// MARK: - Vector building blocks (shared by the kernels in this folder)

/// Elements handled between fused steps, so that a block is still in L1 cache when the activation reads it.
let elementwiseBlockLength = 4096

/// How many of `threads` to use for `work` units (about one output element each): splitting small work costs
/// more in hand-off than it saves (8192 elements, a few microseconds, against about one for the
/// `HelperThread`; see `PackedConvolution.run`).
func threadsWorthUsing(_ threads: Int, work: Int, minimumWorkPerThread: Int = 1 << 13) -> Int {
    max(1, min(threads, work / minimumWorkPerThread))
}

/// `destination[i] = activation(source[i])` for `i < count`, on one thread. The pointers may be equal.
func activateContiguous(_ activation: Activation, _ source: UnsafePointer<Float>,
                        _ destination: UnsafeMutablePointer<Float>, count: Int) {
    switch activation {
    case .identity:
        if UnsafePointer(destination) != source { destination.update(from: source, count: count) }
    case .relu:
        Vector16.map(source, destination, count: count) { Vector16.relu($0) }
    case .relu6:
        Vector16.map(source, destination, count: count) { Vector16.relu6($0) }
    case .hardSwish:
        Vector16.map(source, destination, count: count) { Vector16.hardSwish($0) }
    case .sigmoid:
        Vector16.map(source, destination, count: count) { Vector16.sigmoid($0) }
    }
}

/// `output[i] = a[i * aStep] ⊕ b[i * bStep]` for `i < count`, steps 0 (repeat one element) or 1.
@inline(__always)
func combineRun(_ binaryOperator: BinaryOperator, _ a: UnsafePointer<Float>, step aStep: Int,
                _ b: UnsafePointer<Float>, step bStep: Int, into output: UnsafeMutablePointer<Float>, count: Int) {
    switch binaryOperator {
    case .add: Vector16.combine(a, step: aStep, b, step: bStep, into: output, count: count) { $0 + $1 }
    case .multiply: Vector16.combine(a, step: aStep, b, step: bStep, into: output, count: count) { $0 * $1 }
    }
}

/// Loads, stores and math on 16 float lanes (`SIMD16<Float>`: one AVX-512 register).
enum Vector16 {
    typealias Lanes = SIMD16<Float>

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self)
    }

    /// The first `count` (at most 16) lanes from memory, the rest 0.
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>, count: Int) -> Lanes {
        var lanes = Lanes()
        for lane in 0..<count { lanes[lane] = pointer[lane] }
        return lanes
    }

    @inline(__always)
    static func store(_ lanes: Lanes, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: lanes, as: Lanes.self)
    }

    /// Stores the first `count` (at most 16) lanes.
    @inline(__always)
    static func store(_ lanes: Lanes, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
        for lane in 0..<count { pointer[lane] = lanes[lane] }
    }

    /// Copies `count` floats; short runs (a pixel's channels) inline, long ones with `memmove`.
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        guard count < 512 else {
            destination.update(from: source, count: count)
            return
        }
        var index = 0
        while index + 16 <= count {
            store(load(source + index), destination + index)
            index += 16
        }
        if index < count {
            store(load(source + index, count: count - index), destination + index, count: count - index)
        }
    }

    /// `destination[i] = transform(source[i])` over `count` elements, the tail as a partial vector.
    @inline(__always)
    static func map(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, count: Int,
                    _ transform: (Lanes) -> Lanes) {
        var index = 0
        while index + 16 <= count {
            store(transform(load(source + index)), destination + index)
            index += 16
        }
        if index < count {
            store(transform(load(source + index, count: count - index)), destination + index, count: count - index)
        }
    }

    /// `output[i] = combine(a[i * aStep], b[i * bStep])`, steps 0 or 1.
    @inline(__always)
    static func combine(_ a: UnsafePointer<Float>, step aStep: Int, _ b: UnsafePointer<Float>, step bStep: Int,
                        into output: UnsafeMutablePointer<Float>, count: Int, _ combine: (Lanes, Lanes) -> Lanes) {
        switch (aStep, bStep) {
        case (1, 1):
            var index = 0
            while index + 16 <= count {
                store(combine(load(a + index), load(b + index)), output + index)
                index += 16
            }
            if index < count {
                let tail = count - index
                store(combine(load(a + index, count: tail), load(b + index, count: tail)), output + index, count: tail)
            }
        case (1, _):
            let repeated = Lanes(repeating: b.pointee)
            map(a, output, count: count) { combine($0, repeated) }
        case (_, 1):
            let repeated = Lanes(repeating: a.pointee)
            map(b, output, count: count) { combine(repeated, $0) }
        default:
            let value = combine(Lanes(repeating: a.pointee), Lanes(repeating: b.pointee))[0]
            output.update(repeating: value, count: count)
        }
    }

    /// The sum of the 16 lanes, as a tree of halves.
    @inline(__always)
    static func sum(_ x: Lanes) -> Float {
        let eight = x.lowHalf + x.highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    @inline(__always)
    static func relu(_ x: Lanes) -> Lanes {
        x.replacing(with: 0, where: x .< 0)
    }

    @inline(__always)
    static func relu6(_ x: Lanes) -> Lanes {
        clamp(x, 0, 6)
    }

    /// `x * relu6(x + 3) / 6`, the same operations as `Activation.apply`.
    @inline(__always)
    static func hardSwish(_ x: Lanes) -> Lanes {
        x * clamp(x + 3, 0, 6) / 6
    }

    /// `1 / (1 + exp(-x))`.
    @inline(__always)
    static func sigmoid(_ x: Lanes) -> Lanes {
        1 / (1 + exponential(-x))
    }

    /// `min(max(x, lower), upper)` per lane; NaN lanes stay NaN.
    @inline(__always)
    static func clamp(_ x: Lanes, _ lower: Float, _ upper: Float) -> Lanes {
        let low = x.replacing(with: lower, where: x .< lower)
        return low.replacing(with: upper, where: low .> upper)
    }

    /// `e^x` per lane, relative error about 1e-7, for `x` clamped to [-87, 88] (results stay normal floats).
    ///
    /// Range reduction `x = n ln 2 + r` with `|r| <= ln 2 / 2` (ln 2 split in two parts, Cody and Waite), a
    /// degree-7 Taylor polynomial for `e^r` (truncation error below 1e-8 there), and `2^n` built in the exponent bits.
    @inline(__always)
    static func exponential(_ x: Lanes) -> Lanes {
        let x = clamp(x, -87, 88)
        // Adding 1.5 * 2^23 rounds x / ln 2 to the nearest integer n, left in the low mantissa bits.
        let shifter = Lanes(repeating: 12_582_912)
        let shifted = shifter.addingProduct(x, Lanes(repeating: 1.442_695_04))
        let n = shifted - shifter
        let ln2High: Float = 0.693_359_375       // 355 / 512: n * ln2High is exact
        let ln2Low: Float = -2.121_944_4e-4      // ln 2 - ln2High
        let r = x.addingProduct(n, Lanes(repeating: -ln2High)).addingProduct(n, Lanes(repeating: -ln2Low))
        var polynomial = Lanes(repeating: 1.0 / 5040)
        polynomial = Lanes(repeating: 1.0 / 720).addingProduct(polynomial, r)
        polynomial = Lanes(repeating: 1.0 / 120).addingProduct(polynomial, r)
        polynomial = Lanes(repeating: 1.0 / 24).addingProduct(polynomial, r)
        polynomial = Lanes(repeating: 1.0 / 6).addingProduct(polynomial, r)
        polynomial = Lanes(repeating: 0.5).addingProduct(polynomial, r)
        polynomial = Lanes(repeating: 1).addingProduct(polynomial, r)
        polynomial = Lanes(repeating: 1).addingProduct(polynomial, r)
        // The bits of `shifted` are those of 1.5 * 2^23 plus n; rebias n into an exponent field.
        let integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let power = unsafeBitCast((integer &+ 127) &<< 23, to: Lanes.self)
        return polynomial * power
    }
}
