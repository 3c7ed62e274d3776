import Foundation
import Imaging
import Parallelism

/// Foreground and background colours behind a photo, given its alpha matte: the multi-level
/// estimation of Germer, Uelwer, Conrad and Harmeling, "Fast Multi-Level Foreground Estimation"
/// (ICPR 2020), as PyMatting's `estimate_foreground_ml` runs it.
///
/// Each pixel's colour is modelled as I = alpha F + (1 - alpha) B. Per pixel, F and B minimise
/// |alpha F + (1 - alpha) B - I|^2 plus, towards each of the four neighbours n,
/// (regularization + gradientWeight |alpha - alpha_n|) (|F - F_n|^2 + |B - B_n|^2): a 2x2 system
/// solved in closed form, the result clamped to [0, 1]. The problem is solved coarse to fine: from
/// a 1x1 image holding the mean colours of sure foreground (alpha > 0.9) and sure background
/// (alpha < 0.1), up a pyramid of nearest-neighbour resizes (sides w^(l/L), h^(l/L), L =
/// ceil(log2(max(w, h)))), each level starting from the previous one's result and swept a few times.
/// Sweeps go in red-black order (pixels with x + y even, then odd), which is Gauss-Seidel and runs
/// in parallel; PyMatting sweeps in raster order.
public struct ForegroundEstimation: Sendable {
    public var regularization: Float
    public var gradientWeight: Float
    /// Sweeps on levels at most `smallSize` on both sides, and on larger levels.
    public var smallIterations: Int
    public var largeIterations: Int
    public var smallSize: Int
    public var threads: Int

    public init(regularization: Float = 1e-5, gradientWeight: Float = 1, smallIterations: Int = 10,
                largeIterations: Int = 2, smallSize: Int = 32, threads: Int = 1) {
        self.regularization = regularization
        self.gradientWeight = gradientWeight
        self.smallIterations = smallIterations
        self.largeIterations = largeIterations
        self.smallSize = smallSize
        self.threads = max(threads, 1)
    }

    /// Foreground and background of `image` (grey, RGB or RGBA; alpha channel ignored) under
    /// `alpha` (same size, [0, 1]).
    public func estimate(image: Image, alpha: Plane) -> ForegroundEstimate {
        precondition(image.width == alpha.width && image.height == alpha.height,
                     "alpha \(alpha.width)x\(alpha.height) for a \(image.width)x\(image.height) photo")
        let width = image.width, height = image.height
        guard width > 0 && height > 0 else {
            return ForegroundEstimate(width: width, height: height, foreground: [], background: [])
        }
        let colours = MattingLaplacian.colours(of: image)
        let alphas = alpha.values.map { min(max($0, 0), 1) }

        var foregroundSum = SIMD4<Float>(), backgroundSum = SIMD4<Float>()
        var foregroundCount: Float = 0, backgroundCount: Float = 0
        for index in 0..<width * height {
            if alphas[index] > 0.9 { foregroundSum += colours[index]; foregroundCount += 1 }
            if alphas[index] < 0.1 { backgroundSum += colours[index]; backgroundCount += 1 }
        }
        var foreground = [foregroundSum / (foregroundCount + 1e-5)]
        var background = [backgroundSum / (backgroundCount + 1e-5)]
        var previousWidth = 1, previousHeight = 1

        let levels = Int(log2(Double(max(width, height))).rounded(.up))
        for level in 0...max(levels, 0) {
            let fraction = levels > 0 ? Double(level) / Double(levels) : 1
            let levelWidth = max(1, Int(pow(Double(width), fraction).rounded()))
            let levelHeight = max(1, Int(pow(Double(height), fraction).rounded()))
            let levelColours = Self.nearest(colours, width: width, height: height, to: levelWidth, levelHeight)
            let levelAlphas = Self.nearest(alphas, width: width, height: height, to: levelWidth, levelHeight)
            foreground = Self.nearest(foreground, width: previousWidth, height: previousHeight, to: levelWidth, levelHeight)
            background = Self.nearest(background, width: previousWidth, height: previousHeight, to: levelWidth, levelHeight)
            let sweeps = levelWidth <= smallSize && levelHeight <= smallSize ? smallIterations : largeIterations
            for _ in 0..<sweeps {
                for parity in 0..<2 {
                    sweep(parity: parity, colours: levelColours, alphas: levelAlphas, width: levelWidth,
                          height: levelHeight, foreground: &foreground, background: &background)
                }
            }
            previousWidth = levelWidth
            previousHeight = levelHeight
        }
        var result = ForegroundEstimate(width: width, height: height,
                                        foreground: [Float](repeating: 0, count: width * height * 3),
                                        background: [Float](repeating: 0, count: width * height * 3))
        for index in 0..<width * height {
            for channel in 0..<3 {
                result.foreground[index * 3 + channel] = foreground[index][channel]
                result.background[index * 3 + channel] = background[index][channel]
            }
        }
        return result
    }

    /// Updates the pixels with (x + y) % 2 == parity; they depend only on the other parity.
    private func sweep(parity: Int, colours: [SIMD4<Float>], alphas: [Float], width: Int, height: Int,
                       foreground: inout [SIMD4<Float>], background: inout [SIMD4<Float>]) {
        let regularization = regularization, gradientWeight = gradientWeight
        foreground.withUnsafeMutableBufferPointer { foreground in
            background.withUnsafeMutableBufferPointer { background in
                nonisolated(unsafe) let foreground = foreground, background = background
                parallelFor(height, threads: width * height >= 65_536 ? threads : 1) { rows in
                    for y in rows {
                        let up = max(y - 1, 0) * width, down = min(y + 1, height - 1) * width, row = y * width
                        var x = (parity + y) & 1
                        while x < width {
                            let index = row + x
                            let alpha = alphas[index], complement = 1 - alpha
                            var a00 = alpha * alpha, a11 = complement * complement
                            let a01 = alpha * complement
                            var b0 = alpha * colours[index], b1 = complement * colours[index]
                            func couple(_ neighbour: Int) {
                                let weight = regularization + gradientWeight * abs(alpha - alphas[neighbour])
                                a00 += weight
                                a11 += weight
                                b0 += weight * foreground[neighbour]
                                b1 += weight * background[neighbour]
                            }
                            couple(row + max(x - 1, 0))
                            couple(row + min(x + 1, width - 1))
                            couple(up + x)
                            couple(down + x)
                            let inverseDeterminant = 1 / (a00 * a11 - a01 * a01)
                            let newForeground = (a11 * b0 - a01 * b1) * inverseDeterminant
                            let newBackground = (a00 * b1 - a01 * b0) * inverseDeterminant
                            foreground[index] = newForeground.unitClamped
                            background[index] = newBackground.unitClamped
                            x += 2
                        }
                    }
                }
            }
        }
    }

    /// Nearest-neighbour resize: target (x, y) takes source (x * width / newWidth, y * height / newHeight).
    static func nearest<Element>(_ values: [Element], width: Int, height: Int, to newWidth: Int,
                                 _ newHeight: Int) -> [Element] {
        if newWidth == width && newHeight == height { return values }
        let columns = (0..<newWidth).map { min(width - 1, $0 * width / newWidth) }
        var result: [Element] = []
        result.reserveCapacity(newWidth * newHeight)
        for y in 0..<newHeight {
            let row = min(height - 1, y * height / newHeight) * width
            for x in 0..<newWidth { result.append(values[row + columns[x]]) }
        }
        return result
    }
}

/// Foreground and background colours: `width * height * 3` values each, RGB interleaved, row-major,
/// in [0, 1].
public struct ForegroundEstimate: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var foreground: [Float]
    public var background: [Float]

    /// An 8-bit RGBA cut-out: the estimated foreground colours with `alpha` as straight alpha
    /// (free of the old background's colour fringes).
    public func cutout(alpha: Plane) -> Image {
        precondition(alpha.width == width && alpha.height == height)
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        for index in 0..<width * height {
            for channel in 0..<3 { pixels[index * 4 + channel] = Plane.byte(foreground[index * 3 + channel]) }
            pixels[index * 4 + 3] = Plane.byte(alpha.values[index])
        }
        return Image(width: width, height: height, channels: 4, pixels: pixels)
    }
}
