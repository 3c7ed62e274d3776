import CZlib
import Dispatch
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// PNG encoding (ISO/IEC 15948, W3C PNG 3rd edition), written here around zlib's deflate so one image is
/// compressed on several cores.
///
/// The file is the signature, IHDR (8-bit samples; grey, RGB or RGBA; no interlace), the image data split
/// into IDAT chunks of at most `maximumChunkData` bytes, and IEND; each chunk's CRC-32 is zlib's `crc32`.
/// Every row gets the Up filter (PNG spec 9.2, type 2: each byte minus the byte above it): on a 1920x1080
/// cut-out and its matte it compresses better than adaptive filtering and costs one subtraction a byte.
///
/// The image data is one zlib stream (RFC 1950) made the way pigz makes a gzip file from blocks compressed
/// in parallel: the filtered rows are cut into horizontal strips of about `Compression.stripBytes`, each
/// strip is deflated on its own (raw deflate, RFC 1951, starting with an empty window) and ended with
/// `Z_SYNC_FLUSH` (an empty stored block that leaves the output byte-aligned and the stream open), the
/// last with `Z_FINISH`. Concatenated behind a zlib header, these form one valid deflate stream; the
/// stream's Adler-32 is combined from the strips' with `adler32_combine`. Strips are handed to `threads`
/// workers in turn (worker `w` takes strips `w`, `w + threads`, ...), which balances images whose busy
/// part is in one place. Starting each strip with an empty window costs well under 1% in size at the
/// default strip size.
extension PNG {
    /// How the filtered rows are deflated.
    struct Compression: Sendable, Equatable {
        /// zlib level, 1 (fastest) ... 9.
        var level: Int32
        /// zlib strategy: `Z_DEFAULT_STRATEGY`, `Z_FILTERED` or `Z_RLE`.
        var strategy: Int32
        /// Filtered bytes per strip, about: strips are whole rows, at least one.
        var stripBytes: Int

        /// The settings for an image of `channels` channels, chosen on a 1920x1080 portrait's matte and cut-out:
        /// run-length matching for grey mattes (long runs of 0 and 255, whose Up-filtered rows are mostly
        /// zeros: smaller and faster than the default matcher), level 1 for colour.
        static func standard(channels: Int) -> Compression {
            channels == 1
                ? Compression(level: 1, strategy: Z_RLE, stripBytes: 256 << 10)
                : Compression(level: 1, strategy: Z_DEFAULT_STRATEGY, stripBytes: 256 << 10)
        }
    }

    /// Largest IDAT chunk written, in data bytes.
    static let maximumChunkData = 1 << 20

    /// PNG of `image` (1 channel: grey, 3: RGB, 4: RGBA), compressed on up to `threads` cores.
    static func encode(_ image: Image, compression: Compression? = nil,
                       threads: Int = processorCount) throws(ImageError) -> [UInt8] {
        try checkEncodable(image)
        let compression = compression ?? .standard(channels: image.channels)
        let rowBytes = 1 + image.width * image.channels
        let stripRows = max(1, compression.stripBytes / rowBytes)
        let stripCount = (image.height + stripRows - 1) / stripRows
        let workers = max(1, min(threads, stripCount))

        // One slot per strip, each written by exactly one worker before `inParallel` returns.
        var strips = [Strip?](repeating: nil, count: stripCount)
        var failures = [ImageError?](repeating: nil, count: workers)
        strips.withUnsafeMutableBufferPointer { strips in
            failures.withUnsafeMutableBufferPointer { failures in
                nonisolated(unsafe) let strips = strips, failures = failures
                inParallel(workers) { worker in
                    do throws(ImageError) {
                        let deflater = try Deflater(compression)
                        var filtered = [UInt8](repeating: 0, count: stripRows * rowBytes)
                        for strip in stride(from: worker, to: stripCount, by: workers) {
                            let rows = strip * stripRows..<min(image.height, (strip + 1) * stripRows)
                            strips[strip] = try filtered.withUnsafeMutableBufferPointer { buffer throws(ImageError) in
                                let input = UnsafeMutableBufferPointer(rebasing: buffer[0..<rows.count * rowBytes])
                                filterUp(image, rows: rows, into: input)
                                return Strip(data: try deflater.deflate(UnsafeBufferPointer(input), last: strip == stripCount - 1),
                                             adler: adler32_z(1, input.baseAddress, input.count), length: input.count)
                            }
                        }
                    } catch {
                        failures[worker] = error
                    }
                }
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }

        var adler: UInt = 1
        var stream: [UInt8] = [0x78, 0x01]  // zlib header: deflate, 32 KiB window, fastest level, no dictionary
        stream.reserveCapacity(2 + strips.reduce(0) { $0 + ($1?.data.count ?? 0) } + 4)
        for strip in strips {
            // Every slot is filled when no worker failed.
            let strip = strip!
            stream.append(contentsOf: strip.data)
            adler = adler32_combine(adler, strip.adler, off_t(strip.length))
        }
        stream.append(contentsOf: bigEndian(UInt32(truncatingIfNeeded: adler)))
        return file(image, zlibStream: stream)
    }

    /// Slow twin of `encode`: filters the whole image row by row with plain indexing and compresses it in
    /// one call to zlib's `compress2` (a whole zlib stream); one IDAT chunk.
    static func encodeReference(_ image: Image, level: Int32 = 6) throws(ImageError) -> [UInt8] {
        try checkEncodable(image)
        let rowBytes = image.width * image.channels
        var filtered: [UInt8] = []
        for y in 0..<image.height {
            filtered.append(2)
            for index in 0..<rowBytes {
                let above = y == 0 ? 0 : image.pixels[(y - 1) * rowBytes + index]
                filtered.append(image.pixels[y * rowBytes + index] &- above)
            }
        }
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

    /// Up-filtered `rows` of `image` into `output` (`rows.count * (1 + width * channels)` bytes): each row
    /// is the filter type 2 and then every byte minus the byte above it (modulo 256; zero above the first row).
    static func filterUp(_ image: Image, rows: Range<Int>, into output: UnsafeMutableBufferPointer<UInt8>) {
        let rowBytes = image.width * image.channels
        precondition(output.count == rows.count * (rowBytes + 1))
        image.pixels.withUnsafeBufferPointer { pixels in
            // Both buffers hold at least one row here, so the base addresses are non-nil.
            let source = pixels.baseAddress!, target = output.baseAddress!
            for (index, y) in rows.enumerated() {
                let row = source + y * rowBytes
                let out = target + index * (rowBytes + 1)
                out[0] = 2
                if y == 0 {
                    (out + 1).update(from: row, count: rowBytes)
                } else {
                    let above = row - rowBytes
                    for byte in 0..<rowBytes { out[1 + byte] = row[byte] &- above[byte] }
                }
            }
        }
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
    private struct Strip {
        var data: [UInt8]
        var adler: UInt
        var length: Int
    }

    /// A zlib deflate stream reused for a worker's strips (reset between them, which keeps its memory).
    private final class Deflater {
        /// Allocated, not stored inline: zlib keeps a pointer back to the stream, so it must not move.
        private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

        init(_ compression: Compression) throws(ImageError) {
            stream.initialize(to: z_stream())
            // Raw deflate (negative window bits: no zlib header or trailer), 32 KiB window, default memory.
            let status = deflateInit2_(stream, compression.level, Z_DEFLATED, -15, 8, compression.strategy,
                                       zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else {
                stream.deallocate()
                throw .encodingFailed("zlib deflateInit2 failed (\(status))")
            }
        }

        deinit {
            deflateEnd(stream)
            stream.deallocate()
        }

        /// `input` deflated from an empty window; ends byte-aligned with the stream open (`Z_SYNC_FLUSH`),
        /// or with the final block when `last`.
        func deflate(_ input: UnsafeBufferPointer<UInt8>, last: Bool) throws(ImageError) -> [UInt8] {
            guard deflateReset(stream) == Z_OK else { throw .encodingFailed("zlib deflateReset failed") }
            // zlib counts in 32-bit units: feed and collect at most 1 GiB per call.
            let step = 1 << 30
            var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(min(input.count, step)))) + 64)
            var produced = 0
            var consumed = 0
            repeat {
                let chunk = min(input.count - consumed, step)
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + consumed })
                stream.pointee.avail_in = uInt(chunk)
                consumed += chunk
                let flush = consumed < input.count ? Z_NO_FLUSH : last ? Z_FINISH : Z_SYNC_FLUSH
                // Deflate until zlib leaves room in the output: then it has taken all the input and flushed.
                repeat {
                    if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
                    let room = min(output.count - produced, step)
                    let status = output.withUnsafeMutableBufferPointer { buffer in
                        stream.pointee.next_out = buffer.baseAddress! + produced
                        stream.pointee.avail_out = uInt(room)
                        return CZlib.deflate(stream, flush)
                    }
                    produced += room - Int(stream.pointee.avail_out)
                    guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                        throw .encodingFailed("zlib deflate failed (\(status))")
                    }
                } while stream.pointee.avail_out == 0
            } while consumed < input.count
            output.removeSubrange(produced...)
            return output
        }
    }
}

/// Online processors, at least 1.
let processorCount = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

/// Runs `body(worker)` for `worker` in `0..<workers` at once: worker 0 on the calling thread, the others on
/// the global dispatch queue; returns when all have finished.
func inParallel(_ workers: Int, _ body: (Int) -> Void) {
    guard workers > 1 else {
        if workers == 1 { body(0) }
        return
    }
    // The group is waited on before returning, so `body` outlives every worker.
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        let group = DispatchGroup()
        for worker in 1..<workers {
            DispatchQueue.global().async(group: group) { body(worker) }
        }
        body(0)
        group.wait()
    }
}
