import Imaging
import Parallelism

/// Alpha at the photo's own resolution where it is uncertain: the last step of `MatteRefinement`.
///
/// The working grid's alpha, brought to full resolution by the guided filter's local linear model
/// (a . I + b), is sharp where the photo's colours explain it, but a working-grid cell spans several
/// photo pixels, and strands thinner than a cell come out as haze. Here the closed-form matting
/// system (Levin, Lischinski and Weiss 2008: the matting Laplacian of the photo's own 3x3 windows) is
/// solved again on a band only (`BandLaplacian`, whose buffers are in proportion to the band),
/// warm-started from and constrained by that upsampled alpha:
/// - the band is the pixels whose upsampled alpha lies strictly between `opaque`'s complement and
///   `opaque` (the transition, hair), widened by `margin` pixels so the band's rim is settled by
///   the photo too;
/// - in hair zones (`HairZone`, around detected faces) it also takes every pixel not confidently
///   opaque within `hairReach` of the coarse matte (alpha above the complement of `opaque`), so
///   strands the working grid lost entirely get a chance;
/// - every other pixel is known, 0 or 1 as its upsampled alpha rounds: what the coarse solution is
///   confident of stays (no holes opened in solid hair, no haze added to the background);
/// - conjugate gradients, diagonally preconditioned, run at most `iterations` steps from the
///   upsampled alpha: the warm start is already close, and the steps sharpen what the finer windows
///   see without travelling far from it.
/// Photos no larger than the working grid skip it (the grid solve was at full resolution already),
/// and so do photos over `maximumPixels`.
public struct BandRefinement: Sendable {
    /// Largest photo refined, in pixels: the band's time grows with the photo's side, and past about
    /// 4 megapixels (2560x1440 and the portraits of a phone's front camera) it would take the mode
    /// past its allowance. Larger photos keep the upsampled alpha.
    public static let maximumPixels = 4_000_000

    /// Upsampled alpha at or above this is opaque, at or below 1 - opaque transparent: known.
    public var opaque: Float = 0.95
    /// Pixels the band is widened by, on each side (a square's Chebyshev distance).
    public var margin: Int = 1
    /// How far past the coarse matte the band reaches in hair zones, as a fraction of the photo's
    /// longer side (0: not at all).
    public var hairReach: Float = 0.01
    /// Most conjugate-gradient steps.
    public var iterations: Int = 40
    /// Regulariser of the window covariances (see `ClosedFormMatting.epsilon`).
    public var epsilon: Double = 1e-5
    public var threads: Int

    public init(threads: Int = 1) {
        self.threads = max(threads, 1)
    }

    /// What a refinement did.
    public struct Outcome: Sendable {
        /// Pixels solved.
        public var bandCount: Int
        public var iterations: Int
        /// Finding the band and building its system; iterating.
        public var laplacianTime: Duration
        public var iterationTime: Duration
    }

    /// The band for the upsampled `alpha` ([0, 1], the photo's size), hair zones widened.
    func band(alpha: Plane, hairZones: [HairZone] = []) -> PixelRuns {
        let width = alpha.width, height = alpha.height
        let low = 1 - opaque, opaque = opaque
        var uncertain = [UInt8](repeating: 0, count: width * height)
        uncertain.withUnsafeMutableBufferPointer { mask in
            alpha.values.withUnsafeBufferPointer { values in
                nonisolated(unsafe) let mask = mask
                parallelFor(height, threads: threads) { rows in
                    for index in rows.lowerBound * width..<rows.upperBound * width {
                        let value = values[index]
                        if value > low && value < opaque { mask[index] = 1 }
                    }
                }
            }
        }
        var band = PixelRuns(mask: uncertain, width: width, height: height)
            .dilated(by: margin, columns: 0..<width, rows: 0..<height)
        let reach = Int((hairReach * Float(max(width, height))).rounded())
        if reach > 0 {
            for zone in hairZones {
                band = band.union(hairBand(alpha: alpha, zone: zone, reach: reach))
            }
        }
        return band
    }

    /// The pixels of `zone` not confidently opaque within `reach` of the coarse matte.
    private func hairBand(alpha: Plane, zone: HairZone, reach: Int) -> PixelRuns {
        let width = alpha.width, height = alpha.height
        let left = max(0, Int((zone.left * Float(width)).rounded(.down)))
        let right = min(width, Int((zone.right * Float(width)).rounded(.up)))
        let top = max(0, Int((zone.top * Float(height)).rounded(.down)))
        let bottom = min(height, Int((zone.bottom * Float(height)).rounded(.up)))
        guard left < right && top < bottom else { return PixelRuns(firstRow: 0, rows: []) }
        // Nearness to the matte on the zone grown by `reach`: a box of side 2 reach + 1 holding a
        // pixel of the matte, found by running counts along rows, then along columns.
        let outerLeft = max(0, left - reach), outerRight = min(width, right + reach)
        let outerTop = max(0, top - reach), outerBottom = min(height, bottom + reach)
        let outerWidth = outerRight - outerLeft, outerHeight = outerBottom - outerTop
        let low = 1 - opaque
        var alongRows = [Int32](repeating: 0, count: outerWidth * outerHeight)
        for y in 0..<outerHeight {
            var inside: Int32 = 0
            let row = (outerTop + y) * width + outerLeft
            // Counts of matte pixels in columns x - reach ... x + reach.
            for x in 0..<outerWidth + reach {
                if x < outerWidth && alpha.values[row + x] > low { inside += 1 }
                if x - 2 * reach - 1 >= 0 && alpha.values[row + x - 2 * reach - 1] > low { inside -= 1 }
                if x - reach >= 0 && x - reach < outerWidth { alongRows[y * outerWidth + x - reach] = inside }
            }
        }
        var rows = [[Range<Int>]](repeating: [], count: bottom - top)
        var near = [Int32](repeating: 0, count: outerWidth)
        for y in 0..<outerHeight + reach {
            for x in 0..<outerWidth {
                if y < outerHeight && alongRows[y * outerWidth + x] > 0 { near[x] += 1 }
                if y - 2 * reach - 1 >= 0 && alongRows[(y - 2 * reach - 1) * outerWidth + x] > 0 { near[x] -= 1 }
            }
            let centreY = outerTop + y - reach
            guard centreY >= top && centreY < bottom else { continue }
            var start: Int?
            for x in left...right {
                let member = x < right && near[x - outerLeft] > 0 && alpha.values[centreY * width + x] < opaque
                if member && start == nil { start = x }
                if !member, let first = start {
                    rows[centreY - top].append(first..<x)
                    start = nil
                }
            }
        }
        return PixelRuns(firstRow: top, rows: rows)
    }

    /// Refines `alpha` (the photo's size, [0, 1]: the upsampled alpha) in place: solved again on its
    /// band, every other pixel rounded to 0 or 1.
    public func refine(photo: Image, alpha: inout Plane, hairZones: [HairZone] = []) -> Outcome {
        precondition(photo.width == alpha.width && photo.height == alpha.height,
                     "alpha \(alpha.width)x\(alpha.height) for a \(photo.width)x\(photo.height) photo")
        let clock = ContinuousClock()
        var start = clock.now
        let threads = threads
        let band = band(alpha: alpha, hairZones: hairZones)
        var outcome = Outcome(bandCount: band.count, iterations: 0, laplacianTime: .zero, iterationTime: .zero)
        var solved = [Float](repeating: 0, count: band.count)
        if band.count > 0 && photo.width >= 3 && photo.height >= 3 {
            let width = alpha.width
            let system = alpha.values.withUnsafeBufferPointer { values in
                BandLaplacian(photo: photo, unknown: band, foreground: { values[$1 * width + $0] >= 0.5 },
                              epsilon: epsilon, threads: threads)
            }
            outcome.laplacianTime = clock.now - start
            start = clock.now
            for run in band.runs {
                for t in 0..<run.count { solved[run.index + t] = alpha.values[run.y * width + run.x + t] }
            }
            let inverseDiagonal = system.diagonal.map { $0 > 0 ? 1 / $0 : 0 }
            var scratch = system.makeScratch()
            let solver = ConjugateGradient(relativeTolerance: 1e-4, maximumIterations: iterations)
            let result = scratch.withUnsafeMutableBufferPointer { scratch in
                nonisolated(unsafe) let scratch = scratch
                return solver.solve(system.rightHandSide, x: &solved, operator: {
                    system.multiply($0, into: $1, scratch: scratch, threads: threads)
                }, preconditioner: { residual, output in
                    for row in 0..<inverseDiagonal.count { output[row] = inverseDiagonal[row] * residual[row] }
                })
            }
            outcome.iterations = result.iterations
        } else {
            for run in band.runs {
                for t in 0..<run.count { solved[run.index + t] = alpha.values[run.y * alpha.width + run.x + t] }
            }
        }
        let height = alpha.height, width = alpha.width
        alpha.values.withUnsafeMutableBufferPointer { values in
            nonisolated(unsafe) let values = values
            parallelFor(height, threads: threads) { rows in
                for index in rows.lowerBound * width..<rows.upperBound * width {
                    values[index] = values[index] >= 0.5 ? 1 : 0
                }
            }
            for run in band.runs {
                for t in 0..<run.count { values[run.y * width + run.x + t] = min(max(solved[run.index + t], 0), 1) }
            }
        }
        outcome.iterationTime = clock.now - start
        return outcome
    }
}
