import Testing
import Imaging
@testable import Matting

@Suite struct MeasureTests {
    @Test func laplacianVariance() {
        // Flat: no response. A vertical step of height h: the two columns beside it answer +h and -h.
        #expect(Sharpness.laplacianVariance([Float](repeating: 7, count: 25), width: 5, height: 5) == 0)
        let step = (0..<36).map { Float($0 % 6 < 3 ? 0 : 100) }
        // Interior 4 x 4: per row [0, 100, -100, 0]: mean 0, variance 2 * 100^2 / 4.
        #expect(Sharpness.laplacianVariance(step, width: 6, height: 6) == 5000)
        #expect(Sharpness.laplacianVariance([1, 2, 3, 4], width: 2, height: 2) == 0)
    }

    @Test func blurLowersSharpness() throws {
        let photo = try LabelledSet.photo("grace_hopper.jpg")
        let box = Face.Box(x: 170, y: 150, width: 190, height: 190)
        let sharp = Sharpness.ofFace(photo, box: box)
        let soft = Sharpness.ofFace(LabelledSet.gaussianBlurred(photo, sigma: 2), box: box)
        let softer = Sharpness.ofFace(LabelledSet.gaussianBlurred(photo, sigma: 4), box: box)
        #expect(sharp > 2 * soft && soft > 2 * softer, "\(sharp) \(soft) \(softer)")
        // At a fixed contrast: the same face at a fifth of the light measures about the same.
        let dark = Sharpness.ofFace(LabelledSet.mapped(photo) { $0 * 0.2 }, box: box)
        #expect(abs(dark - sharp) < 0.2 * sharp, "\(dark) against \(sharp)")
    }

    @Test func squaresCoverElongatedPhotos() {
        // Square enough: the letterbox alone.
        #expect(FaceDetector.squares(width: 640, height: 480) == [FaceDetector.Square(x: 0, y: -80, side: 640)])
        // 2:1: the letterbox, then three squares of 512 at 0, 256, 512.
        let wide = FaceDetector.squares(width: 1024, height: 512)
        #expect(wide.map(\.x) == [0, 0, 256, 512] && wide.dropFirst().allSatisfy { $0.side == 512 && $0.y == 0 })
        let tall = FaceDetector.squares(width: 100, height: 300)
        #expect(tall.count == 6 && tall.last == FaceDetector.Square(x: 0, y: 200, side: 100))
    }

    @Test func headSquareFollowsASmallPerson() {
        // A 10 x 10 mask over a 1000 x 500 photo: person cells x 4...5, y 2...7 (100 x 50 photo pixels a cell).
        var person = Plane(width: 10, height: 10)
        for y in 2...7 { for x in 4...5 { person[x, y] = 1 } }
        let square = PhotoChecker.headSquare(person: person, width: 1000, height: 500)
        // Box 200 wide, 300 high, from (400, 100): a square of 300 centred on x = 500, from y = 100.
        #expect(square == FaceDetector.Square(x: 350, y: 100, side: 300))
        // A person over half the longer side: the whole photo shows the face well enough.
        for y in 0..<10 { person[5, y] = 1 }
        #expect(PhotoChecker.headSquare(person: person, width: 1000, height: 1000) == nil)
        #expect(PhotoChecker.headSquare(person: Plane(width: 4, height: 4), width: 100, height: 100) == nil)
    }

    @Test func lumaRegionAveragesAndInterpolates() {
        // 4 x 2 grey: left half 0, right half 200. Downscaled to 2 x 2 -> [0, 200] per row; a 1-pixel box
        // upscaled to 2 x 2 samples bilinearly around pixel (1, 0).
        let image = Image(width: 4, height: 2, channels: 1, pixels: [0, 0, 200, 200, 0, 0, 200, 200])
        #expect(Luma.region(of: image, box: Face.Box(x: 0, y: 0, width: 4, height: 2), side: 2) == [0, 200, 0, 200])
        let up = Luma.region(of: image, box: Face.Box(x: 1.5, y: 0, width: 1, height: 1), side: 2)
        #expect(up == [50, 150, 50, 150], "\(up)")
        let rgb = Image(width: 1, height: 1, channels: 3, pixels: [255, 0, 0])
        #expect(abs(Luma.region(of: rgb, box: Face.Box(x: 0, y: 0, width: 1, height: 1), side: 1)[0] - 76.245) < 1e-3)
    }

    @Test func coverageAndExposure() {
        // 4 x 4 mask: top row all person, one more cell below: 5 of 16.
        var person = Plane(width: 4, height: 4)
        for x in 0..<4 { person[x, 0] = 0.9 }
        person[1, 1] = 0.5
        let coverage = PersonCoverage(person: person)
        #expect(coverage.fraction == 5 / 16 && coverage.topEdgeShare == 1)
        // An 8 x 8 photo: the top four rows at 20, the rest at 204; the face box over the top two rows.
        var image = Image(width: 8, height: 8, channels: 1, filling: 204)
        for index in 0..<32 { image.pixels[index] = 20 }
        let exposure = Exposure(image: image, face: Face.Box(x: 0, y: 0, width: 8, height: 2), person: person)
        #expect(exposure.faceMean == 20 / 255 && exposure.faceDarkShare == 1 && exposure.faceBrightShare == 0)
        // Mask cell (x, y) reads photo pixel (2x, 2y): the person cells rows 0 and 2 (20); the background
        // three cells of photo row 2 (20) and eight of rows 4 and 6 (204).
        #expect(abs(exposure.personMean! - 20 / 255) < 1e-6)
        #expect(abs(exposure.backgroundMean! - (3 * 20 + 8 * 204) / 11 / 255) < 1e-6)
    }
}
