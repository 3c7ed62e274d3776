import CZlib
import Testing
@testable import Imaging

/// The strip-parallel PNG encoder: decoded by libspng (which checks every CRC and the Adler-32) to the exact
/// pixels, and its image data inflating to the same filtered bytes as the slow reference's.
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
                    let compression = PNG.Compression(level: 1, strategy: Z_DEFAULT_STRATEGY, stripBytes: stripRows * rowBytes)
                    let file = try PNG.encode(image, compression: compression, threads: threads)
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
            for strategy in [Z_DEFAULT_STRATEGY, Z_RLE, Z_FILTERED] {
                let compression = PNG.Compression(level: 1, strategy: strategy, stripBytes: 3 * (1 + width * channels))
                let ours = Self.inflate(Self.imageData(try PNG.encode(image, compression: compression, threads: 2)),
                                        expectedLength: filteredLength)
                #expect(ours == reference, "\(width)x\(height)x\(channels), strategy \(strategy)")
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

    @Test func filterUpMatchesItsDefinition() {
        let image = Self.image(width: 5, height: 4, channels: 3, seed: 11)
        let rowBytes = 15
        var filtered = [UInt8](repeating: 0, count: 2 * (rowBytes + 1))
        filtered.withUnsafeMutableBufferPointer { PNG.filterUp(image, rows: 1..<3, into: $0) }
        for row in 0..<2 {
            #expect(filtered[row * (rowBytes + 1)] == 2)
            for byte in 0..<rowBytes {
                let value = image.pixels[(row + 1) * rowBytes + byte] &- image.pixels[row * rowBytes + byte]
                #expect(filtered[row * (rowBytes + 1) + 1 + byte] == value)
            }
        }
    }
}
