import CSPNG
import Testing
@testable import Imaging

/// Every PNG colour type and bit depth, written with libspng directly and read through `ImageDecoder`.
@Suite struct PNGDecodingTests {
    /// 1/2/4/8-bit grey is scaled to 0...255 (sample * 255 / (2^depth - 1)).
    @Test(arguments: [1, 2, 4, 8])
    func lowBitDepthGrey(bitDepth: Int) throws {
        let maximum = (1 << bitDepth) - 1
        let (width, height) = (11, 3)  // odd width: rows end mid-byte
        let samples = (0..<(width * height)).map { ($0 * 7) % (maximum + 1) }
        let file = PNGFixture(width: width, height: height, colorType: SPNG_COLOR_TYPE_GRAYSCALE,
                              bitDepth: bitDepth, samples: samples).write()
        let image = try ImageDecoder.decode(file)
        #expect(image.channels == 1 && image.width == width && image.height == height)
        #expect(image.pixels == samples.map { UInt8($0 * 255 / maximum) })
    }

    /// 16-bit samples keep their high byte.
    @Test func sixteenBitGrey() throws {
        let samples = [0x0000, 0x00FF, 0x0100, 0x7F80, 0x8000, 0xFFFF]
        let file = PNGFixture(width: 3, height: 2, colorType: SPNG_COLOR_TYPE_GRAYSCALE, bitDepth: 16,
                              samples: samples).write()
        let image = try ImageDecoder.decode(file)
        #expect(image.channels == 1)
        #expect(image.pixels == samples.map { UInt8($0 >> 8) })
    }

    @Test func sixteenBitColour() throws {
        let rgb = [0x1234, 0xABCD, 0xFFFF, 0x0000, 0x00FF, 0x8081]
        let rgbImage = try ImageDecoder.decode(PNGFixture(width: 2, height: 1, colorType: SPNG_COLOR_TYPE_TRUECOLOR,
                                                          bitDepth: 16, samples: rgb).write())
        #expect(rgbImage.channels == 3)
        #expect(rgbImage.pixels == rgb.map { UInt8($0 >> 8) })

        let rgba = [0x1234, 0xABCD, 0xFFFF, 0x0101, 0x0000, 0x00FF, 0x8081, 0xFEFF]
        let rgbaImage = try ImageDecoder.decode(PNGFixture(width: 2, height: 1, colorType: SPNG_COLOR_TYPE_TRUECOLOR_ALPHA,
                                                           bitDepth: 16, samples: rgba).write())
        #expect(rgbaImage.channels == 4)
        #expect(rgbaImage.pixels == rgba.map { UInt8($0 >> 8) })
    }

    /// Grey + alpha becomes RGBA with the grey repeated.
    @Test(arguments: [8, 16])
    func greyAlpha(bitDepth: Int) throws {
        let scale = bitDepth == 16 ? 257 : 1
        let pairs = [(0, 255), (100, 0), (200, 128), (255, 7)]
        let samples = pairs.flatMap { [$0.0 * scale, $0.1 * scale] }
        let image = try ImageDecoder.decode(PNGFixture(width: 2, height: 2, colorType: SPNG_COLOR_TYPE_GRAYSCALE_ALPHA,
                                                       bitDepth: bitDepth, samples: samples).write())
        #expect(image.channels == 4)
        #expect(image.pixels == pairs.flatMap { [UInt8($0.0), UInt8($0.0), UInt8($0.0), UInt8($0.1)] })
    }

    static let palette: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [17, 34, 51]]

    @Test(arguments: [1, 2, 4, 8])
    func paletteWithoutTransparency(bitDepth: Int) throws {
        let colours = Array(Self.palette.prefix(1 << min(bitDepth, 2)))
        let indices = (0..<15).map { ($0 * 5) % colours.count }
        let image = try ImageDecoder.decode(PNGFixture(width: 5, height: 3, colorType: SPNG_COLOR_TYPE_INDEXED,
                                                       bitDepth: bitDepth, samples: indices, palette: colours).write())
        #expect(image.channels == 3)
        #expect(image.pixels == indices.flatMap { colours[$0] })
    }

    /// tRNS gives alpha per palette entry; entries past its end are opaque.
    @Test(arguments: [2, 8])
    func paletteWithTransparency(bitDepth: Int) throws {
        var transparency = spng_trns()
        transparency.n_type3_entries = 2
        transparency.type3_alpha.0 = 0
        transparency.type3_alpha.1 = 99
        let indices = [0, 1, 2, 3, 3, 2, 1, 0]
        let image = try ImageDecoder.decode(PNGFixture(width: 4, height: 2, colorType: SPNG_COLOR_TYPE_INDEXED,
                                                       bitDepth: bitDepth, samples: indices, palette: Self.palette,
                                                       transparency: transparency).write())
        #expect(image.channels == 4)
        let alphas: [UInt8] = [0, 99, 255, 255]
        #expect(image.pixels == indices.flatMap { Self.palette[$0] + [alphas[$0]] })
    }

    /// Grey and RGB with a tRNS colour key become RGBA: the keyed colour is transparent.
    @Test func colourKeyTransparency() throws {
        var greyKey = spng_trns()
        greyKey.gray = 50
        let grey = try ImageDecoder.decode(PNGFixture(width: 3, height: 1, colorType: SPNG_COLOR_TYPE_GRAYSCALE,
                                                      bitDepth: 8, samples: [10, 50, 90], transparency: greyKey).write())
        #expect(grey.pixels == [10, 10, 10, 255, 50, 50, 50, 0, 90, 90, 90, 255])

        var rgbKey = spng_trns()
        (rgbKey.red, rgbKey.green, rgbKey.blue) = (1, 2, 3)
        let rgb = try ImageDecoder.decode(PNGFixture(width: 2, height: 1, colorType: SPNG_COLOR_TYPE_TRUECOLOR,
                                                     bitDepth: 8, samples: [1, 2, 3, 1, 2, 4], transparency: rgbKey).write())
        #expect(rgb.pixels == [1, 2, 3, 0, 1, 2, 4, 255])
    }

    @Test func interlaced() throws {
        let image = Fixtures.gradient(width: 13, height: 9, channels: 3)
        let file = PNGFixture(width: 13, height: 9, colorType: SPNG_COLOR_TYPE_TRUECOLOR, bitDepth: 8,
                              samples: image.pixels.map(Int.init), interlaced: true).write()
        #expect(try ImageDecoder.decode(file) == image)
    }

    /// An eXIf chunk's orientation is applied, for every value and both byte orders.
    @Test(arguments: Orientation.allCases)
    func exifOrientation(orientation: Orientation) throws {
        let stored = Fixtures.gradient(width: 5, height: 3, channels: 3)
        for bigEndian in [false, true] {
            let file = PNGFixture(width: 5, height: 3, colorType: SPNG_COLOR_TYPE_TRUECOLOR, bitDepth: 8,
                                  samples: stored.pixels.map(Int.init),
                                  exif: EXIFFixture.tiff(orientation: orientation.rawValue, bigEndian: bigEndian)).write()
            #expect(try ImageDecoder.decode(file) == stored.applying(orientation))
            #expect(try ImageDecoder.decode(file, options: DecodeOptions(applyOrientation: false)) == stored)
        }
    }
}
