/// A reader of the Protocol Buffers wire format over untrusted bytes (protobuf.dev, "Encoding").
///
/// A message is a run of fields, each a key (`fieldNumber << 3 | wireType`, a varint) and a payload:
/// - wire type 0, varint: 1 to 10 bytes, 7 bits each, least significant group first;
/// - wire type 1, 8 little-endian bytes; wire type 5, 4 little-endian bytes;
/// - wire type 2, a varint length, then that many bytes (strings, bytes, embedded messages, packed
///   repeated scalars);
/// - wire types 3 and 4 open and close a group (deprecated, skipped when met).
///
/// The reader walks one message: `position..<end` within the whole file. Every length and varint is
/// checked against `end`, so nothing here traps on short or hostile input: reads past the end throw
/// `ModelError.truncated`, impossible encodings throw `ModelError.malformed`. Positions are `Int` (64 bits)
/// and every length is checked against the bytes left before it is added, so no sum overflows.
struct ProtobufReader {
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    /// A field's key: its number in the message's schema and how its payload is encoded.
    struct Key: Equatable {
        var field: Int
        var wireType: WireType
    }

    /// Groups nested deeper than this are refused (ONNX uses no groups at all).
    static let maximumGroupDepth = 64

    let bytes: [UInt8]
    private(set) var position: Int
    /// One past the last byte of the message.
    let end: Int

    /// A reader of the whole of `bytes` as one message.
    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        position = 0
        end = bytes.count
    }

    /// A reader of the embedded message in `range`, a range that an enclosing reader has checked.
    private init(bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        position = range.lowerBound
        end = range.upperBound
    }

    var isAtEnd: Bool { position >= end }

    // MARK: Keys and skipping

    /// The next field's key, or nil at the end of the message.
    mutating func nextKey() throws(ModelError) -> Key? {
        guard position < end else { return nil }
        let start = position
        let key = try rawKey()
        guard key.wireType != .endGroup else {
            throw .malformed("protobuf end-group key for field \(key.field) at byte \(start) closes no group")
        }
        return key
    }

    /// Reads a key without judging its wire type.
    private mutating func rawKey() throws(ModelError) -> Key {
        let start = position
        let value = try varint()
        let field = value >> 3
        guard field >= 1, field <= 0x1FFF_FFFF else {
            throw .malformed("protobuf field number \(field) at byte \(start) is outside 1...536870911")
        }
        guard let wireType = WireType(rawValue: UInt8(value & 7)) else {
            throw .malformed("protobuf wire type \(value & 7) at byte \(start) does not exist")
        }
        return Key(field: Int(field), wireType: wireType)
    }

    /// Skips the payload of a field the reader does not use.
    mutating func skip(_ key: Key) throws(ModelError) {
        switch key.wireType {
        case .varint: _ = try varint()
        case .fixed64: _ = try advance(8)
        case .fixed32: _ = try advance(4)
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup: try skipGroup(key.field)
        case .endGroup: throw .malformed("protobuf end-group key for field \(key.field) closes no group")
        }
    }

    /// Skips a group's fields up to its end-group key, following nested groups without recursion.
    private mutating func skipGroup(_ field: Int) throws(ModelError) {
        var open = [field]
        while let innermost = open.last {
            guard position < end else { throw .truncated("protobuf group for field \(innermost) never ends") }
            let key = try rawKey()
            switch key.wireType {
            case .startGroup:
                guard open.count < Self.maximumGroupDepth else {
                    throw .malformed("protobuf groups nest deeper than \(Self.maximumGroupDepth)")
                }
                open.append(key.field)
            case .endGroup:
                guard key.field == innermost else {
                    throw .malformed("protobuf group for field \(innermost) closed by field \(key.field)")
                }
                open.removeLast()
            default:
                try skip(key)
            }
        }
    }

    // MARK: Payloads

    /// A base-128 varint of at most 10 bytes whose value fits 64 bits.
    mutating func varint() throws(ModelError) -> UInt64 {
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else {
                throw .truncated("protobuf varint at byte \(start) runs past the end of its message at byte \(end)")
            }
            let byte = bytes[position]
            position += 1
            // The tenth byte holds bit 63 only.
            guard shift < 63 || byte <= 1 else { throw .malformed("protobuf varint at byte \(start) overflows 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    /// Moves past `count` bytes and returns their range.
    private mutating func advance(_ count: Int) throws(ModelError) -> Range<Int> {
        guard count <= end - position else {
            throw .truncated("protobuf field of \(count) bytes at byte \(position) runs past the end of its message at byte \(end)")
        }
        defer { position += count }
        return position..<(position + count)
    }

    /// A length-delimited payload's range within `bytes`.
    mutating func lengthDelimited() throws(ModelError) -> Range<Int> {
        let start = position
        let length = try varint()
        guard length <= UInt64(end - position) else {
            throw .truncated("protobuf field at byte \(start) declares \(length) bytes; its message has \(end - position) left")
        }
        return try advance(Int(length))
    }

    mutating func fixed32() throws(ModelError) -> UInt32 {
        let range = try advance(4)
        return bytes.littleEndianUInt32(at: range.lowerBound)
    }

    mutating func fixed64() throws(ModelError) -> UInt64 {
        let range = try advance(8)
        return UInt64(bytes.littleEndianUInt32(at: range.lowerBound))
            | UInt64(bytes.littleEndianUInt32(at: range.lowerBound + 4)) << 32
    }

    // MARK: Typed fields (the key's wire type is checked against the schema's)

    private func expect(_ key: Key, _ wireType: WireType, _ what: String) throws(ModelError) {
        guard key.wireType == wireType else {
            throw .malformed("protobuf field \(key.field) (\(what)) at byte \(position) has wire type "
                             + "\(key.wireType.rawValue), expected \(wireType.rawValue)")
        }
    }

    /// `int64`, `uint64` (as its bit pattern), `int32` and enums widened: a varint read as two's complement.
    mutating func int64(_ key: Key, _ what: String) throws(ModelError) -> Int64 {
        try expect(key, .varint, what)
        return Int64(bitPattern: try varint())
    }

    /// `int32` and enums: protobuf writes negative values sign-extended to 64 bits and readers keep the
    /// low 32 bits.
    mutating func int32(_ key: Key, _ what: String) throws(ModelError) -> Int32 {
        Int32(truncatingIfNeeded: try int64(key, what))
    }

    mutating func float(_ key: Key, _ what: String) throws(ModelError) -> Float {
        try expect(key, .fixed32, what)
        return Float(bitPattern: try fixed32())
    }

    /// A `bytes` field's range within `bytes`.
    mutating func bytesRange(_ key: Key, _ what: String) throws(ModelError) -> Range<Int> {
        try expect(key, .lengthDelimited, what)
        return try lengthDelimited()
    }

    /// A `string` field, which must be valid UTF-8.
    mutating func string(_ key: Key, _ what: String) throws(ModelError) -> String {
        let range = try bytesRange(key, what)
        guard let string = String(validating: bytes[range], as: UTF8.self) else {
            throw .malformed("protobuf string \(what) at byte \(range.lowerBound) is not UTF-8")
        }
        return string
    }

    /// An embedded message: a reader over its bytes only.
    mutating func message(_ key: Key, _ what: String) throws(ModelError) -> ProtobufReader {
        ProtobufReader(bytes: bytes, range: try bytesRange(key, what))
    }

    // MARK: Repeated scalars: one element per field, or packed (wire type 2) in one field

    mutating func appendInt64s(_ key: Key, _ what: String, to values: inout [Int64]) throws(ModelError) {
        guard key.wireType == .lengthDelimited else {
            values.append(try int64(key, what))
            return
        }
        var packed = ProtobufReader(bytes: bytes, range: try lengthDelimited())
        while !packed.isAtEnd { values.append(Int64(bitPattern: try packed.varint())) }
    }

    mutating func appendInt32s(_ key: Key, _ what: String, to values: inout [Int32]) throws(ModelError) {
        guard key.wireType == .lengthDelimited else {
            values.append(try int32(key, what))
            return
        }
        var packed = ProtobufReader(bytes: bytes, range: try lengthDelimited())
        while !packed.isAtEnd { values.append(Int32(truncatingIfNeeded: try packed.varint())) }
    }

    mutating func appendUInt64s(_ key: Key, _ what: String, to values: inout [UInt64]) throws(ModelError) {
        guard key.wireType == .lengthDelimited else {
            try expect(key, .varint, what)
            values.append(try varint())
            return
        }
        var packed = ProtobufReader(bytes: bytes, range: try lengthDelimited())
        while !packed.isAtEnd { values.append(try packed.varint()) }
    }

    mutating func appendFloats(_ key: Key, _ what: String, to values: inout [Float]) throws(ModelError) {
        guard key.wireType == .lengthDelimited else {
            values.append(try float(key, what))
            return
        }
        let range = try lengthDelimited()
        guard range.count % 4 == 0 else {
            throw .malformed("packed floats \(what) at byte \(range.lowerBound) take \(range.count) bytes, not a multiple of 4")
        }
        values.reserveCapacity(values.count + range.count / 4)
        for offset in stride(from: range.lowerBound, to: range.upperBound, by: 4) {
            values.append(Float(bitPattern: bytes.littleEndianUInt32(at: offset)))
        }
    }

    mutating func appendDoubles(_ key: Key, _ what: String, to values: inout [Double]) throws(ModelError) {
        guard key.wireType == .lengthDelimited else {
            try expect(key, .fixed64, what)
            values.append(Double(bitPattern: try fixed64()))
            return
        }
        var packed = ProtobufReader(bytes: bytes, range: try lengthDelimited())
        guard (packed.end - packed.position) % 8 == 0 else {
            throw .malformed("packed doubles \(what) at byte \(packed.position) are not a multiple of 8 bytes")
        }
        while !packed.isAtEnd { values.append(Double(bitPattern: try packed.fixed64())) }
    }
}

extension [UInt8] {
    /// The little-endian `UInt32` at `offset`; the caller has checked that four bytes are there.
    func littleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16
            | UInt32(self[offset + 3]) << 24
    }
}
