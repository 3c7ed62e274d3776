import Imaging
import Inference

/// Full-resolution foreground and background colours from an estimate made at a reduced resolution
/// (`ForegroundEstimation` on a downsampled photo).
///
/// At each photo pixel with colour I and alpha a, the low-resolution estimates F0 and B0 are
/// bilinearly upsampled (pixel centres aligned), then F and B minimise
/// |a F + (1 - a) B - I|^2 + lambda (|F - F0|^2 + |B - B0|^2): with the residual
/// r = I - a F0 - (1 - a) B0,
///
///     F = F0 + a r / (a^2 + (1 - a)^2 + lambda),    B = B0 + (1 - a) r / (a^2 + (1 - a)^2 + lambda),
///
/// the least change of the estimates that recomposes the photo. So the
/// photo's own fine detail returns at full resolution (F = I where a = 1, B = I where a = 0), while
/// in the transition the colours stay those of the estimate and the old background does not show
/// through the foreground. Results are clamped to [0, 1].
enum ForegroundUpsampling {
    /// Regulariser lambda: small, so colours recompose the photo to within a level.
    static let regularization: Float = 1e-3

    /// The RGBA cut-out (foreground colours, `alpha` as straight alpha) and the RGB background of
    /// `photo` (grey, RGB or RGBA; alpha channel ignored), `alpha` of the photo's size, the estimate
    /// of any smaller (or equal) size. Rows are split over `threads` threads.
    static func compose(photo: Image, alpha: Plane, estimate: ForegroundEstimate,
                        threads: Int) -> (cutout: Image, background: Image) {
        precondition(photo.width == alpha.width && photo.height == alpha.height, "alpha and photo sizes differ")
        let width = photo.width, height = photo.height, channels = photo.channels
        let lowWidth = estimate.width, lowHeight = estimate.height
        // Foreground in xyz, background in w of two SIMD4s per low-resolution pixel.
        let lowForeground = (0..<lowWidth * lowHeight).map {
            SIMD4(estimate.foreground[$0 * 3], estimate.foreground[$0 * 3 + 1], estimate.foreground[$0 * 3 + 2], 0)
        }
        let lowBackground = (0..<lowWidth * lowHeight).map {
            SIMD4(estimate.background[$0 * 3], estimate.background[$0 * 3 + 1], estimate.background[$0 * 3 + 2], 0)
        }
        var cutout = Image(width: width, height: height, channels: 4)
        var background = Image(width: width, height: height, channels: 3)
        let scaleX = Float(lowWidth) / Float(width), scaleY = Float(lowHeight) / Float(height)
        let columns = (0..<width).map { Plane.tap(Float($0), scale: scaleX, length: lowWidth) }
        let lambda = regularization
        photo.pixels.withUnsafeBufferPointer { pixels in
            alpha.values.withUnsafeBufferPointer { alphas in
                cutout.pixels.withUnsafeMutableBufferPointer { cutoutPixels in
                    background.pixels.withUnsafeMutableBufferPointer { backgroundPixels in
                        nonisolated(unsafe) let cutoutPixels = cutoutPixels, backgroundPixels = backgroundPixels
                        parallelFor(height, threads: threads) { rows in
                            for y in rows {
                                let row = Plane.tap(Float(y), scale: scaleY, length: lowHeight)
                                let top = row.low * lowWidth, bottom = row.high * lowWidth
                                func sample(_ values: [SIMD4<Float>], _ column: (low: Int, high: Int, weight: Float)) -> SIMD4<Float> {
                                    let upper = values[top + column.low] + (values[top + column.high] - values[top + column.low]) * column.weight
                                    let lower = values[bottom + column.low] + (values[bottom + column.high] - values[bottom + column.low]) * column.weight
                                    return upper + (lower - upper) * row.weight
                                }
                                for x in 0..<width {
                                    let index = y * width + x, base = index * channels
                                    let red = Float(pixels[base])
                                    let colour = channels >= 3
                                        ? SIMD4(red, Float(pixels[base + 1]), Float(pixels[base + 2]), 0) / 255
                                        : SIMD4(red, red, red, 0) / 255
                                    let a = min(max(alphas[index], 0), 1), complement = 1 - a
                                    let foreground0 = sample(lowForeground, columns[x])
                                    let background0 = sample(lowBackground, columns[x])
                                    let residual = colour - a * foreground0 - complement * background0
                                    let step = residual / (a * a + complement * complement + lambda)
                                    let foreground = (foreground0 + a * step).clamped(lowerBound: .zero, upperBound: .one)
                                    let behind = (background0 + complement * step).clamped(lowerBound: .zero, upperBound: .one)
                                    for channel in 0..<3 {
                                        cutoutPixels[index * 4 + channel] = UInt8(foreground[channel] * 255 + 0.5)
                                        backgroundPixels[index * 3 + channel] = UInt8(behind[channel] * 255 + 0.5)
                                    }
                                    cutoutPixels[index * 4 + 3] = UInt8(a * 255 + 0.5)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (cutout, background)
    }
}
