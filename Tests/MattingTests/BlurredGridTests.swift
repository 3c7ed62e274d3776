import Imaging
import Testing
@testable import Matting

/// The blur on its coarse grid: the fast cell sums against their reference, and the one-pass composite
/// against blending a cut-out over the full-size blur.
@Suite struct BlurredGridTests {
    static func random(width: Int, height: Int, channels: Int, seed: UInt64) -> Image {
        var random = TestRandom(seed: seed)
        return Image(width: width, height: height, channels: channels,
                     pixels: (0..<width * height * channels).map { _ in UInt8(random.next() % 256) })
    }

    /// Sizes with one pixel a cell and with several (the longer side over `Composite.blurGridSide`),
    /// cells cut short at the right and bottom edges.
    static let sizes = [(1, 1), (7, 3), (1100, 13), (33, 517), (1537, 9)]

    @Test(arguments: sizes)
    func cellSumsMatchTheirReference(width: Int, height: Int) {
        for weighted in [false, true] {
            let image = Self.random(width: width, height: height, channels: weighted ? 4 : 3, seed: UInt64(width * 7 + height))
            let grid = BlurredGrid(image, radius: 5, weightedByTransparency: weighted)
            for threads in [1, 3] {
                let fast = BlurredGrid.cellSums(image, step: grid.step, gridWidth: grid.gridWidth, gridHeight: grid.gridHeight,
                                                weightedByTransparency: weighted, threads: threads)
                let reference = BlurredGrid.cellSumsReference(image, step: grid.step, gridWidth: grid.gridWidth,
                                                              gridHeight: grid.gridHeight, weightedByTransparency: weighted)
                #expect(fast == reference, "\(width)x\(height), weighted \(weighted), \(threads) threads")
            }
        }
    }

    @Test(arguments: sizes)
    func theCompositeIsTheCutoutBlendedOverTheBlur(width: Int, height: Int) {
        let room = Self.random(width: width, height: height, channels: 4, seed: 3)
        let grid = BlurredGrid(room, radius: 9, weightedByTransparency: true)
        // Alpha of every kind: transparent, opaque and between.
        var alpha = Self.random(width: width, height: height, channels: 1, seed: 5)
        for index in alpha.pixels.indices where index % 3 != 2 { alpha.pixels[index] = index % 3 == 0 ? 0 : 255 }
        for colours in [Self.random(width: width, height: height, channels: 3, seed: 7), room] {
            let expected = Composite.blend(Cutout.make(photo: colours, alpha: alpha), over: grid.image())
            for threads in [1, 2] {
                #expect(grid.composite(colours: colours, alpha: alpha, threads: threads) == expected,
                        "\(width)x\(height), \(colours.channels) channels, \(threads) threads")
            }
        }
    }

    @Test func coveringAnImageOfTheSameSizeKeepsItAsItIs() {
        let image = Self.random(width: 31, height: 17, channels: 3, seed: 11)
        #expect(Composite.cover(image, width: 31, height: 17) == image)
    }
}
