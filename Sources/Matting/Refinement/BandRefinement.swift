import Imaging

/// Alpha at the photo's own resolution where it is uncertain: the last step of `MatteRefinement`.
///
/// The working grid's alpha, brought to full resolution by the guided filter's local linear model
/// (a . I + b), is sharp where the photo's colours explain it, but a working-grid cell spans several
/// photo pixels, and strands thinner than a cell come out as haze. Here the closed-form matting
/// system (Levin, Lischinski and Weiss 2008: the matting Laplacian of the photo's own 3x3 windows) is
/// solved again on a band only, warm-started from and constrained by that upsampled alpha:
/// - the band is the pixels whose upsampled alpha lies strictly between `opaque`'s complement and
///   `opaque` (the transition, hair), widened by `margin` pixels so the band's rim is settled by
///   the photo too;
/// - every other pixel is known, 0 or 1 as its upsampled alpha rounds: what the coarse solution is
///   confident of stays (no holes opened in solid hair, no haze added to the background);
/// - conjugate gradients, diagonally preconditioned, run at most `iterations` steps from the
///   upsampled alpha: the warm start is already close, and the steps sharpen what the finer windows
///   see without travelling far from it.
/// The band is typically a few percent of the photo's pixels, so the solve costs a fraction of one
/// over the whole photo. Photos no larger than the working grid skip it (the grid solve was at full
/// resolution already), and so do photos over `maximumPixels`.
public struct BandRefinement: Sendable {
    /// Largest photo refined, in pixels. The solve holds about 31 bytes a photo pixel at once (the
    /// upsampled alpha, the band's trimap as labels and as a plane, the colours as four floats, the
    /// result), beside the photo; the memory bound of the command and the service (200 MB + 16 bytes
    /// a pixel) leaves room for that up to about 4 megapixels (2560x1440 and the portraits of a
    /// phone's front camera), not for the 50 it allows. Larger photos keep the upsampled alpha.
    public static let maximumPixels = 4_000_000

    /// Upsampled alpha at or above this is opaque, at or below 1 - opaque transparent: known.
    public var opaque: Float = 0.95
    /// Pixels the band is widened by, on each side (a square's Chebyshev distance).
    public var margin: Int = 1
    /// Most conjugate-gradient steps.
    public var iterations: Int = 40
    /// Regulariser of the window covariances (see `ClosedFormMatting.epsilon`).
    public var epsilon: Double = 1e-5
    public var threads: Int

    public init(threads: Int = 1) {
        self.threads = max(threads, 1)
    }

    /// The band as a trimap of the photo's size: unknown in the band, else 0 or 255 as `alpha` rounds.
    public func trimap(alpha: Plane) -> Trimap {
        let width = alpha.width, height = alpha.height
        let low = 1 - opaque
        var values = alpha.values.map { $0 >= 0.5 ? Trimap.foreground : Trimap.background }
        // The band is thin: widen it by marking the neighbours of its pixels, not by a pass of
        // morphology over the whole photo.
        for y in 0..<height {
            for x in 0..<width {
                let value = alpha.values[y * width + x]
                guard value > low && value < opaque else { continue }
                for v in max(0, y - margin)...min(height - 1, y + margin) {
                    for u in max(0, x - margin)...min(width - 1, x + margin) { values[v * width + u] = Trimap.unknown }
                }
            }
        }
        return Trimap(width: width, height: height, values: values)
    }

    /// The refined alpha: `alpha` (the photo's size, [0, 1]) solved again on its band.
    public func refine(photo: Image, alpha: Plane) -> ClosedFormMatting.Solution {
        let band = trimap(alpha: alpha)
        let solver = ClosedFormMatting(epsilon: epsilon, relativeTolerance: 1e-4, maximumIterations: iterations,
                                       preconditioner: .jacobi, threads: threads)
        return solver.solve(image: photo, trimap: band, initialAlpha: alpha)
    }
}
