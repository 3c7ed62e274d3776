import Imaging
import Parallelism

/// The matting Laplacian of Levin, Lischinski and Weiss, "A Closed-Form Solution to Natural Image
/// Matting" (TPAMI 2008), restricted to the unknown pixels of a trimap.
///
/// For every 3x3 window k lying inside the image, with mean colour mu_k and colour covariance
/// Sigma_k, the paper defines
///
///     L(i, j) = sum over windows k holding both i and j of
///               delta(i, j) - (1 + (I_i - mu_k)^T (Sigma_k + epsilon / 9 I_3)^-1 (I_j - mu_k)) / 9
///
/// (colours in [0, 1]). Matting minimises alpha^T L alpha with the trimap's known pixels fixed
/// (foreground 1, background 0); splitting L into unknown (U) and known (K) blocks, the unknown
/// alphas solve L_UU alpha_U = -L_UK alpha_K. `build` returns L_UU as a `StencilMatrix` over the
/// unknown pixels and the right-hand side -L_UK alpha_K. Only windows holding an unknown pixel are
/// visited; each window's mean and covariance factor are computed once, in double precision (with
/// the small epsilon the covariance is badly conditioned), and the coefficients are rounded to float.
enum MattingLaplacian {
    /// Pixels per window: 3x3 windows, as in the paper and PyMatting's default.
    static let windowArea = 9

    /// The linear system for the unknown alphas.
    struct System: Sendable {
        /// L_UU over the unknown pixels (raster order).
        var matrix: StencilMatrix
        /// -L_UK alpha_K, one value per unknown pixel.
        var rightHandSide: [Float]
    }

    /// Colours of an image as RGB in [0, 1], one SIMD4 per pixel (fourth lane unused); grey
    /// images repeat the grey level, RGBA images drop the alpha.
    static func colours(of image: Image) -> [SIMD4<Float>] {
        let channels = image.channels
        return image.pixels.withUnsafeBufferPointer { pixels in
            (0..<image.pixelCount).map { index in
                let base = index * channels
                let red = Float(pixels[base]) / 255
                if channels < 3 { return SIMD4(red, red, red, 0) }
                return SIMD4(red, Float(pixels[base + 1]) / 255, Float(pixels[base + 2]) / 255, 0)
            }
        }
    }

    /// Builds L_UU and -L_UK alpha_K.
    ///
    /// - Parameters:
    ///   - colours: `width * height` RGB colours in [0, 1] (see `colours(of:)`).
    ///   - trimap: which pixels are unknown, and the known alphas (foreground 1, background 0).
    ///   - epsilon: the regulariser of the window covariances (PyMatting's default is 1e-7).
    static func build(colours: [SIMD4<Float>], trimap: Trimap, epsilon: Double, threads: Int = 1) -> System {
        let width = trimap.width, height = trimap.height
        precondition(colours.count == width * height, "\(colours.count) colours do not fill \(width)x\(height)")
        let unknown = trimap.values.map { Trimap.isUnknown($0) }
        var matrix = StencilMatrix(width: width, height: height, active: unknown)
        var rightHandSide = [Float](repeating: 0, count: matrix.count)
        let windows = WindowStatistics(colours: colours, width: width, height: height,
                                       needed: unknown, epsilon: epsilon, threads: threads)
        let count = matrix.count
        let runs = matrix.runs
        let groups = matrix.runGroups(threads)
        matrix.coefficients.withUnsafeMutableBufferPointer { coefficients in
            rightHandSide.withUnsafeMutableBufferPointer { rightHandSide in
                colours.withUnsafeBufferPointer { colours in
                    trimap.values.withUnsafeBufferPointer { trimapValues in
                        nonisolated(unsafe) let coefficients = coefficients, rightHandSide = rightHandSide
                        parallelFor(groups.count, threads: groups.count) { parts in
                            var taps = [Double](repeating: 0, count: StencilMatrix.taps)
                            taps.withUnsafeMutableBufferPointer { taps in
                                for part in parts {
                                    for run in runs[groups[part]] {
                                        for t in 0..<run.count {
                                            let row = run.index + t
                                            let known = Self.row(x: run.x + t, y: run.y, into: taps, colours: colours,
                                                                 trimap: trimapValues, width: width,
                                                                 height: height, windows: windows)
                                            for tap in 0..<StencilMatrix.taps {
                                                coefficients[tap * count + row] = Float(taps[tap])
                                            }
                                            rightHandSide[row] = Float(-known)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return System(matrix: matrix, rightHandSide: rightHandSide)
    }

    /// Row i of L for the unknown pixel i at (x, y): writes the 25 stencil coefficients towards
    /// unknown pixels to `taps` and returns the sum of L(i, j) alpha_j over the known pixels j.
    @inline(__always)
    private static func row(x: Int, y: Int, into taps: UnsafeMutableBufferPointer<Double>,
                            colours: UnsafeBufferPointer<SIMD4<Float>>, trimap: UnsafeBufferPointer<UInt8>,
                            width: Int, height: Int, windows: WindowStatistics) -> Double {
        taps.update(repeating: 0)
        var known = 0.0
        let colour = SIMD4<Double>(colours[y * width + x])
        let area = Double(windowArea)
        // Windows holding (x, y): centres at most one pixel away, the window inside the image.
        for centreY in max(y - 1, 1)...min(y + 1, height - 2) {
            for centreX in max(x - 1, 1)...min(x + 1, width - 2) {
                guard let window = windows[x: centreX, y: centreY] else { continue }
                // v = (Sigma + epsilon / 9 I)^-1 (I_i - mu), then each L(i, j) term is
                // delta(i, j) - (1 + v . (I_j - mu)) / 9 = delta - (1 + v . I_j - v . mu) / 9.
                let v = window.solve(colour - window.mean)
                let offset = 1 - (v * window.mean).sum()
                for neighbourY in centreY - 1...centreY + 1 {
                    for neighbourX in centreX - 1...centreX + 1 {
                        let neighbour = neighbourY * width + neighbourX
                        let product = (v * SIMD4<Double>(colours[neighbour])).sum()
                        var value = -(offset + product) / area
                        if neighbourX == x && neighbourY == y { value += 1 }
                        let label = trimap[neighbour]
                        if Trimap.isUnknown(label) {
                            taps[(neighbourY - y + 2) * StencilMatrix.span + neighbourX - x + 2] += value
                        } else if label == Trimap.foreground {
                            known += value
                        }
                    }
                }
            }
        }
        return known
    }
}

/// Mean colour and regularised covariance of the 3x3 windows that hold a needed pixel.
///
/// The covariance Sigma + epsilon / 9 I is kept as its Cholesky factor and applied by solving, not
/// as an explicit inverse: with a tiny epsilon a window of rank-deficient colours (a flat patch,
/// grey pixels) has an inverse of norm ~ 9 / epsilon whose entries an adjugate formula gets only to
/// a relative 1e-10, an absolute error of ~1e-2 in the Laplacian; triangular solves are backward
/// stable and keep it near 1e-9.
struct WindowStatistics: Sendable {
    struct Window: Sendable {
        var mean: SIMD4<Double>
        /// Lower Cholesky factor of Sigma + epsilon / 9 I, diagonal stored as reciprocals.
        var inverseL00, l10, l20, inverseL11, l21, inverseL22: Double

        /// (Sigma + epsilon / 9 I)^-1 c.
        @inline(__always)
        func solve(_ c: SIMD4<Double>) -> SIMD4<Double> {
            let y0 = c.x * inverseL00
            let y1 = (c.y - l10 * y0) * inverseL11
            let y2 = (c.z - l20 * y0 - l21 * y1) * inverseL22
            let v2 = y2 * inverseL22
            let v1 = (y1 - l21 * v2) * inverseL11
            let v0 = (y0 - l10 * v1 - l20 * v2) * inverseL00
            return SIMD4(v0, v1, v2, 0)
        }

        static let zero = Window(mean: .zero, inverseL00: 0, l10: 0, l20: 0, inverseL11: 0, l21: 0, inverseL22: 0)

        init(mean: SIMD4<Double>, inverseL00: Double, l10: Double, l20: Double, inverseL11: Double, l21: Double,
             inverseL22: Double) {
            self.mean = mean
            self.inverseL00 = inverseL00
            self.l10 = l10
            self.l20 = l20
            self.inverseL11 = inverseL11
            self.l21 = l21
            self.inverseL22 = inverseL22
        }

        /// The window whose nine colours (RGB in [0, 1]) are `colour(dx, dy)`, dx and dy in -1...1.
        @inline(__always)
        init(epsilon: Double, colour: (Int, Int) -> SIMD4<Double>) {
            let area = Double(MattingLaplacian.windowArea)
            var sum = SIMD4<Double>()
            for dy in -1...1 { for dx in -1...1 { sum += colour(dx, dy) } }
            let mean = sum / area
            var s00 = 0.0, s01 = 0.0, s02 = 0.0, s11 = 0.0, s12 = 0.0, s22 = 0.0
            for dy in -1...1 {
                for dx in -1...1 {
                    let c = colour(dx, dy) - mean
                    s00 += c.x * c.x; s01 += c.x * c.y; s02 += c.x * c.z
                    s11 += c.y * c.y; s12 += c.y * c.z; s22 += c.z * c.z
                }
            }
            let regulariser = epsilon / area
            let a00 = s00 / area + regulariser, a01 = s01 / area, a02 = s02 / area
            let a11 = s11 / area + regulariser, a12 = s12 / area, a22 = s22 / area + regulariser
            // Cholesky; the pivots are at least the regulariser in exact arithmetic.
            let floor = regulariser * 1e-3
            let l00 = max(a00, floor).squareRoot()
            let l10 = a01 / l00, l20 = a02 / l00
            let l11 = max(a11 - l10 * l10, floor).squareRoot()
            let l21 = (a12 - l20 * l10) / l11
            let l22 = max(a22 - l20 * l20 - l21 * l21, floor).squareRoot()
            self.init(mean: mean, inverseL00: 1 / l00, l10: l10, l20: l20, inverseL11: 1 / l11, l21: l21,
                      inverseL22: 1 / l22)
        }
    }

    let width: Int
    /// Window number at each centre pixel, or -1.
    private let numbers: [Int32]
    private let windows: [Window]

    init(colours: [SIMD4<Float>], width: Int, height: Int, needed: [Bool], epsilon: Double, threads: Int) {
        self.width = width
        var numbers = [Int32](repeating: -1, count: width * height)
        var centres: [Int] = []
        if width >= 3 && height >= 3 {
            for y in 1..<height - 1 {
                for x in 1..<width - 1 {
                    var holdsNeeded = false
                    for v in y - 1...y + 1 { for u in x - 1...x + 1 where needed[v * width + u] { holdsNeeded = true } }
                    if holdsNeeded {
                        numbers[y * width + x] = Int32(centres.count)
                        centres.append(y * width + x)
                    }
                }
            }
        }
        self.numbers = numbers
        var windows = [Window](repeating: .zero, count: centres.count)
        windows.withUnsafeMutableBufferPointer { windows in
            colours.withUnsafeBufferPointer { colours in
                nonisolated(unsafe) let windows = windows
                parallelFor(centres.count, threads: centres.count >= 4096 ? threads : 1) { range in
                    for number in range {
                        let centre = centres[number]
                        windows[number] = Window(epsilon: epsilon) { dx, dy in
                            SIMD4<Double>(colours[centre + dy * width + dx])
                        }
                    }
                }
            }
        }
        self.windows = windows
    }

    /// The window centred on (x, y), if it holds a needed pixel.
    @inline(__always)
    subscript(x x: Int, y y: Int) -> Window? {
        let number = numbers[y * width + x]
        return number >= 0 ? windows[Int(number)] : nil
    }
}
