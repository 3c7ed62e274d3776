import Testing
import Imaging
@testable import Matting

/// Flat frames peeled from a photo's edges, and left alone where the flatness is the picture's.
@Suite struct PhotoFrameTests {
    /// A noisy picture (no line of it flat), grey-framed on some sides.
    static func framed(width: Int, height: Int, top: Int, bottom: Int, left: Int, right: Int,
                       frameLevel: (Int, Int) -> UInt8?) -> Image {
        var random = TestRandom(seed: 7)
        var photo = Image(width: width, height: height, channels: 3,
                          pixels: (0..<width * height * 3).map { _ in UInt8(random.next() % 256) })
        for y in 0..<height {
            for x in 0..<width where y < top || y >= height - bottom || x < left || x >= width - right {
                guard let level = frameLevel(x, y) else { continue }
                for channel in 0..<3 { photo.pixels[(y * width + x) * 3 + channel] = level }
            }
        }
        return photo
    }

    @Test func findsAFrameOfMixedFlatLines() {
        // Black on the right, grey below and on top (the Kodak scans' kind), none on the left.
        let photo = Self.framed(width: 300, height: 400, top: 2, bottom: 3, left: 0, right: 2) { x, _ in x >= 298 ? 0 : 99 }
        #expect(PhotoFrame.find(in: photo) == PhotoFrame(top: 2, bottom: 3, left: 0, right: 2))
    }

    @Test func noFrameOnANoisyPhoto() {
        let photo = Self.framed(width: 120, height: 80, top: 0, bottom: 0, left: 0, right: 0) { _, _ in nil }
        #expect(PhotoFrame.find(in: photo).isEmpty)
    }

    /// A plain wall across the top is the picture, not a frame: flat lines up to the limit are kept.
    @Test func flatContentIsNotAFrame() {
        let photo = Self.framed(width: 200, height: 300, top: 60, bottom: 0, left: 0, right: 0) { _, _ in 200 }
        #expect(PhotoFrame.find(in: photo).isEmpty)
        let flat = Image(width: 50, height: 40, channels: 3, filling: 128)
        #expect(PhotoFrame.find(in: flat).isEmpty)
    }

    /// Photos a line or two thick, where the sides meet at once, have no frame (and do not trap).
    @Test(arguments: [(1, 1), (2, 2), (40, 1), (1, 40), (40, 2), (3, 60)])
    func thinPhotosHaveNoFrame(width: Int, height: Int) {
        #expect(PhotoFrame.find(in: Image(width: width, height: height, channels: 3, filling: 9)).isEmpty)
        #expect(PhotoFrame.find(in: Image(width: width, height: height, channels: 1, filling: 200)).isEmpty)
    }

    /// A few pixels off the line's colour (noise, a corner of another colour) keep it flat.
    @Test func toleratesAFewOddPixels() {
        var photo = Self.framed(width: 300, height: 200, top: 0, bottom: 1, left: 0, right: 0) { _, _ in 50 }
        for x in [3, 100] { photo.pixels[(199 * 300 + x) * 3] = 250 }
        #expect(PhotoFrame.find(in: photo) == PhotoFrame(bottom: 1))
    }

    @Test func clearMakesTheFrameTransparent() {
        let photo = Self.framed(width: 40, height: 30, top: 0, bottom: 0, left: 0, right: 0) { _, _ in nil }
        let frame = PhotoFrame(top: 1, bottom: 0, left: 0, right: 2)
        var alpha = Image(width: 40, height: 30, channels: 1, filling: 255)
        var cutout = Image(width: 40, height: 30, channels: 4, filling: 255)
        var background: Image? = Image(width: 40, height: 30, channels: 3, filling: 0)
        frame.clear(alpha: &alpha, cutout: &cutout, background: &background, photo: photo)
        for y in 0..<30 {
            for x in 0..<40 {
                let index = y * 40 + x
                let inFrame = y < 1 || x >= 38
                #expect(alpha.pixels[index] == (inFrame ? 0 : 255))
                #expect(cutout.pixels[index * 4 + 3] == (inFrame ? 0 : 255))
                if inFrame { #expect(background?.pixels[index * 3 + 1] == photo.pixels[index * 3 + 1]) }
            }
        }
    }
}
