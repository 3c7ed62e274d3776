import Foundation
import Testing
@testable import Inference

/// Builtin codes and option union ids used by the hand-built models (schema.fbs).
private enum Code {
    static let add: Int32 = 0, averagePool: Int32 = 1, concatenation: Int32 = 2, conv: Int32 = 3
    static let depthwise: Int32 = 4, dequantize: Int32 = 6, maxPool: Int32 = 17, mul: Int32 = 18
    static let relu: Int32 = 19, resizeBilinear: Int32 = 23, softmax: Int32 = 25, custom: Int32 = 32
    static let mean: Int32 = 40, hardSwish: Int32 = 117, stablehloAdd: Int32 = 163
}

private enum OptionsType {
    static let conv: UInt8 = 1, depthwise: UInt8 = 2, pool: UInt8 = 5, concatenation: UInt8 = 10, add: UInt8 = 11
    static let resizeBilinear: UInt8 = 15, mul: UInt8 = 21, reducer: UInt8 = 27
}

private enum TensorType {
    static let float32: Int8 = 0, float16: Int8 = 1, int32: Int8 = 2, int8: Int8 = 9
}

/// The tiny model of the reader tests: DEQUANTIZE (folded) + CONV_2D (fused RELU6) + ADD (fused RELU),
/// followed by bytes that are not part of the FlatBuffer (as MediaPipe appends a zip).
/// input [1,4,4,2] -> conv (weights float16 [3,1,1,2], bias [3]) -> + other [3] -> sum [1,4,4,3].
let tinyWeightBits: [UInt16] = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x8000]
let tinyWeights: [Float] = [1, -2, 0.5, 65504, 0x1p-24, -0.0]

func tinyModel() -> TFLiteTestModel {
    var model = TFLiteTestModel()
    model.operatorCodes = [(Code.dequantize, nil), (Code.conv, nil), (Code.add, nil)]
    model.tensors = [
        .init(name: "input", shape: [1, 4, 4, 2]),
        .init(name: "conv/weights", shape: [3, 1, 1, 2], type: TensorType.float16,
              data: halfBytes(tinyWeightBits)),
        .init(name: "conv/weights_dequantize", shape: [3, 1, 1, 2]),
        .init(name: "conv/bias", shape: [3], data: floatBytes([0.25, -0.5, 1])),
        .init(name: "conv", shape: [1, 4, 4, 3]),
        .init(name: "other", shape: [3], data: floatBytes([1, 2, 3])),
        .init(name: "sum", shape: [1, 4, 4, 3]),
    ]
    model.operators = [
        .init(opcode: 0, inputs: [1], outputs: [2]),
        .init(opcode: 1, inputs: [0, 2, 3], outputs: [4], optionsType: OptionsType.conv,
              options: .init([0: .int8(0), 1: .int32(1), 2: .int32(2), 3: .int8(3), 5: .int32(2)])),
        .init(opcode: 2, inputs: [4, 5], outputs: [6], optionsType: OptionsType.add,
              options: .init([0: .int8(1)])),
    ]
    model.inputs = [0]
    model.outputs = [6]
    return model
}

/// A zip local-file header and some content, standing in for MediaPipe's appended metadata.
let appendedZip: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + Array("labels.txt person background".utf8) + [0xFF, 0xFF, 0xFF]

@Suite struct TFLiteReaderTests {
    @Test func readsTinyConvolutionAndAddition() throws {
        let graph = try TFLiteReader.read(tinyModel().bytes(trailing: appendedZip))
        #expect(graph.nodes.count == 3)
        #expect(graph.inputs.map { graph.values[$0].name } == ["input"])
        #expect(graph.outputs.map { graph.values[$0].name } == ["sum"])
        #expect(graph.values[graph.inputs[0]].shape == [1, 4, 4, 2])
        #expect(graph.values[graph.inputs[0]].constant == nil)

        let convolution = graph.nodes[0]
        #expect(convolution.name == "conv")
        #expect(convolution.operation == .convolution(Convolution(
            strides: (2, 1), dilations: (2, 1), padding: .same, groups: 1, activation: .relu6)))
        #expect(convolution.inputs.map { graph.values[$0].name }
            == ["input", "conv/weights_dequantize", "conv/bias"])
        let weights = try #require(graph.values[convolution.inputs[1]].constant)
        #expect(weights.shape == [3, 1, 1, 2])
        #expect(weights.scalars.map(\.bitPattern) == tinyWeights.map(\.bitPattern))
        #expect(graph.values[convolution.inputs[2]].constant == Tensor(shape: [3], scalars: [0.25, -0.5, 1]))
        #expect(convolution.outputs.map { graph.values[$0].name } == ["conv"])
        #expect(graph.values[convolution.outputs[0]].shape == [1, 4, 4, 3])

        // The fused RELU of ADD becomes its own node after an intermediate value.
        let addition = graph.nodes[1], activation = graph.nodes[2]
        #expect(addition.operation == .binary(.add))
        #expect(addition.inputs == [convolution.outputs[0], graph.value(named: "other")!])
        #expect(graph.values[addition.inputs[1]].constant == Tensor(shape: [3], scalars: [1, 2, 3]))
        #expect(graph.values[addition.outputs[0]].name == "sum/before_activation")
        #expect(activation.operation == .activation(.relu))
        #expect(activation.inputs == addition.outputs)
        #expect(activation.outputs == graph.outputs)
        #expect(activation.name == "sum")

        // Only tensors the graph uses become values: the float16 source of the folded DEQUANTIZE does not.
        #expect(graph.value(named: "conv/weights") == nil)
        #expect(try TFLiteReader.operatorCounts(tinyModel().bytes()) == ["DEQUANTIZE": 1, "CONV_2D": 1, "ADD": 1])
    }

    @Test func readsBufferStoredAfterTheFlatBuffer() throws {
        var model = tinyModel()
        model.outsideData[3] = model.tensors[3].data
        model.tensors[3].data = nil
        let graph = try TFLiteReader.read(model.bytes(trailing: appendedZip))
        let bias = graph.values[graph.nodes[0].inputs[2]]
        #expect(bias.name == "conv/bias")
        #expect(bias.constant == Tensor(shape: [3], scalars: [0.25, -0.5, 1]))
    }

    @Test func depthwiseWeightsBecomeGroupedOHWI() throws {
        // Input channels 2, multiplier 2: weights [1, KH=2, KW=2, 4], value = 100 * tap + channel.
        let source: [Float] = (0..<4).flatMap { tap in (0..<4).map { Float(100 * tap + $0) } }
        var model = TFLiteTestModel()
        model.operatorCodes = [(Code.depthwise, nil)]
        model.tensors = [
            .init(name: "x", shape: [1, 5, 5, 2]),
            .init(name: "weights", shape: [1, 2, 2, 4], data: floatBytes(source)),
            .init(name: "y", shape: [1, 3, 3, 4]),
        ]
        model.operators = [.init(opcode: 0, inputs: [0, 1, -1], outputs: [2], optionsType: OptionsType.depthwise,
                                 options: .init([0: .int8(1), 1: .int32(2), 2: .int32(2), 3: .int32(2)]))]
        model.inputs = [0]
        model.outputs = [2]
        let graph = try TFLiteReader.read(model.bytes())
        let node = try #require(graph.nodes.first)
        #expect(node.operation == .convolution(Convolution(strides: (2, 2), padding: .valid, groups: 2)))
        #expect(node.inputs.count == 2)
        let weights = try #require(graph.values[node.inputs[1]].constant)
        #expect(weights.shape == [4, 2, 2, 1])
        // [channel, ky, kx, 0] = source[0, ky, kx, channel].
        let expected: [Float] = (0..<4).flatMap { channel in (0..<4).map { tap in Float(100 * tap + channel) } }
        #expect(weights.scalars == expected)
    }

    @Test func readsPoolMeanResizeConcatenationAndTransposedConvolution() throws {
        var model = TFLiteTestModel()
        model.operatorCodes = [(Code.averagePool, nil), (Code.mean, nil), (Code.resizeBilinear, nil),
                               (Code.concatenation, nil), (Code.custom, "Convolution2DTransposeBias"),
                               (Code.maxPool, nil), (Code.hardSwish, nil), (Code.mul, nil)]
        model.tensors = [
            .init(name: "x", shape: [1, 4, 4, 2]),                                       // 0
            .init(name: "pooled", shape: [1, 1, 1, 2]),                                  // 1
            .init(name: "axes", shape: [2], type: TensorType.int32, data: int32Bytes([1, 2])),
            .init(name: "mean", shape: [1, 1, 1, 2]),                                    // 3
            .init(name: "size", shape: [2], type: TensorType.int32, data: int32Bytes([8, 6])),
            .init(name: "resized", shape: [1, 8, 6, 2]),                                 // 5
            .init(name: "joined", shape: [1, 4, 4, 4]),                                  // 6
            .init(name: "up/weights", shape: [3, 2, 2, 4], data: floatBytes([Float](repeating: 1, count: 48))),
            .init(name: "up/bias", shape: [3], data: floatBytes([0, 0, 0])),
            .init(name: "up", shape: [1, 8, 8, 3]),                                      // 9
            .init(name: "max", shape: [1, 2, 2, 2]),                                     // 10
            .init(name: "swish", shape: [1, 2, 2, 2]),                                   // 11
            .init(name: "product", shape: [1, 4, 4, 2]),                                 // 12
        ]
        model.operators = [
            .init(opcode: 0, inputs: [0], outputs: [1], optionsType: OptionsType.pool,
                  options: .init([0: .int8(1), 1: .int32(4), 2: .int32(4), 3: .int32(4), 4: .int32(4)])),
            .init(opcode: 1, inputs: [0, 2], outputs: [3], optionsType: OptionsType.reducer,
                  options: .init([0: .bool(true)])),
            .init(opcode: 2, inputs: [0, 4], outputs: [5], optionsType: OptionsType.resizeBilinear,
                  options: .init([3: .bool(true)])),
            .init(opcode: 3, inputs: [0, 0], outputs: [6], optionsType: OptionsType.concatenation,
                  options: .init([0: .int32(-1)])),
            .init(opcode: 4, inputs: [6, 7, 8], outputs: [9],
                  customOptions: int32Bytes([1, 2, 2])),
            .init(opcode: 5, inputs: [0], outputs: [10], optionsType: OptionsType.pool,
                  options: .init([0: .int8(0), 1: .int32(2), 2: .int32(2), 3: .int32(3), 4: .int32(3),
                                  5: .int8(1)])),
            .init(opcode: 6, inputs: [10], outputs: [11]),
            .init(opcode: 7, inputs: [0, 3], outputs: [12]),
        ]
        model.inputs = [0]
        model.outputs = [1, 3, 5, 9, 11, 12]
        let graph = try TFLiteReader.read(model.bytes())
        let operations = graph.nodes.map(\.operation)
        #expect(operations == [
            .pool(Pooling(kind: .average, kernel: (4, 4), strides: (4, 4), padding: .valid)),
            .mean(axes: [1, 2], keepDimensions: true),
            .resize(Resize(mode: .linear, coordinateTransform: .halfPixel, size: (8, 6))),
            .concatenate(axis: 3),
            .transposedConvolution(TransposedConvolution(strides: (2, 2), padding: .same)),
            .pool(Pooling(kind: .max, kernel: (3, 3), strides: (2, 2), padding: .same, activation: .relu)),
            .activation(.hardSwish),
            .binary(.multiply),
        ])
        #expect(graph.nodes[1].inputs.count == 1)
        #expect(graph.nodes[2].inputs.count == 1)
        #expect(graph.nodes[3].inputs == [graph.inputs[0], graph.inputs[0]])
        #expect(graph.nodes[4].inputs.map { graph.values[$0].name } == ["joined", "up/weights", "up/bias"])
        #expect(graph.outputs.map { graph.values[$0].name } == ["pooled", "mean", "resized", "up", "swish", "product"])
        // Int32 constants become attributes, not values.
        #expect(graph.value(named: "axes") == nil && graph.value(named: "size") == nil)
    }

    @Test func resizeCoordinateTransforms() throws {
        func transform(_ options: [Int: FlatBufferWriter.Field]?) throws -> Resize.CoordinateTransform? {
            var model = TFLiteTestModel()
            model.operatorCodes = [(Code.resizeBilinear, nil)]
            model.tensors = [
                .init(name: "x", shape: [1, 2, 2, 1]),
                .init(name: "size", shape: [2], type: TensorType.int32, data: int32Bytes([4, 4])),
                .init(name: "y", shape: [1, 4, 4, 1]),
            ]
            model.operators = [.init(opcode: 0, inputs: [0, 1], outputs: [2], optionsType: OptionsType.resizeBilinear,
                                     options: options.map { .init($0) })]
            model.inputs = [0]
            model.outputs = [2]
            guard case .resize(let resize) = try TFLiteReader.read(model.bytes()).nodes.first?.operation else {
                return nil
            }
            return resize.coordinateTransform
        }
        #expect(try transform(nil) == .asymmetric)
        #expect(try transform([2: .bool(false), 3: .bool(false)]) == .asymmetric)
        #expect(try transform([2: .bool(true)]) == .alignCorners)
        #expect(try transform([3: .bool(true)]) == .halfPixel)
        #expect(throws: ModelError.self) { try transform([2: .bool(true), 3: .bool(true)]) }
    }

    // MARK: Refusals

    /// The message of the error `read` throws for `model`.
    private func refusal(_ model: TFLiteTestModel) -> ModelError? {
        do throws(ModelError) {
            _ = try TFLiteReader.read(model.bytes())
            return nil
        } catch {
            return error
        }
    }

    @Test func unsupportedOperatorsAreNamed() throws {
        var model = tinyModel()
        model.operatorCodes[2] = (Code.softmax, nil)
        let softmax = try #require(refusal(model))
        guard case .unsupported(let message) = softmax else { Issue.record("\(softmax)"); return }
        #expect(message.contains("SOFTMAX") && message.contains("'sum'"))

        model.operatorCodes[2] = (Code.custom, "MyFancyOp")
        #expect(refusal(model)?.description.contains("MyFancyOp") == true)

        // Codes past 127 live only in the extended builtin_code field.
        model.operatorCodes[2] = (Code.stablehloAdd, nil)
        #expect(refusal(model)?.description.contains("builtin operator 163") == true)
    }

    @Test func refusesBrokenModels() {
        // Each change below breaks one rule; every one must give a ModelError, not a trap.
        var changes: [(String, (inout TFLiteTestModel) -> Void)] = []
        changes.append(("schema version", { $0.version = 2 }))
        changes.append(("opcode out of range", { $0.operators[1].opcode = 7 }))
        changes.append(("tensor index out of range", { $0.operators[1].inputs[0] = 70 }))
        changes.append(("negative tensor index", { $0.operators[1].inputs[0] = -2 }))
        changes.append(("graph input out of range", { $0.inputs = [9] }))
        changes.append(("negative dimension", { $0.tensors[0].shape = [1, -4, 4, 2] }))
        changes.append(("huge shape", { $0.tensors[0].shape = [65536, 65536, 65536, 2] }))
        changes.append(("data length", { $0.tensors[3].data = floatBytes([1, 2]) }))
        changes.append(("read before write", { $0.operators.swapAt(1, 2) }))
        changes.append(("written twice", { $0.operators[2].outputs = [4] }))
        changes.append(("output never written", { $0.operators.removeLast() }))
        changes.append(("int8 dequantize", { $0.tensors[1].type = TensorType.int8 }))
        changes.append(("activation type", { $0.tensors[4].type = TensorType.int32 }))
        changes.append(("constant graph input", { $0.inputs = [3] }))
        changes.append(("stride 0", { $0.operators[1].options?.fields[1] = .int32(0) }))
        changes.append(("padding code", { $0.operators[1].options?.fields[0] = .int8(7) }))
        changes.append(("fused TANH", { $0.operators[1].options?.fields[3] = .int8(4) }))
        changes.append(("wrong options type", { $0.operators[1].optionsType = OptionsType.pool }))
        changes.append(("missing options", { $0.operators[1].options = nil }))
        changes.append(("bias length", { $0.tensors[3].shape = [2]; $0.tensors[3].data = floatBytes([1, 2]) }))
        changes.append(("channel mismatch", { $0.tensors[0].shape = [1, 4, 4, 3] }))
        changes.append(("zero input channels", { $0.tensors[0].shape = [1, 4, 4, 0] }))
        changes.append(("empty weights", { $0.tensors[1].shape = [3, 1, 0, 2]; $0.tensors[2].shape = [3, 1, 0, 2]
                                           $0.tensors[1].data = [] }))
        changes.append(("no inputs to conv", { $0.operators[1].inputs = [0] }))
        for (what, change) in changes {
            var model = tinyModel()
            change(&model)
            #expect(refusal(model) != nil, "\(what) was accepted")
        }
    }

    @Test func refusesNonModels() {
        let valid = tinyModel().bytes()
        #expect(throws: ModelError.self) { try TFLiteReader.read([]) }
        #expect(throws: ModelError.self) { try TFLiteReader.read(Array(valid.prefix(7))) }
        var identifier = valid
        identifier[4] = UInt8(ascii: "X")
        #expect(throws: ModelError.self) { try TFLiteReader.read(identifier) }
        #expect(throws: ModelError.self) { try TFLiteReader.read(Array("PK\u{3}\u{4}not a model at all".utf8)) }
        for length in stride(from: 0, to: valid.count, by: 7) {
            #expect(throws: ModelError.self) { try TFLiteReader.read(Array(valid.prefix(length))) }
        }
    }

    // MARK: Half precision

    @Test func halfToFloatMatchesEveryBitPattern() {
        var checked = 0
        for bits in 0...UInt16.max {
            let value = Float(halfBits: bits)
            let exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF
            let sign: Float = bits >> 15 == 0 ? 1 : -1
            if exponent == 0x1F {
                #expect(mantissa == 0 ? value == sign * .infinity : value.isNaN)
            } else {
                // (-1)^s * 2^(e-15) * (1 + m/1024) for normals; (-1)^s * 2^-14 * (m/1024) for subnormals.
                let expected = exponent == 0
                    ? sign * Float(mantissa) / 1024 * 0x1p-14
                    : sign * (1 + Float(mantissa) / 1024) * Float(sign: .plus, exponent: Int(exponent) - 15,
                                                                  significand: 1)
                #expect(value.bitPattern == expected.bitPattern, "half bits \(String(bits, radix: 16))")
            }
            #if !(os(macOS) && arch(x86_64))
            let native = Float(Float16(bitPattern: bits))
            #expect(native.isNaN ? value.isNaN : native.bitPattern == value.bitPattern)
            #endif
            checked += 1
        }
        #expect(checked == 65536)
        #expect(Float(halfBits: 0x7E01).bitPattern == 0x7FC0_2000)  // NaN payload kept
        #expect(Float(halfBits: 0x0001) == 0x1p-24)
        #expect(Float(halfBits: 0x03FF) == 0x1.ff8p-15)
        #expect(Float(halfBits: 0x7BFF) == 65504)
    }
}

// MARK: - The real MediaPipe models

/// The folder holding the selfie models: `$MATTE_MODELS`, else `~/.cache/matte/models`.
enum SelfieModels {
    static var folder: URL {
        if let path = ProcessInfo.processInfo.environment["MATTE_MODELS"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/matte/models")
    }

    static func bytes(_ name: String) -> [UInt8]? {
        (try? Data(contentsOf: folder.appendingPathComponent(name))).map { [UInt8]($0) }
    }

    static let portrait = bytes("selfie_segmentation.tflite")
    static let landscape = bytes("selfie_segmentation_landscape.tflite")
    static let skipMessage = "selfie_segmentation*.tflite not found in $MATTE_MODELS or ~/.cache/matte/models"
}

@Suite struct TFLiteSelfieModelTests {
    /// Facts from docs/models.md, checked against an independent FlatBuffers reader.
    @Test(.enabled(if: SelfieModels.portrait != nil && SelfieModels.landscape != nil, Comment(rawValue: SelfieModels.skipMessage)),
          arguments: [
        ("selfie_segmentation.tflite", [1, 256, 256, 3], "activation_10", "AVERAGE_POOL_2D"),
        ("selfie_segmentation_landscape.tflite", [1, 144, 256, 3], "segment_back", "MEAN"),
    ])
    func readsSelfieModel(file: String, inputShape: [Int], outputName: String, pooling: String) throws {
        let bytes = try #require(SelfieModels.bytes(file))
        let counts = try TFLiteReader.operatorCounts(bytes)
        #expect(counts.values.reduce(0, +) == 246)
        #expect(counts == ["DEQUANTIZE": 110, "CONV_2D": 43, "RELU": 22, "ADD": 14, "HARD_SWISH": 11, "LOGISTIC": 11,
                           "MUL": 10, "DEPTHWISE_CONV_2D": 11, pooling: 10, "RESIZE_BILINEAR": 3,
                           "Convolution2DTransposeBias": 1])

        let clock = ContinuousClock(), started = clock.now
        let graph = try TFLiteReader.read(bytes)
        print("TFLite: read \(file) (\(bytes.count) bytes) into \(graph.nodes.count) nodes in \(clock.now - started)")
        // DEQUANTIZE is folded: 246 - 110 nodes remain.
        #expect(graph.nodes.count == 136)
        #expect(graph.inputs.count == 1 && graph.outputs.count == 1)
        #expect(graph.values[graph.inputs[0]].name == "input_1")
        #expect(graph.values[graph.inputs[0]].shape == inputShape)
        #expect(graph.values[graph.outputs[0]].name == outputName)
        #expect(graph.values[graph.outputs[0]].shape == [1, inputShape[1], inputShape[2], 1])

        let constants = graph.values.compactMap(\.constant)
        #expect(constants.reduce(0) { $0 + $1.count } == 106_401)
        #expect(constants.allSatisfy { $0.scalars.allSatisfy(\.isFinite) })

        // Every node reads values that exist before it runs; outputs are written once.
        var available = Set(graph.inputs)
        for (id, value) in graph.values.enumerated() where value.constant != nil { available.insert(id) }
        for node in graph.nodes {
            #expect(node.inputs.allSatisfy { available.contains($0) }, "\(node.name)")
            for output in node.outputs { #expect(available.insert(output).inserted, "\(node.name)") }
        }
        #expect(available.isSuperset(of: graph.outputs))

        let first = graph.nodes[0]
        #expect(first.operation == .convolution(Convolution(strides: (2, 2), padding: .same)))
        #expect(graph.values[first.inputs[1]].constant?.shape == [16, 3, 3, 3])
        let last = try #require(graph.nodes.last)
        #expect(last.operation == .activation(.sigmoid))
        let transposed = graph.nodes[graph.nodes.count - 2]
        #expect(transposed.operation == .transposedConvolution(TransposedConvolution(strides: (2, 2), padding: .same)))
        #expect(transposed.inputs.map { graph.values[$0].shape } 
            == [[1, inputShape[1] / 2, inputShape[2] / 2, 16], [1, 2, 2, 16], [1]])

        var kinds: [String: Int] = [:]
        for node in graph.nodes {
            switch node.operation {
            case .convolution(let convolution): kinds[convolution.groups == 1 ? "convolution" : "depthwise", default: 0] += 1
            case .resize(let resize):
                #expect(resize.coordinateTransform == .halfPixel && resize.mode == .linear)
                kinds["resize", default: 0] += 1
            case .pool(let pool):
                #expect(pool.kind == .average && pool.padding == .valid)
                kinds["pool", default: 0] += 1
            case .mean(let axes, let keep):
                #expect(axes == [1, 2] && keep)
                kinds["pool", default: 0] += 1
            default: kinds["\(node.operation)".prefix(while: { $0 != "(" }).description, default: 0] += 1
            }
        }
        #expect(kinds["convolution"] == 43 && kinds["depthwise"] == 11 && kinds["resize"] == 3 && kinds["pool"] == 10)
    }

    @Test(.enabled(if: SelfieModels.portrait != nil, Comment(rawValue: SelfieModels.skipMessage)))
    func portraitWeightsMatchIndependentReader() throws {
        let graph = try TFLiteReader.read(try #require(SelfieModels.portrait))
        // Values printed by a Python FlatBuffers reader (ai-edge-litert's schema_py_generated).
        let convolution = try #require(graph.value(named: "conv2d/Kernel_dequantize").flatMap { graph.values[$0].constant })
        #expect(Array(convolution.scalars.prefix(1)) == [-13.625])
        #expect(abs(convolution.scalars.reduce(0.0) { $0 + Double($1) } - -3.018649101257324) < 1e-9)
        let depthwise = try #require(graph.value(named: "depthwise_conv2d/Kernel_dequantize").flatMap { graph.values[$0].constant })
        #expect(depthwise.shape == [16, 3, 3, 1])
        // OHWI [o, ky, kx, 0] = file [0, ky, kx, o].
        #expect(depthwise.scalars[5 * 9 + 1 * 3 + 2] == -0.015777587890625)
        #expect(depthwise.scalars[15 * 9 + 2 * 3 + 0] == -0.0245361328125)
        #expect(abs(depthwise.scalars.reduce(0.0) { $0 + Double($1) } - 0.40242862701416016) < 1e-9)
    }
}
