import Testing
@testable import Inference

/// A FlatBuffers writer for tests. It lays out each table as vtable, then table, then the objects the table
/// refers to, so every reference offset points forward as the format requires. Alignment is kept to 4 bytes.
struct FlatBufferWriter {
    indirect enum Field {
        case int8(Int8), uint8(UInt8), bool(Bool), int32(Int32), uint32(UInt32), uint64(UInt64)
        case table(Table)
        case tables([Table])
        case int32s([Int32])
        case bytes([UInt8])
        case string(String)

        var inlineSize: Int {
            switch self {
            case .int8, .uint8, .bool: 1
            case .uint64: 8
            default: 4
            }
        }
    }

    struct Table {
        var fields: [Int: Field] = [:]

        init(_ fields: [Int: Field] = [:]) {
            self.fields = fields
        }
    }

    private(set) var bytes: [UInt8] = []

    /// A whole buffer: root offset, file identifier, root table, then `trailing` bytes.
    static func buffer(root: Table, identifier: String, trailing: [UInt8] = []) -> [UInt8] {
        var writer = FlatBufferWriter()
        writer.bytes = [0, 0, 0, 0] + Array(identifier.utf8)
        let position = writer.write(root)
        writer.patchOffset(at: 0, to: position)
        return writer.bytes + trailing
    }

    private mutating func align() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    private mutating func append(_ value: UInt64, size: Int) {
        for index in 0..<size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    private mutating func set(_ value: UInt32, at position: Int) {
        for index in 0..<4 { bytes[position + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
    }

    private mutating func patchOffset(at position: Int, to target: Int) {
        set(UInt32(target - position), at: position)
    }

    /// Writes a table and everything it refers to; returns the table's position.
    private mutating func write(_ table: Table) -> Int {
        let ids = table.fields.keys.sorted()
        let slotCount = (ids.last ?? -1) + 1
        // Inline layout: 4-byte back-offset, then each field at a multiple of min(its size, 4).
        var fieldOffsets: [Int: Int] = [:]
        var inlineSize = 4
        for id in ids {
            let size = table.fields[id]!.inlineSize
            let alignment = min(size, 4)
            inlineSize = (inlineSize + alignment - 1) / alignment * alignment
            fieldOffsets[id] = inlineSize
            inlineSize += size
        }
        align()
        let vtable = bytes.count
        append(UInt64(4 + 2 * slotCount), size: 2)
        append(UInt64(inlineSize), size: 2)
        for slot in 0..<slotCount { append(UInt64(fieldOffsets[slot] ?? 0), size: 2) }
        align()
        let start = bytes.count
        append(UInt64(UInt32(start - vtable)), size: 4)
        bytes.append(contentsOf: [UInt8](repeating: 0, count: inlineSize - 4))
        var references: [(position: Int, field: Field)] = []
        for id in ids {
            let position = start + fieldOffsets[id]!
            switch table.fields[id]! {
            case .int8(let value): bytes[position] = UInt8(bitPattern: value)
            case .uint8(let value): bytes[position] = value
            case .bool(let value): bytes[position] = value ? 1 : 0
            case .int32(let value): set(UInt32(bitPattern: value), at: position)
            case .uint32(let value): set(value, at: position)
            case .uint64(let value):
                set(UInt32(truncatingIfNeeded: value), at: position)
                set(UInt32(truncatingIfNeeded: value >> 32), at: position + 4)
            case let field: references.append((position, field))
            }
        }
        for (position, field) in references {
            patchOffset(at: position, to: write(field))
        }
        return start
    }

    /// Writes a referenced object (table, vector, or string); returns its position.
    private mutating func write(_ field: Field) -> Int {
        switch field {
        case .table(let table):
            return write(table)
        case .tables(let tables):
            align()
            let start = bytes.count
            append(UInt64(tables.count), size: 4)
            bytes.append(contentsOf: [UInt8](repeating: 0, count: 4 * tables.count))
            for (index, table) in tables.enumerated() {
                patchOffset(at: start + 4 + 4 * index, to: write(table))
            }
            return start
        case .int32s(let values):
            align()
            let start = bytes.count
            append(UInt64(values.count), size: 4)
            for value in values { append(UInt64(UInt32(bitPattern: value)), size: 4) }
            return start
        case .bytes(let values):
            align()
            let start = bytes.count
            append(UInt64(values.count), size: 4)
            bytes.append(contentsOf: values)
            return start
        case .string(let text):
            align()
            let start = bytes.count
            let utf8 = Array(text.utf8)
            append(UInt64(utf8.count), size: 4)
            bytes.append(contentsOf: utf8 + [0])
            return start
        default:
            preconditionFailure("not a reference field")
        }
    }
}

/// A TFLite model described field by field, written with `FlatBufferWriter`.
struct TFLiteTestModel {
    struct TensorSpec {
        var name: String
        var shape: [Int32]
        var type: Int8 = 0
        /// Constant data, or nil for activations.
        var data: [UInt8]? = nil
    }

    struct OperatorSpec {
        var opcode: Int
        var inputs: [Int32]
        var outputs: [Int32]
        var optionsType: UInt8 = 0
        var options: FlatBufferWriter.Table? = nil
        var customOptions: [UInt8]? = nil
    }

    /// (builtin code, custom code); builtin codes below 127 are also written to the deprecated field.
    var operatorCodes: [(Int32, String?)] = []
    var tensors: [TensorSpec] = []
    var operators: [OperatorSpec] = []
    var inputs: [Int32] = []
    var outputs: [Int32] = []
    var version: UInt32 = 3
    /// Buffers whose data lies after the FlatBuffer: tensor index -> data, written via offset/size.
    var outsideData: [Int: [UInt8]] = [:]

    func bytes(trailing: [UInt8] = []) -> [UInt8] {
        typealias Table = FlatBufferWriter.Table
        var buffers = [Table()]
        var tensorTables: [Table] = []
        var outsidePlacements: [(buffer: Int, data: [UInt8])] = []
        for (index, tensor) in tensors.enumerated() {
            var fields: [Int: FlatBufferWriter.Field] = [0: .int32s(tensor.shape), 1: .int8(tensor.type),
                                                         3: .string(tensor.name)]
            if let data = tensor.data {
                fields[2] = .uint32(UInt32(buffers.count))
                buffers.append(Table([0: .bytes(data)]))
            } else if let data = outsideData[index] {
                fields[2] = .uint32(UInt32(buffers.count))
                outsidePlacements.append((buffers.count, data))
                buffers.append(Table([1: .uint64(0), 2: .uint64(0)]))  // placeholder of the final layout
            }
            tensorTables.append(Table(fields))
        }
        let operatorTables = operators.map { op in
            var fields: [Int: FlatBufferWriter.Field] = [0: .uint32(UInt32(op.opcode)), 1: .int32s(op.inputs),
                                                         2: .int32s(op.outputs)]
            if let options = op.options {
                fields[3] = .uint8(op.optionsType)
                fields[4] = .table(options)
            }
            if let custom = op.customOptions { fields[5] = .bytes(custom) }
            return Table(fields)
        }
        let codeTables = operatorCodes.map { code, custom in
            var fields: [Int: FlatBufferWriter.Field] = [3: .int32(code)]
            if code < 127 { fields[0] = .int8(Int8(code)) }
            if let custom { fields[1] = .string(custom) }
            return Table(fields)
        }
        let subgraph = Table([0: .tables(tensorTables), 1: .int32s(inputs), 2: .int32s(outputs),
                              3: .tables(operatorTables), 4: .string("main")])
        func model(_ buffers: [Table]) -> Table {
            Table([0: .uint32(version), 1: .tables(codeTables), 2: .tables([subgraph]),
                   3: .string("test model"), 4: .tables(buffers)])
        }
        guard !outsidePlacements.isEmpty else {
            return FlatBufferWriter.buffer(root: model(buffers), identifier: "TFL3", trailing: trailing)
        }
        // Offsets of outside data depend on the FlatBuffer's length, which does not depend on their values:
        // write once to measure, then again with the real offsets.
        let length = FlatBufferWriter.buffer(root: model(buffers), identifier: "TFL3").count
        var placed = buffers
        var tail: [UInt8] = []
        for (buffer, data) in outsidePlacements {
            placed[buffer] = Table([1: .uint64(UInt64(length + tail.count)), 2: .uint64(UInt64(data.count))])
            tail += data
        }
        let flat = FlatBufferWriter.buffer(root: model(placed), identifier: "TFL3")
        precondition(flat.count == length)
        return flat + tail + trailing
    }
}

func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } }
}

func int32Bytes(_ values: [Int32]) -> [UInt8] {
    values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: UInt32(bitPattern: value) >> (8 * $0)) } }
}

func halfBytes(_ halfBits: [UInt16]) -> [UInt8] {
    halfBits.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
}

@Suite struct TFLiteTestModelTests {
    @Test func writerOutputReadsBackThroughFlatBuffer() throws {
        let root = FlatBufferWriter.Table([0: .uint32(7), 2: .string("hello"), 3: .int32s([1, -2, 3]),
                                           5: .tables([FlatBufferWriter.Table([0: .int8(-4)])])])
        let bytes = FlatBufferWriter.buffer(root: root, identifier: "TEST")
        let table = try FlatBuffer(bytes).root(identifier: "TEST", type: "Root")
        #expect(try table.uint32(0) == 7)
        #expect(try table.uint32(1, default: 9) == 9)
        #expect(try table.string(2, what: "text") == "hello")
        #expect(try table.vector(3, elementSize: 4, what: "numbers")?.int32s() == [1, -2, 3])
        #expect(try table.vector(5, elementSize: 4, what: "tables")?.table(at: 0, type: "Child").int8(0) == -4)
        #expect(try table.vector(4, elementSize: 4, what: "absent") == nil)
        #expect(throws: ModelError.self) { try FlatBuffer(bytes).root(identifier: "TFL3", type: "Root") }
    }
}
