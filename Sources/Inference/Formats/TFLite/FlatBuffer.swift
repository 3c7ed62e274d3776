/// Bounds-checked reading of a FlatBuffers binary (https://flatbuffers.dev/internals/), without a schema
/// compiler: callers name fields by their id in the schema.
///
/// Layout facts used here (all little-endian):
/// - The buffer starts with a `uint32` offset to the root table; bytes 4..<8 may hold a file identifier.
/// - A table starts with an `int32` back-offset: its vtable sits at `table - backOffset`.
/// - A vtable is `uint16` entries: its own size in bytes, the table's inline size, then one offset per field
///   id, relative to the table's start; a missing entry or 0 means the field is absent (default value).
/// - Reference fields (tables, vectors, strings) hold a `uint32` offset relative to the field's own position.
/// - A vector is a `uint32` element count followed by the elements; a vector of tables holds one such
///   `uint32` offset per element. A string is a byte vector (UTF-8), followed by a NUL not counted.
/// - A union is two fields: a `uint8` type id (0 = none) at id `n`, and a table reference at id `n + 1`.
///
/// Hostile files can point many references at the same large vector; every vector, string, and table
/// opened is charged to a budget proportional to the file size, so reading stays linear in the file size.
final class FlatBuffer {
    let reader: ByteReader
    private var budget: Int

    /// - Parameter readFactor: how many times its own size a file may be read through vectors before
    ///   it is refused as malformed.
    init(_ bytes: [UInt8], readFactor: Int = 8) {
        reader = ByteReader(bytes)
        budget = bytes.count * readFactor + (1 << 16)
    }

    /// The root table, after checking the 4-byte file identifier at offset 4.
    func root(identifier: String, type: String) throws(ModelError) -> FlatTable {
        let expected = Array(identifier.utf8)
        guard reader.count >= 8 else {
            throw .truncated("\(reader.count) bytes are too few for a FlatBuffers file")
        }
        let found = try reader.range(at: 4, count: expected.count).map { reader.bytes[$0] }
        guard found == expected else {
            throw .malformed("file identifier is \(Self.printable(found)), expected \(identifier)")
        }
        return try table(at: 0, type: type)
    }

    /// Charges `byteCount` bytes of reading to the budget.
    func charge(_ byteCount: Int, for what: String) throws(ModelError) {
        budget -= byteCount
        guard budget >= 0 else {
            throw .malformed("\(what): the file references its own bytes too many times")
        }
    }

    /// Follows the `uint32` offset stored at `position`; returns the absolute target position.
    func follow(offsetAt position: Int) throws(ModelError) -> Int {
        let target = position + Int(try reader.uint32(at: position))
        guard target < reader.count else {
            throw .truncated("offset at \(position) points to \(target), past the end of \(reader.count) bytes")
        }
        return target
    }

    /// The table referenced by the `uint32` offset at `position`.
    func table(at position: Int, type: String) throws(ModelError) -> FlatTable {
        let start = try follow(offsetAt: position)
        return try FlatTable(buffer: self, position: start, type: type)
    }

    static func printable(_ bytes: [UInt8]) -> String {
        let text = bytes.map { (32..<127).contains($0) ? String(UnicodeScalar($0)) : "\\x\(String($0, radix: 16))" }
        return "\"" + text.joined() + "\""
    }
}

/// One table of a `FlatBuffer`, with its vtable checked to lie inside the buffer.
struct FlatTable {
    let buffer: FlatBuffer
    /// Absolute position of the table (its back-offset to the vtable).
    let position: Int
    /// Schema type name, for error messages.
    let type: String
    private let vtable: Int
    private let vtableSize: Int
    private let inlineSize: Int

    init(buffer: FlatBuffer, position: Int, type: String) throws(ModelError) {
        let reader = buffer.reader
        try buffer.charge(16, for: type)
        let vtable = position - Int(try reader.int32(at: position))
        guard vtable >= 0, vtable < reader.count else {
            throw .malformed("\(type) table at \(position) has its vtable at \(vtable), outside the file")
        }
        let vtableSize = Int(try reader.uint16(at: vtable))
        let inlineSize = Int(try reader.uint16(at: vtable + 2))
        guard vtableSize >= 4, vtableSize % 2 == 0 else {
            throw .malformed("\(type) table at \(position) has a vtable of impossible size \(vtableSize)")
        }
        _ = try reader.range(at: vtable, count: vtableSize)
        guard inlineSize >= 4 else {
            throw .malformed("\(type) table at \(position) declares an inline size of \(inlineSize) bytes")
        }
        _ = try reader.range(at: position, count: inlineSize)
        try buffer.charge(vtableSize, for: type)
        self.buffer = buffer
        self.position = position
        self.type = type
        self.vtable = vtable
        self.vtableSize = vtableSize
        self.inlineSize = inlineSize
    }

    /// Absolute position of field `id` holding `size` bytes, or nil when the field is absent.
    func fieldPosition(_ id: Int, size: Int) throws(ModelError) -> Int? {
        let entry = 4 + 2 * id
        guard entry + 2 <= vtableSize else { return nil }
        let offset = Int(try buffer.reader.uint16(at: vtable + entry))
        guard offset != 0 else { return nil }
        guard offset >= 4, offset + size <= inlineSize else {
            throw .malformed("\(type) field \(id) at offset \(offset) lies outside its \(inlineSize)-byte table")
        }
        return position + offset
    }

    // MARK: Scalars (absent fields give the schema default)

    func uint8(_ id: Int, default value: UInt8 = 0) throws(ModelError) -> UInt8 {
        guard let at = try fieldPosition(id, size: 1) else { return value }
        return try buffer.reader.uint8(at: at)
    }

    func int8(_ id: Int, default value: Int8 = 0) throws(ModelError) -> Int8 {
        guard let at = try fieldPosition(id, size: 1) else { return value }
        return try buffer.reader.int8(at: at)
    }

    func bool(_ id: Int, default value: Bool = false) throws(ModelError) -> Bool {
        guard let at = try fieldPosition(id, size: 1) else { return value }
        return try buffer.reader.uint8(at: at) != 0
    }

    func int32(_ id: Int, default value: Int32 = 0) throws(ModelError) -> Int32 {
        guard let at = try fieldPosition(id, size: 4) else { return value }
        return try buffer.reader.int32(at: at)
    }

    func uint32(_ id: Int, default value: UInt32 = 0) throws(ModelError) -> UInt32 {
        guard let at = try fieldPosition(id, size: 4) else { return value }
        return try buffer.reader.uint32(at: at)
    }

    func uint64(_ id: Int, default value: UInt64 = 0) throws(ModelError) -> UInt64 {
        guard let at = try fieldPosition(id, size: 8) else { return value }
        return try buffer.reader.uint64(at: at)
    }

    // MARK: References

    func table(_ id: Int, type: String) throws(ModelError) -> FlatTable? {
        guard let at = try fieldPosition(id, size: 4) else { return nil }
        return try buffer.table(at: at, type: type)
    }

    /// The vector at field `id` whose elements are `elementSize` bytes each, or nil when absent.
    func vector(_ id: Int, elementSize: Int, what: String) throws(ModelError) -> FlatVector? {
        guard let at = try fieldPosition(id, size: 4) else { return nil }
        return try FlatVector(buffer: buffer, position: try buffer.follow(offsetAt: at),
                              elementSize: elementSize, what: "\(type).\(what)")
    }

    /// The string at field `id` (invalid UTF-8 is repaired, not refused), or nil when absent.
    func string(_ id: Int, what: String) throws(ModelError) -> String? {
        guard let bytes = try vector(id, elementSize: 1, what: what) else { return nil }
        return String(decoding: bytes.reader.bytes[bytes.byteRange], as: UTF8.self)
    }
}

/// A vector of a `FlatBuffer`, with its whole extent checked to lie inside the buffer.
struct FlatVector {
    let buffer: FlatBuffer
    let count: Int
    let elementSize: Int
    /// Absolute range of the element bytes.
    let byteRange: Range<Int>
    let what: String

    var reader: ByteReader { buffer.reader }

    init(buffer: FlatBuffer, position: Int, elementSize: Int, what: String) throws(ModelError) {
        let count = Int(try buffer.reader.uint32(at: position))
        // count < 2^32 and elementSize <= 8: the product fits in a 64-bit Int.
        let length = count * elementSize
        guard let range = try? buffer.reader.range(at: position + 4, count: length) else {
            throw .truncated("\(what) declares \(count) elements at \(position), past the end of the file")
        }
        try buffer.charge(length + 4, for: what)
        self.buffer = buffer
        self.count = count
        self.elementSize = elementSize
        self.byteRange = range
        self.what = what
    }

    private func elementPosition(_ index: Int) throws(ModelError) -> Int {
        guard index >= 0, index < count else {
            throw .malformed("\(what): index \(index) out of \(count) elements")
        }
        return byteRange.lowerBound + index * elementSize
    }

    func int32(at index: Int) throws(ModelError) -> Int32 {
        try reader.int32(at: try elementPosition(index))
    }

    /// All elements as `int32`.
    func int32s() throws(ModelError) -> [Int32] {
        var values: [Int32] = []
        values.reserveCapacity(count)
        for index in 0..<count { values.append(try int32(at: index)) }
        return values
    }

    /// Element `index` of a vector of tables.
    func table(at index: Int, type: String) throws(ModelError) -> FlatTable {
        try buffer.table(at: try elementPosition(index), type: type)
    }
}
