import Imaging
import Testing
@testable import Matting

@Suite struct CompositeTests {
    /// A `width` x `height` RGBA cut-out from per-pixel colour and alpha.
    static func cutout(width: Int, height: Int, alpha: (Int, Int) -> UInt8, colour: (Int, Int) -> [UInt8]) -> Image {
        var image = Image(width: width, height: height, channels: 4)
        for y in 0..<height {
            for x in 0..<width {
                image.pixels.replaceSubrange((y * width + x) * 4..<(y * width + x) * 4 + 4, with: colour(x, y) + [alpha(x, y)])
            }
        }
        return image
    }

    static func pixel(_ image: Image, _ x: Int, _ y: Int) -> [UInt8] {
        let base = (y * image.width + x) * image.channels
        return Array(image.pixels[base..<base + image.channels])
    }

    @Test func boxSumMatchesItsReference() {
        var generator = SystemRandomNumberGenerator()
        for width in [1, 2, 5, 17] {
            for height in [1, 3, 8] {
                for radius in [0, 1, 2, 6, 20] {
                    let values = (0..<width * height).map { _ in Float(Int.random(in: 0...255, using: &generator)) }
                    let fast = Composite.boxSum(values, width: width, height: height, radius: radius)
                    let slow = Composite.boxSumReference(values, width: width, height: height, radius: radius)
                    #expect(zip(fast, slow).allSatisfy { abs($0 - $1) <= 1e-3 * max(1, abs($1)) }, "\(width)x\(height) r\(radius)")
                }
            }
        }
    }

    /// Straight-alpha "over", rounded to nearest: `(f * a + b * (255 - a) + 127) / 255`.
    @Test func overAColourIsExact() {
        let alphas: [UInt8] = [255, 0, 128, 1, 254]
        let person = Self.cutout(width: 5, height: 1, alpha: { x, _ in alphas[x] }, colour: { _, _ in [200, 100, 50] })
        let composite = Composite.make(cutout: person, over: .colour(red: 0, green: 0, blue: 255))
        #expect(composite.channels == 3)
        #expect(Self.pixel(composite, 0, 0) == [200, 100, 50])
        #expect(Self.pixel(composite, 1, 0) == [0, 0, 255])
        // (200 * 128 + 127) / 255 = 100, (100 * 128 + 127) / 255 = 50, (50 * 128 + 255 * 127 + 127) / 255 = 152.
        #expect(Self.pixel(composite, 2, 0) == [100, 50, 152])
        #expect(Self.pixel(composite, 3, 0) == [1, 0, 254])
        #expect(Self.pixel(composite, 4, 0) == [199, 100, 51])
    }

    @Test func overAnImage() {
        let person = Self.cutout(width: 4, height: 2, alpha: { x, _ in x < 2 ? 255 : 0 }, colour: { _, _ in [200, 100, 50] })
        // A 2x1 backdrop (black | white) covers 4x2: scaled by 2, left half black, right half white.
        let backdrop = Image(width: 2, height: 1, channels: 3, pixels: [0, 0, 0, 255, 255, 255])
        let composite = Composite.make(cutout: person, over: .image(backdrop))
        #expect(Self.pixel(composite, 0, 0) == [200, 100, 50])
        #expect(Self.pixel(composite, 3, 1) == [255, 255, 255])
    }

    /// A wider image is scaled to the frame's height and cropped at both sides, evenly.
    @Test func coverCropsAWideImageAtTheSides() {
        // 8x2, column x holding 10 * x: covering 4x2 keeps scale 1 and columns 2...5.
        let wide = Image(width: 8, height: 2, channels: 1, pixels: (0..<16).map { UInt8($0 % 8 * 10) })
        let covered = Composite.cover(wide, width: 4, height: 2)
        #expect((covered.width, covered.height, covered.channels) == (4, 2, 3))
        #expect((0..<4).map { Self.pixel(covered, $0, 1)[0] } == [20, 30, 40, 50])
    }

    /// A taller image is scaled to the frame's width and cropped at top and bottom, evenly.
    @Test func coverScalesATallImageAndCropsTopAndBottom() {
        // 2x8, row y holding 10 * y, covering 4x4: scale 2, a window 2 rows high centred at rows 3...4.
        // Output row r samples source row (r + 0.5) / 2 + 3 - 0.5: 2.75, 3.25, 3.75, 4.25.
        let tall = Image(width: 2, height: 8, channels: 3, pixels: (0..<48).map { UInt8($0 / 6 * 10) })
        let covered = Composite.cover(tall, width: 4, height: 4)
        #expect((0..<4).map { Self.pixel(covered, 1, $0)[0] } == [28, 33, 38, 43])
        #expect(Set((0..<4).map { Self.pixel(covered, $0, 2) }) == [[38, 38, 38]])
    }

    /// RGBA backdrops are flattened over white before scaling.
    @Test func coverFlattensTransparentImages() {
        let clear = Image(width: 2, height: 2, channels: 4, pixels: [0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 255])
        let covered = Composite.cover(clear, width: 2, height: 2)
        #expect(Self.pixel(covered, 0, 0) == [255, 255, 255] && Self.pixel(covered, 1, 0) == [0, 0, 0])
    }

    /// The pipeline's background estimate is what gets blurred: a red person on grey, with a grey estimate,
    /// leaves the backdrop grey everywhere, next to the person and behind it.
    @Test func blurUsesTheBackgroundEstimate() {
        let width = 60, height = 40
        let inside = { (x: Int, y: Int) in (20..<40).contains(x) && (8..<32).contains(y) }
        let person = Self.cutout(width: width, height: height, alpha: { x, y in inside(x, y) ? 255 : 0 },
                                 colour: { x, y in inside(x, y) ? [255, 0, 0] : [128, 128, 128] })
        let estimate = Image(width: width, height: height, channels: 3, filling: 128)
        let matte = Matte(alpha: Image(width: width, height: height, channels: 1), cutout: person, backgroundEstimate: estimate,
                          timings: StageTimings())
        let composite = Composite.make(matte, over: .blur(radius: 12))
        for y in 0..<height {
            for x in 0..<width {
                #expect(Self.pixel(composite, x, y) == (inside(x, y) ? [255, 0, 0] : [128, 128, 128]), "(\(x), \(y))")
            }
        }
        #expect(Composite.blurred(estimate, radius: 12) == estimate)

        // Without an estimate the cut-out's colours are blurred with the person weighted out: still grey
        // beside the person, but a window holding only the person falls back to its colour.
        let fallback = Composite.blurredBackground(of: person, radius: 4)
        #expect(Self.pixel(fallback, 19, 20).allSatisfy { (127...129).contains($0) })
        #expect(Self.pixel(fallback, 30, 20)[0] > 200)
    }

    /// Blurring the estimate does blur it: a sharp edge becomes a ramp, symmetric about the edge.
    @Test func blurredEstimateSoftensEdges() {
        let width = 40, height = 10
        var estimate = Image(width: width, height: height, channels: 3)
        for y in 0..<height {
            for x in 20..<width { estimate.pixels.replaceSubrange((y * width + x) * 3..<(y * width + x) * 3 + 3, with: [200, 200, 200]) }
        }
        let blurred = Composite.blurred(estimate, radius: 5)
        let row = (0..<width).map { Int(Self.pixel(blurred, $0, 5)[0]) }
        #expect(row[0] == 0 && row[width - 1] == 200)
        #expect(zip(row, row.dropFirst()).allSatisfy { $0 <= $1 }, "\(row)")
        #expect((60...140).contains(row[19]) && (60...140).contains(row[20]), "\(row)")
        #expect(abs(row[19] + row[20] - 200) <= 2, "\(row)")
    }

    @Test func blurOfTheCutoutKeepsThePersonOutOfTheBackground() {
        // Person (alpha 255) is bright red in the middle columns; background is uniform blue.
        let width = 40, height = 20
        let person = Self.cutout(width: width, height: height, alpha: { x, _ in (15..<25).contains(x) ? 255 : 0 },
                                 colour: { x, _ in (15..<25).contains(x) ? [255, 0, 0] : [0, 0, 255] })
        let background = Composite.blurredBackground(of: person, radius: 6)
        // Behind the person the background is filled from the blue around it, not smeared red.
        let middle = Self.pixel(background, width / 2, height / 2)
        #expect(middle[0] < 10 && middle[2] > 245)
        let composite = Composite.make(cutout: person, over: .blur(radius: 6))
        #expect(Self.pixel(composite, width / 2, height / 2) == [255, 0, 0])
        #expect(Self.pixel(composite, 0, 0)[2] > 245)
    }

    @Test func largePhotosAreBlurredOnASmallerGrid() {
        let person = Self.cutout(width: 1500, height: 20, alpha: { _, _ in 0 }, colour: { x, _ in [UInt8(x % 256), 0, 0] })
        let background = Composite.blurredBackground(of: person, radius: 30)
        #expect(background.width == 1500 && background.height == 20)
        let uniform = Image(width: 1500, height: 20, channels: 3, filling: 77)
        #expect(Composite.blurred(uniform, radius: 30) == uniform)
    }

    /// Rows split over threads give the same bytes as one thread, for every backdrop and for sizes whose
    /// rows (and blur-grid rows, 1100 px wide: step 3) do not divide evenly.
    @Test(arguments: [(1, 1), (7, 3), (1100, 13), (33, 517)])
    func threadsChangeNothing(width: Int, height: Int) {
        let person = Self.cutout(width: width, height: height, alpha: { x, y in UInt8((x * 37 + y * 11) % 256) },
                                 colour: { x, y in [UInt8(x % 256), UInt8(y % 256), UInt8((x ^ y) % 256)] })
        var estimate = Image(width: width, height: height, channels: 3)
        for index in estimate.pixels.indices { estimate.pixels[index] = UInt8((index * 7) % 256) }
        let backdropImage = Self.cutout(width: 40, height: 25, alpha: { x, _ in UInt8(x * 6) }, colour: { x, y in [UInt8(x), UInt8(y), 9] })
        let backdrops: [Backdrop] = [.colour(red: 10, green: 200, blue: 30), .image(backdropImage), .blur(radius: 5)]
        for (kind, backdrop) in zip(["colour", "image", "blur"], backdrops) {
            for background in [nil, estimate] {
                let single = Composite.make(cutout: person, backgroundEstimate: background, over: backdrop, threads: 1)
                for threads in [2, 3] {
                    #expect(Composite.make(cutout: person, backgroundEstimate: background, over: backdrop, threads: threads) == single,
                            "\(kind), estimate \(background != nil), \(threads) threads")
                }
            }
        }
    }

    @Test func coloursByNameAndHex() {
        #expect(Colour("#FF8000") == Colour(red: 255, green: 128, blue: 0))
        #expect(Colour("#ff8000") == Colour(red: 255, green: 128, blue: 0))
        #expect(Colour("White") == Colour(red: 255, green: 255, blue: 255))
        #expect(Colour("gray") == Colour("grey"))
        for text in ["#ff800", "#ff80001", "ff8000", "#gg0000", "", "#", "transparent"] {
            #expect(Colour(text) == nil, "\(text)")
        }
    }
}
