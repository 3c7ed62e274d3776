import Foundation
import Testing
@testable import Inference

/// Damages protobuf files where damage matters: at keys and length prefixes of the messages the ONNX reader
/// walks, rather than inside weight bytes.
struct ProtobufMutator: ModelMutating {
    /// Byte offsets of keys and length prefixes in the original, found by walking its messages.
    let structurePositions: [Int]
    var random: SplitMix64

    init(original: [UInt8], seed: UInt64) {
        var positions: [Int] = []
        Self.walk(ProtobufReader(original), message: "ModelProto", into: &positions)
        structurePositions = positions.isEmpty ? [0] : positions
        random = SplitMix64(seed: seed)
    }

    /// Embedded messages of each ONNX message, by field number, that the walk enters.
    private static let children: [String: [Int: String]] = [
        "ModelProto": [7: "GraphProto", 8: "OperatorSetIdProto"],
        "GraphProto": [1: "NodeProto", 5: "TensorProto", 11: "ValueInfoProto", 12: "ValueInfoProto", 13: "ValueInfoProto"],
        "NodeProto": [5: "AttributeProto"],
        "AttributeProto": [5: "TensorProto"],
        "ValueInfoProto": [2: "TypeProto"],
        "TypeProto": [1: "TypeProto.Tensor"],
        "TypeProto.Tensor": [2: "TensorShapeProto"],
        "TensorShapeProto": [1: "Dimension"],
    ]

    private static func walk(_ reader: ProtobufReader, message: String, into positions: inout [Int]) {
        var reader = reader
        while !reader.isAtEnd {
            positions.append(reader.position)
            guard let key = try? reader.nextKey() else { return }
            if key.wireType == .lengthDelimited { positions.append(reader.position) }
            if let child = children[message]?[key.field], let inner = try? reader.message(key, child) {
                walk(inner, message: child, into: &positions)
            } else if (try? reader.skip(key)) == nil {
                return
            }
        }
    }

    private mutating func position(in bytes: [UInt8]) -> Int {
        guard !bytes.isEmpty else { return 0 }
        if Int.random(in: 0..<4, using: &random) > 0 {
            return min(structurePositions.randomElement(using: &random)!, bytes.count - 1)
        }
        return Int.random(in: 0..<bytes.count, using: &random)
    }

    private static func varint(_ value: UInt64) -> [UInt8] {
        var value = value, bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return bytes + [UInt8(value)]
    }

    /// The length of the varint starting at `position` (at most 10, or to the end).
    private static func varintLength(in bytes: [UInt8], at position: Int) -> Int {
        var length = 0
        while position + length < bytes.count, length < 10 {
            length += 1
            if bytes[position + length - 1] < 0x80 { break }
        }
        return length
    }

    mutating func mutate(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        let at = position(in: bytes)
        switch Int.random(in: 0..<8, using: &random) {
        case 0:  // flip bits in a few bytes
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let target = Bool.random(using: &random) ? at : position(in: bytes)
                bytes[target] ^= UInt8.random(in: 1...255, using: &random)
            }
        case 1:  // truncate, mostly inside the first 64 KB where the nodes are
            let limit = Bool.random(using: &random) ? min(bytes.count, 65_536) : bytes.count
            bytes.removeLast(bytes.count - Int.random(in: 0...limit, using: &random))
        case 2:  // insert random bytes
            let insertion = (0..<Int.random(in: 1...16, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            bytes.insert(contentsOf: insertion, at: at)
        case 3:  // delete a few bytes
            bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &random)))
        case 4:  // replace a varint (key or length) with a boundary value
            let count = UInt64(bytes.count)
            let values: [UInt64] = [0, 1, 0x7F, 0x80, 0xFFFF_FFFF, .max, UInt64(Int64.max), count, count - 1, count + 1,
                                    UInt64.random(in: 0...1 << 20, using: &random)]
            var encoded = Self.varint(values.randomElement(using: &random)!)
            if Int.random(in: 0..<8, using: &random) == 0 {  // overlong: eleven bytes
                encoded = [UInt8](repeating: 0xFF, count: 10) + [0x01]
            }
            bytes.replaceSubrange(at..<(at + Self.varintLength(in: bytes, at: at)), with: encoded)
        case 5:  // nudge a varint (a length, most often) by a little
            let length = Self.varintLength(in: bytes, at: at)
            var value: UInt64 = 0
            for index in 0..<length { value |= UInt64(bytes[at + index] & 0x7F) << (7 * UInt64(index)) }
            let nudged = value &+ UInt64(bitPattern: Int64.random(in: -8...8, using: &random))
            bytes.replaceSubrange(at..<(at + length), with: Self.varint(nudged))
        case 6:  // change a key's wire type
            bytes[at] = bytes[at] & ~7 | UInt8.random(in: 0...7, using: &random)
        default:  // paste a copy of one piece of structure over or into another
            let from = position(in: bytes)
            let length = min(Int.random(in: 2...48, using: &random), bytes.count - from)
            let piece = Array(bytes[from..<(from + length)])
            if Bool.random(using: &random) {
                bytes.insert(contentsOf: piece, at: at)
            } else {
                bytes.replaceSubrange(at..<min(bytes.count, at + length), with: piece)
            }
        }
    }

    /// Random bytes; half of them are random protobuf messages (valid keys, random payloads) that
    /// begin with an `ir_version` and nest a few levels, so they get past the first field.
    mutating func randomBytes() -> [UInt8] {
        if Bool.random(using: &random) {
            return (0..<Int.random(in: 0..<512, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
        var writer = ProtobufWriter()
        writer.int(1, Int64.random(in: 0...12, using: &random))
        randomFields(&writer, depth: 0)
        return writer.bytes
    }

    private mutating func randomFields(_ writer: inout ProtobufWriter, depth: Int) {
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            let field = Int.random(in: 1...25, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0: writer.int(field, Int64.random(in: -2...400, using: &random))
            case 1: writer.float(field, Float.random(in: -4...4, using: &random))
            case 2: writer.string(field, ["", "x", "Conv", "Resize", "linear", "input.1", "value"].randomElement(using: &random)!)
            default:
                if depth < 5 {
                    writer.message(field) { self.randomFields(&$0, depth: depth + 1) }
                } else {
                    writer.packedInts(field, (0..<Int.random(in: 0...4, using: &random)).map { _ in Int64.random(in: -1...9, using: &random) })
                }
            }
        }
    }
}

@Suite struct ONNXFuzzTests {
    /// Every damaged or random input gives a Graph or a ModelError: no trap, no hang. Inputs are damaged
    /// copies of u2netp.onnx (when present; bounded by time, each read of a whole copy costing some
    /// milliseconds), many more damaged copies of three hand-built models (cheap, and every part of them is
    /// structure), and random bytes. Accepted hand-built graphs are also planned (shapes inferred, kernels
    /// prepared). `MATTE_FUZZ_ITERATIONS` sets the count per source for longer local runs.
    @Test func damagedModelsNeverTrap() throws {
        #if DEBUG
        var iterations = 500
        #else
        var iterations = 8_000
        #endif
        var timeLimit = Duration.seconds(25)
        if let text = ProcessInfo.processInfo.environment["MATTE_FUZZ_ITERATIONS"], let count = Int(text) {
            iterations = count
            timeLimit = .seconds(86_400)
        }
        var sources: [(name: String, bytes: [UInt8], iterations: Int, plan: Bool)] = []
        if let u2netp = try? Fixtures.model("u2netp.onnx") {
            sources.append(("u2netp.onnx", u2netp, iterations, false))
        } else {
            print("ONNX fuzz: u2netp.onnx is missing (run scripts/fetch-assets); fuzzing the hand-built models only")
        }
        sources += try Self.handBuiltModels().map { ($0.name, $0.bytes, iterations * 20, true) }

        let clock = ContinuousClock()
        var total = 0
        for (sourceIndex, (name, original, count, plan)) in sources.enumerated() {
            var fuzzing = ModelFuzzing(mutator: ProtobufMutator(original: original, seed: 0x0AA5_EED0 + UInt64(sourceIndex)))
            var planned = 0
            fuzzing.fuzz(original, count: count, deadline: clock.now + timeLimit) { bytes throws(ModelError) in
                let graph = try ONNXReader.read(bytes)
                if plan, (try? ExecutionPlan(graph: graph)) != nil { planned += 1 }
            }
            print("ONNX fuzz: " + fuzzing.summary(source: name) + "; \(planned) planned")
            total += fuzzing.run
            #expect(fuzzing.run >= min(count, 500), "\(name): only \(fuzzing.run) inputs in the time allowed")
        }
        print("ONNX fuzz: \(total) inputs in all")
    }

    /// The hand-built models of ONNXTestModelTests: a grouped convolution, every resize mode, and the
    /// folded shape chain.
    static func handBuiltModels() throws -> [(name: String, bytes: [UInt8])] {
        typealias Node = ONNXTestModel.TestNode
        let convolution = ONNXTestModel(
            inputs: [("x", [1, 4, 9, 8])], outputs: ["y"],
            initializers: [.floats("w", [6, 2, 3, 3], ONNXOracle.randomValues(108, seed: 1), raw: false),
                           .floats("b", [6], ONNXOracle.randomValues(6, seed: 2))],
            nodes: [
                Node(type: "Conv", name: "conv", inputs: ["x", "w", "b"], outputs: ["c"], attributes: [
                    ("group", .int(2)), ("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 1])),
                    ("pads", .ints([1, 0, 2, 1])), ("dilations", .ints([1, 2])),
                ]),
                Node(type: "MaxPool", name: "pool", inputs: ["c"], outputs: ["p"], attributes: [
                    ("kernel_shape", .ints([2, 2])), ("strides", .ints([2, 2])), ("ceil_mode", .int(1)),
                ]),
                Node(type: "Relu", name: "relu", inputs: ["p"], outputs: ["y"]),
            ])
        let resize = ONNXTestModel(
            inputs: [("x", [1, 2, 3, 4])], outputs: ["y", "z"],
            initializers: [.floats("roi", [0], []), .floats("scales", [4], [1, 1, 2, 2], raw: false),
                           .int64s("sizes", [4], [1, 2, 7, 5])],
            nodes: [
                Node(type: "Resize", name: "nearest", inputs: ["x", "roi", "", "sizes"], outputs: ["y"], attributes: [
                    ("mode", .string("nearest")), ("coordinate_transformation_mode", .string("asymmetric")),
                    ("nearest_mode", .string("round_prefer_ceil")),
                ]),
                Node(type: "Resize", name: "linear", inputs: ["x", "roi", "scales"], outputs: ["r"],
                     attributes: [("mode", .string("linear"))]),
                Node(type: "Concat", name: "join", inputs: ["r", "r"], outputs: ["z"], attributes: [("axis", .int(1))]),
            ])
        let chain = ONNXTestModel(
            inputs: [("x", [1, 2, 5, 6])], outputs: ["y"],
            nodes: [
                Node(type: "MaxPool", name: "pool", inputs: ["x"], outputs: ["p"], attributes: [
                    ("kernel_shape", .ints([2, 2])), ("strides", .ints([2, 2])), ("ceil_mode", .int(1)),
                ]),
                Node(type: "Shape", name: "shape", inputs: ["x"], outputs: ["s"]),
                Node(type: "Constant", name: "two", inputs: [], outputs: ["c2"],
                     attributes: [("value", .tensor(.int64s("", [], [2])))]),
                Node(type: "Constant", name: "four", inputs: [], outputs: ["c4"],
                     attributes: [("value", .tensor(.int64s("", [1], [4])))]),
                Node(type: "Slice", name: "hw", inputs: ["s", "c2", "c4"], outputs: ["hw"]),
                Node(type: "Gather", name: "n", inputs: ["s", "c2"], outputs: ["h"], attributes: [("axis", .int(0))]),
                Node(type: "Unsqueeze", name: "u", inputs: ["h"], outputs: ["h1"], attributes: [("axes", .ints([0]))]),
                Node(type: "Cast", name: "cast", inputs: ["hw"], outputs: ["hwf"], attributes: [("to", .int(1))]),
                Node(type: "Cast", name: "back", inputs: ["hwf"], outputs: ["hw64"], attributes: [("to", .int(7))]),
                Node(type: "Shape", name: "shape_p", inputs: ["p"], outputs: ["sp"]),
                Node(type: "Constant", name: "zero", inputs: [], outputs: ["c0"],
                     attributes: [("value", .tensor(.int64s("", [1], [0])))]),
                Node(type: "Constant", name: "one", inputs: [], outputs: ["c1"], attributes: [("value_ints", .ints([1]))]),
                Node(type: "Slice", name: "nc2", inputs: ["sp", "c0", "c2", "c0", "c1"], outputs: ["nc2"]),
                Node(type: "Concat", name: "sizes", inputs: ["nc2", "hw64"], outputs: ["sizes"], attributes: [("axis", .int(0))]),
                Node(type: "Constant", name: "none", inputs: [], outputs: ["none"],
                     attributes: [("value", .tensor(.floats("", [0], [])))]),
                Node(type: "Resize", name: "up", inputs: ["p", "none", "none", "sizes"], outputs: ["r"], attributes: [
                    ("mode", .string("linear")), ("coordinate_transformation_mode", .string("pytorch_half_pixel")),
                ]),
                Node(type: "Constant", name: "bias", inputs: [], outputs: ["bias"],
                     attributes: [("value", .tensor(.floats("", [2, 1, 1], [0.5, -0.5])))]),
                Node(type: "Add", name: "add", inputs: ["r", "bias"], outputs: ["a"]),
                Node(type: "Sigmoid", name: "sigmoid", inputs: ["a"], outputs: ["y"]),
            ])
        let models = [("the hand-built convolution", convolution), ("the hand-built resizes", resize),
                      ("the hand-built shape chain", chain)]
        for (name, model) in models {
            // Each must be valid as written, or its damaged copies test little.
            _ = try ExecutionPlan(graph: ONNXReader.read(model.bytes()))
            _ = name
        }
        return models.map { ($0.0, $0.1.bytes()) }
    }
}
