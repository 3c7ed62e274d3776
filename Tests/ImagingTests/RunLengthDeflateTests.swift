import CZlib
import Foundation
import Testing
@testable import Imaging

/// Our DEFLATE writer, read back by zlib's inflate.
@Suite struct RunLengthDeflateTests {
    /// Raw DEFLATE `data` inflated by zlib (negative window bits: no zlib header); nil on any error.
    static func inflateRaw(_ data: [UInt8], expectedLength: Int) -> [UInt8]? {
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var input = data, output = [UInt8](repeating: 0, count: expectedLength + 16)
        let status = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = inputBuffer.baseAddress
                stream.avail_in = uInt(inputBuffer.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = uInt(outputBuffer.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, stream.avail_in == 0 else { return nil }
        return Array(output[0..<Int(stream.total_out)])
    }

    static func compressed(_ pieces: [[UInt8]]) -> [UInt8] {
        pieces.enumerated().flatMap { index, piece in
            piece.withUnsafeBufferPointer { RunLengthDeflate.compress($0, last: index == pieces.count - 1) }
        }
    }

    /// Inputs that reach every length code, long and short runs, one byte, all 256 byte values.
    static var inputs: [[UInt8]] {
        var generator = SeededGenerator(seed: 5)
        var mixed: [UInt8] = []
        for length in 1...300 {
            let byte = UInt8.random(in: 0...255, using: &generator)
            mixed += [UInt8](repeating: byte, count: length)
            mixed.append(byte &+ 1)
        }
        let noise = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let skewed = (0..<20000).map { _ in UInt8(min(255, Int(-40 * log(Double.random(in: 0.0001...1, using: &generator))))) }
        return [[7], [0, 0], [1, 1, 1, 1], [UInt8](repeating: 0, count: 100_000), Array(0...255), mixed, noise, skewed]
    }

    @Test func singleBlocksInflateToTheirInput() {
        for input in Self.inputs {
            let data = Self.compressed([input])
            #expect(Self.inflateRaw(data, expectedLength: input.count) == input, "\(input.count) bytes")
        }
    }

    /// Non-final pieces end byte-aligned with the stream open, so pieces join into one stream.
    @Test func piecesJoinIntoOneStream() {
        let pieces = Self.inputs
        let joined = pieces.flatMap { $0 }
        #expect(Self.inflateRaw(Self.compressed(pieces), expectedLength: joined.count) == joined)
        // A non-final piece alone is a stream without an end: zlib reports it unfinished.
        #expect(Self.inflateRaw(pieces[5].withUnsafeBufferPointer { RunLengthDeflate.compress($0, last: false) },
                                expectedLength: pieces[5].count) == nil)
    }

    @Test func runsAreCompact() {
        let zeros = [UInt8](repeating: 0, count: 100_000)
        #expect(Self.compressed([zeros]).count < 1000)
    }

    @Test func huffmanLengthsRespectTheLimitAndAreComplete() {
        // Fibonacci frequencies make the deepest possible tree.
        var fibonacci = [1, 1]
        while fibonacci.count < 30 { fibonacci.append(fibonacci[fibonacci.count - 1] + fibonacci[fibonacci.count - 2]) }
        for (frequencies, limit) in [(fibonacci, 15), (fibonacci, 7), (Array(fibonacci.prefix(19)), 7), ([0, 5, 0], 15), ([0, 0, 3], 7),
                                     ([1, 1, 1, 1], 15), ([9, 0, 1, 0, 100], 15)] {
            let lengths = HuffmanCode.lengths(frequencies, limit: limit)
            #expect(lengths.allSatisfy { Int($0) <= limit }, "\(frequencies)")
            // Kraft sum exactly 1: a complete prefix code.
            let kraft = lengths.filter { $0 > 0 }.reduce(0.0) { $0 + 1 / Double(1 << Int($1)) }
            #expect(kraft == 1, "\(frequencies): \(lengths)")
            #expect(zip(frequencies, lengths).allSatisfy { $0 == 0 || $1 > 0 }, "\(frequencies): \(lengths)")
        }
    }

    /// RFC 1951 3.2.2's example: lengths (3, 3, 3, 3, 3, 2, 4, 4) give codes 010 ... 1111 (here bit-reversed).
    @Test func canonicalCodesFollowTheRFCExample() {
        let codes = HuffmanCode.codes([3, 3, 3, 3, 3, 2, 4, 4])
        let expected: [(value: UInt32, length: Int)] = [(0b010, 3), (0b011, 3), (0b100, 3), (0b101, 3), (0b110, 3), (0b00, 2),
                                                        (0b1110, 4), (0b1111, 4)]
        for (code, (value, length)) in zip(codes, expected) {
            let reversed = (0..<length).reduce(UInt32(0)) { $0 | (value >> UInt32($1) & 1) << UInt32(length - 1 - $1) }
            #expect(code == reversed)
        }
    }
}
