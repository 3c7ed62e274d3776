/// DEFLATE (RFC 1951) for filtered image rows: literals and runs of a repeated byte only, Huffman-coded
/// with codes built for each block from the frequencies of a sample of it.
///
/// A run is a byte repeated at least 3 times after its first occurrence, coded as a match at distance 1
/// (what zlib's `Z_RLE` strategy finds); everything else is a literal. There is no match search, which
/// is where zlib spends its time on photographic data: filtered photo rows hold few long matches, so a
/// literal coder with codes fitted to the block gets within a few percent of zlib's fastest level at
/// several times its speed (the approach of fpng and fpnge).
///
/// `compress` writes one block with dynamic Huffman codes (BTYPE 10, RFC 1951 3.2.7) and ends the output on
/// a byte boundary: after a final block by padding, otherwise with an empty stored block (what zlib's
/// `Z_SYNC_FLUSH` writes), so outputs can be concatenated into one stream. Runs never reach back before the
/// start of `input`, so each output decodes on its own too.
enum RunLengthDeflate {
    /// Bytes in each sampled piece when estimating symbol frequencies.
    static let samplePiece = 4096

    /// `input` (at least one byte) as a self-contained, byte-aligned piece of a DEFLATE stream; `last` marks
    /// its block as the stream's final one.
    static func compress(_ input: UnsafeBufferPointer<UInt8>, last: Bool) -> [UInt8] {
        precondition(!input.isEmpty, "a block holds at least one byte")
        let lengthSymbols = Tables.lengthSymbol, lengthExtraBits = Tables.lengthExtraBits
        let lengthExtraValues = Tables.lengthExtraValue

        // Symbol frequencies of the parse, estimated from a sample (every fourth piece of `samplePiece`
        // bytes, each parsed on its own), plus one for every symbol so that each has a code: literals
        // 0...255, end of block 256, run lengths 257...285.
        var literalFrequencies = [Int](repeating: 1, count: 286)
        literalFrequencies.withUnsafeMutableBufferPointer { frequencies in
            lengthSymbols.withUnsafeBufferPointer { lengthSymbols in
                for start in stride(from: 0, to: input.count, by: 4 * samplePiece) {
                    let piece = UnsafeBufferPointer(rebasing: input[start..<min(input.count, start + samplePiece)])
                    // Counts stay below `input.count` + 1: the wrapping additions cannot wrap.
                    parse(piece) { literal, _ in
                        frequencies[Int(literal)] &+= 1
                    } run: { length in
                        frequencies[Int(lengthSymbols[length])] &+= 1
                    }
                }
            }
        }
        literalFrequencies[256] = 1
        let literalLengths = HuffmanCode.lengths(literalFrequencies, limit: 15)
        // Distance code 0 (distance 1) only; a single code of one bit is allowed (RFC 1951 3.2.7).
        let distanceLengths: [UInt8] = [1]
        // Per symbol: the bit-reversed code in the low 32 bits, its length above.
        let literalCodes = zip(HuffmanCode.codes(literalLengths), literalLengths).map { UInt64($0) | UInt64($1) << 32 }
        // Per run length: the length symbol's code, its extra bits and the one-bit distance code 0 (a zero
        // bit), in the low 32 bits; the total bit count above.
        let runCodes = (0...258).map { length -> UInt64 in
            guard length >= 3 else { return 0 }
            let code = literalCodes[Int(lengthSymbols[length])]
            let codeLength = code >> 32
            let bits = code & 0xFFFF_FFFF | UInt64(lengthExtraValues[length]) << codeLength
            return bits | (codeLength + UInt64(lengthExtraBits[length]) + 1) << 32
        }

        // Output bound: the header takes under 600 bytes (at most 287 code lengths of at most 7 + 7 bits,
        // plus 14 + 19 * 3 bits); a literal at most 15 bits, a run (3 bytes or more) at most 15 + 5 + 1
        // bits; the stored block 5 bytes.
        var writer = BitWriter(capacity: 640 + input.count * 15 / 8)
        writer.write(last ? 1 : 0, count: 1)  // BFINAL
        writer.write(2, count: 2)  // BTYPE 10: dynamic Huffman codes
        writeCodeLengths(literalLengths, distanceLengths, to: &writer)

        literalCodes.withUnsafeBufferPointer { literalCodes in
            runCodes.withUnsafeBufferPointer { runCodes in
                parse(input) { literal, _ in
                    let code = literalCodes[Int(literal)]
                    writer.write(code & 0xFFFF_FFFF, count: Int(code >> 32))
                } run: { length in
                    let code = runCodes[length]
                    writer.write(code & 0xFFFF_FFFF, count: Int(code >> 32))
                }
            }
        }
        writer.write(literalCodes[256] & 0xFFFF_FFFF, count: Int(literalCodes[256] >> 32))  // end of block

        if !last {
            // An empty stored block: BFINAL 0, BTYPE 00, padding to the byte, LEN 0, NLEN 0xFFFF.
            writer.write(0, count: 3)
            writer.alignToByte()
            writer.write(0xFFFF_0000, count: 32)
        }
        writer.alignToByte()
        return writer.finish()
    }

    /// The parse both passes walk: `run(length)` (3...258) where the byte before repeats, else
    /// `literal(byte, position)`.
    @inline(__always)
    private static func parse(_ input: UnsafeBufferPointer<UInt8>, literal: (UInt8, Int) -> Void, run: (Int) -> Void) {
        // Non-empty (checked by `compress`).
        let bytes = input.baseAddress!, count = input.count
        literal(bytes[0], 0)
        var position = 1
        while position < count {
            let byte = bytes[position]
            if bytes[position - 1] == byte {
                var length = 1
                while length < 258 && position + length < count && bytes[position + length] == byte { length += 1 }
                if length >= 3 {
                    run(length)
                    position += length
                    continue
                }
            }
            literal(byte, position)
            position += 1
        }
    }

    /// The code lengths of both alphabets (RFC 1951 3.2.7): HLIT, HDIST, HCLEN, the code-length code's
    /// lengths in their fixed order, then both sequences of lengths run-length coded with symbols 16
    /// (repeat the previous 3...6 times), 17 (3...10 zeros) and 18 (11...138 zeros).
    private static func writeCodeLengths(_ literalLengths: [UInt8], _ distanceLengths: [UInt8], to writer: inout BitWriter) {
        var literalCount = 286
        while literalCount > 257 && literalLengths[literalCount - 1] == 0 { literalCount -= 1 }
        let lengths = Array(literalLengths[0..<literalCount]) + distanceLengths

        // Run-length code the sequence: (symbol, extra bits value).
        var symbols: [(symbol: Int, extra: Int)] = []
        var index = 0
        while index < lengths.count {
            let length = lengths[index]
            var repeats = 1
            while index + repeats < lengths.count && lengths[index + repeats] == length { repeats += 1 }
            var remaining = repeats
            if length == 0 {
                while remaining >= 11 {
                    let take = min(remaining, 138)
                    symbols.append((18, take - 11))
                    remaining -= take
                }
                if remaining >= 3 {
                    symbols.append((17, remaining - 3))
                    remaining = 0
                }
            } else {
                symbols.append((Int(length), 0))
                remaining -= 1
                while remaining >= 3 {
                    let take = min(remaining, 6)
                    symbols.append((16, take - 3))
                    remaining -= take
                }
            }
            for _ in 0..<remaining { symbols.append((Int(length), 0)) }
            index += repeats
        }

        var frequencies = [Int](repeating: 0, count: 19)
        for (symbol, _) in symbols { frequencies[symbol] += 1 }
        let codeLengthLengths = HuffmanCode.lengths(frequencies, limit: 7)
        let codeLengthCodes = HuffmanCode.codes(codeLengthLengths)
        var orderedCount = 19
        while orderedCount > 4 && codeLengthLengths[Tables.codeLengthOrder[orderedCount - 1]] == 0 { orderedCount -= 1 }

        writer.write(UInt64(literalCount - 257), count: 5)
        writer.write(UInt64(distanceLengths.count - 1), count: 5)
        writer.write(UInt64(orderedCount - 4), count: 4)
        for position in 0..<orderedCount {
            writer.write(UInt64(codeLengthLengths[Tables.codeLengthOrder[position]]), count: 3)
        }
        for (symbol, extra) in symbols {
            writer.write(UInt64(codeLengthCodes[symbol]), count: Int(codeLengthLengths[symbol]))
            switch symbol {
            case 16: writer.write(UInt64(extra), count: 2)
            case 17: writer.write(UInt64(extra), count: 3)
            case 18: writer.write(UInt64(extra), count: 7)
            default: break
            }
        }
    }

    /// RFC 1951 3.2.5's length codes, indexed by run length 0...258 (entries below 3 unused).
    enum Tables {
        static let lengthSymbol: [UInt16] = table().symbol
        static let lengthExtraBits: [UInt8] = table().extraBits
        static let lengthExtraValue: [UInt16] = table().extraValue
        /// The order in which the code-length code's lengths are written.
        static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

        private static func table() -> (symbol: [UInt16], extraBits: [UInt8], extraValue: [UInt16]) {
            // Base length and extra bits of symbols 257...285.
            let bases = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                         131, 163, 195, 227, 258]
            let extras: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
            var symbol = [UInt16](repeating: 0, count: 259)
            var extraBits = [UInt8](repeating: 0, count: 259)
            var extraValue = [UInt16](repeating: 0, count: 259)
            for length in 3...258 {
                // The last code whose base is at most `length` (258 has its own code, 285).
                let code = bases.lastIndex { $0 <= length }!
                symbol[length] = UInt16(257 + code)
                extraBits[length] = extras[code]
                extraValue[length] = UInt16(length - bases[code])
            }
            return (symbol, extraBits, extraValue)
        }
    }
}

/// Canonical Huffman codes (RFC 1951 3.2.2) with a length limit.
enum HuffmanCode {
    /// Code lengths for `frequencies` (0 for unused symbols), none longer than `limit`; the code is complete
    /// (a single used symbol gets length 1, and so does a neighbour). Built by Huffman's algorithm; when the longest code is over the limit, frequencies
    /// are halved (used symbols kept at 1 or more) and the code rebuilt, which flattens the tree.
    static func lengths(_ frequencies: [Int], limit: Int) -> [UInt8] {
        var weights = frequencies
        while true {
            let lengths = unlimitedLengths(weights)
            if lengths.allSatisfy({ Int($0) <= limit }) { return lengths }
            weights = weights.map { $0 == 0 ? 0 : max(1, $0 >> 1) }
        }
    }

    /// Huffman's algorithm: repeatedly merge the two lightest trees; a leaf's length is its depth.
    private static func unlimitedLengths(_ frequencies: [Int]) -> [UInt8] {
        var lengths = [UInt8](repeating: 0, count: frequencies.count)
        let used = frequencies.indices.filter { frequencies[$0] > 0 }.sorted { (frequencies[$0], $0) < (frequencies[$1], $1) }
        if used.count == 1 {
            // One symbol: give a second one a code too, when the alphabet has one, so the code is complete
            // (zlib's inflate refuses incomplete codes except a distance code of one symbol).
            lengths[used[0]] = 1
            if frequencies.count > 1 { lengths[used[0] == 0 ? 1 : 0] = 1 }
        }
        guard used.count > 1 else { return lengths }
        // Nodes 0..<used.count are leaves in weight order; merged nodes follow, in the order made, which
        // is also weight order, so the two lightest are always at the front of one of the two queues.
        var weight = used.map { frequencies[$0] }
        var parent = [Int](repeating: -1, count: 2 * used.count - 1)
        var nextLeaf = 0, nextMerged = used.count
        func lightest() -> Int {
            if nextLeaf < used.count && (nextMerged >= weight.count || weight[nextLeaf] <= weight[nextMerged]) {
                nextLeaf += 1
                return nextLeaf - 1
            }
            nextMerged += 1
            return nextMerged - 1
        }
        for _ in 0..<used.count - 1 {
            let first = lightest(), second = lightest()
            parent[first] = weight.count
            parent[second] = weight.count
            weight.append(weight[first] + weight[second])
        }
        // Depths from the root (the last node) down: parents come after their children.
        var depth = [Int](repeating: 0, count: weight.count)
        for node in stride(from: weight.count - 2, through: 0, by: -1) { depth[node] = depth[parent[node]] + 1 }
        for (leaf, symbol) in used.enumerated() { lengths[symbol] = UInt8(min(depth[leaf], 255)) }
        return lengths
    }

    /// Canonical codes for `lengths`, bit-reversed so they can be written least significant bit first.
    static func codes(_ lengths: [UInt8]) -> [UInt32] {
        let longest = Int(lengths.max() ?? 0)
        var countOfLength = [Int](repeating: 0, count: longest + 1)
        for length in lengths where length > 0 { countOfLength[Int(length)] += 1 }
        var nextCode = [Int](repeating: 0, count: longest + 2)
        var code = 0
        for length in stride(from: 1, through: longest, by: 1) {
            code = (code + countOfLength[length - 1]) << 1
            nextCode[length] = code
        }
        return lengths.map { length in
            guard length > 0 else { return 0 }
            let value = nextCode[Int(length)]
            nextCode[Int(length)] += 1
            var reversed: UInt32 = 0
            for bit in 0..<Int(length) where value >> bit & 1 == 1 { reversed |= 1 << (Int(length) - 1 - bit) }
            return reversed
        }
    }
}

/// Bits written least significant first (RFC 1951 3.1.1) into a buffer of fixed capacity; `finish()`
/// returns the bytes and frees the buffer.
struct BitWriter {
    private let bytes: UnsafeMutableRawPointer
    private let capacity: Int
    private var count = 0
    private var buffer: UInt64 = 0
    private var bufferedBits = 0

    init(capacity: Int) {
        self.capacity = capacity
        bytes = .allocate(byteCount: capacity + 8, alignment: 8)
    }

    /// The low `count` bits of `bits` (at most 32; higher bits zero). Without a branch: the whole buffer is
    /// stored every time and the output advances by the whole bytes it holds, leaving at most 7 bits.
    @inline(__always)
    mutating func write(_ bits: UInt64, count bitCount: Int) {
        buffer |= bits &<< UInt64(bufferedBits)  // bufferedBits <= 7 here, so at most 39 bits are held
        bufferedBits += bitCount
        precondition(count <= capacity, "deflate output over its bound")  // the buffer has 8 bytes more
        bytes.storeBytes(of: buffer.littleEndian, toByteOffset: count, as: UInt64.self)
        let whole = bufferedBits >> 3
        count += whole
        buffer = buffer &>> UInt64(whole << 3)  // at most 32: the shift is in range
        bufferedBits &= 7
    }

    /// Pads with zero bits to the next byte boundary.
    mutating func alignToByte() {
        write(0, count: (8 - bufferedBits % 8) % 8)
    }

    /// The bytes written (after `alignToByte`, every bit); the writer must not be used afterwards.
    mutating func finish() -> [UInt8] {
        precondition(bufferedBits == 0, "finish after alignToByte")
        defer { bytes.deallocate() }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }
}
