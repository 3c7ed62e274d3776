import Imaging
import Inference

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
                lowForeground.withUnsafeBufferPointer { lowForeground in
                    lowBackground.withUnsafeBufferPointer { lowBackground in
                        output.alpha.pixels.withUnsafeMutableBufferPointer { alphaPixels in
                            output.cutout.pixels.withUnsafeMutableBufferPointer { cutoutPixels in
                                background.pixels.withUnsafeMutableBufferPointer { backgroundPixels in
                                    nonisolated(unsafe) let alphaPixels = alphaPixels, cutoutPixels = cutoutPixels
                                    nonisolated(unsafe) let backgroundPixels = backgroundPixels
                                    parallelFor(height, threads: threads) { rows in
                                        let alphaRows = AlphaRows(coefficients: coefficients, lowWidth: lowWidth,
                                                                  columns: columns)
                                        for y in rows {
                                            let alphaRow = alphaPixels.baseAddress! + y * width
                                            let photoRow = pixels.baseAddress! + y * width * channels
                                            if let refined = refinedValues {
                                                for x in 0..<width {
                                                    alphaRow[x] = UInt8(min(max(refined[y * width + x], 0), 1) * 255 + 0.5)
                                                }
                                            } else {
                                                alphaRows.evaluate(row: Plane.tap(Float(y), scale: scaleY, length: lowHeight),
                                                                   photo: photoRow, channels: channels, into: alphaRow)
                                            }
                                            let colourRow = Plane.tap(Float(y), scale: colourScaleY, length: colourHeight)
                                            let colourTop = colourRow.low * colourWidth, colourBottom = colourRow.high * colourWidth
                                            /// Bilinear sample of a colour estimate at column `x`.
                                            @inline(__always)
                                            func sampleColour(_ values: UnsafeBufferPointer<SIMD4<Float>>, _ x: Int) -> SIMD4<Float> {
                                                let column = colourColumns[x]
                                                let left = column.low, right = column.high
                                                let upper = values[colourTop + left] + (values[colourTop + right] - values[colourTop + left]) * column.weight
                                                let lower = values[colourBottom + left] + (values[colourBottom + right] - values[colourBottom + left]) * column.weight
                                                return upper + (lower - upper) * colourRow.weight
                                            }
                                            for x in 0..<width {
                                                let index = y * width + x, base = x * channels
                                                let red = photoRow[base]
                                                let green = channels >= 3 ? photoRow[base + 1] : red
                                                let blue = channels >= 3 ? photoRow[base + 2] : red
                                                let alphaByte = alphaRow[x]
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
                                                        let behind = sampleColour(lowBackground, x).unitClamped * 255 + 0.5
                                                        backgroundPixels[index * 3] = UInt8(behind.x)
                                                        backgroundPixels[index * 3 + 1] = UInt8(behind.y)
                                                        backgroundPixels[index * 3 + 2] = UInt8(behind.z)
                                                    }
                                                    continue
                                                }
                                                let colour = SIMD4(Float(red), Float(green), Float(blue), 0) * (1 / 255)
                                                let foreground0 = sampleColour(lowForeground, x), background0 = sampleColour(lowBackground, x)
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
        if estimatesBackground { output.background = background }
        return output
    }

    /// The alpha bytes of photo rows from the guided filter's coefficients, 16 pixels at a time: the
    /// coefficients of a working-grid row are interpolated along the row once (kept while photo rows
    /// fall between it and the next), then between the two grid rows, and applied to the pixels'
    /// colours, with the arithmetic and order of `GuidedFilter.evaluate`, so the bytes are its bytes.
    /// Belongs to one thread.
    final class AlphaRows {
        private let coefficients: UnsafeBufferPointer<SIMD4<Float>>
        private let lowWidth: Int
        private let columns: [(low: Int, high: Int, weight: Float)]
        /// The photo's width rounded up to 16.
        private let padded: Int
        /// Two slots of a grid row interpolated along the row, each 4 planes (a_red, a_green, a_blue,
        /// b) of `padded` floats, then the photo row's colours in [0, 1], 3 planes.
        private let storage: UnsafeMutablePointer<Float>
        /// The grid row each slot holds, or -1.
        private var held = (-1, -1)

        init(coefficients: UnsafeBufferPointer<SIMD4<Float>>, lowWidth: Int,
             columns: [(low: Int, high: Int, weight: Float)]) {
            self.coefficients = coefficients
            self.lowWidth = lowWidth
            self.columns = columns
            padded = (columns.count + 15) / 16 * 16
            storage = .allocate(capacity: 11 * padded)
            storage.initialize(repeating: 0, count: 11 * padded)
        }

        deinit { storage.deallocate() }

        /// The planes of slot `slot`.
        private func planes(_ slot: Int) -> UnsafeMutablePointer<Float> { storage + slot * 4 * padded }

        /// The slot holding grid row `row` interpolated along the row, filled when it is not held; not
        /// slot `keep`.
        private func slot(for row: Int, keep: Int) -> Int {
            if held.0 == row { return 0 }
            if held.1 == row { return 1 }
            let slot = keep == 0 ? 1 : 0
            if slot == 0 { held.0 = row } else { held.1 = row }
            let planes = self.planes(slot), base = row * lowWidth
            for x in 0..<columns.count {
                let column = columns[x]
                let left = coefficients[base + column.low], right = coefficients[base + column.high]
                let value = left + (right - left) * column.weight
                planes[x] = value.x
                planes[padded + x] = value.y
                planes[2 * padded + x] = value.z
                planes[3 * padded + x] = value.w
            }
            return slot
        }

        /// Writes the alpha bytes of the photo row at `photo` (`channels` bytes a pixel) lying between
        /// grid rows `row.low` and `row.high` at `row.weight`.
        func evaluate(row: (low: Int, high: Int, weight: Float), photo: UnsafePointer<UInt8>, channels: Int,
                      into alpha: UnsafeMutablePointer<UInt8>) {
            let width = columns.count
            let top = planes(slot(for: row.low, keep: -1))
            let bottom = planes(slot(for: row.high, keep: held.0 == row.low ? 0 : 1))
            let colours = storage + 8 * padded
            for x in 0..<width {
                let red = photo[x * channels]
                colours[x] = Float(red) * (1 / 255)
                colours[padded + x] = Float(channels >= 3 ? photo[x * channels + 1] : red) * (1 / 255)
                colours[2 * padded + x] = Float(channels >= 3 ? photo[x * channels + 2] : red) * (1 / 255)
            }
            let weight = SIMD16<Float>(repeating: row.weight)
            @inline(__always)
            func load(_ plane: UnsafeMutablePointer<Float>, _ x: Int) -> SIMD16<Float> {
                UnsafeRawPointer(plane + x).loadUnaligned(as: SIMD16<Float>.self)
            }
            var x = 0
            while x < width {
                @inline(__always)
                func component(_ index: Int) -> SIMD16<Float> {
                    let upper = load(top + index * padded, x), lower = load(bottom + index * padded, x)
                    return upper + (lower - upper) * weight
                }
                let value = component(0) * load(colours, x) + component(1) * load(colours + padded, x)
                    + component(2) * load(colours + 2 * padded, x) + component(3)
                let scaled = value.clamped(lowerBound: .zero, upperBound: .one) * 255 + 0.5
                let bytes = SIMD16<UInt8>(truncatingIfNeeded: SIMD16<Int32>(scaled, rounding: .towardZero))
                for lane in 0..<min(16, width - x) { alpha[x + lane] = bytes[lane] }
                x += 16
            }
        }
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
