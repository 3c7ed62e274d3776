import Testing
@testable import Imaging

/// Untrusted bytes never trap: every failure is an `ImageError`.
@Suite struct BadInputTests {
    /// Small valid files of each format and flavour.
    static func validFiles() throws -> [(name: String, bytes: [UInt8])] {
        let rgb = Fixtures.gradient(width: 12, height: 10, channels: 3)
        let rgba = Fixtures.gradient(width: 12, height: 10, channels: 4)
        let grey = Fixtures.gradient(width: 12, height: 10, channels: 1)
        return [
            ("jpeg rgb", try ImageEncoder.jpeg(rgb)),
            ("jpeg grey", try ImageEncoder.jpeg(grey)),
            ("jpeg exif", EXIFFixture.jpeg(try ImageEncoder.jpeg(rgb), orientation: 6)),
            ("jpeg cmyk", Fixtures.imageMagickCMYK),
            ("png rgba", try ImageEncoder.png(rgba)),
            ("png grey", try ImageEncoder.png(grey)),
            ("webp lossless", try ImageEncoder.webp(rgba)),
            ("webp lossy", try ImageEncoder.webp(rgb, quality: 80)),
            ("webp lossy alpha", try ImageEncoder.webp(rgba, quality: 80)),
            ("webp exif", EXIFFixture.webp(try ImageEncoder.webp(rgb), width: 12, height: 10, orientation: 3)),
        ]
    }

    @Test func empty() {
        #expect(throws: ImageError.empty) { _ = try ImageDecoder.decode([]) }
    }

    @Test func unknownFormats() {
        for bytes: [UInt8] in [Array("GIF89a....".utf8), [0], [0xFF], [0xFF, 0xD8], Array("RIFF1234WAVEfmt ".utf8)] {
            #expect {
                _ = try ImageDecoder.decode(bytes)
            } throws: { error in
                if case .unsupportedFormat = error as? ImageError { return true }
                return false
            }
        }
    }

    /// An extended WebP whose VP8X flags announce an animation (RFC 9649, 2.7).
    @Test func animatedWebP() {
        func u32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        var body: [UInt8] = Array("WEBP".utf8)
        body += Array("VP8X".utf8) + u32(10) + [0x02, 0, 0, 0] + [7, 0, 0] + [7, 0, 0]  // 8x8 canvas
        body += Array("ANIM".utf8) + u32(6) + [0, 0, 0, 0, 0, 0]
        let file = Array("RIFF".utf8) + u32(body.count) + body
        #expect(throws: ImageError.unsupportedFormat("animated WebP")) { _ = try ImageDecoder.decode(file) }
    }

    /// Every proper prefix of every valid file is refused: no partial images.
    @Test func everyTruncation() throws {
        for (name, bytes) in try Self.validFiles() {
            #expect(throws: Never.self, "\(name) whole") { _ = try ImageDecoder.decode(bytes) }
            for length in 0..<bytes.count {
                #expect(throws: ImageError.self, "\(name) cut to \(length) of \(bytes.count)") {
                    _ = try ImageDecoder.decode(Array(bytes[..<length]))
                }
            }
        }
    }

    /// Random bytes, bare and behind each format's signature so the codecs see them.
    @Test func randomBytes() {
        var random = SeededGenerator(seed: 1)
        let signatures: [[UInt8]] = [[], [0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
                                     Array("RIFF".utf8) + [0xFF, 0xFF, 0, 0] + Array("WEBP".utf8)]
        for signature in signatures {
            for _ in 0..<200 {
                let length = Int.random(in: 0...600, using: &random)
                let bytes = signature + (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                #expect(throws: ImageError.self) { _ = try ImageDecoder.decode(bytes) }
            }
        }
    }

    /// Valid files with a few bytes changed: decoding may succeed or fail, but must not trap, and a
    /// success is a well-formed image.
    @Test func mutatedFiles() throws {
        var random = SeededGenerator(seed: 2)
        for (_, original) in try Self.validFiles() {
            for _ in 0..<150 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                if let image = try? ImageDecoder.decode(bytes, options: DecodeOptions(pixelLimit: 1 << 20)) {
                    #expect(image.pixels.count == image.width * image.height * image.channels)
                }
            }
        }
    }

    // MARK: - Declared sizes over the limit, refused from the header

    /// A PNG whose IHDR declares `width` x `height` (valid CRC) followed by a tiny IDAT and IEND.
    static func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        let ihdr = CRC32.bigEndian(width) + CRC32.bigEndian(height) + [8, 2, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + CRC32.chunk("IHDR", ihdr)
            + CRC32.chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + CRC32.chunk("IEND", [])
    }

    @Test func pngTooLarge() {
        #expect(throws: ImageError.tooLarge(width: 100_000, height: 100_000, limit: 50_000_000)) {
            _ = try ImageDecoder.decode(Self.pngHeader(width: 100_000, height: 100_000))
        }
        // One side alone over the limit: refused by libspng's own side limit, reported the same way.
        #expect(throws: ImageError.tooLarge(width: 60_000_000, height: 1, limit: 50_000_000)) {
            _ = try ImageDecoder.decode(Self.pngHeader(width: 60_000_000, height: 1))
        }
        #expect(throws: ImageError.tooLarge(width: 0x7FFF_FFFF, height: 0x7FFF_FFFF, limit: 50_000_000)) {
            _ = try ImageDecoder.decode(Self.pngHeader(width: 0x7FFF_FFFF, height: 0x7FFF_FFFF))
        }
    }

    /// A JPEG whose SOF declares 65500 x 65500 (the largest libjpeg accepts; the format allows 65535).
    @Test func jpegTooLarge() throws {
        var bytes = try ImageEncoder.jpeg(Fixtures.gradient(width: 8, height: 8, channels: 3))
        let sof = try #require(bytes.indices.first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes.replaceSubrange((sof + 5)..<(sof + 9), with: [0xFF, 0xDC, 0xFF, 0xDC])  // height, width
        #expect(throws: ImageError.tooLarge(width: 65500, height: 65500, limit: 50_000_000)) {
            _ = try ImageDecoder.decode(bytes)
        }
    }

    /// A lossless WebP whose VP8L header declares 16384 x 16384 (14-bit fields, all ones).
    @Test func webpTooLarge() throws {
        var bytes = try ImageEncoder.webp(Fixtures.gradient(width: 8, height: 8, channels: 3))
        // RIFF header (12) + chunk header (8) + signature 0x2F: then 14 bits width - 1, 14 bits height - 1.
        #expect(Array(bytes[12..<16]) == Array("VP8L".utf8) && bytes[20] == 0x2F)
        bytes[21] = 0xFF
        bytes[22] = 0xFF
        bytes[23] = 0xFF
        bytes[24] |= 0x0F
        #expect(throws: ImageError.tooLarge(width: 16384, height: 16384, limit: 50_000_000)) {
            _ = try ImageDecoder.decode(bytes)
        }
    }

    /// The limit applies to real files too, for each format.
    @Test func pixelLimitOption() throws {
        let image = Fixtures.gradient(width: 20, height: 10, channels: 3)
        let options = DecodeOptions(pixelLimit: 199)
        for bytes in [try ImageEncoder.png(image), try ImageEncoder.webp(image), try ImageEncoder.jpeg(image)] {
            #expect(throws: ImageError.tooLarge(width: 20, height: 10, limit: 199)) {
                _ = try ImageDecoder.decode(bytes, options: options)
            }
            #expect(throws: Never.self) { _ = try ImageDecoder.decode(bytes, options: DecodeOptions(pixelLimit: 200)) }
        }
    }

    /// The shape limit is read from the header, before decoding, for each format and either way round.
    @Test func aspectRatioOption() throws {
        for (width, height) in [(42, 2), (2, 42)] {
            let image = Fixtures.gradient(width: width, height: height, channels: 3)
            for bytes in [try ImageEncoder.png(image), try ImageEncoder.webp(image), try ImageEncoder.jpeg(image)] {
                #expect(throws: ImageError.tooElongated(width: width, height: height, maximumRatio: 20)) {
                    _ = try ImageDecoder.decode(bytes, options: DecodeOptions(maximumAspectRatio: 20))
                }
                #expect(throws: Never.self) { _ = try ImageDecoder.decode(bytes, options: DecodeOptions(maximumAspectRatio: 21)) }
                #expect(throws: Never.self) { _ = try ImageDecoder.decode(bytes) }
            }
        }
    }

    @Test func tooLargeDescriptionDoesNotOverflow() {
        let error = ImageError.tooLarge(width: Int.max, height: 3, limit: 10)
        #expect(error.description.contains("too many"))
    }
}
