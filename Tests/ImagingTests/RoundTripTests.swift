import Testing
@testable import Imaging

/// Encode then decode, for every format and channel count.
@Suite struct RoundTripTests {
    static let sizes = [(1, 1), (7, 5), (64, 33)]

    @Test(arguments: [1, 3, 4])
    func pngIsExact(channels: Int) throws {
        for (width, height) in Self.sizes {
            let image = Fixtures.gradient(width: width, height: height, channels: channels)
            #expect(try ImageDecoder.decode(try ImageEncoder.png(image)) == image)
        }
    }

    @Test(arguments: [3, 4])
    func webpLosslessIsExact(channels: Int) throws {
        for (width, height) in Self.sizes {
            let image = Fixtures.gradient(width: width, height: height, channels: channels)
            #expect(try ImageDecoder.decode(try ImageEncoder.webp(image)) == image)
        }
    }

    /// WebP has no grey: grey is stored as RGB and comes back as 3 equal channels.
    @Test func webpLosslessGreyComesBackAsRGB() throws {
        let image = Fixtures.gradient(width: 9, height: 4, channels: 1)
        let decoded = try ImageDecoder.decode(try ImageEncoder.webp(image))
        #expect(decoded == image.rgb())
    }

    @Test(arguments: [1, 3, 4])
    func webpLossyIsClose(channels: Int) throws {
        let colours: [[[UInt8]]] = [[[200, 30, 40, 255], [20, 180, 60, 0]], [[10, 20, 230, 128], [250, 250, 250, 255]]]
        let image = Fixtures.blocks(colours.map { row in row.map { Array($0.prefix(channels)) } })
        let decoded = try ImageDecoder.decode(try ImageEncoder.webp(image, quality: 90))
        #expect(decoded.width == image.width && decoded.height == image.height)
        #expect(decoded.channels == (channels == 4 ? 4 : 3))
        let expected = colours.map { row in row.map { Array($0.prefix(channels == 4 ? 4 : 3)) } }
        let mismatches = Fixtures.blockMismatches(decoded, channels == 1 ? expected.map { $0.map { [$0[0], $0[0], $0[0]] } } : expected,
                                                  tolerance: 8)
        #expect(mismatches.isEmpty, "\(mismatches)")
        if channels == 4 {
            // Alpha is stored losslessly at the default alpha quality (100).
            let alphas = { (image: Image) in (0..<image.pixelCount).map { image.pixels[$0 * 4 + 3] } }
            #expect(alphas(decoded) == alphas(image))
        }
    }

    @Test(arguments: [1, 3])
    func jpegIsClose(channels: Int) throws {
        let colours: [[[UInt8]]] = [[[200, 30, 40], [20, 180, 60], [90, 90, 90]], [[10, 20, 230], [250, 250, 250], [0, 0, 0]]]
        let image = Fixtures.blocks(colours.map { row in row.map { Array($0.prefix(channels)) } })
        for quality in [75, 90, 100] {
            let decoded = try ImageDecoder.decode(try ImageEncoder.jpeg(image, quality: quality))
            #expect(decoded.width == image.width && decoded.height == image.height && decoded.channels == channels)
            let mismatches = Fixtures.blockMismatches(decoded, colours.map { row in row.map { Array($0.prefix(channels)) } },
                                                      tolerance: quality == 75 ? 16 : 6)
            #expect(mismatches.isEmpty, "quality \(quality): \(mismatches)")
        }
    }

    @Test func jpegRefusesAlpha() {
        let image = Fixtures.gradient(width: 4, height: 4, channels: 4)
        #expect {
            _ = try ImageEncoder.jpeg(image)
        } throws: { error in
            guard case .encodingFailed(let message) = error as? ImageError else { return false }
            return message.contains("alpha")
        }
        #expect(throws: ImageError.self) { _ = try ImageEncoder.jpeg(image.flattened(over: (0, 0, 0)), quality: 0) }
        #expect(throws: Never.self) { _ = try ImageEncoder.jpeg(image.flattened(over: (0, 0, 0))) }
    }

    @Test func encodersRefuseImpossibleSizes() {
        let empty = Image(width: 0, height: 3, channels: 3)
        #expect(throws: ImageError.self) { _ = try ImageEncoder.png(empty) }
        #expect(throws: ImageError.self) { _ = try ImageEncoder.webp(empty) }
        #expect(throws: ImageError.self) { _ = try ImageEncoder.jpeg(empty) }
        let tooWide = Image(width: 16384, height: 1, channels: 1)
        #expect(throws: ImageError.self) { _ = try ImageEncoder.webp(tooWide) }
        #expect(throws: ImageError.self) { _ = try ImageEncoder.webp(Image(width: 2, height: 2, channels: 3), quality: 101) }
    }

    /// libwebp's `exact`: fully transparent pixels keep their colour in lossless files.
    @Test func webpLosslessKeepsColourUnderZeroAlpha() throws {
        var image = Fixtures.gradient(width: 16, height: 16, channels: 4)
        for pixel in 0..<image.pixelCount where pixel % 3 != 0 { image.pixels[pixel * 4 + 3] = 0 }
        let decoded = try ImageDecoder.decode(try ImageEncoder.webp(image))
        #expect(decoded == image)
    }

    @Test func encodeByFormat() throws {
        let image = Fixtures.gradient(width: 8, height: 8, channels: 3)
        for format in ImageFormat.allCases {
            #expect(ImageFormat.sniff(try ImageEncoder.encode(image, as: format)) == format)
        }
    }
}
