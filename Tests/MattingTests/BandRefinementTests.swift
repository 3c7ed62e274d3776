import Testing
import Imaging
@testable import Matting

/// The full-resolution solve on the uncertain band.
@Suite struct BandRefinementTests {
    @Test func bandCoversTheTransitionAndItsNeighbours() {
        // Alpha 0 left, 1 right, a ramp over columns 10...13.
        let width = 24, height = 5
        let alpha = Plane(width: width, height: height, values: (0..<width * height).map { index in
            min(max(Float(index % width - 9) / 5, 0), 1)
        })
        let trimap = BandRefinement(threads: 1).trimap(alpha: alpha)
        for y in 0..<height {
            for x in 0..<width {
                let value = trimap.values[y * width + x]
                if (9...14).contains(x) {
                    #expect(Trimap.isUnknown(value), "(\(x), \(y))")
                } else {
                    #expect(value == (x < 9 ? Trimap.background : Trimap.foreground), "(\(x), \(y))")
                }
            }
        }
    }

    /// From a blurred copy of a synthetic composite's true alpha, the band solve comes closer to the
    /// truth, and leaves the confident pixels as they were.
    @Test func sharpensTowardsTheTrueAlpha() {
        let synthetic = MatteRefinementTests.Synthetic(width: 240, height: 160)
        let blurred = synthetic.alpha.resized(width: 80, height: 54).resized(width: 240, height: 160)
        let band = BandRefinement(threads: 2)
        let solution = band.refine(photo: synthetic.photo, alpha: blurred)
        let trimap = band.trimap(alpha: blurred)
        func error(_ plane: Plane) -> Float {
            zip(plane.values, synthetic.alpha.values).map { abs($0 - $1) }.reduce(0, +)
        }
        #expect(solution.unknownCount > 0 && solution.unknownCount < 240 * 160 / 4)
        #expect(error(solution.alpha) < 0.9 * error(blurred), "band \(error(solution.alpha)), blurred \(error(blurred))")
        for (refined, label) in zip(solution.alpha.values, trimap.values) where !Trimap.isUnknown(label) {
            #expect(refined == (label == Trimap.foreground ? 1 : 0))
        }
    }
}
