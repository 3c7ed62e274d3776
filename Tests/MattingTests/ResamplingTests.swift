import Testing
@testable import Imaging
@testable import Matting

/// Image resampling used before the networks and by the refinement's working grid.
@Suite struct ResamplingTests {
    static func randomImage(width: Int, height: Int, channels: Int, seed: UInt64) -> Image {
        var random = TestRandom(seed: seed)
        return Image(width: width, height: height, channels: channels,
                     pixels: (0..<width * height * channels).map { _ in UInt8(random.next() % 256) })
    }

    /// Area downsampling against the obvious loop: each output pixel the rounded mean of the
    /// source pixels that map into it, for several sizes, channel counts and thread counts.
    @Test(arguments: [(9, 7, 3, 2, 1), (20, 11, 7, 4, 3), (33, 17, 33, 1, 4), (64, 36, 16, 9, 3), (5, 5, 5, 5, 1)])
    func areaDownsamplingMatchesBruteForce(width: Int, height: Int, newWidth: Int, newHeight: Int, channels: Int) {
        let image = Self.randomImage(width: width, height: height, channels: channels, seed: UInt64(width * 31 + height))
        for threads in [1, 2, 3] {
            let fast = image.areaDownsampled(width: newWidth, height: newHeight, threads: threads)
            #expect(fast.width == newWidth && fast.height == newHeight && fast.channels == channels)
            for cellY in 0..<newHeight {
                for cellX in 0..<newWidth {
                    for channel in 0..<channels {
                        var sum = 0, count = 0
                        for y in 0..<height where y * newHeight / height == cellY {
                            for x in 0..<width where x * newWidth / width == cellX {
                                sum += Int(image.pixels[(y * width + x) * channels + channel])
                                count += 1
                            }
                        }
                        let expected = UInt8((sum + count / 2) / count)
                        #expect(fast.pixels[(cellY * newWidth + cellX) * channels + channel] == expected)
                    }
                }
            }
        }
    }

    /// A photo that is widened and shortened at once is resampled vertically first, so no intermediate
    /// is larger than the input or the output: a 1 x 4,000,000 strip to the detail network's 320 x 320
    /// once made a 320 x 4,000,000 intermediate (3.8 GB as RGB); now 1 x 320, and it takes milliseconds.
    @Test func extremeStripResizesWithinItsOwnSize() {
        let strip = Image(width: 1, height: 4_000_000, channels: 3, filling: 90)
        let clock = ContinuousClock()
        let start = clock.now
        let resized = strip.lanczosResized(width: 320, height: 320, threads: 2)
        #expect(clock.now - start < .seconds(5))
        #expect((resized.width, resized.height) == (320, 320))
        #expect(resized.pixels.allSatisfy { $0 == 90 })
        #expect(strip.verticalPassFirst(width: 320, height: 320))
        #expect(!Image(width: 1920, height: 1080, channels: 3).verticalPassFirst(width: 320, height: 320))
        #expect(!Image(width: 1080, height: 1920, channels: 3).verticalPassFirst(width: 320, height: 320))
    }

    /// Splitting the Lanczos resize over threads changes nothing.
    @Test func lanczosResizeIsTheSameOnAnyThreadCount() {
        let image = Self.randomImage(width: 131, height: 77, channels: 3, seed: 5)
        let one = image.lanczosResized(width: 40, height: 50, threads: 1)
        #expect(image.lanczosResized(width: 40, height: 50, threads: 2) == one)
        #expect(image.lanczosResized(width: 40, height: 50, threads: 7) == one)
    }

    /// The fast Lanczos passes against the plain one-sample-at-a-time loop, to the bit: shrinking and
    /// enlarging, each axis alone and both, grey, RGB and RGBA, row counts that do and do not fill
    /// the horizontal pass's blocks of four, on one and several threads.
    @Test(arguments: [(131, 77, 40, 50, 3), (64, 36, 64, 9, 1), (17, 5, 3, 5, 4), (9, 13, 31, 7, 3), (320, 181, 32, 32, 3),
                      (7, 6, 7, 19, 4), (1, 1, 5, 3, 1), (3, 200, 20, 10, 3), (1, 997, 32, 32, 1)])
    func lanczosResizeMatchesReference(width: Int, height: Int, newWidth: Int, newHeight: Int, channels: Int) {
        let image = Self.randomImage(width: width, height: height, channels: channels, seed: UInt64(width * 7 + height))
        let reference = image.lanczosResizedReference(width: newWidth, height: newHeight)
        #expect((reference.width, reference.height, reference.channels) == (newWidth, newHeight, channels))
        for threads in [1, 2, 3] {
            #expect(image.lanczosResized(width: newWidth, height: newHeight, threads: threads) == reference)
        }
    }
}
