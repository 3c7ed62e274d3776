import Imaging

/// Best mode's refinement: a coarse probability map (network resolution) becomes a full-resolution
/// alpha matte, foreground colours and a background estimate, in bounded time and memory.
///
/// The expensive steps run on a working grid: the photo area-downsampled so its longer side is at
/// most `workingSide` (the photo itself when smaller). Stages, each its own type:
/// 1. the coarse map brought to the working grid by the guided filter (`GuidedFilter`), edges
///    following the photo;
/// 2. a trimap (`Trimap.make`): sure foreground and background, an unknown band scaled to the
///    subject across the edges, and every uncertain zone (hair);
/// 3. closed-form alpha on the unknown band (`ClosedFormMatting`), guided by the photo, started
///    from the guided-filter probability;
/// 4. foreground and background colours (`ForegroundEstimation`), at half the working grid;
/// 5. back to full resolution: the alpha by the fast guided filter, whose local linear model of
///    alpha in the colours is the closed-form solution's own (Levin et al. 2008), fitted on the
///    working grid and evaluated on the full-resolution photo; when `band` is set, solved again at
///    the photo's resolution on the band where it is uncertain (`BandRefinement`), so strands finer
///    than a working-grid cell follow the photo; then, in one pass (`ForegroundUpsampling`), the
///    colours by the least correction of the estimates that recomposes the photo;
/// 6. a flat frame around the photo (a scan's border, letterbox bars: `PhotoFrame`) made transparent.
/// Only the 8-bit outputs are held at full resolution.
///
/// The defaults were chosen by measurement on composites of the alphamatting.com set (GT01-GT20
/// over two photos, whole-image SAD / 1000, the coarse map a 64-pixel blur of the true alpha so that
/// the refinement is judged apart from the network): guided filter alone 9.8 mean; this refinement
/// 5.9. Trimap thresholds 0.8 / 0.2 beat 0.95 / 0.05 (5.8 against 7.5). Working sides from 320 to
/// 640 differ by under 5%.
///
/// From the network's own map (U-2-Net-p, any subject; the same 40 composites, mean / median SAD),
/// the solve must run further than the blurred true alpha suggested: 30 diagonally preconditioned
/// iterations at tolerance 1e-3 give 58.4 / 32.1, up to 400 at 1e-4 give 57.5 / 27.3 (rembg with
/// alpha matting: 58.7 / 31.0). Solving to convergence with the smoothed aggregation preconditioner
/// gives 58.5 / 27.6 at a larger set-up cost; a working grid at the photos' own size (~800 px)
/// 58.9 / 32.5. The band is narrow, so an iteration costs ~0.1 ms: a 1080p portrait converges in
/// about 200 (20 ms).
public struct MatteRefinement: Sendable {
    /// Longer side of the working grid, in pixels.
    public var workingSide: Int
    public var solver: ClosedFormMatting
    /// The closed-form solve again at the photo's resolution, on the band where the upsampled alpha
    /// is uncertain and, in the hair zones given to `refine`, past the coarse matte (skipped when the
    /// working grid is the photo); off (nil) by default, on in fine mode. On a 1920x1080 portrait its
    /// band is about 6% of the pixels and it costs about 0.16 s of CPU time; on the real portraits of
    /// ../shared/data/portraits it lowers the mean SAD from 7.60 to 7.33, every portrait lower.
    public var band: BandRefinement?
    public var foreground: ForegroundEstimation
    /// Window radius (working-grid pixels) and regulariser of the guided filter that brings the
    /// alpha to full resolution.
    public var upsamplingRadius: Int
    public var upsamplingEpsilon: Float
    /// Trimap thresholds on the guided-filter probability (see `Trimap.make`).
    public var foregroundThreshold: Float = 0.8
    public var backgroundThreshold: Float = 0.2
    /// Whether to make `Result.background` (what a blurred backdrop blurs). Off, the full-resolution
    /// pass makes the matte and the cut-out alone: on a 1920x1080 portrait about half its time.
    public var estimatesBackground = true
    public var threads: Int

    public init(workingSide: Int = 512, threads: Int = 1) {
        self.workingSide = workingSide
        self.threads = max(threads, 1)
        self.solver = ClosedFormMatting(relativeTolerance: 1e-4, maximumIterations: 400, preconditioner: .jacobi,
                                        threads: threads)
        self.foreground = ForegroundEstimation(threads: threads)
        self.band = nil
        self.upsamplingRadius = 1
        self.upsamplingEpsilon = 1e-4
    }

    /// A full-resolution matte.
    public struct Result: Sendable {
        /// 8-bit grey, the photo's size.
        public var alpha: Image
        /// RGBA: estimated foreground colours with `alpha` as straight alpha.
        public var cutout: Image
        /// RGB: the estimated background behind the subject; nil unless `estimatesBackground`.
        public var background: Image?
        /// The trimap on the working grid, for inspection.
        public var trimap: Trimap
        /// Time of each stage, in order.
        public var stages: [(name: String, time: Duration)]
    }

    /// The working grid for a photo: its longer side at most `workingSide`, aspect kept.
    public func workingSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let longer = max(width, height)
        guard longer > workingSide else { return (width, height) }
        let scale = Double(workingSide) / Double(longer)
        return (max(1, Int((Double(width) * scale).rounded())), max(1, Int((Double(height) * scale).rounded())))
    }

    /// Refines `coarse` (any size, [0, 1]; the fused network output) for `photo` (grey, RGB or RGBA;
    /// alpha channel ignored: flatten first). `hairZones` widen the full-resolution band (`band`).
    public func refine(photo: Image, coarse: Plane, hairZones: [HairZone] = []) -> Result {
        let clock = ContinuousClock()
        var stages: [(name: String, time: Duration)] = []
        var start = clock.now
        func lap(_ name: String) {
            let now = clock.now
            stages.append((name, now - start))
            start = now
        }
        let size = workingSize(width: photo.width, height: photo.height)
        let working = size.width == photo.width && size.height == photo.height
            ? photo : photo.areaDownsampled(width: size.width, height: size.height, threads: threads)
        lap("downsample")

        let probability = GuidedFilter.forImage(width: working.width, height: working.height)
            .apply(input: coarse, guide: working, lowGuide: working, threads: threads)
        lap("guided filter")

        let trimap = Trimap.make(probability: probability,
                                 bandWidth: Trimap.suggestedBandWidth(probability: probability),
                                 foregroundThreshold: foregroundThreshold, backgroundThreshold: backgroundThreshold,
                                 threads: threads)
        lap("trimap")

        let solution = solver.solve(image: working, trimap: trimap, initialAlpha: probability)
        let workingAlpha = solution.alpha
        lap("solve")
        stages += [("  laplacian", solution.laplacianTime), ("  preconditioner", solution.preconditionerTime),
                   ("  iterations \(solution.iterations)", solution.iterationTime)]

        // Colours vary slowly: estimated at half the working grid (2x2 means), the full-resolution
        // pass restores their detail.
        let colourWidth = max(1, working.width / 2), colourHeight = max(1, working.height / 2)
        let estimate = foreground.estimate(
            image: working.areaDownsampled(width: colourWidth, height: colourHeight, threads: threads),
            alpha: workingAlpha.resized(width: colourWidth, height: colourHeight))
        lap("foreground")

        let coefficients: [SIMD4<Float>]
        if working.width == photo.width && working.height == photo.height {
            coefficients = workingAlpha.values.map { SIMD4(0, 0, 0, $0) }
        } else {
            let filter = GuidedFilter(radius: upsamplingRadius, epsilon: upsamplingEpsilon)
            coefficients = filter.coefficients(input: workingAlpha, lowGuide: working, lowRadius: upsamplingRadius,
                                               threads: threads)
        }
        lap("alpha coefficients")
        var refinedAlpha: Plane?
        if let band, working.width != photo.width || working.height != photo.height,
           photo.pixelCount <= BandRefinement.maximumPixels {
            var alpha = GuidedFilter.evaluate(coefficients, width: working.width, height: working.height, guide: photo,
                                              threads: threads)
            lap("upsampled alpha")
            let outcome = band.refine(photo: photo, alpha: &alpha, hairZones: hairZones)
            refinedAlpha = alpha
            lap("band")
            stages += [("  \(outcome.bandCount) pixels (\(outcome.bandCount * 1000 / max(photo.pixelCount, 1)) per mille)", .zero),
                       ("  band laplacian", outcome.laplacianTime), ("  band iterations \(outcome.iterations)", outcome.iterationTime)]
        }
        var output = ForegroundUpsampling.upsample(photo: photo, alphaCoefficients: coefficients,
                                                   coefficientsWidth: working.width, coefficientsHeight: working.height,
                                                   estimate: estimate, refinedAlpha: refinedAlpha,
                                                   estimatesBackground: estimatesBackground, threads: threads)
        lap("full resolution")
        PhotoFrame.find(in: photo).clear(alpha: &output.alpha, cutout: &output.cutout, background: &output.background,
                                         photo: photo)
        lap("frame")
        return Result(alpha: output.alpha, cutout: output.cutout, background: output.background, trimap: trimap,
                      stages: stages)
    }
}
