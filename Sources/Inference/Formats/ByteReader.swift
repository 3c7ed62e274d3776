/// A bounds-checked little-endian view of untrusted bytes (a model file).
///
/// Every read names its offset and throws `ModelError.truncated` when the bytes end before the value does;
/// nothing here traps on short or hostile input. Offsets are `Int`, 64 bits on every platform this package
/// builds for, so sums of a file offset and a 32-bit field cannot overflow.
struct ByteReader {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var count: Int { bytes.count }

    /// Checks that `count` bytes start at `offset` and returns their range.
    func range(at offset: Int, count: Int) throws(ModelError) -> Range<Int> {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw .truncated("\(count) bytes at offset \(offset) run past the end of \(bytes.count) bytes")
        }
        return offset..<(offset + count)
    }

    func uint8(at offset: Int) throws(ModelError) -> UInt8 {
        let range = try range(at: offset, count: 1)
        return bytes[range.lowerBound]
    }

    func int8(at offset: Int) throws(ModelError) -> Int8 {
        Int8(bitPattern: try uint8(at: offset))
    }

    func uint16(at offset: Int) throws(ModelError) -> UInt16 {
        UInt16(truncatingIfNeeded: try unsigned(at: offset, size: 2))
    }

    func uint32(at offset: Int) throws(ModelError) -> UInt32 {
        UInt32(truncatingIfNeeded: try unsigned(at: offset, size: 4))
    }

    func int32(at offset: Int) throws(ModelError) -> Int32 {
        Int32(bitPattern: try uint32(at: offset))
    }

    func uint64(at offset: Int) throws(ModelError) -> UInt64 {
        try unsigned(at: offset, size: 8)
    }

    func float32(at offset: Int) throws(ModelError) -> Float {
        Float(bitPattern: try uint32(at: offset))
    }

    /// IEEE 754 binary16 at `offset`, widened exactly to `Float`.
    func float16(at offset: Int) throws(ModelError) -> Float {
        Float(halfBits: try uint16(at: offset))
    }

    /// Little-endian unsigned integer of `size` bytes (at most 8).
    private func unsigned(at offset: Int, size: Int) throws(ModelError) -> UInt64 {
        let range = try range(at: offset, count: size)
        var value: UInt64 = 0
        for index in range.reversed() {
            value = value << 8 | UInt64(bytes[index])
        }
        return value
    }
}

extension Float {
    /// Widens IEEE 754 binary16 bits to binary32 exactly: zeros, subnormals, normals, infinities, and NaNs
    /// (payload kept in the top mantissa bits). Written out rather than using `Float16`, which is
    /// unavailable on some targets (macOS on Intel).
    init(halfBits: UInt16) {
        let sign = UInt32(halfBits >> 15) << 31
        let exponent = UInt32(halfBits >> 10) & 0x1F
        let mantissa = UInt32(halfBits) & 0x3FF
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa * 2^-24, exact in binary32.
            let magnitude = Float(mantissa) * 0x1p-24
            self = sign == 0 ? magnitude : -magnitude
        case 0x1F:
            // Infinity (mantissa 0) or NaN.
            self = Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            // Normal: rebias the exponent from 15 to 127.
            self = Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }
}
