import Imaging
import Parallelism

/// The full-resolution pass of `MatteRefinement`: alpha, foreground and background colours at the
/// photo's size from estimates made on a coarser working grid, in one sweep over the photo.
///
/// At each photo pixel with colour I (RGB in [0, 1]) the working-grid quantities are bilinearly
/// upsampled (pixel centres aligned): the guided filter's coefficients (a, b), and the foreground
/// and background estimates F0 and B0 (`ForegroundEstimation`). Then
/// - alpha = a . I + b, clamped to [0, 1] and rounded to 8 bits (the fast guided filter of He and
///   Sun 2015);
/// - F and B minimise |alpha F + (1 - alpha) B - I|^2 + lambda (|F - F0|^2 + |B - B0|^2): with the
///   residual r = I - alpha F0 - (1 - alpha) B0,
///
///       F = F0 + alpha r / (alpha^2 + (1 - alpha)^2 + lambda),
///       B = B0 + (1 - alpha) r / (alpha^2 + (1 - alpha)^2 + lambda),
///
///   the least change of the estimates that recomposes the photo: its fine detail returns at full
///   resolution, while in the transition the colours stay those of the estimate, so the old
///   background does not show through the foreground. Clamped to [0, 1].
/// Pixels whose alpha rounds to 0 or 255 keep the photo's colour in the cut-out (F = I there, up
/// to lambda), and at 0 in the background too, without solving. The background is made only when asked
/// for (a blurred backdrop is its one use): without it, an opaque pixel is a copy.
enum ForegroundUpsampling {
    /// Regulariser lambda: small, so colours recompose the photo to within a level.
    static let regularization: Float = 1e-3

    /// Full-resolution outputs.
    struct Output {
        /// 8-bit grey alpha.
        var alpha: Image
        /// RGBA: foreground colours with `alpha` as straight alpha.
        var cutout: Image
        /// RGB background estimate; nil unless asked for.
        var background: Image?
    }

    /// - Parameters:
    ///   - photo: grey, RGB or RGBA (alpha channel ignored).
    ///   - alphaCoefficients: the guided filter's (a_red, a_green, a_blue, b) per working-grid pixel
    ///     (`GuidedFilter.coefficients`), row-major, `coefficientsWidth` x `coefficientsHeight`.
    ///   - estimate: foreground and background on a grid of its own (the working grid or coarser:
    ///     the colours vary slowly). Both grids no larger than the photo.
    ///   - estimatesBackground: also make `Output.background`.
    ///   - threads: rows are split over this many threads.
    static func upsample(photo: Image, alphaCoefficients: [SIMD4<Float>], coefficientsWidth lowWidth: Int,
                         coefficientsHeight lowHeight: Int, estimate: ForegroundEstimate,
                         refinedAlpha: Plane? = nil, estimatesBackground: Bool = true, threads: Int) -> Output {
        let width = photo.width, height = photo.height, channels = photo.channels
        precondition(alphaCoefficients.count == lowWidth * lowHeight, "coefficients do not fill their grid")
        let colourWidth = estimate.width, colourHeight = estimate.height
        let lowForeground = (0..<colourWidth * colourHeight).map {
            SIMD4(estimate.foreground[$0 * 3], estimate.foreground[$0 * 3 + 1], estimate.foreground[$0 * 3 + 2], 0)
        }
        let lowBackground = (0..<colourWidth * colourHeight).map {
            SIMD4(estimate.background[$0 * 3], estimate.background[$0 * 3 + 1], estimate.background[$0 * 3 + 2], 0)
        }
        // Working-grid cells whose coefficients give alpha 0 (or 1) whatever the colour: where all
        // four cells a pixel interpolates between agree, its alpha byte is known without arithmetic.
        let varying: UInt8 = 1
        let constants = alphaCoefficients.map { linear -> UInt8 in
            guard abs(linear.x) + abs(linear.y) + abs(linear.z) < 1e-6 else { return varying }
            return linear.w <= 1e-6 ? 0 : linear.w >= 1 - 1e-6 ? 255 : varying
        }
        // Every byte of the outputs is written below.
        var output = Output(alpha: .unfilled(width: width, height: height, channels: 1),
                            cutout: .unfilled(width: width, height: height, channels: 4))
        // Without a background, a one-pixel stand-in that is never written.
        var background = Image.unfilled(width: estimatesBackground ? width : 1, height: estimatesBackground ? height : 1,
                                        channels: 3)
        let scaleX = Float(lowWidth) / Float(width), scaleY = Float(lowHeight) / Float(height)
        let columns = (0..<width).map { Plane.tap(Float($0), scale: scaleX, length: lowWidth) }
        let colourScaleX = Float(colourWidth) / Float(width), colourScaleY = Float(colourHeight) / Float(height)
        let colourColumns = (0..<width).map { Plane.tap(Float($0), scale: colourScaleX, length: colourWidth) }
        let lambda = regularization
        let refinedValues = refinedAlpha?.values
        photo.pixels.withUnsafeBufferPointer { pixels in
            alphaCoefficients.withUnsafeBufferPointer { coefficients in
                constants.withUnsafeBufferPointer { constants in
                    lowForeground.withUnsafeBufferPointer { lowForeground in
                        lowBackground.withUnsafeBufferPointer { lowBackground in
                            output.alpha.pixels.withUnsafeMutableBufferPointer { alphaPixels in
                                output.cutout.pixels.withUnsafeMutableBufferPointer { cutoutPixels in
                                    background.pixels.withUnsafeMutableBufferPointer { backgroundPixels in
                                        nonisolated(unsafe) let alphaPixels = alphaPixels, cutoutPixels = cutoutPixels
                                        nonisolated(unsafe) let backgroundPixels = backgroundPixels
                                        parallelFor(height, threads: threads) { rows in
                                            for y in rows {
                                                let row = Plane.tap(Float(y), scale: scaleY, length: lowHeight)
                                                let top = row.low * lowWidth, bottom = row.high * lowWidth
                                                let colourRow = Plane.tap(Float(y), scale: colourScaleY, length: colourHeight)
                                                let colourTop = colourRow.low * colourWidth, colourBottom = colourRow.high * colourWidth
                                                for x in 0..<width {
                                                    let column = columns[x]
                                                    let topLeft = top + column.low, topRight = top + column.high
                                                    let bottomLeft = bottom + column.low, bottomRight = bottom + column.high
                                                    @inline(__always)
                                                    func sample(_ values: UnsafeBufferPointer<SIMD4<Float>>) -> SIMD4<Float> {
                                                        let upper = values[topLeft] + (values[topRight] - values[topLeft]) * column.weight
                                                        let lower = values[bottomLeft] + (values[bottomRight] - values[bottomLeft]) * column.weight
                                                        return upper + (lower - upper) * row.weight
                                                    }
                                                    /// Bilinear sample of a colour estimate.
                                                    @inline(__always)
                                                    func sampleColour(_ values: UnsafeBufferPointer<SIMD4<Float>>) -> SIMD4<Float> {
                                                        let column = colourColumns[x]
                                                        let left = column.low, right = column.high
                                                        let upper = values[colourTop + left] + (values[colourTop + right] - values[colourTop + left]) * column.weight
                                                        let lower = values[colourBottom + left] + (values[colourBottom + right] - values[colourBottom + left]) * column.weight
                                                        return upper + (lower - upper) * colourRow.weight
                                                    }
                                                    let index = y * width + x, base = index * channels
                                                    let red = pixels[base]
                                                    let green = channels >= 3 ? pixels[base + 1] : red
                                                    let blue = channels >= 3 ? pixels[base + 2] : red
                                                    let colour = SIMD4(Float(red), Float(green), Float(blue), 0) * (1 / 255)
                                                    let alphaByte: UInt8
                                                    let constant = constants[topLeft]
                                                    if let refined = refinedValues {
                                                        alphaByte = UInt8(min(max(refined[index], 0), 1) * 255 + 0.5)
                                                    } else if constant != varying && constants[topRight] == constant
                                                        && constants[bottomLeft] == constant && constants[bottomRight] == constant {
                                                        alphaByte = constant
                                                    } else {
                                                        let linear = sample(coefficients)
                                                        let value = linear.x * colour.x + linear.y * colour.y + linear.z * colour.z + linear.w
                                                        alphaByte = UInt8(min(max(value, 0), 1) * 255 + 0.5)
                                                    }
                                                    alphaPixels[index] = alphaByte
                                                    cutoutPixels[index * 4 + 3] = alphaByte
                                                    if alphaByte == 0 || alphaByte == 255 {
                                                        cutoutPixels[index * 4] = red
                                                        cutoutPixels[index * 4 + 1] = green
                                                        cutoutPixels[index * 4 + 2] = blue
                                                        guard estimatesBackground else { continue }
                                                        if alphaByte == 0 {
                                                            backgroundPixels[index * 3] = red
                                                            backgroundPixels[index * 3 + 1] = green
                                                            backgroundPixels[index * 3 + 2] = blue
                                                        } else {
                                                            let behind = sampleColour(lowBackground).unitClamped * 255 + 0.5
                                                            backgroundPixels[index * 3] = UInt8(behind.x)
                                                            backgroundPixels[index * 3 + 1] = UInt8(behind.y)
                                                            backgroundPixels[index * 3 + 2] = UInt8(behind.z)
                                                        }
                                                        continue
                                                    }
                                                    let foreground0 = sampleColour(lowForeground), background0 = sampleColour(lowBackground)
                                                    let a = Float(alphaByte) / 255, complement = 1 - a
                                                    let residual = colour - a * foreground0 - complement * background0
                                                    let step = residual / (a * a + complement * complement + lambda)
                                                    let foreground = (foreground0 + a * step).unitClamped * 255 + 0.5
                                                    cutoutPixels[index * 4] = UInt8(foreground.x)
                                                    cutoutPixels[index * 4 + 1] = UInt8(foreground.y)
                                                    cutoutPixels[index * 4 + 2] = UInt8(foreground.z)
                                                    guard estimatesBackground else { continue }
                                                    let behind = (background0 + complement * step).unitClamped * 255 + 0.5
                                                    backgroundPixels[index * 3] = UInt8(behind.x)
                                                    backgroundPixels[index * 3 + 1] = UInt8(behind.y)
                                                    backgroundPixels[index * 3 + 2] = UInt8(behind.z)
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
        }
        if estimatesBackground { output.background = background }
        return output
    }

    /// The same per pixel, written plainly from an alpha plane already at full resolution and the
    /// estimate upsampled by `Plane.resized`: the reference `upsample` is tested against.
    static func reference(photo: Image, alpha: Plane, estimate: ForegroundEstimate) -> (cutout: Image, background: Image) {
        let width = photo.width, height = photo.height, channels = photo.channels
        func upsampled(_ values: [Float], _ channel: Int) -> Plane {
            Plane(width: estimate.width, height: estimate.height,
                  values: (0..<estimate.width * estimate.height).map { values[$0 * 3 + channel] })
                .resized(width: width, height: height)
        }
        let foreground = (0..<3).map { upsampled(estimate.foreground, $0) }
        let background = (0..<3).map { upsampled(estimate.background, $0) }
        var cutout = Image(width: width, height: height, channels: 4)
        var behind = Image(width: width, height: height, channels: 3)
        for index in 0..<width * height {
            let a = Float(Plane.byte(alpha.values[index])) / 255
            for channel in 0..<3 {
                let colour = photo.pixels[index * channels + (channels >= 3 ? channel : 0)]
                let f0 = foreground[channel].values[index], b0 = background[channel].values[index]
                let residual = Float(colour) / 255 - a * f0 - (1 - a) * b0
                let step = residual / (a * a + (1 - a) * (1 - a) + regularization)
                let f = a == 0 || a == 1 ? Float(colour) / 255 : f0 + a * step
                let b = a == 0 ? Float(colour) / 255 : a == 1 ? b0 : b0 + (1 - a) * step
                cutout.pixels[index * 4 + channel] = Plane.byte(f)
                behind.pixels[index * 3 + channel] = Plane.byte(b)
            }
            cutout.pixels[index * 4 + 3] = Plane.byte(alpha.values[index])
        }
        return (cutout, behind)
    }
}
