import Imaging
import Parallelism

/// The closed-form matting system of `MattingLaplacian` (Levin, Lischinski and Weiss 2008: L_UU
/// alpha_U = -L_UK alpha_K over 3x3 windows) for a thin band of unknown pixels in a large photo, with
/// every buffer in proportion to the band: `BandRefinement`'s solve at the photo's own resolution.
///
/// `MattingLaplacian.build` and `StencilMatrix` keep maps over the whole grid (colours, window
/// numbers, the padded grid a product is laid out on); on a 1920x1080 photo whose band is 5% of it
/// those cost more than the band's own arithmetic. Here the band (`unknown`) and its neighbourhood
/// (every pixel at most 2 away, the reach of the 5x5 stencil, off the photo too) are `PixelRuns`:
/// colours and labels are kept for the neighbourhood only, window statistics for the centres at most
/// 1 away, and a product lays its vector out on the neighbourhood. A run of unknown pixels finds the
/// run of each neighbouring row it couples to through `rowBases`: on every row within 2, the pixels
/// from 2 before it to 2 after it are consecutive in the neighbourhood's numbering.
///
/// Coefficients are those `MattingLaplacian.build` computes for the same trimap (tested against it),
/// stored tap-major as in `StencilMatrix`, products by its `multiplyRun`.
struct BandLaplacian: Sendable {
    /// The unknown pixels: rows and columns of the system, in raster order.
    let unknown: PixelRuns
    /// Pixels at most `StencilMatrix.reach` from an unknown pixel (positions off the photo included).
    let neighbourhood: PixelRuns
    /// For unknown run r and dy in -2...2, the neighbourhood position of (run.x - 2, run.y + dy), at
    /// `rowBases[r * 5 + dy + 2]`.
    let rowBases: [Int]
    /// `StencilMatrix.taps * unknown.count` values, tap-major (and 8 spare zeros).
    var coefficients: [Float]
    /// -L_UK alpha_K, one value per unknown pixel.
    var rightHandSide: [Float]

    var count: Int { unknown.count }

    /// Builds the system for the unknown pixels `unknown` (inside `photo`: grey, RGB or RGBA, alpha
    /// channel ignored); every other pixel is known, foreground where `foreground(x, y)` holds, else
    /// background. `epsilon` regularises the window covariances (see `MattingLaplacian`).
    init(photo: Image, unknown: PixelRuns, foreground: (Int, Int) -> Bool, epsilon: Double, threads: Int) {
        let width = photo.width, height = photo.height
        let reach = StencilMatrix.reach, span = StencilMatrix.span
        self.unknown = unknown
        let neighbourhood = unknown.dilated(by: reach)
        self.neighbourhood = neighbourhood
        let count = unknown.count

        // Colours (RGB in [0, 1]) and labels of the neighbourhood; off the photo, black background.
        var colours = [SIMD4<Float>](repeating: .zero, count: neighbourhood.count)
        var labels = [UInt8](repeating: Trimap.background, count: neighbourhood.count)
        let channels = photo.channels
        photo.pixels.withUnsafeBufferPointer { pixels in
            for run in neighbourhood.runs where (0..<height).contains(run.y) {
                let start = max(run.x, 0), end = min(run.x + run.count, width)
                guard start < end else { continue }
                for x in start..<end {
                    let base = (run.y * width + x) * channels
                    let red = Float(pixels[base]) / 255
                    colours[run.index + x - run.x] = channels < 3 ? SIMD4(red, red, red, 0)
                        : SIMD4(red, Float(pixels[base + 1]) / 255, Float(pixels[base + 2]) / 255, 0)
                    labels[run.index + x - run.x] = foreground(x, run.y) ? Trimap.foreground : Trimap.background
                }
            }
        }
        var rowBases = [Int](repeating: 0, count: unknown.runs.count * span)
        for (number, run) in unknown.runs.enumerated() {
            for dy in -reach...reach {
                // The dilation holds (run.x - 2 ... run.x + count + 1, run.y + dy) as one run.
                rowBases[number * span + dy + reach] = neighbourhood.position(x: run.x - reach, y: run.y + dy)!
            }
            let centre = rowBases[number * span + reach] + reach
            for t in 0..<run.count { labels[centre + t] = Trimap.unknown }
        }
        self.rowBases = rowBases

        // Windows: 3x3, inside the photo, centred at most 1 from an unknown pixel.
        let centres = unknown.dilated(by: 1, columns: 1..<max(width - 1, 1), rows: 1..<max(height - 1, 1))
        var windows = [WindowStatistics.Window](repeating: .zero, count: centres.count)
        windows.withUnsafeMutableBufferPointer { windows in
            colours.withUnsafeBufferPointer { colours in
                nonisolated(unsafe) let windows = windows
                let groups = PixelRun.groups(of: centres.runs, pixels: centres.count, parts: threads)
                parallelFor(groups.count, threads: groups.count) { parts in
                    for part in parts {
                        for run in centres.runs[groups[part]] {
                            // Window pixels of row run.y + dy start at (run.x - 1, run.y + dy).
                            let bases = (-1...1).map { neighbourhood.position(x: run.x - 1, y: run.y + $0)! }
                            for t in 0..<run.count {
                                windows[run.index + t] = WindowStatistics.Window(epsilon: epsilon) { dx, dy in
                                    SIMD4<Double>(colours[bases[dy + 1] + t + dx + 1])
                                }
                            }
                        }
                    }
                }
            }
        }

        var coefficients = [Float](repeating: 0, count: StencilMatrix.taps * count + 8)
        var rightHandSide = [Float](repeating: 0, count: count)
        coefficients.withUnsafeMutableBufferPointer { coefficients in
            rightHandSide.withUnsafeMutableBufferPointer { rightHandSide in
                colours.withUnsafeBufferPointer { colours in
                    labels.withUnsafeBufferPointer { labels in
                        windows.withUnsafeBufferPointer { windows in
                            nonisolated(unsafe) let coefficients = coefficients, rightHandSide = rightHandSide
                            let groups = PixelRun.groups(of: unknown.runs, pixels: count, parts: threads)
                            parallelFor(groups.count, threads: groups.count) { parts in
                                var taps = [Double](repeating: 0, count: StencilMatrix.taps)
                                taps.withUnsafeMutableBufferPointer { taps in
                                    for part in parts {
                                        for number in groups[part] {
                                            let run = unknown.runs[number]
                                            // Window centres of row run.y + dy, from column max(run.x - 1, 1).
                                            let windowBases = (-1...1).map { dy -> Int? in
                                                let y = run.y + dy
                                                guard y >= 1 && y < height - 1 && width >= 3 else { return nil }
                                                return centres.position(x: max(run.x - 1, 1), y: y)
                                            }
                                            for t in 0..<run.count {
                                                let known = Self.row(x: run.x + t, y: run.y, t: t, into: taps, colours: colours,
                                                                     labels: labels, rowBases: rowBases, first: number * span,
                                                                     windows: windows, windowBases: windowBases,
                                                                     windowStart: max(run.x - 1, 1), width: width)
                                                for tap in 0..<StencilMatrix.taps {
                                                    coefficients[tap * count + run.index + t] = Float(taps[tap])
                                                }
                                                rightHandSide[run.index + t] = Float(-known)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        self.coefficients = coefficients
        self.rightHandSide = rightHandSide
    }

    /// Row i of L for the unknown pixel i at (x, y), the `t`-th of its run (whose row bases start at
    /// `rowBases[first]`): the 25 stencil coefficients towards unknown pixels into `taps`, and the sum
    /// of L(i, j) alpha_j over the known pixels j returned (the formula of `MattingLaplacian`).
    @inline(__always)
    private static func row(x: Int, y: Int, t: Int, into taps: UnsafeMutableBufferPointer<Double>,
                            colours: UnsafeBufferPointer<SIMD4<Float>>, labels: UnsafeBufferPointer<UInt8>,
                            rowBases: [Int], first: Int, windows: UnsafeBufferPointer<WindowStatistics.Window>,
                            windowBases: [Int?], windowStart: Int, width: Int) -> Double {
        taps.update(repeating: 0)
        var known = 0.0
        let reach = StencilMatrix.reach
        // Position of (x + dx, y + dy) in the neighbourhood: the run starts at column x - t.
        @inline(__always) func position(_ dx: Int, _ dy: Int) -> Int { rowBases[first + dy + reach] + t + dx + reach }
        let colour = SIMD4<Double>(colours[position(0, 0)])
        let area = Double(MattingLaplacian.windowArea)
        for windowDY in -1...1 {
            guard let base = windowBases[windowDY + 1] else { continue }
            for windowDX in -1...1 {
                let centreX = x + windowDX
                guard centreX >= 1 && centreX < width - 1 else { continue }
                let window = windows[base + centreX - windowStart]
                let v = window.solve(colour - window.mean)
                let offset = 1 - (v * window.mean).sum()
                for dy in windowDY - 1...windowDY + 1 {
                    for dx in windowDX - 1...windowDX + 1 {
                        let neighbour = position(dx, dy)
                        let product = (v * SIMD4<Double>(colours[neighbour])).sum()
                        var value = -(offset + product) / area
                        if dx == 0 && dy == 0 { value += 1 }
                        let label = labels[neighbour]
                        if Trimap.isUnknown(label) {
                            taps[(dy + reach) * StencilMatrix.span + dx + reach] += value
                        } else if label == Trimap.foreground {
                            known += value
                        }
                    }
                }
            }
        }
        return known
    }

    /// The diagonal of L_UU.
    var diagonal: ArraySlice<Float> {
        coefficients[StencilMatrix.centreTap * count..<(StencilMatrix.centreTap + 1) * count]
    }

    /// A zeroed buffer for `multiply`: the neighbourhood's pixels and 8 spare.
    func makeScratch() -> [Float] {
        [Float](repeating: 0, count: neighbourhood.count + 8)
    }

    /// y = L_UU x for vectors over the unknown pixels. `scratch` (from `makeScratch()`) holds `x` laid
    /// out on the neighbourhood; it must hold zeros off the unknown pixels (it does if only this
    /// method writes to it).
    func multiply(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>,
                  scratch: UnsafeMutableBufferPointer<Float>, threads: Int) {
        precondition(x.count >= count && y.count >= count && scratch.count >= neighbourhood.count + 8)
        guard count > 0, let xBase = x.baseAddress, let yBase = y.baseAddress, let grid = scratch.baseAddress else { return }
        let span = StencilMatrix.span, reach = StencilMatrix.reach
        for (number, run) in unknown.runs.enumerated() {
            (grid + rowBases[number * span + reach] + reach).update(from: xBase + run.index, count: run.count)
        }
        let groups = PixelRun.groups(of: unknown.runs, pixels: count, parts: count >= 16_384 ? threads : 1)
        coefficients.withUnsafeBufferPointer { coefficients in
            guard let coefficients = coefficients.baseAddress else { return }
            let count = count
            nonisolated(unsafe) let grid = grid, yBase = yBase
            parallelFor(groups.count, threads: groups.count) { parts in
                var offsets = [Int](repeating: 0, count: StencilMatrix.taps)
                offsets.withUnsafeMutableBufferPointer { offsets in
                    guard let offsets = offsets.baseAddress else { return }
                    for part in parts {
                        for number in groups[part] {
                            let run = unknown.runs[number]
                            let centre = rowBases[number * span + reach] + reach
                            for tap in 0..<StencilMatrix.taps {
                                let dy = tap / span - reach, dx = tap % span - reach
                                offsets[tap] = rowBases[number * span + dy + reach] + reach + dx - centre
                            }
                            StencilMatrix.multiplyRun(run: run, centre: grid + centre, offsets: offsets,
                                                      coefficients: coefficients + run.index, stride: count,
                                                      output: yBase + run.index)
                        }
                    }
                }
            }
        }
    }

    /// y = L_UU x, plainly: the reference for `multiply`.
    func multiplyReference(_ x: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: count)
        for run in unknown.runs {
            for t in 0..<run.count {
                var sum: Float = 0
                for tap in 0..<StencilMatrix.taps {
                    let dx = tap % StencilMatrix.span - StencilMatrix.reach, dy = tap / StencilMatrix.span - StencilMatrix.reach
                    if let column = unknown.position(x: run.x + t + dx, y: run.y + dy) {
                        sum += coefficients[tap * count + run.index + t] * x[column]
                    }
                }
                y[run.index + t] = sum
            }
        }
        return y
    }
}
