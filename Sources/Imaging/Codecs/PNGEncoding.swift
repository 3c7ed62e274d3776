import CZlib
import Dispatch
import Parallelism
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// PNG encoding (ISO/IEC 15948, W3C PNG 3rd edition), written here so one image is compressed on
/// several cores and without a match search.
///
/// The file is the signature, IHDR (8-bit samples; grey, RGB or RGBA; no interlace), the image data split
/// into IDAT chunks of at most `maximumChunkData` bytes, and IEND; each chunk's CRC-32 is zlib's `crc32`.
/// Every row gets the Paeth filter (PNG spec 9.4, type 4), which predicts photographic rows best of the
/// five filters on a 1920x1080 portrait's cut-out and matte.
///
/// The image data is one zlib stream (RFC 1950) made the way pigz makes a gzip file from blocks
/// compressed in parallel: the filtered rows are cut into horizontal strips of about `stripBytes`, each
/// strip is coded by `RunLengthDeflate` (literals and byte runs, Huffman codes fitted to the strip) and
/// ends byte-aligned with the stream left open, the last strip ending the stream; the pieces are joined
/// behind a zlib header, and the stream's Adler-32 is combined from the strips' with `adler32_combine`.
/// Strips are dealt out to `threads` workers as they become free (`inTurns`), which balances images
/// whose busy part is in one place.
///
/// Why our own writer rather than libspng's (with zlib), which the decoder uses: measured on a 1920x1080
/// portrait's cut-out, this one takes about a third of the CPU time of zlib level 3 through libspng, for a
/// file 15% larger (the matte comes out 23% smaller), and it spreads one image over the cores a caller
/// gives it, where zlib codes one stream on one core.
extension PNG {
    /// Filtered bytes per strip, about: strips are whole rows, at least one.
    static let standardStripBytes = 256 << 10

    /// Largest IDAT chunk written, in data bytes.
    static let maximumChunkData = 1 << 20

    /// PNG of `image` (1 channel: grey, 3: RGB, 4: RGBA), compressed on up to `threads` cores.
    static func encode(_ image: Image, stripBytes: Int = standardStripBytes,
                       threads: Int = processorCount) throws(ImageError) -> [UInt8] {
        try ImageEncoder.encode([ImageEncoder.Job(image, as: .png)], stripBytes: stripBytes, threads: threads)[0]
    }

    /// `image`'s filtered rows cut into strips of whole rows, each coded on its own (`code`) by whichever
    /// worker takes it, then joined into the file (`file`): the encoder's unit of work, which
    /// `ImageEncoder.encode(_:threads:)` also deals out among the strips of other images.
    struct Strips: Sendable {
        let image: Image
        /// Filtered bytes of a row: the filter type, then the samples.
        let rowBytes: Int
        let rowsPerStrip: Int
        let count: Int

        /// - Throws: `encodingFailed` when a side is 0 or over PNG's limit.
        init(_ image: Image, stripBytes: Int = standardStripBytes) throws(ImageError) {
            try PNG.checkEncodable(image)
            self.image = image
            rowBytes = 1 + image.width * image.channels
            rowsPerStrip = max(1, stripBytes / rowBytes)
            count = (image.height + rowsPerStrip - 1) / rowsPerStrip
        }

        /// Strip `index` filtered (into `scratch`, grown as needed) and coded: the last strip ends the
        /// stream.
        func code(_ index: Int, scratch: inout [UInt8]) -> Strip {
            let rows = index * rowsPerStrip..<min(image.height, (index + 1) * rowsPerStrip)
            let length = rows.count * rowBytes
            if scratch.count < length { scratch = [UInt8](repeating: 0, count: rowsPerStrip * rowBytes) }
            return scratch.withUnsafeMutableBufferPointer { buffer in
                let input = UnsafeMutableBufferPointer(rebasing: buffer[0..<length])
                PNG.filterPaeth(image, rows: rows, into: input)
                return Strip(data: RunLengthDeflate.compress(UnsafeBufferPointer(input), last: index == count - 1),
                             adler: adler32_z(1, input.baseAddress, input.count), length: input.count)
            }
        }

        /// The PNG file from every strip, coded (`coded[i]` is strip `i`, none missing).
        func file(_ coded: [Strip?]) -> [UInt8] {
            var adler: UInt = 1
            var stream: [UInt8] = [0x78, 0x01]  // zlib header: deflate, 32 KiB window, fastest level, no dictionary
            stream.reserveCapacity(2 + coded.reduce(0) { $0 + ($1?.data.count ?? 0) } + 4)
            for strip in coded {
                guard let strip else { preconditionFailure("a strip was not coded") }
                stream.append(contentsOf: strip.data)
                adler = adler32_combine(adler, strip.adler, off_t(strip.length))
            }
            stream.append(contentsOf: PNG.bigEndian(UInt32(truncatingIfNeeded: adler)))
            return PNG.file(image, zlibStream: stream)
        }
    }

    /// Slow twin of `encode`: filters the whole image with `paethReference` and compresses it in one call
    /// to zlib's `compress2` (a whole zlib stream, with zlib's match search); one IDAT chunk.
    static func encodeReference(_ image: Image, level: Int32 = 6) throws(ImageError) -> [UInt8] {
        try checkEncodable(image)
        let filtered = filterPaethReference(image)
        var length = compressBound(uLong(filtered.count))
        var stream = [UInt8](repeating: 0, count: Int(length))
        let status = compress2(&stream, &length, filtered, uLong(filtered.count), level)
        guard status == Z_OK else { throw .encodingFailed("zlib compress2 failed (\(status))") }
        return file(image, zlibStream: Array(stream[0..<Int(length)]))
    }

    /// The PNG file around a zlib stream of `image`'s filtered rows.
    private static func file(_ image: Image, zlibStream stream: [UInt8]) -> [UInt8] {
        let colourType: UInt8 = switch image.channels {
        case 1: 0   // greyscale
        case 3: 2   // truecolour
        default: 6  // truecolour with alpha
        }
        let header = bigEndian(UInt32(image.width)) + bigEndian(UInt32(image.height))
            + [8, colourType, 0, 0, 0]  // bit depth, colour type, compression, filter method, no interlace
        let chunkCount = (stream.count + maximumChunkData - 1) / maximumChunkData
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        file.reserveCapacity(8 + 25 + stream.count + 12 * chunkCount + 12)
        appendChunk("IHDR", header[...], to: &file)
        for start in stride(from: 0, to: stream.count, by: maximumChunkData) {
            appendChunk("IDAT", stream[start..<min(stream.count, start + maximumChunkData)], to: &file)
        }
        appendChunk("IEND", [][...], to: &file)
        return file
    }

    /// A chunk: data length (big-endian), type, data, CRC-32 of type and data (PNG spec 5.3).
    private static func appendChunk(_ type: String, _ data: ArraySlice<UInt8>, to file: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        var crc = crc32(0, typeBytes, uInt(typeBytes.count))
        crc = data.withUnsafeBufferPointer { crc32_z(crc, $0.baseAddress, $0.count) }
        file.append(contentsOf: bigEndian(UInt32(data.count)))
        file.append(contentsOf: typeBytes)
        file.append(contentsOf: data)
        file.append(contentsOf: bigEndian(UInt32(truncatingIfNeeded: crc)))
    }

    /// Paeth-filtered `rows` of `image` into `output` (`rows.count * (1 + width * channels)` bytes): each
    /// row is the filter type 4, then every byte minus `paethPredictor` of the bytes to its left, above and
    /// above-left (zero outside the image), modulo 256. Sixteen bytes at a time, from the unfiltered
    /// image, so no byte waits for another.
    static func filterPaeth(_ image: Image, rows: Range<Int>, into output: UnsafeMutableBufferPointer<UInt8>) {
        let rowBytes = image.width * image.channels, pixelBytes = image.channels
        precondition(output.count == rows.count * (rowBytes + 1))
        typealias Bytes = SIMD16<UInt8>
        typealias Wide = SIMD16<Int16>
        image.pixels.withUnsafeBufferPointer { pixels in
            // Both buffers hold at least one row here, so the base addresses are non-nil.
            let source = UnsafeRawPointer(pixels.baseAddress!), target = UnsafeMutableRawPointer(output.baseAddress!)
            for (index, y) in rows.enumerated() {
                let row = source + y * rowBytes
                let out = target + index * (rowBytes + 1)
                out.storeBytes(of: 4, as: UInt8.self)
                func load(_ pointer: UnsafeRawPointer) -> Wide { Wide(truncatingIfNeeded: pointer.loadUnaligned(as: Bytes.self)) }
                if y == 0 {
                    // Above is zero, so Paeth predicts the byte to the left.
                    for byte in 0..<rowBytes {
                        let left = byte >= pixelBytes ? row.load(fromByteOffset: byte - pixelBytes, as: UInt8.self) : 0
                        out.storeBytes(of: row.load(fromByteOffset: byte, as: UInt8.self) &- left, toByteOffset: 1 + byte, as: UInt8.self)
                    }
                    continue
                }
                let above = row - rowBytes
                // The first pixel has nothing to its left: Paeth predicts the byte above.
                for byte in 0..<min(pixelBytes, rowBytes) {
                    let value = row.load(fromByteOffset: byte, as: UInt8.self) &- above.load(fromByteOffset: byte, as: UInt8.self)
                    out.storeBytes(of: value, toByteOffset: 1 + byte, as: UInt8.self)
                }
                var byte = pixelBytes
                while byte + 16 <= rowBytes {
                    let left = load(row + byte - pixelBytes), up = load(above + byte)
                    let upLeft = load(above + byte - pixelBytes)
                    func magnitude(_ value: Wide) -> Wide { pointwiseMax(value, Wide() &- value) }
                    // p = left + up - upLeft; distances of p from left, up and upLeft.
                    let toLeft = magnitude(up &- upLeft), toUp = magnitude(left &- upLeft)
                    let toUpLeft = magnitude(left &+ up &- upLeft &- upLeft)
                    var predicted = upLeft.replacing(with: up, where: toUp .<= toUpLeft)
                    predicted.replace(with: left, where: (toLeft .<= toUp) .& (toLeft .<= toUpLeft))
                    let filtered = Bytes(truncatingIfNeeded: load(row + byte) &- predicted)
                    (out + 1 + byte).storeBytes(of: filtered, as: Bytes.self)
                    byte += 16
                }
                while byte < rowBytes {
                    let predicted = paethPredictor(left: row.load(fromByteOffset: byte - pixelBytes, as: UInt8.self),
                                                   up: above.load(fromByteOffset: byte, as: UInt8.self),
                                                   upLeft: above.load(fromByteOffset: byte - pixelBytes, as: UInt8.self))
                    out.storeBytes(of: row.load(fromByteOffset: byte, as: UInt8.self) &- predicted, toByteOffset: 1 + byte, as: UInt8.self)
                    byte += 1
                }
            }
        }
    }

    /// The Paeth predictor (PNG spec 9.4): of left, up and up-left, the one closest to
    /// `left + up - upLeft`, ties going to left, then up.
    static func paethPredictor(left: UInt8, up: UInt8, upLeft: UInt8) -> UInt8 {
        let estimate = Int(left) + Int(up) - Int(upLeft)
        let toLeft = abs(estimate - Int(left)), toUp = abs(estimate - Int(up)), toUpLeft = abs(estimate - Int(upLeft))
        if toLeft <= toUp && toLeft <= toUpLeft { return left }
        return toUp <= toUpLeft ? up : upLeft
    }

    /// Slow twin of `filterPaeth`: the whole image, byte by byte, as the spec writes it.
    static func filterPaethReference(_ image: Image) -> [UInt8] {
        let rowBytes = image.width * image.channels, pixelBytes = image.channels
        func at(_ x: Int, _ y: Int) -> UInt8 { x < 0 || y < 0 ? 0 : image.pixels[y * rowBytes + x] }
        var filtered: [UInt8] = []
        for y in 0..<image.height {
            filtered.append(4)
            for x in 0..<rowBytes {
                let predicted = paethPredictor(left: at(x - pixelBytes, y), up: at(x, y - 1), upLeft: at(x - pixelBytes, y - 1))
                filtered.append(at(x, y) &- predicted)
            }
        }
        return filtered
    }

    private static func checkEncodable(_ image: Image) throws(ImageError) {
        guard (1...Int(Int32.max)).contains(image.width), (1...Int(Int32.max)).contains(image.height) else {
            throw .encodingFailed("PNG sides must be 1...2147483647 pixels, not \(image.width)x\(image.height)")
        }
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// One strip's raw deflate data, and the Adler-32 and length of the filtered bytes it holds.
    struct Strip: Sendable {
        var data: [UInt8]
        var adler: UInt
        var length: Int
    }
}
