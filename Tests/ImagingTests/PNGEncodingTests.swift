import CZlib
import Testing
@testable import Imaging

/// The strip-parallel PNG encoder: decoded by libspng (which checks every CRC and the Adler-32) to the exact
/// pixels, and its image data inflating (by zlib) to the same filtered bytes as the slow reference's.
@Suite struct PNGEncodingTests {
    /// Odd sizes, single rows and columns, and sizes whose rows do and do not fill strips exactly.
    static let sizes = [(1, 1), (1, 9), (9, 1), (7, 5), (33, 17), (64, 64), (301, 41)]

    /// Noise over a gradient, so deflate finds some matches and many literals.
    static func image(width: Int, height: Int, channels: Int, seed: UInt64) -> Image {
        var generator = SeededGenerator(seed: seed)
        var image = Fixtures.gradient(width: width, height: height, channels: channels)
        for index in image.pixels.indices where Int.random(in: 0..<4, using: &generator) == 0 {
            image.pixels[index] = UInt8.random(in: 0...255, using: &generator)
        }
        return image
    }

    /// The concatenated IDAT data of a PNG file (chunks walked from the signature).
    static func imageData(_ file: [UInt8]) -> [UInt8] {
        var data: [UInt8] = []
        var position = 8
        while position + 12 <= file.count {
            let length = file[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
            if file[position + 4..<position + 8].elementsEqual("IDAT".utf8) {
                data += file[position + 8..<position + 8 + length]
            }
            position += 12 + length
        }
        return data
    }

    /// The zlib stream inflated with zlib's `uncompress`, which also checks the Adler-32; nil on any error.
    static func inflate(_ stream: [UInt8], expectedLength: Int) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: expectedLength + 1)
        var length = uLong(output.count)
        guard uncompress(&output, &length, stream, uLong(stream.count)) == Z_OK else { return nil }
        return Array(output[0..<Int(length)])
    }

    @Test(arguments: [1, 3, 4])
    func roundTripIsExactAtEveryStripSize(channels: Int) throws {
        for (width, height) in Self.sizes {
            let image = Self.image(width: width, height: height, channels: channels, seed: UInt64(width * 1000 + height))
            let rowBytes = 1 + width * channels
            // One row per strip, a few rows, a strip size that does not divide the height, one strip.
            for stripRows in [1, 2, 3, 7, height] {
                for threads in [1, 2, 3] {
                    let file = try PNG.encode(image, stripBytes: stripRows * rowBytes, threads: threads)
                    #expect(try ImageDecoder.decode(file) == image,
                            "\(width)x\(height)x\(channels), \(stripRows) rows a strip, \(threads) threads")
                }
            }
        }
    }

    @Test(arguments: [1, 3, 4])
    func imageDataMatchesTheReference(channels: Int) throws {
        for (width, height) in Self.sizes {
            let image = Self.image(width: width, height: height, channels: channels, seed: UInt64(height * 1000 + width))
            let filteredLength = height * (1 + width * channels)
            let reference = Self.inflate(Self.imageData(try PNG.encodeReference(image)), expectedLength: filteredLength)
            #expect(reference?.count == filteredLength)
            for stripRows in [1, 3, height] {
                let file = try PNG.encode(image, stripBytes: stripRows * (1 + width * channels), threads: 2)
                let ours = Self.inflate(Self.imageData(file), expectedLength: filteredLength)
                #expect(ours == reference, "\(width)x\(height)x\(channels), \(stripRows) rows a strip")
            }
        }
    }

    /// The standard settings on a photo-sized image: many strips, each of the two workers taking several.
    @Test(arguments: [1, 3, 4])
    func standardSettingsOnALargeImage(channels: Int) throws {
        let image = Self.image(width: 1021, height: 517, channels: channels, seed: 7)
        let file = try ImageEncoder.png(image)
        #expect(try ImageDecoder.decode(file) == image)
        #expect(ImageFormat.sniff(file) == .png)
        // The reference decodes to the same image.
        #expect(try ImageDecoder.decode(try PNG.encodeReference(image)) == image)
    }

    /// Image data longer than one IDAT chunk is split over several, which decoders join.
    @Test func largeImageDataSpansSeveralChunks() throws {
        var generator = SeededGenerator(seed: 3)
        var image = Image(width: 800, height: 700, channels: 4)
        for index in image.pixels.indices { image.pixels[index] = UInt8.random(in: 0...255, using: &generator) }
        let file = try ImageEncoder.png(image)
        var chunks = 0
        var position = 8
        while position + 12 <= file.count {
            let length = file[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
            if file[position + 4..<position + 8].elementsEqual("IDAT".utf8) {
                chunks += 1
                #expect(length <= PNG.maximumChunkData)
            }
            position += 12 + length
        }
        #expect(position == file.count)
        #expect(chunks >= 2)
        #expect(try ImageDecoder.decode(file) == image)
    }

    @Test(arguments: [1, 3, 4])
    func paethFilterMatchesItsReference(channels: Int) {
        for (width, height) in Self.sizes + [(16, 3), (17, 3), (40, 9)] {
            let image = Self.image(width: width, height: height, channels: channels, seed: UInt64(width + 7 * height))
            let rowBytes = 1 + width * channels
            let reference = PNG.filterPaethReference(image)
            // Whole image, and rows from the middle (the first row is filtered differently).
            var filtered = [UInt8](repeating: 0, count: height * rowBytes)
            filtered.withUnsafeMutableBufferPointer { PNG.filterPaeth(image, rows: 0..<height, into: $0) }
            #expect(filtered == reference, "\(width)x\(height)x\(channels)")
            if height > 2 {
                var middle = [UInt8](repeating: 0, count: (height - 2) * rowBytes)
                middle.withUnsafeMutableBufferPointer { PNG.filterPaeth(image, rows: 1..<height - 1, into: $0) }
                #expect(middle[...] == reference[rowBytes..<(height - 1) * rowBytes], "\(width)x\(height)x\(channels)")
            }
        }
    }

    /// Every case of the predictor, against the spec's definition written out.
    @Test func paethPredictorTiesGoLeftThenUp() {
        #expect(PNG.paethPredictor(left: 10, up: 10, upLeft: 10) == 10)
        #expect(PNG.paethPredictor(left: 10, up: 20, upLeft: 10) == 20)  // estimate 20: up exactly
        #expect(PNG.paethPredictor(left: 20, up: 10, upLeft: 10) == 20)  // estimate 20: left exactly
        #expect(PNG.paethPredictor(left: 10, up: 20, upLeft: 15) == 15)  // estimate 15: up-left exactly
        #expect(PNG.paethPredictor(left: 40, up: 10, upLeft: 20) == 40)  // estimate 30: left and up-left tie, left wins
        #expect(PNG.paethPredictor(left: 10, up: 40, upLeft: 20) == 40)  // estimate 30: up and up-left tie, up wins
        #expect(PNG.paethPredictor(left: 0, up: 255, upLeft: 255) == 0)
        #expect(PNG.paethPredictor(left: 100, up: 120, upLeft: 200) == 100)  // estimate 20: left is nearest
        #expect(PNG.paethPredictor(left: 30, up: 200, upLeft: 100) == 100)  // estimate 130: up-left is nearest
    }
}
