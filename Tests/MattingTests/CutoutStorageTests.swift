import Foundation
import Imaging
import Testing
@testable import Matting

/// What `run` stores: the cut-out black under alpha 0 and otherwise the matte's own, the matte and the
/// composite byte for byte what encoding them alone gives.
@Suite struct CutoutStorageTests {
    /// A stand-in matter: alpha a ramp across the photo (0 on the left third, 255 on the right third),
    /// the cut-out the photo's colours under it.
    struct RampMatter: PortraitMatting {
        var threads: Int { 2 }

        func matte(_ image: Image, options: MattingOptions) throws -> Matte {
            var alpha = Image(width: image.width, height: image.height, channels: 1)
            for y in 0..<image.height {
                for x in 0..<image.width {
                    alpha.pixels[y * image.width + x] = UInt8(min(255, max(0, (3 * x - image.width) * 255 / max(1, image.width))))
                }
            }
            return Matte(alpha: alpha, cutout: Cutout.make(photo: image, alpha: alpha), timings: StageTimings())
        }
    }

    static func photo(width: Int, height: Int) -> Image {
        var photo = Image(width: width, height: height, channels: 3)
        for index in photo.pixels.indices { photo.pixels[index] = UInt8(truncatingIfNeeded: index * 37 + index / 11) }
        return photo
    }

    /// Sizes on both sides of the size where clearing splits over threads.
    @Test(arguments: [(40, 30), (400, 300)])
    func runStoresTheCutoutBlackUnderAlphaZero(width: Int, height: Int) throws {
        let matter = RampMatter()
        let photo = Self.photo(width: width, height: height)
        let matte = try matter.matte(photo, options: MattingOptions())
        for format in [ImageFormat.png, .webp] {
            let request = MattingRequest(outputs: [.alpha, .cutout, .composite], format: format, background: "blur:3")
            let result = try matter.run(request, photo: .decoded(photo))
            #expect(result[.alpha]!.bytes == (try ImageEncoder.png(matte.alpha)))
            let cutout = try ImageDecoder.decode(result[.cutout]!.bytes)
            let composite = Composite.make(matte, over: .blur(radius: 3), threads: 2)
            #expect(result[.composite]!.bytes == (try ImageEncoder.encode(composite, as: format, threads: 1)))
            var hidden = 0
            for index in 0..<photo.pixelCount {
                let stored = Array(cutout.pixels[index * 4..<index * 4 + 4])
                let own = Array(matte.cutout.pixels[index * 4..<index * 4 + 4])
                if own[3] == 0 {
                    hidden += 1
                    #expect(stored == [0, 0, 0, 0], "pixel \(index)")
                } else {
                    #expect(stored == own, "pixel \(index)")
                }
            }
            #expect(hidden >= photo.pixelCount / 3)
        }
    }

    @Test func clearingMatchesAPlainLoop() {
        for (width, height) in [(1, 1), (7, 5), (300, 250)] {
            var cutout = Image(width: width, height: height, channels: 4)
            for index in cutout.pixels.indices {
                cutout.pixels[index] = index % 4 == 3 ? UInt8(index / 4 % 3 == 0 ? 0 : index % 251) : UInt8(truncatingIfNeeded: index * 13 + 1)
            }
            var expected = cutout
            for pixel in 0..<width * height where expected.pixels[pixel * 4 + 3] == 0 {
                expected.pixels.replaceSubrange(pixel * 4..<pixel * 4 + 3, with: [0, 0, 0])
            }
            for threads in [1, 2, 3] {
                var cleared = cutout
                Cutout.clearHiddenColours(&cleared, threads: threads)
                #expect(cleared == expected, "\(width)x\(height), \(threads) threads")
            }
        }
    }
}
