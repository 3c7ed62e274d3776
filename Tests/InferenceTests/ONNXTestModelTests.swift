import Foundation
import Testing
@testable import Inference

/// A protobuf writer for tests: keys, varints, fixed-width and length-delimited fields.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func key(_ field: Int, _ wireType: UInt8) {
        varint(UInt64(field) << 3 | UInt64(wireType))
    }

    mutating func int(_ field: Int, _ value: Int64) {
        key(field, 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value.bitPattern >> shift)) }
    }

    mutating func bytes(_ field: Int, _ data: [UInt8]) {
        key(field, 2)
        varint(UInt64(data.count))
        bytes += data
    }

    mutating func string(_ field: Int, _ text: String) {
        bytes(field, Array(text.utf8))
    }

    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }

    mutating func packedInts(_ field: Int, _ values: [Int64]) {
        var inner = ProtobufWriter()
        for value in values { inner.varint(UInt64(bitPattern: value)) }
        bytes(field, inner.bytes)
    }

    mutating func packedFloats(_ field: Int, _ values: [Float]) {
        bytes(field, Self.littleEndian(values))
    }

    static func littleEndian(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * UInt32($0))) } }
    }

    static func littleEndian(_ values: [Int64]) -> [UInt8] {
        values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: value) >> (8 * UInt64($0))) } }
    }
}

/// A hand-built ONNX model, written with the field numbers of onnx/onnx.proto.
struct ONNXTestModel {
    enum AttributeValue {
        case int(Int64), ints([Int64]), float(Float), floats([Float]), string(String), tensor(TestTensor)
    }

    struct TestTensor {
        enum Contents { case floats([Float]), int64s([Int64]) }
        var name: String
        var dimensions: [Int]
        var contents: Contents
        /// `raw_data` when true, else `float_data` / `int64_data`.
        var raw = true
        var external = false

        static func floats(_ name: String, _ dimensions: [Int], _ values: [Float], raw: Bool = true) -> TestTensor {
            TestTensor(name: name, dimensions: dimensions, contents: .floats(values), raw: raw)
        }

        static func int64s(_ name: String, _ dimensions: [Int], _ values: [Int64], raw: Bool = true) -> TestTensor {
            TestTensor(name: name, dimensions: dimensions, contents: .int64s(values), raw: raw)
        }

        /// TensorProto fields: dims 1, data_type 2, float_data 4, int64_data 7, name 8, raw_data 9,
        /// external_data 13, data_location 14.
        func write(_ writer: inout ProtobufWriter) {
            writer.packedInts(1, dimensions.map { Int64($0) })
            switch contents {
            case .floats(let values):
                writer.int(2, 1)
                if raw { writer.bytes(9, ProtobufWriter.littleEndian(values)) } else if !values.isEmpty { writer.packedFloats(4, values) }
            case .int64s(let values):
                writer.int(2, 7)
                if raw { writer.bytes(9, ProtobufWriter.littleEndian(values)) } else if !values.isEmpty { writer.packedInts(7, values) }
            }
            if !name.isEmpty { writer.string(8, name) }
            if external {
                writer.message(13) { entry in
                    entry.string(1, "location")
                    entry.string(2, "weights.bin")
                }
                writer.int(14, 1)
            }
        }
    }

    struct TestNode {
        var type: String
        var name: String
        var inputs: [String]
        var outputs: [String]
        var attributes: [(String, AttributeValue)] = []
        var domain = ""

        /// NodeProto fields: input 1, output 2, name 3, op_type 4, attribute 5, domain 7. AttributeProto:
        /// name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20.
        func write(_ writer: inout ProtobufWriter) {
            for input in inputs { writer.string(1, input) }
            for output in outputs { writer.string(2, output) }
            writer.string(3, name)
            writer.string(4, type)
            for (name, value) in attributes {
                writer.message(5) { attribute in
                    attribute.string(1, name)
                    switch value {
                    case .float(let value): attribute.float(2, value); attribute.int(20, 1)
                    case .int(let value): attribute.int(3, value); attribute.int(20, 2)
                    case .string(let value): attribute.string(4, value); attribute.int(20, 3)
                    case .tensor(let tensor): attribute.message(5) { tensor.write(&$0) }; attribute.int(20, 4)
                    case .floats(let values): attribute.packedFloats(7, values); attribute.int(20, 6)
                    case .ints(let values): attribute.packedInts(8, values); attribute.int(20, 7)
                    }
                }
            }
            if !domain.isEmpty { writer.string(7, domain) }
        }
    }

    var irVersion: Int64 = 6
    var operatorSet: Int64 = 11
    /// Float inputs; a negative dimension is written as the symbol "N".
    var inputs: [(name: String, dimensions: [Int])]
    var outputs: [String]
    var initializers: [TestTensor] = []
    var nodes: [TestNode] = []

    /// ModelProto fields: ir_version 1, producer_name 2, graph 7, opset_import 8 (domain 1, version 2).
    /// GraphProto: node 1, name 2, initializer 5, input 11, output 12. ValueInfoProto: name 1, type 2;
    /// TypeProto: tensor_type 1 (elem_type 1, shape 2: dim 1: dim_value 1, dim_param 2).
    func bytes() -> [UInt8] {
        var writer = ProtobufWriter()
        writer.int(1, irVersion)
        writer.string(2, "matte tests")
        writer.message(7) { graph in
            for node in nodes { graph.message(1) { node.write(&$0) } }
            graph.string(2, "test graph")
            for tensor in initializers { graph.message(5) { tensor.write(&$0) } }
            for (name, dimensions) in inputs {
                graph.message(11) { info in
                    info.string(1, name)
                    info.message(2) { type in
                        type.message(1) { tensor in
                            tensor.int(1, 1)
                            tensor.message(2) { shape in
                                for dimension in dimensions {
                                    shape.message(1) { dim in
                                        if dimension >= 0 { dim.int(1, Int64(dimension)) } else { dim.string(2, "N") }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            for name in outputs {
                graph.message(12) { info in
                    info.string(1, name)
                    info.message(2) { type in type.message(1) { $0.int(1, 1) } }
                }
            }
        }
        writer.message(8) { $0.int(2, operatorSet) }
        return writer.bytes
    }
}

/// Slow, obvious NCHW versions of the ONNX operators, written from the ONNX specification, and helpers
/// that run a hand-built model through the engine with NCHW tensors.
enum ONNXOracle {
    static func randomValues(_ count: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float.random(in: -1...1, using: &random) }
    }

    /// Reads `model`, feeds NCHW `inputs` (transposed to the graph's NHWC), returns NCHW outputs.
    static func run(_ model: ONNXTestModel, _ inputs: [[Float]], inputShapes: [String: [Int]] = [:],
                    reference: Bool = false) throws -> [(scalars: [Float], shape: [Int])] {
        let graph = try ONNXReader.read(model.bytes(), inputShapes: inputShapes)
        let plan = try ExecutionPlan(graph: graph, reference: reference, precision: .fp32)
        let tensors = zip(inputs, plan.inputShapes).map { scalars, shape in
            Tensor(shape: shape, scalars: shape.count == 4 ? nhwc(scalars, nhwcShape: shape) : scalars)
        }
        return try plan.run(tensors).map { output in
            guard output.shape.count == 4 else { return (output.scalars, output.shape) }
            let s = output.shape
            return (nchw(output.scalars, nhwcShape: s), [s[0], s[3], s[1], s[2]])
        }
    }

    static func nhwc(_ nchw: [Float], nhwcShape s: [Int]) -> [Float] {
        var result = [Float](repeating: 0, count: nchw.count)
        for n in 0..<s[0] { for y in 0..<s[1] { for x in 0..<s[2] { for c in 0..<s[3] {
            result[((n * s[1] + y) * s[2] + x) * s[3] + c] = nchw[((n * s[3] + c) * s[1] + y) * s[2] + x]
        } } } }
        return result
    }

    static func nchw(_ nhwc: [Float], nhwcShape s: [Int]) -> [Float] {
        var result = [Float](repeating: 0, count: nhwc.count)
        for n in 0..<s[0] { for y in 0..<s[1] { for x in 0..<s[2] { for c in 0..<s[3] {
            result[((n * s[3] + c) * s[1] + y) * s[2] + x] = nhwc[((n * s[1] + y) * s[2] + x) * s[3] + c]
        } } } }
        return result
    }

    /// ONNX Conv: x `[N, C, H, W]`, w `[O, C / groups, KH, KW]`, pads `[top, left, bottom, right]`.
    static func convolution(_ x: [Float], _ xs: [Int], _ w: [Float], _ ws: [Int], bias: [Float]?,
                            strides: [Int], pads: [Int], dilations: [Int], groups: Int) -> ([Float], [Int]) {
        let (batch, channels, height, width) = (xs[0], xs[1], xs[2], xs[3])
        let (outputs, perGroup, kh, kw) = (ws[0], ws[1], ws[2], ws[3])
        let oh = (height + pads[0] + pads[2] - ((kh - 1) * dilations[0] + 1)) / strides[0] + 1
        let ow = (width + pads[1] + pads[3] - ((kw - 1) * dilations[1] + 1)) / strides[1] + 1
        var result: [Float] = []
        for n in 0..<batch { for o in 0..<outputs { for oy in 0..<oh { for ox in 0..<ow {
            let group = o / (outputs / groups)
            var sum = bias?[o] ?? 0
            for i in 0..<perGroup { for ky in 0..<kh { for kx in 0..<kw {
                let y = oy * strides[0] - pads[0] + ky * dilations[0]
                let x0 = ox * strides[1] - pads[1] + kx * dilations[1]
                guard y >= 0, y < height, x0 >= 0, x0 < width else { continue }
                sum += x[((n * channels + group * perGroup + i) * height + y) * width + x0]
                    * w[((o * perGroup + i) * kh + ky) * kw + kx]
            } } }
            result.append(sum)
        } } } }
        return (result, [batch, outputs, oh, ow])
    }

    /// ONNX MaxPool / AveragePool (count_include_pad = 0) with ceil_mode: windows clip to the input, and
    /// with ceil_mode the last window must start inside the input or its leading padding.
    static func pool(_ x: [Float], _ xs: [Int], kernel: [Int], strides: [Int], pads: [Int], ceil: Bool,
                     average: Bool) -> ([Float], [Int]) {
        func length(_ input: Int, _ k: Int, _ s: Int, _ before: Int, _ after: Int) -> Int {
            let span = input + before + after - k
            var output = (ceil ? (span + s - 1) / s : span / s) + 1
            if ceil, (output - 1) * s >= input + before { output -= 1 }
            return output
        }
        let oh = length(xs[2], kernel[0], strides[0], pads[0], pads[2])
        let ow = length(xs[3], kernel[1], strides[1], pads[1], pads[3])
        var result: [Float] = []
        for plane in 0..<(xs[0] * xs[1]) { for oy in 0..<oh { for ox in 0..<ow {
            var best = -Float.infinity, sum: Float = 0, cells = 0
            for ky in 0..<kernel[0] { for kx in 0..<kernel[1] {
                let y = oy * strides[0] - pads[0] + ky, x0 = ox * strides[1] - pads[1] + kx
                guard y >= 0, y < xs[2], x0 >= 0, x0 < xs[3] else { continue }
                let value = x[(plane * xs[2] + y) * xs[3] + x0]
                best = max(best, value)
                sum += value
                cells += 1
            } }
            result.append(average ? sum / Float(cells) : best)
        } } }
        return (result, [xs[0], xs[1], oh, ow])
    }

    /// ONNX Resize of height and width, from the specification's formulas.
    static func resize(_ input: [Float], _ xs: [Int], to size: (Int, Int), mode: String, transform: String,
                       nearestMode: String = "round_prefer_floor") -> ([Float], [Int]) {
        func source(_ index: Int, _ length: Int, _ output: Int) -> Double {
            switch transform {
            case "half_pixel": Double((2 * index + 1) * length - output) / Double(2 * output)
            case "pytorch_half_pixel": output > 1 ? Double((2 * index + 1) * length - output) / Double(2 * output) : 0
            case "align_corners": output > 1 ? Double(index * (length - 1)) / Double(output - 1) : 0
            default: Double(index * length) / Double(output)  // asymmetric
            }
        }
        func nearest(_ coordinate: Double, _ length: Int) -> Int {
            let fraction = coordinate - coordinate.rounded(.down)
            let rounded: Double = switch nearestMode {
            case "floor": coordinate.rounded(.down)
            case "ceil": coordinate.rounded(.up)
            case "round_prefer_ceil": fraction == 0.5 ? coordinate.rounded(.up) : coordinate.rounded()
            default: fraction == 0.5 ? coordinate.rounded(.down) : coordinate.rounded()
            }
            return min(max(Int(rounded), 0), length - 1)
        }
        let (height, width) = (xs[2], xs[3])
        var result: [Float] = []
        for plane in 0..<(xs[0] * xs[1]) { for oy in 0..<size.0 { for ox in 0..<size.1 {
            func at(_ y: Int, _ x: Int) -> Float { input[(plane * height + y) * width + x] }
            let sy = source(oy, height, size.0), sx = source(ox, width, size.1)
            if mode == "nearest" {
                result.append(at(nearest(sy, height), nearest(sx, width)))
            } else {
                let y = min(max(sy, 0), Double(height - 1)), x = min(max(sx, 0), Double(width - 1))
                let y0 = Int(y), x0 = Int(x), y1 = min(y0 + 1, height - 1), x1 = min(x0 + 1, width - 1)
                let wy = Float(y - Double(y0)), wx = Float(x - Double(x0))
                let top = (1 - wx) * at(y0, x0) + wx * at(y0, x1)
                let bottom = (1 - wx) * at(y1, x0) + wx * at(y1, x1)
                result.append((1 - wy) * top + wy * bottom)
            }
        } } }
        return (result, [xs[0], xs[1], size.0, size.1])
    }
}

/// Hand-built ONNX models: each operator translation against the NCHW oracles, the folding of shape
/// computations, and refusals.
@Suite struct ONNXTestModelTests {
    typealias Node = ONNXTestModel.TestNode
    typealias TestTensor = ONNXTestModel.TestTensor

    static func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        guard actual.count == expected.count else { return }
        let difference = Fixtures.maxAbsoluteDifference(actual, expected)
        #expect(difference <= tolerance, "max |diff| \(difference)", sourceLocation: sourceLocation)
    }

    // MARK: Convolution

    @Test(arguments: [true, false])
    func convolutionWithGroupsStridesPadsAndDilations(rawWeights: Bool) throws {
        let xs = [1, 4, 9, 8], ws = [6, 2, 3, 3]
        let x = ONNXOracle.randomValues(xs.reduce(1, *), seed: 1)
        let w = ONNXOracle.randomValues(ws.reduce(1, *), seed: 2)
        let bias = ONNXOracle.randomValues(6, seed: 3)
        let model = ONNXTestModel(
            inputs: [("x", xs)], outputs: ["y"],
            initializers: [.floats("w", ws, w, raw: rawWeights), .floats("b", [6], bias, raw: rawWeights)],
            nodes: [Node(type: "Conv", name: "conv", inputs: ["x", "w", "b"], outputs: ["y"], attributes: [
                ("group", .int(2)), ("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 1])),
                ("pads", .ints([1, 0, 2, 1])), ("dilations", .ints([1, 2])),
            ])])
        let (expected, shape) = ONNXOracle.convolution(x, xs, w, ws, bias: bias, strides: [2, 1], pads: [1, 0, 2, 1],
                                                       dilations: [1, 2], groups: 2)
        for reference in [false, true] {
            let output = try ONNXOracle.run(model, [x], reference: reference)[0]
            #expect(output.shape == shape)
            Self.expectClose(output.scalars, expected)
        }
    }

    /// Depthwise (groups = channels) with SAME_UPPER and SAME_LOWER: 6 with kernel 3 and stride 2 needs one
    /// cell of padding, after (UPPER) or before (LOWER); then a 1x1 convolution without bias.
    @Test(arguments: ["SAME_UPPER", "SAME_LOWER", "VALID"])
    func convolutionAutoPad(autoPad: String) throws {
        let xs = [1, 3, 6, 6], ws = [3, 1, 3, 3], pointwise = [2, 3, 1, 1]
        let x = ONNXOracle.randomValues(xs.reduce(1, *), seed: 4)
        let w = ONNXOracle.randomValues(ws.reduce(1, *), seed: 5)
        let w2 = ONNXOracle.randomValues(pointwise.reduce(1, *), seed: 6)
        let model = ONNXTestModel(
            inputs: [("x", xs)], outputs: ["z"],
            initializers: [.floats("w", ws, w), .floats("w2", pointwise, w2)],
            nodes: [
                Node(type: "Conv", name: "depthwise", inputs: ["x", "w"], outputs: ["y"], attributes: [
                    ("group", .int(3)), ("strides", .ints([2, 2])), ("auto_pad", .string(autoPad)),
                ]),
                Node(type: "Conv", name: "pointwise", inputs: ["y", "w2"], outputs: ["z"]),
            ])
        let pads = switch autoPad {
        case "SAME_UPPER": [0, 0, 1, 1]
        case "SAME_LOWER": [1, 1, 0, 0]
        default: [0, 0, 0, 0]
        }
        let (y, ys) = ONNXOracle.convolution(x, xs, w, ws, bias: nil, strides: [2, 2], pads: pads, dilations: [1, 1],
                                             groups: 3)
        let (expected, shape) = ONNXOracle.convolution(y, ys, w2, pointwise, bias: nil, strides: [1, 1],
                                                       pads: [0, 0, 0, 0], dilations: [1, 1], groups: 1)
        let output = try ONNXOracle.run(model, [x])[0]
        #expect(output.shape == shape)
        Self.expectClose(output.scalars, expected)
    }

    // MARK: Pooling

    @Test func maxPoolCeilModeAndAveragePools() throws {
        let xs = [1, 2, 7, 5]
        let x = ONNXOracle.randomValues(xs.reduce(1, *), seed: 7)
        let model = ONNXTestModel(
            inputs: [("x", xs)], outputs: ["ceil", "padded", "average", "global"],
            nodes: [
                Node(type: "MaxPool", name: "ceil", inputs: ["x"], outputs: ["ceil"], attributes: [
                    ("kernel_shape", .ints([2, 2])), ("strides", .ints([2, 2])), ("ceil_mode", .int(1)),
                    ("pads", .ints([0, 0, 0, 0])),
                ]),
                Node(type: "MaxPool", name: "padded", inputs: ["x"], outputs: ["padded"], attributes: [
                    ("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 2])), ("ceil_mode", .int(1)),
                    ("pads", .ints([1, 1, 0, 0])),
                ]),
                Node(type: "AveragePool", name: "average", inputs: ["x"], outputs: ["average"], attributes: [
                    ("kernel_shape", .ints([3, 2])), ("strides", .ints([2, 2])), ("pads", .ints([1, 0, 1, 1])),
                ]),
                Node(type: "GlobalAveragePool", name: "global", inputs: ["x"], outputs: ["global"]),
            ])
        let outputs = try ONNXOracle.run(model, [x])
        let ceil = ONNXOracle.pool(x, xs, kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceil: true, average: false)
        #expect(outputs[0].shape == [1, 2, 4, 3] && ceil.1 == [1, 2, 4, 3])
        Self.expectClose(outputs[0].scalars, ceil.0, tolerance: 0)
        let padded = ONNXOracle.pool(x, xs, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 0, 0], ceil: true, average: false)
        #expect(outputs[1].shape == padded.1)
        Self.expectClose(outputs[1].scalars, padded.0, tolerance: 0)
        let average = ONNXOracle.pool(x, xs, kernel: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1], ceil: false, average: true)
        #expect(outputs[2].shape == average.1)
        Self.expectClose(outputs[2].scalars, average.0)
        let global = ONNXOracle.pool(x, xs, kernel: [7, 5], strides: [1, 1], pads: [0, 0, 0, 0], ceil: false, average: true)
        #expect(outputs[3].shape == [1, 2, 1, 1])
        Self.expectClose(outputs[3].scalars, global.0)
    }

    // MARK: Resize

    static let resizeCases: [(mode: String, transform: String, nearest: String)] =
        ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"].flatMap { transform in
            [("linear", transform, "round_prefer_floor")]
                + ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].map { ("nearest", transform, $0) }
        }

    /// Every coordinate transform and nearest rounding, up (3x4 to 7x5), down (to 2x3) and to a length of 1.
    @Test(arguments: 0..<20)
    func resizeCoordinateModes(caseIndex: Int) throws {
        let (mode, transform, nearest) = Self.resizeCases[caseIndex]
        let xs = [1, 2, 3, 4]
        let x = ONNXOracle.randomValues(xs.reduce(1, *), seed: 8)
        let sizes: [(Int, Int)] = [(7, 5), (2, 3), (1, 6)]
        let model = ONNXTestModel(
            inputs: [("x", xs)], outputs: sizes.indices.map { "y\($0)" },
            initializers: [.floats("roi", [0], []), .floats("scales", [0], [])]
                + sizes.enumerated().map { .int64s("sizes\($0.offset)", [4], [1, 2, Int64($0.element.0), Int64($0.element.1)]) },
            nodes: sizes.indices.map { index in
                Node(type: "Resize", name: "resize\(index)", inputs: ["x", "roi", "scales", "sizes\(index)"],
                     outputs: ["y\(index)"], attributes: [
                        ("mode", .string(mode)), ("coordinate_transformation_mode", .string(transform)),
                        ("nearest_mode", .string(nearest)), ("cubic_coeff_a", .float(-0.75)),
                     ])
            })
        let outputs = try ONNXOracle.run(model, [x])
        for (index, size) in sizes.enumerated() {
            let (expected, shape) = ONNXOracle.resize(x, xs, to: size, mode: mode, transform: transform,
                                                      nearestMode: nearest)
            #expect(outputs[index].shape == shape)
            Self.expectClose(outputs[index].scalars, expected)
        }
    }

    /// Scales that give whole lengths are accepted; a fractional output length is refused.
    @Test func resizeByScales() throws {
        let xs = [1, 1, 3, 4]
        let x = ONNXOracle.randomValues(xs.reduce(1, *), seed: 9)
        func model(_ scales: [Float]) -> ONNXTestModel {
            ONNXTestModel(
                inputs: [("x", xs)], outputs: ["y"],
                initializers: [.floats("roi", [0], []), .floats("scales", [4], scales, raw: false)],
                nodes: [Node(type: "Resize", name: "up", inputs: ["x", "roi", "scales"], outputs: ["y"],
                             attributes: [("mode", .string("linear"))])])
        }
        let output = try ONNXOracle.run(model([1, 1, 2, 0.5]), [x])[0]
        let (expected, shape) = ONNXOracle.resize(x, xs, to: (6, 2), mode: "linear", transform: "half_pixel")
        #expect(output.shape == shape)
        Self.expectClose(output.scalars, expected)
        #expect(throws: ModelError.self) { try ONNXReader.read(model([1, 1, 1.5, 1]).bytes()) }
        #expect(throws: ModelError.self) { try ONNXReader.read(model([1, 2, 1, 1]).bytes()) }
    }

    // MARK: Concatenation and elementwise

    /// Concat on the channel axis (1, becoming NHWC 3) and the width axis (-1), Add of a constant
    /// `[C, 1, 1]` broadcast over NCHW, Relu, Sigmoid, Mul of two activations, Identity.
    @Test func concatAddReluSigmoid() throws {
        let xs = [1, 2, 3, 4], ys = [1, 3, 3, 4]
        let x = ONNXOracle.randomValues(xs.reduce(1, *), seed: 10)
        let y = ONNXOracle.randomValues(ys.reduce(1, *), seed: 11)
        let bias: [Float] = [0.5, -0.25, 0.125, -1, 2]
        let model = ONNXTestModel(
            inputs: [("x", xs), ("y", ys)], outputs: ["activated", "wide", "product"],
            initializers: [.floats("bias", [5, 1, 1], bias)],
            nodes: [
                Node(type: "Concat", name: "channels", inputs: ["x", "y"], outputs: ["joined"], attributes: [("axis", .int(1))]),
                Node(type: "Add", name: "add", inputs: ["joined", "bias"], outputs: ["sum"]),
                Node(type: "Relu", name: "relu", inputs: ["sum"], outputs: ["rectified"]),
                Node(type: "Sigmoid", name: "sigmoid", inputs: ["rectified"], outputs: ["activated"]),
                Node(type: "Concat", name: "width", inputs: ["x", "x"], outputs: ["wide"], attributes: [("axis", .int(-1))]),
                Node(type: "Identity", name: "same", inputs: ["x"], outputs: ["alias"]),
                Node(type: "Mul", name: "square", inputs: ["x", "alias"], outputs: ["product"]),
            ])
        let outputs = try ONNXOracle.run(model, [x, y])
        let joined = x + y  // NCHW with N = 1: channel planes one after another
        let activated = joined.enumerated().map { index, value -> Float in
            let rectified = max(value + bias[index / 12], 0)
            return 1 / (1 + exp(-rectified))
        }
        #expect(outputs[0].shape == [1, 5, 3, 4])
        Self.expectClose(outputs[0].scalars, activated)
        var wide: [Float] = []
        for row in 0..<6 {
            let line = Array(x[(row * 4)..<(row * 4 + 4)])
            wide += line
            wide += line
        }
        #expect(outputs[1].shape == [1, 2, 3, 8])
        Self.expectClose(outputs[1].scalars, wide, tolerance: 0)
        Self.expectClose(outputs[2].scalars, x.map { $0 * $0 }, tolerance: 0)
    }

    // MARK: Folding

    /// PyTorch's `F.interpolate(p, size=x.shape[2:])` as exported: the sizes of `Resize` come from
    /// Shape, Gather, Unsqueeze, Concat, Slice, Cast and Constant nodes, and must fold, leaving only the
    /// pool and the resize in the graph. Operator set 13 takes Unsqueeze axes as an input.
    @Test(arguments: [11, 13])
    func shapeComputationsFoldIntoResizeSizes(operatorSet: Int) throws {
        let xs = [1, 2, 5, 6]
        let x = ONNXOracle.randomValues(xs.reduce(1, *), seed: 12)
        var nodes = [
            Node(type: "MaxPool", name: "pool", inputs: ["x"], outputs: ["p"], attributes: [
                ("kernel_shape", .ints([2, 2])), ("strides", .ints([2, 2])), ("ceil_mode", .int(1)),
            ]),
            Node(type: "Shape", name: "shape_x", inputs: ["x"], outputs: ["sx"]),
            Node(type: "Constant", name: "two", inputs: [], outputs: ["c2"],
                 attributes: [("value", .tensor(.int64s("", [], [2])))]),
            Node(type: "Constant", name: "three", inputs: [], outputs: ["c3"], attributes: [("value_int", .int(3))]),
            Node(type: "Gather", name: "height", inputs: ["sx", "c2"], outputs: ["h"], attributes: [("axis", .int(0))]),
            Node(type: "Gather", name: "width", inputs: ["sx", "c3"], outputs: ["w"], attributes: [("axis", .int(0))]),
        ]
        if operatorSet >= 13 {
            nodes += [
                Node(type: "Constant", name: "axes", inputs: [], outputs: ["axes"], attributes: [("value_ints", .ints([0]))]),
                Node(type: "Unsqueeze", name: "unsqueeze_h", inputs: ["h", "axes"], outputs: ["h1"]),
                Node(type: "Unsqueeze", name: "unsqueeze_w", inputs: ["w", "axes"], outputs: ["w1"]),
            ]
        } else {
            nodes += [
                Node(type: "Unsqueeze", name: "unsqueeze_h", inputs: ["h"], outputs: ["h1"], attributes: [("axes", .ints([0]))]),
                Node(type: "Unsqueeze", name: "unsqueeze_w", inputs: ["w"], outputs: ["w1"], attributes: [("axes", .ints([0]))]),
            ]
        }
        nodes += [
            Node(type: "Concat", name: "hw", inputs: ["h1", "w1"], outputs: ["hw"], attributes: [("axis", .int(0))]),
            Node(type: "Shape", name: "shape_p", inputs: ["p"], outputs: ["sp"]),
            Node(type: "Constant", name: "zero", inputs: [], outputs: ["start"],
                 attributes: [("value", .tensor(.int64s("", [1], [0], raw: false)))]),
            Node(type: "Constant", name: "end", inputs: [], outputs: ["end"], attributes: [("value", .tensor(.int64s("", [1], [2])))]),
            Node(type: "Slice", name: "nc", inputs: ["sp", "start", "end", "start"], outputs: ["nc"]),
            Node(type: "Cast", name: "cast", inputs: ["hw"], outputs: ["hw64"], attributes: [("to", .int(7))]),
            Node(type: "Concat", name: "sizes", inputs: ["nc", "hw64"], outputs: ["sizes"], attributes: [("axis", .int(0))]),
            Node(type: "Constant", name: "empty", inputs: [], outputs: ["none"], attributes: [("value", .tensor(.floats("", [0], [])))]),
            Node(type: "Resize", name: "upsample", inputs: ["p", "none", "none", "sizes"], outputs: ["y"], attributes: [
                ("mode", .string("linear")), ("coordinate_transformation_mode", .string("pytorch_half_pixel")),
            ]),
        ]
        let model = ONNXTestModel(operatorSet: Int64(operatorSet), inputs: [("x", xs)], outputs: ["y"], nodes: nodes)
        let graph = try ONNXReader.read(model.bytes())
        #expect(graph.nodes.count == 2)
        guard graph.nodes.count == 2, case .resize(let resize) = graph.nodes[1].operation else {
            Issue.record("expected a pool and a resize, got \(graph.nodes.map(\.operation))")
            return
        }
        #expect(resize.size == (5, 6) && resize.coordinateTransform == .pytorchHalfPixel)
        let (pooled, ps) = ONNXOracle.pool(x, xs, kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceil: true,
                                           average: false)
        let (expected, shape) = ONNXOracle.resize(pooled, ps, to: (5, 6), mode: "linear", transform: "pytorch_half_pixel")
        let output = try ONNXOracle.run(model, [x])[0]
        #expect(output.shape == shape)
        Self.expectClose(output.scalars, expected)
    }

    @Test func foldingArithmetic() throws {
        var folded = ShapeFolding.shape([1, 3, 320, 320], start: -2, end: nil)
        #expect(folded == ConstantTensor(shape: [2], integers: [320, 320]))
        folded = try ShapeFolding.arithmetic(.divide, folded, ConstantTensor(shape: [], integers: [-3]), "div")
        #expect(folded == ConstantTensor(shape: [2], integers: [-106, -106]))
        let floats = try ShapeFolding.cast(folded, to: ONNXDataType.float, "cast")
        let scaled = try ShapeFolding.arithmetic(.multiply, floats, ConstantTensor(shape: [1], floats: [0.5]), "mul")
        #expect(ShapeFolding.floor(scaled) == ConstantTensor(shape: [2], floats: [-53, -53]))
        #expect(try ShapeFolding.cast(ConstantTensor(shape: [2], floats: [2.9, -2.9]), to: ONNXDataType.int64, "cast")
            == ConstantTensor(shape: [2], integers: [2, -2]))
        let matrix = ConstantTensor(shape: [2, 3], integers: [1, 2, 3, 4, 5, 6])
        #expect(try ShapeFolding.slice(matrix, starts: [-1, .max], ends: [.min, -4], axes: nil, steps: [-1, -2], "slice")
            == ConstantTensor(shape: [2, 2], integers: [6, 4, 3, 1]))
        #expect(try ShapeFolding.gather(matrix, indices: ConstantTensor(shape: [2], integers: [-1, 0]), axis: 1, "gather")
            == ConstantTensor(shape: [2, 2], integers: [3, 1, 6, 4]))
        #expect(try ShapeFolding.squeeze(ShapeFolding.unsqueeze(matrix, axes: [0, -1], "unsqueeze"), axes: nil, "squeeze")
            == matrix)
        #expect(throws: ModelError.self) { try ShapeFolding.gather(matrix, indices: ConstantTensor(shape: [], integers: [2]), axis: 0, "gather") }
        #expect(throws: ModelError.self) { try ShapeFolding.arithmetic(.divide, matrix, ConstantTensor(shape: [], integers: [0]), "div") }
        #expect(throws: ModelError.self) { try ShapeFolding.cast(ConstantTensor(shape: [], floats: [.nan]), to: 7, "cast") }
    }

    // MARK: Refusals

    /// The model of `convolutionAutoPad` in small: one 1x1 Conv.
    static func tinyModel() -> ONNXTestModel {
        ONNXTestModel(inputs: [("x", [1, 2, 3, 3])], outputs: ["y"],
                      initializers: [.floats("w", [1, 2, 1, 1], [1, -1])],
                      nodes: [Node(type: "Conv", name: "conv", inputs: ["x", "w"], outputs: ["y"])])
    }

    @Test func unknownOperatorsAreNamedWithTheirNode() throws {
        var model = Self.tinyModel()
        model.nodes.append(Node(type: "Erf", name: "mystery", inputs: ["y"], outputs: ["z"]))
        model.outputs = ["z"]
        #expect(throws: ModelError.unsupported("operator Erf in node 'mystery' is not supported")) {
            try ONNXReader.read(model.bytes())
        }
        model.nodes[1] = Node(type: "Relu", name: "custom", inputs: ["y"], outputs: ["z"], domain: "com.example")
        #expect(throws: ModelError.unsupported("operator com.example.Relu in node 'custom' is not supported")) {
            try ONNXReader.read(model.bytes())
        }
    }

    @Test func externalWeightsAreRefused() throws {
        var model = Self.tinyModel()
        model.initializers[0].external = true
        #expect(throws: ModelError.unsupported("initializer 'w' keeps its data in another file: external weights not supported")) {
            try ONNXReader.read(model.bytes())
        }
    }

    /// Every proper prefix of a valid model is refused: the model's fields end mid-way, or the graph or
    /// the operator set never arrives.
    @Test func truncatedBytesAreRefused() throws {
        let bytes = Self.tinyModel().bytes()
        _ = try ONNXReader.read(bytes)
        for length in 0..<bytes.count {
            #expect(throws: ModelError.self, "\(length) of \(bytes.count) bytes") {
                try ONNXReader.read(Array(bytes.prefix(length)))
            }
        }
    }

    @Test func versionsAndShapesAreChecked() throws {
        var model = Self.tinyModel()
        model.irVersion = 2
        #expect(throws: ModelError.self) { try ONNXReader.read(model.bytes()) }
        model.irVersion = 12
        #expect(throws: ModelError.self) { try ONNXReader.read(model.bytes()) }
        model.irVersion = 6
        model.operatorSet = 6
        #expect(throws: ModelError.self) { try ONNXReader.read(model.bytes()) }
        model.operatorSet = 24
        #expect(throws: ModelError.self) { try ONNXReader.read(model.bytes()) }

        model.operatorSet = 11
        model.inputs = [("x", [-1, 2, 3, 3])]
        #expect(throws: ModelError.unsupported("input 'x' has the symbolic dimension 'N'; give its shape in inputShapes")) {
            try ONNXReader.read(model.bytes())
        }
        let graph = try ONNXReader.read(model.bytes(), inputShapes: ["x": [2, 2, 3, 3]])
        #expect(graph.values[graph.inputs[0]].shape == [2, 3, 3, 2])
    }

    @Test func unsupportedUsesAreRefused() throws {
        let base = Self.tinyModel()
        func refusal(_ change: (inout ONNXTestModel) -> Void) -> ModelError? {
            var model = base
            change(&model)
            do throws(ModelError) {
                _ = try ONNXReader.read(model.bytes())
                return nil
            } catch {
                return error
            }
        }
        // Subtraction of run-time values has no graph operator.
        #expect(refusal { $0.nodes.append(Node(type: "Sub", name: "minus", inputs: ["y", "y"], outputs: ["z"])); $0.outputs = ["z"] }
            == .unsupported("Sub node 'minus' on values computed at run time is not supported (only constants fold)"))
        // Weights computed at run time.
        #expect(refusal { $0.nodes[0].inputs = ["x", "x"] } == .unsupported(
            "Conv node 'conv' has weights 'x' computed at run time; the reader needs it constant"))
        // An attribute with no counterpart.
        #expect(refusal { $0.nodes[0].attributes = [("fancy", .int(1))] }
            == .unsupported("Conv node 'conv' has attribute 'fancy', which this reader does not implement"))
        // tf_crop_and_resize.
        #expect(refusal {
            $0.initializers += [.floats("none", [0], []), .floats("scales", [4], [1, 1, 2, 2])]
            $0.nodes.append(Node(type: "Resize", name: "crop", inputs: ["y", "none", "scales"], outputs: ["z"],
                                 attributes: [("coordinate_transformation_mode", .string("tf_crop_and_resize"))]))
            $0.outputs = ["z"]
        } == .unsupported("Resize node 'crop' has coordinate_transformation_mode 'tf_crop_and_resize'"))
        // Values read before written, written twice, outputs never written.
        #expect(refusal { $0.nodes[0].inputs = ["later", "w"] }
            == .malformed("Conv node 'conv' reads 'later' before anything writes it"))
        #expect(refusal { $0.nodes[0].outputs = ["x"] } == .malformed("Conv node 'conv' writes 'x', which already has a value"))
        #expect(refusal { $0.outputs = ["nowhere"] } == .malformed("graph output 'nowhere' is never written"))
        // An empty tensor whose other dimensions multiply past 2^30.
        #expect(refusal {
            $0.initializers.append(.floats("empty", [0, 1 << 30, 1 << 30], []))
            $0.nodes.append(Node(type: "Add", name: "plus", inputs: ["y", "empty"], outputs: ["z"]))
            $0.outputs = ["z"]
        } == .unsupported("initializer 'empty' has dimensions [0, 1073741824, 1073741824]: more than 2^30 elements"))
        // Weights whose channels do not fit the input.
        #expect(refusal { $0.initializers[0] = .floats("w", [1, 3, 1, 1], [1, 2, 3]) } != nil)
    }
}
