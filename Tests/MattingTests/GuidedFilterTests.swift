import Testing
import Imaging
@testable import Matting

@Suite struct GuidedFilterTests {
    @Test(arguments: [(1, 1, 0), (7, 5, 1), (13, 9, 3), (4, 20, 6)])
    func boxMeanMatchesBruteForce(width: Int, height: Int, radius: Int) {
        let values = (0..<width * height).map { Float(($0 * 37) % 11) }
        let fast = GuidedFilter.boxMean(values, width: width, height: height, radius: radius)
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0, count: Float = 0
                for v in max(0, y - radius)...min(height - 1, y + radius) {
                    for u in max(0, x - radius)...min(width - 1, x + radius) {
                        sum += values[v * width + u]
                        count += 1
                    }
                }
                #expect(abs(fast[y * width + x] - sum / count) < 1e-4)
            }
        }
    }

    /// The coefficients fitted on interleaved planes against the plane-at-a-time reference, to the bit:
    /// grids from one pixel to wider than tall and taller than wide, radii beyond the grid, grey and RGB
    /// guides, an input on the grid and one resampled to it, one and several threads.
    @Test(arguments: [(1, 1, 1, 3), (7, 5, 1, 3), (13, 9, 3, 1), (4, 20, 6, 3), (37, 23, 7, 3), (64, 3, 2, 4)])
    func coefficientsMatchReference(width: Int, height: Int, radius: Int, channels: Int) {
        var random = TestRandom(seed: UInt64(width * 101 + height))
        let guide = Image(width: width, height: height, channels: channels,
                          pixels: (0..<width * height * channels).map { _ in UInt8(random.next() % 256) })
        let filter = GuidedFilter(radius: radius, epsilon: 1e-3)
        for input in [Plane(width: width, height: height, values: (0..<width * height).map { _ in Float(random.next() % 1000) / 999 }),
                      Plane(width: 5, height: 4, values: (0..<20).map { _ in Float(random.next() % 1000) / 999 })] {
            let reference = filter.coefficientsReference(input: input, lowGuide: guide, lowRadius: radius, threads: 1)
            for threads in [1, 2, 3] {
                #expect(filter.coefficients(input: input, lowGuide: guide, lowRadius: radius, threads: threads) == reference)
            }
        }
    }

    @Test func constantInputStaysConstant() {
        let guide = Image(width: 40, height: 30, channels: 3, pixels: (0..<3600).map { UInt8(($0 * 7) % 256) })
        let input = Plane(width: 10, height: 10, filling: 0.25)
        let output = GuidedFilter(radius: 4, subsampling: 2).apply(input: input, guide: guide)
        #expect(output.width == 40 && output.height == 30)
        #expect(output.values.allSatisfy { abs($0 - 0.25) < 1e-3 })
    }

    /// A blurry mask over a sharp two-colour photo comes out with the photo's sharp edge.
    @Test func edgeFollowsGuide() {
        let width = 64, height = 32
        var guide = Image(width: width, height: height, channels: 3)
        for y in 0..<height { for x in 0..<width where x >= 30 {
            let base = (y * width + x) * 3
            guide.pixels[base] = 220; guide.pixels[base + 1] = 180; guide.pixels[base + 2] = 40
        } }
        // Coarse mask: a ramp over x 22...38, centred on the edge.
        var coarse = Plane(width: width, height: height)
        for y in 0..<height { for x in 0..<width { coarse[x, y] = min(max((Float(x) - 22) / 16, 0), 1) } }
        let alpha = GuidedFilter(radius: 4, epsilon: 1e-4, subsampling: 1).apply(input: coarse, guide: guide)
        // The ramp rises 1/16 per pixel; the filtered alpha jumps at the photo's edge and is flatter than the ramp
        // on either side of it.
        #expect(alpha[30, 16] - alpha[29, 16] > 0.25)
        #expect(abs(alpha[28, 16] - alpha[27, 16]) < 0.04)
        #expect(abs(alpha[32, 16] - alpha[31, 16]) < 0.04)
    }
}

@Suite struct SelfieWarpTests {
    @Test func cornerToCornerSampling() {
        // 2x1 source warped to 4x2: x samples at 0, 0.5, 1, 1.5 (the last half outside: 0).
        let image = Image(width: 2, height: 1, channels: 1, pixels: [0, 255])
        let warped = SelfieSegmenter.cornerWarp(image, width: 4, height: 2)
        let red = stride(from: 0, to: warped.count, by: 3).map { warped[$0] }
        #expect(red[0...3] == [0, 0.5, 1, 0.5])
        // Row 1 samples y = 0.5: half of the row below is outside.
        #expect(red[4...7] == [0, 0.25, 0.5, 0.25])
    }
}
