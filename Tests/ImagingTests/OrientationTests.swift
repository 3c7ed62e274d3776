import Testing
@testable import Imaging

@Suite struct OrientationTests {
    /// A 3x2 grey image 1 2 3 / 4 5 6, and each orientation's upright result, worked out by hand from the
    /// TIFF 6.0 definitions (for example 6: row 0 is the visual right side, column 0 the visual top).
    static let stored = Image(width: 3, height: 2, channels: 1, pixels: [1, 2, 3, 4, 5, 6])
    static let upright: [Orientation: (width: Int, pixels: [UInt8])] = [
        .up: (3, [1, 2, 3, 4, 5, 6]),
        .upMirrored: (3, [3, 2, 1, 6, 5, 4]),
        .down: (3, [6, 5, 4, 3, 2, 1]),
        .downMirrored: (3, [4, 5, 6, 1, 2, 3]),
        .leftMirrored: (2, [1, 4, 2, 5, 3, 6]),
        .right: (2, [4, 1, 5, 2, 6, 3]),
        .rightMirrored: (2, [6, 3, 5, 2, 4, 1]),
        .left: (2, [3, 6, 2, 5, 1, 4]),
    ]

    @Test(arguments: Orientation.allCases)
    func handWorkedThreeByTwo(orientation: Orientation) {
        let expected = Self.upright[orientation]!
        let result = Self.stored.applying(orientation)
        #expect(result.width == expected.width && result.height == 6 / expected.width)
        #expect(result.pixels == expected.pixels)
    }

    /// The index-stepping fast path against the per-pixel definition, over shapes and channel counts.
    @Test(arguments: Orientation.allCases)
    func matchesDefinition(orientation: Orientation) {
        for (width, height) in [(1, 1), (1, 5), (5, 1), (2, 2), (4, 7), (16, 3)] {
            for channels in [1, 3, 4] {
                let image = Fixtures.gradient(width: width, height: height, channels: channels)
                let result = image.applying(orientation)
                let swapped = orientation.swapsDimensions
                #expect(result.width == (swapped ? height : width) && result.height == (swapped ? width : height))
                for y in 0..<result.height {
                    for x in 0..<result.width {
                        let source = orientation.sourceCoordinate(x: x, y: y, width: width, height: height)
                        #expect(Fixtures.pixel(result, x, y) == Fixtures.pixel(image, source.x, source.y))
                    }
                }
            }
        }
    }

    @Test func inversesRestore() {
        let image = Fixtures.gradient(width: 5, height: 3, channels: 3)
        let inverse: [Orientation: Orientation] = [
            .up: .up, .upMirrored: .upMirrored, .down: .down, .downMirrored: .downMirrored,
            .leftMirrored: .leftMirrored, .right: .left, .rightMirrored: .rightMirrored, .left: .right,
        ]
        for (orientation, undo) in inverse { #expect(image.applying(orientation).applying(undo) == image) }
    }

    /// An APP1 EXIF segment spliced into a JPEG: all eight values, little- and big-endian TIFF.
    @Test(arguments: Orientation.allCases)
    func jpegExif(orientation: Orientation) throws {
        // 3x2 blocks of distinct greys, 8x8 each, so the JPEG keeps every block's level.
        let levels: [[UInt8]] = [[0, 50, 100], [150, 200, 250]]
        let stored = Fixtures.blocks(levels.map { $0.map { [$0] } })
        let plain = try ImageEncoder.jpeg(stored, quality: 95)
        let raw = try ImageDecoder.decode(plain)
        for bigEndian in [false, true] {
            let file = EXIFFixture.jpeg(plain, orientation: orientation.rawValue, bigEndian: bigEndian)
            let upright = try ImageDecoder.decode(file)
            #expect(upright == raw.applying(orientation))
            #expect(try ImageDecoder.decode(file, options: DecodeOptions(applyOrientation: false)) == raw)
            // Block by block, against the hand-worked 3x2 table above (levels in place of 1...6).
            let expected = Self.upright[orientation]!
            for blockIndex in 0..<6 {
                let (blockX, blockY) = (blockIndex % expected.width, blockIndex / expected.width)
                let level = levels.flatMap { $0 }[Int(expected.pixels[blockIndex]) - 1]
                let found = Fixtures.pixel(upright, blockX * 8 + 4, blockY * 8 + 4)
                #expect(Fixtures.isClose(found, [level], tolerance: 4))
            }
        }
    }

    @Test(arguments: Orientation.allCases)
    func webpExif(orientation: Orientation) throws {
        let stored = Fixtures.gradient(width: 6, height: 4, channels: 3)
        let simple = try ImageEncoder.webp(stored)
        let file = EXIFFixture.webp(simple, width: 6, height: 4, orientation: orientation.rawValue)
        #expect(try ImageDecoder.decode(file) == stored.applying(orientation))
    }

    /// Values outside 1...8, and EXIF blocks that are not well formed, leave the image as stored.
    @Test func ignoresBadOrientation() throws {
        let stored = Fixtures.blocks([[[10], [200]]])
        let plain = try ImageEncoder.jpeg(stored)
        let raw = try ImageDecoder.decode(plain)
        for value in [0, 9, 255, 0xFFFF] {
            #expect(try ImageDecoder.decode(EXIFFixture.jpeg(plain, orientation: value)) == raw)
        }
        let tiff = EXIFFixture.tiff(orientation: 6, bigEndian: false)
        // Cut before the entry's value ends (byte 22): no orientation. Later cuts only lose the next-IFD link.
        for length in 0..<22 {
            #expect(EXIF.orientation(in: tiff[..<length]) == nil)
        }
        #expect(EXIF.orientation(in: tiff[...]) == .right)
        #expect(EXIF.orientation(in: (EXIF.identifier + tiff)[...]) == .right)
    }
}
