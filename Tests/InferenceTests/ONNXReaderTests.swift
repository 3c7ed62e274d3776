import Foundation
import Testing
@testable import Inference

/// The protobuf wire format reader, and the ONNX reader on the real U-2-Net-p file.
@Suite struct ONNXReaderTests {
    // MARK: Wire format

    @Test func varintsDecodeAndRefuseOverlongOrOverflowing() throws {
        var reader = ProtobufReader([0x00, 0x7F, 0x80, 0x01, 0xAC, 0x02,
                                     0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(try reader.varint() == 0)
        #expect(try reader.varint() == 127)
        #expect(try reader.varint() == 128)
        #expect(try reader.varint() == 300)
        #expect(try reader.varint() == .max)
        #expect(reader.isAtEnd)

        // Ten bytes whose last carries more than bit 63; eleven bytes.
        var overflowing = ProtobufReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02])
        #expect(throws: ModelError.self) { try overflowing.varint() }
        var overlong = ProtobufReader([UInt8](repeating: 0x80, count: 10) + [0x00])
        #expect(throws: ModelError.self) { try overlong.varint() }
        var truncated = ProtobufReader([0x80, 0x80])
        #expect(throws: ModelError.truncated("protobuf varint at byte 0 runs past the end of its message at byte 2")) {
            try truncated.varint()
        }
    }

    @Test func lengthsAreCheckedAgainstTheEnclosingMessage() throws {
        // Field 1, length 5, but only 3 bytes follow.
        var reader = ProtobufReader([0x0A, 0x05, 0x61, 0x62, 0x63])
        let key = try #require(try reader.nextKey())
        #expect(key == .init(field: 1, wireType: .lengthDelimited))
        #expect(throws: ModelError.self) { try reader.string(key, "test") }

        // An embedded message cannot read past its own end into the outer message's bytes.
        var outer = ProtobufReader([0x0A, 0x02, 0x08, 0x96, 0x01, 0x01])
        let messageKey = try #require(try outer.nextKey())
        var inner = try outer.message(messageKey, "inner")
        let innerKey = try #require(try inner.nextKey())
        #expect(throws: ModelError.self) { try inner.int64(innerKey, "value") }
    }

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        var bytes: [UInt8] = []
        bytes += [0x08, 0x96, 0x01]                          // 1: varint 150
        bytes += [0x11] + [UInt8](repeating: 7, count: 8)    // 2: fixed64
        bytes += [0x1A, 0x03, 1, 2, 3]                       // 3: bytes
        bytes += [0x23, 0x08, 0x01, 0x2B, 0x2C, 0x24]        // 4: group holding a varint and an empty group 5
        bytes += [0x35, 1, 2, 3, 4]                          // 6: fixed32
        bytes += [0x38, 0x2A]                                // 7: varint 42
        var reader = ProtobufReader(bytes)
        var last: Int64?
        while let key = try reader.nextKey() {
            if key.field == 7 { last = try reader.int64(key, "seven") } else { try reader.skip(key) }
        }
        #expect(last == 42)

        // Mismatched and unterminated groups, wire types 6 and 7, field number 0.
        for broken: [UInt8] in [[0x23, 0x2C], [0x23, 0x08, 0x01], [0x24], [0x0E], [0x0F], [0x00, 0x01]] {
            var reader = ProtobufReader(broken)
            #expect(throws: ModelError.self) {
                while let key = try reader.nextKey() { try reader.skip(key) }
            }
        }
    }

    @Test func repeatedScalarsArePackedOrNot() throws {
        // Field 8 as two single varints, then packed [3, -1]; field 7 floats packed and single.
        var bytes: [UInt8] = [0x40, 0x01, 0x40, 0x02, 0x42, 0x0B, 0x03] + [UInt8](repeating: 0xFF, count: 9) + [0x01]
        bytes += [0x3A, 0x08] + [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40] + [0x3D, 0, 0, 0x40, 0x40]
        var reader = ProtobufReader(bytes)
        var ints: [Int64] = [], floats: [Float] = []
        while let key = try reader.nextKey() {
            switch key.field {
            case 8: try reader.appendInt64s(key, "ints", to: &ints)
            case 7: try reader.appendFloats(key, "floats", to: &floats)
            default: Issue.record("unexpected field \(key.field)")
            }
        }
        #expect(ints == [1, 2, 3, -1])
        #expect(floats == [1, 2, 3])
    }

    // MARK: U-2-Net-p

    @Test func readsU2NetpQuickly() throws {
        let bytes = try Fixtures.model("u2netp.onnx")
        let clock = ContinuousClock()
        var graph = Graph()
        var fastest = Duration.seconds(1000)
        for _ in 0..<3 {
            let start = clock.now
            graph = try ONNXReader.read(bytes)
            fastest = min(fastest, clock.now - start)
        }
        print("u2netp.onnx read in \(fastest) (fastest of 3)")
        #expect(fastest < .milliseconds(500))

        #expect(graph.inputs.map { graph.values[$0].name } == ["input.1"])
        #expect(graph.inputs.map { graph.values[$0].shape } == [[1, 320, 320, 3]])
        #expect(graph.outputs.map { graph.values[$0].name } == (1959...1965).map(String.init))
        var counts: [String: Int] = [:]
        for node in graph.nodes {
            let kind = switch node.operation {
            case .convolution: "convolution"
            case .activation(.relu): "relu"
            case .activation(.sigmoid): "sigmoid"
            case .binary(.add): "add"
            case .pool: "pool"
            case .resize: "resize"
            case .concatenate(let axis): "concatenate axis \(axis)"
            default: "other"
            }
            counts[kind, default: 0] += 1
        }
        // Concat x51 on activations (axis 1, now 3); the other 76 fold with the shape computations.
        #expect(counts == ["convolution": 119, "relu": 112, "add": 11, "sigmoid": 7, "concatenate axis 3": 51,
                           "pool": 33, "resize": 38])
        let weights = graph.values.compactMap(\.constant).reduce(0) { $0 + $1.count }
        #expect(weights == 1_125_485)

        let plan = try ExecutionPlan(graph: graph)
        #expect(plan.outputShapes == [[Int]](repeating: [1, 320, 320, 1], count: 7))
        #expect(plan.multiplyAdds > 19_700_000_000 && plan.multiplyAdds < 19_800_000_000)
    }

    @Test func u2netpOperatorCounts() throws {
        let counts = try ONNXReader.operatorCounts(Fixtures.model("u2netp.onnx"))
        #expect(counts["Conv"] == 119 && counts["Resize"] == 38 && counts["MaxPool"] == 33)
        #expect(counts["Shape"] != nil && counts["Gather"] != nil && counts["Slice"] != nil)
    }

    /// Resize sizes fold from the input shape: a 160x224 input gives a graph of that size throughout.
    @Test func u2netpSpecialisesToOtherInputSizes() throws {
        let graph = try ONNXReader.read(Fixtures.model("u2netp.onnx"), inputShapes: ["input.1": [1, 3, 160, 224]])
        let plan = try ExecutionPlan(graph: graph)
        #expect(plan.inputShapes == [[1, 160, 224, 3]])
        #expect(plan.outputShapes == [[Int]](repeating: [1, 160, 224, 1], count: 7))
        #expect(throws: ModelError.invalidInput("the model has no input named 'image' to give a shape")) {
            try ONNXReader.read(Fixtures.model("u2netp.onnx"), inputShapes: ["image": [1, 3, 64, 64]])
        }
    }

    @Test func modelReaderSniffsONNX() throws {
        let graph = try ModelReader.read(Fixtures.model("u2netp.onnx"), name: "u2netp.onnx")
        #expect(graph.nodes.count == 371)
        #expect(throws: ModelError.self) { try ModelReader.read([0xFF, 0x00, 0x01], name: "junk") }
    }

    @Test func truncatedU2NetpIsRefused() throws {
        let bytes = try Fixtures.model("u2netp.onnx")
        for length in [0, 1, 2, 100, 65_536, bytes.count / 2, bytes.count - 1] {
            #expect(throws: ModelError.self, "\(length) bytes") { try ONNXReader.read(Array(bytes.prefix(length))) }
        }
    }
}
