import Testing
import Imaging
@testable import Matting

/// The full-resolution solve on the uncertain band.
@Suite struct BandRefinementTests {
    /// The set's pixels as a mask over a `width` x `height` grid (pixels off it dropped).
    static func mask(_ runs: PixelRuns, width: Int, height: Int) -> [Bool] {
        var mask = [Bool](repeating: false, count: width * height)
        for run in runs.runs where (0..<height).contains(run.y) {
            for x in run.x..<run.x + run.count where (0..<width).contains(x) { mask[run.y * width + x] = true }
        }
        return mask
    }

    @Test func bandCoversTheTransitionAndItsNeighbours() {
        // Alpha 0 left, 1 right, a ramp over columns 10...13.
        let width = 24, height = 5
        let alpha = Plane(width: width, height: height, values: (0..<width * height).map { index in
            min(max(Float(index % width - 9) / 5, 0), 1)
        })
        let band = Self.mask(BandRefinement(threads: 1).band(alpha: alpha), width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                #expect(band[y * width + x] == (9...14).contains(x), "(\(x), \(y))")
            }
        }
    }

    /// In a hair zone the band reaches `hairReach` past the matte into the background, but never into
    /// the confidently opaque pixels; outside the zone it stays on the transition.
    @Test func hairZoneWidensTheBandOutwardsOnly() {
        let width = 100, height = 60
        // Opaque up to column 39, 0.5 at 40, transparent from 41 on.
        let alpha = Plane(width: width, height: height, values: (0..<width * height).map { index in
            min(max(Float(41 - index % width) / 2, 0), 1)
        })
        var refinement = BandRefinement(threads: 1)
        refinement.hairReach = 0.1  // 10 pixels
        let zone = HairZone(left: 0, top: 0, right: 1, bottom: 0.5)  // rows 0..<30
        let band = Self.mask(refinement.band(alpha: alpha, hairZones: [zone]), width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let expected = y < 30 ? (39...50).contains(x) : (39...41).contains(x)
                #expect(band[y * width + x] == expected, "(\(x), \(y))")
            }
        }
    }

    /// From a blurred copy of a synthetic composite's true alpha, the band solve comes closer to the
    /// truth, and rounds the confident pixels to 0 or 1.
    @Test func sharpensTowardsTheTrueAlpha() {
        let synthetic = MatteRefinementTests.Synthetic(width: 240, height: 160)
        let blurred = synthetic.alpha.resized(width: 80, height: 54).resized(width: 240, height: 160)
        let refinement = BandRefinement(threads: 2)
        let band = Self.mask(refinement.band(alpha: blurred), width: 240, height: 160)
        var refined = blurred
        let outcome = refinement.refine(photo: synthetic.photo, alpha: &refined)
        func error(_ plane: Plane) -> Float {
            zip(plane.values, synthetic.alpha.values).map { abs($0 - $1) }.reduce(0, +)
        }
        #expect(outcome.bandCount > 0 && outcome.bandCount < 240 * 160 / 4)
        #expect(outcome.bandCount == band.filter { $0 }.count)
        #expect(error(refined) < 0.9 * error(blurred), "band \(error(refined)), blurred \(error(blurred))")
        for index in refined.values.indices where !band[index] {
            #expect(refined.values[index] == (blurred.values[index] >= 0.5 ? 1 : 0))
        }
    }
}
