import CSPNG
import CTurboJPEG
import Foundation
@testable import Imaging

/// Deterministic pseudo-random numbers (SplitMix64), so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Fixtures {
    /// A `width` x `height` image whose every byte differs from its neighbours: a smooth gradient per channel
    /// plus a channel offset, with alpha (when present) sweeping 0...255 so some pixels are fully transparent.
    static func gradient(width: Int, height: Int, channels: Int) -> Image {
        var image = Image(width: width, height: height, channels: channels)
        for y in 0..<height {
            for x in 0..<width {
                for channel in 0..<channels {
                    let value = channel == 3
                        ? (x + y * width) * 255 / max(width * height - 1, 1)
                        : (x * 255 / max(width - 1, 1) + y * 97 + channel * 61) % 256
                    image.pixels[(y * width + x) * channels + channel] = UInt8(value)
                }
            }
        }
        return image
    }

    /// Solid 8x8 blocks laid out as `blocks` (rows of block colours), so lossy codecs keep each block's colour.
    static func blocks(_ blocks: [[[UInt8]]], size: Int = 8) -> Image {
        let channels = blocks[0][0].count
        let width = blocks[0].count * size, height = blocks.count * size
        var image = Image(width: width, height: height, channels: channels)
        for y in 0..<height {
            for x in 0..<width {
                for channel in 0..<channels {
                    image.pixels[(y * width + x) * channels + channel] = blocks[y / size][x / size][channel]
                }
            }
        }
        return image
    }

    /// Blocks (of an image made by `blocks`) whose centre pixel is further than `tolerance` from the colour
    /// laid out, described for the failure message. Lossy codecs smear block edges, not centres.
    static func blockMismatches(_ image: Image, _ blocks: [[[UInt8]]], size: Int = 8, tolerance: Int) -> [String] {
        var mismatches: [String] = []
        for (row, colours) in blocks.enumerated() {
            for (column, colour) in colours.enumerated() {
                let found = pixel(image, column * size + size / 2, row * size + size / 2)
                if !isClose(found, colour, tolerance: tolerance) { mismatches.append("(\(column), \(row)): \(found) for \(colour)") }
            }
        }
        return mismatches
    }

    /// The pixel at (`x`, `y`) as an array of its channels.
    static func pixel(_ image: Image, _ x: Int, _ y: Int) -> [UInt8] {
        let start = (y * image.width + x) * image.channels
        return Array(image.pixels[start..<start + image.channels])
    }

    static func isClose(_ a: [UInt8], _ b: [UInt8], tolerance: Int) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs(Int($0) - Int($1)) <= tolerance }
    }

    /// Largest absolute difference between two images of the same shape.
    static func maximumDifference(_ a: Image, _ b: Image) -> Int {
        precondition(a.width == b.width && a.height == b.height && a.channels == b.channels)
        return zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }

    static func base64(_ text: String) -> [UInt8] { [UInt8](Data(base64Encoded: text)!) }

    /// A 48x8 CMYK JPEG written by ImageMagick 6.9.11 (`convert blocks.ppm -colorspace CMYK -quality 95
    /// -strip`): 8x8 blocks of red, green, blue, white, (40, 80, 160) and black, stored as Adobe inverted
    /// CMYK with an APP14 marker.
    static let imageMagickCMYK = base64(
        "/9j/7gAOQWRvYmUAZAAAAAAC/9sAQwACAQEBAQECAQEBAgICAgIEAwICAgIFBAQDBAYFBgYGBQYGBgcJCAYHCQcGBggLCAkKCgoKCgYICwwLCgwJCgoK/9sAQwECAgICAgIFAwMFCgcGBwoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoK/8AAFAgACAAwBAERAAIRAQMRAQQRAP/EABcAAAMBAAAAAAAAAAAAAAAAAAAJCgj/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFwEAAwEAAAAAAAAAAAAAAAAACAkKB//EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAOBAEAAhEDEQQAAD8A2YKxP+f4WuKRdYD5EV5U4Q7qAGVhQgWmKgoNPeZYFdL+/9k="
    )
    static let imageMagickCMYKColours: [[UInt8]] = [
        [255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [40, 80, 160], [0, 0, 0],
    ]

    /// A 32x16 JPEG with 4x2 luma sampling (4:1:0, which TurboJPEG 2.1 cannot name), written by ImageMagick
    /// 6.9.11 (`convert grad.ppm -sampling-factor 4x2 -quality 95 -strip`) from pixels (x * 8, y * 16, 128).
    static let imageMagick410 = base64(
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAIBAQEBAQIBAQECAgICAgQDAgICAgUEBAMEBgUGBgYFBgYGBwkIBgcJBwYGCAsICQoKCgoKBggLDAsKDAkKCgr/2wBDAQICAgICAgUDAwUKBwYHCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgr/wAARCAAQACADAUIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAABwn/xAAbEAABBQEBAAAAAAAAAAAAAAAABgglMqIREv/EABUBAQEAAAAAAAAAAAAAAAAAAAME/8QAHREAAQIHAAAAAAAAAAAAAAAAAAcjBggyM0FRof/aAAwDAQACEQMRAD8Am+k2qVjcCYlGqd8xuBMSbVKxuBNSbVKxuBHSjVO+Y3AmJNqlY3AmpNqlY3AmJRqlY3BdGKw1OdHltXqy7rJ//9k="
    )
}

// MARK: - Writing test files with the C libraries directly

/// PNG options the library's own encoder never produces: other bit depths, palettes, tRNS, eXIf, Adam7.
struct PNGFixture {
    var width: Int
    var height: Int
    var colorType: spng_color_type
    var bitDepth: Int
    /// One sample per entry (palette index, grey, or R,G,B[,A]...), row by row; packed by `write()`.
    var samples: [Int]
    var palette: [[UInt8]] = []
    var transparency: spng_trns?
    var exif: [UInt8]?
    var interlaced = false

    var samplesPerPixel: Int {
        switch colorType {
        case SPNG_COLOR_TYPE_TRUECOLOR: 3
        case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA: 2
        case SPNG_COLOR_TYPE_TRUECOLOR_ALPHA: 4
        default: 1
        }
    }

    /// Rows in PNG layout (big-endian 16-bit samples; 1/2/4-bit samples packed from the high bit), for
    /// libspng's `SPNG_FMT_RAW`.
    func packedRows() -> [UInt8] {
        var bytes: [UInt8] = []
        let rowSamples = width * samplesPerPixel
        for y in 0..<height {
            let row = samples[(y * rowSamples)..<((y + 1) * rowSamples)]
            switch bitDepth {
            case 16:
                for sample in row { bytes += [UInt8(sample >> 8), UInt8(sample & 0xFF)] }
            case 8:
                bytes += row.map { UInt8($0) }
            default:
                var packed = [UInt8](repeating: 0, count: (rowSamples * bitDepth + 7) / 8)
                for (index, sample) in row.enumerated() {
                    let bit = index * bitDepth
                    packed[bit / 8] |= UInt8(sample << (8 - bitDepth - bit % 8))
                }
                bytes += packed
            }
        }
        return bytes
    }

    func write() -> [UInt8] {
        let context = spng_ctx_new(Int32(SPNG_CTX_ENCODER.rawValue))!
        defer { spng_ctx_free(context) }
        var header = spng_ihdr(width: UInt32(width), height: UInt32(height), bit_depth: UInt8(bitDepth),
                               color_type: UInt8(colorType.rawValue), compression_method: 0, filter_method: 0,
                               interlace_method: interlaced ? 1 : 0)
        precondition(spng_set_option(context, SPNG_ENCODE_TO_BUFFER, 1) == 0)
        precondition(spng_set_ihdr(context, &header) == 0)
        if !palette.isEmpty {
            var plte = spng_plte()
            plte.n_entries = UInt32(palette.count)
            withUnsafeMutableBytes(of: &plte.entries) { raw in
                let entries = raw.bindMemory(to: spng_plte_entry.self)
                for (index, colour) in palette.enumerated() {
                    entries[index] = spng_plte_entry(red: colour[0], green: colour[1], blue: colour[2], alpha: 255)
                }
            }
            precondition(spng_set_plte(context, &plte) == 0)
        }
        if var transparency { precondition(spng_set_trns(context, &transparency) == 0) }
        var exifStorage = exif.map { $0.map { CChar(bitPattern: $0) } }
        if exifStorage != nil {
            let status = exifStorage!.withUnsafeMutableBufferPointer { buffer in
                var chunk = spng_exif(length: buffer.count, data: buffer.baseAddress)
                return spng_set_exif(context, &chunk)
            }
            precondition(status == 0, "spng_set_exif: \(String(cString: spng_strerror(status)))")
        }
        let rows = packedRows()
        let status = rows.withUnsafeBytes { raw in
            spng_encode_image(context, raw.baseAddress, raw.count, Int32(SPNG_FMT_RAW.rawValue),
                              Int32(SPNG_ENCODE_FINALIZE.rawValue))
        }
        precondition(status == 0, "spng_encode_image: \(String(cString: spng_strerror(status)))")
        var length = 0, error: Int32 = 0
        let buffer = spng_get_png_buffer(context, &length, &error)!
        defer { free(buffer) }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }
}

enum TurboJPEGFixture {
    /// Encodes with TurboJPEG directly: for progressive files and for CMYK input (written as YCCK with an
    /// Adobe APP14 marker, samples Adobe-inverted as libjpeg-turbo stores them).
    static func encode(_ pixels: [UInt8], width: Int, height: Int, format: TJPF, subsampling: TJSAMP,
                       quality: Int32 = 95, flags: Int32 = 0) -> [UInt8] {
        let handle = tjInitCompress()!
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer { input in
            tjCompress2(handle, input.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue),
                        &output, &size, Int32(subsampling.rawValue), quality, flags)
        }
        precondition(status == 0, String(cString: tjGetErrorStr2(handle)))
        defer { tjFree(output) }
        return Array(UnsafeBufferPointer(start: output!, count: Int(size)))
    }
}

// MARK: - EXIF blocks

enum EXIFFixture {
    /// A TIFF structure whose IFD0 holds one entry: Orientation (0x0112, SHORT, count 1) = `orientation`.
    static func tiff(orientation: Int, bigEndian: Bool) -> [UInt8] {
        func u16(_ value: Int) -> [UInt8] {
            bigEndian ? [UInt8(value >> 8), UInt8(value & 0xFF)] : [UInt8(value & 0xFF), UInt8(value >> 8)]
        }
        func u32(_ value: Int) -> [UInt8] {
            let little = (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) }
            return bigEndian ? little.reversed() : little
        }
        var bytes: [UInt8] = bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]
        bytes += u16(42) + u32(8)  // magic, offset of IFD0
        bytes += u16(1)  // one entry
        bytes += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + [0, 0]  // value padded to 4 bytes
        bytes += u32(0)  // no next IFD
        return bytes
    }

    /// `jpeg` with an APP1 EXIF segment carrying `orientation` inserted right after SOI.
    static func jpeg(_ jpeg: [UInt8], orientation: Int, bigEndian: Bool = false) -> [UInt8] {
        let payload = EXIF.identifier + tiff(orientation: orientation, bigEndian: bigEndian)
        let length = payload.count + 2
        let segment: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        return Array(jpeg[..<2]) + segment + Array(jpeg[2...])
    }

    /// A simple lossless WebP (`RIFF`, `WEBP`, one `VP8L` chunk) rewritten in the extended format: a VP8X
    /// chunk with the EXIF flag, the VP8L chunk, then an `EXIF` chunk (RFC 9649, 2.7).
    static func webp(_ simple: [UInt8], width: Int, height: Int, orientation: Int) -> [UInt8] {
        func u24(_ value: Int) -> [UInt8] { (0..<3).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        func u32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        let exif = tiff(orientation: orientation, bigEndian: false)
        var body: [UInt8] = Array("WEBP".utf8)
        body += Array("VP8X".utf8) + u32(10) + [0x08, 0, 0, 0] + u24(width - 1) + u24(height - 1)
        body += simple[12...]  // the VP8L chunk (and its pad byte)
        body += Array("EXIF".utf8) + u32(exif.count) + exif + (exif.count % 2 == 1 ? [0] : [])
        return Array("RIFF".utf8) + u32(body.count) + body
    }
}

// MARK: - CRC-32 for hand-made PNG chunks

enum CRC32 {
    /// CRC-32 as PNG uses it (ISO 3309, polynomial 0xEDB88320 reflected), bit by bit.
    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// A PNG chunk: big-endian length, type, data, CRC of type and data.
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        let crc = checksum(typeBytes + data)
        return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(crc)
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).reversed().map { UInt8((value >> (8 * $0)) & 0xFF) } }
}
