import CTurboJPEG
import Testing
@testable import Imaging

@Suite struct JPEGDecodingTests {
    static let colours: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [40, 80, 160], [0, 0, 0]]

    /// Checks the centre of each 8x8 block of a one-row block image.
    static func expectBlockColours(_ image: Image, _ colours: [[UInt8]], tolerance: Int) {
        #expect(image.channels == 3 && image.width == colours.count * 8 && image.height == 8)
        for (index, colour) in colours.enumerated() {
            let found = Fixtures.pixel(image, index * 8 + 4, 4)
            #expect(Fixtures.isClose(found, colour, tolerance: tolerance), "block \(index): \(found) for \(colour)")
        }
    }

    @Test func greyDecodesToOneChannel() throws {
        let image = Fixtures.gradient(width: 24, height: 10, channels: 1)
        let file = try ImageEncoder.jpeg(image, quality: 100)
        let decoded = try ImageDecoder.decode(file)
        #expect(decoded.channels == 1)
        #expect(Fixtures.maximumDifference(decoded, image) <= 8)
    }

    @Test func progressiveMatchesBaseline() throws {
        let colours: [[[UInt8]]] = [[[200, 30, 40], [20, 180, 60], [90, 90, 90]], [[10, 20, 230], [250, 250, 250], [0, 0, 0]]]
        let image = Fixtures.blocks(colours)
        let baseline = TurboJPEGFixture.encode(image.pixels, width: 24, height: 16, format: TJPF_RGB, subsampling: TJSAMP_420)
        let progressive = TurboJPEGFixture.encode(image.pixels, width: 24, height: 16, format: TJPF_RGB,
                                                  subsampling: TJSAMP_420, flags: TJFLAG_PROGRESSIVE)
        #expect(progressive != baseline)
        let fromBaseline = try ImageDecoder.decode(baseline)
        let fromProgressive = try ImageDecoder.decode(progressive)
        #expect(Fixtures.maximumDifference(fromBaseline, fromProgressive) <= 2)
        let mismatches = Fixtures.blockMismatches(fromProgressive, colours, tolerance: 6)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// CMYK written by libjpeg-turbo (YCCK + Adobe marker, inverted samples) comes back as RGB.
    @Test func cmykFromTurboJPEG() throws {
        let image = Fixtures.blocks([Self.colours])
        // Inverted CMYK as libjpeg-turbo's `rgb_to_cmyk` makes it: K' = max(R, G, B), C' = R * 255 / K'...
        var cmyk: [UInt8] = []
        for pixel in 0..<image.pixelCount {
            let rgb = Fixtures.pixel(image, pixel % image.width, pixel / image.width).map(Int.init)
            let black = rgb.max()!
            cmyk += rgb.map { black == 0 ? 255 : UInt8($0 * 255 / black) } + [UInt8(black)]
        }
        let file = TurboJPEGFixture.encode(cmyk, width: image.width, height: image.height, format: TJPF_CMYK,
                                           subsampling: TJSAMP_444)
        Self.expectBlockColours(try ImageDecoder.decode(file), Self.colours, tolerance: 6)
    }

    /// CMYK written by ImageMagick: a second, independent writer of Adobe-inverted CMYK.
    @Test func cmykFromImageMagick() throws {
        Self.expectBlockColours(try ImageDecoder.decode(Fixtures.imageMagickCMYK), Fixtures.imageMagickCMYKColours,
                                tolerance: 6)
    }

    /// 4:1:0 sampling: TurboJPEG 2.1's header call fails to name it, the decoder still reads it.
    @Test func unnamedSubsampling() throws {
        let image = try ImageDecoder.decode(Fixtures.imageMagick410)
        #expect(image.width == 32 && image.height == 16 && image.channels == 3)
        for (x, y) in [(4, 4), (20, 4), (12, 12), (28, 12)] {
            let found = Fixtures.pixel(image, x, y)
            #expect(Fixtures.isClose(found, [UInt8(x * 8), UInt8(y * 16), 128], tolerance: 24), "\(x),\(y): \(found)")
        }
    }

    /// Stray bytes between header segments ("extraneous bytes before marker") lose no pixel: accepted, as
    /// browsers do, and decoded exactly as the clean file.
    @Test func strayBytesBetweenSegmentsAreAccepted() throws {
        let file = try ImageEncoder.jpeg(Fixtures.gradient(width: 16, height: 16, channels: 3))
        #expect(Array(file[20..<22]) == [0xFF, 0xDB])  // after the 18-byte JFIF APP0: a DQT segment
        let strayBytes = Array(file[..<20]) + [1, 2, 3] + Array(file[20...])
        #expect(try ImageDecoder.decode(strayBytes) == ImageDecoder.decode(file))
    }

    /// Damage that libjpeg only warns about but fills with grey is refused, naming libjpeg's message:
    /// scan data cut short before an appended EOI, a file cut in half with EOI appended, and a header
    /// that declares far more rows than the data carries.
    @Test func damagedScanDataIsRefused() throws {
        let file = try ImageEncoder.jpeg(Fixtures.gradient(width: 64, height: 64, channels: 3))
        #expect(Array(file.suffix(2)) == [0xFF, 0xD9])
        let holed = Array(file.dropLast(22)) + [0xFF, 0xD9]
        let halved = Array(file[..<(file.count / 2)]) + [0xFF, 0xD9]
        // SOF0 (T.81 B.2.2): FF C0, length (2), precision (1), then height and width (2 each).
        let frame = try #require((0..<file.count - 1).first { file[$0] == 0xFF && file[$0 + 1] == 0xC0 })
        var tall = file
        tall[frame + 5] = UInt8(7000 >> 8)
        tall[frame + 6] = UInt8(7000 & 0xFF)
        for damaged in [holed, halved, tall] {
            #expect {
                _ = try ImageDecoder.decode(damaged)
            } throws: { error in
                guard case ImageError.corrupt(let message) = error else { return false }
                return message.contains("damaged JPEG data") && message.contains("premature end")
            }
        }
    }

    /// Bytes after EOI (as some cameras append) are ignored, not taken for corruption.
    @Test func trailingBytesAfterEndOfImage() throws {
        let image = Fixtures.gradient(width: 16, height: 16, channels: 3)
        let file = try ImageEncoder.jpeg(image)
        let decoded = try ImageDecoder.decode(file)
        #expect(try ImageDecoder.decode(file + Array(repeating: 0x55, count: 100)) == decoded)
        #expect(try ImageDecoder.decode(file + [0, 0]) == decoded)
    }
}
