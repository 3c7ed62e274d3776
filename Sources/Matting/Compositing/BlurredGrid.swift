import Imaging
import Parallelism

/// A box blur of an image held on a coarse grid, cheap on large photos and on every frame of a video.
///
/// The (weighted) colour sums are accumulated over cells of `step x step` pixels (`step` chosen so the
/// grid's longer side is at most `Composite.blurGridSide`), box-blurred on that grid with radius
/// `radius / step`, and normalised: each cell holds `sum(w * colour) / sum(w)` over its window, with
/// `w = (255 - alpha) + 1` for an RGBA cut-out (person pixels barely count, and a window of only person
/// pixels still averages to something) and `w = 1` for RGB. Sampling back is bilinear, at pixel centres.
///
/// `image` gives the blur at full size; `composite` lays a cut-out over it in the same pass, so a video
/// frame over its blurred room costs one full-size pass instead of three (sample, copy, blend).
public struct BlurredGrid: Sendable {
    /// Size of the image blurred, and of what `image` and `composite` return.
    public let width: Int
    public let height: Int
    /// Pixels per cell along each axis.
    let step: Int
    let gridWidth: Int
    let gridHeight: Int
    /// The blurred colours, one plane per channel (red, green, blue), `gridWidth * gridHeight` cells
    /// row-major, in 0...255.
    let colours: [[Float]]

    /// - Parameters:
    ///   - image: RGB, or RGBA weighted by transparency when `weightedByTransparency`.
    ///   - radius: of the box, in pixels of `image`.
    public init(_ image: Image, radius: Int, weightedByTransparency: Bool, threads: Int = 1) {
        precondition(image.channels == (weightedByTransparency ? 4 : 3))
        width = image.width
        height = image.height
        step = max(1, (max(width, height) + Composite.blurGridSide - 1) / Composite.blurGridSide)
        gridWidth = (width + step - 1) / step
        gridHeight = (height + step - 1) / step
        let cells = gridWidth * gridHeight
        guard cells > 0 else {
            colours = [[], [], []]
            return
        }
        let sums = Self.cellSums(image, step: step, gridWidth: gridWidth, gridHeight: gridHeight,
                                 weightedByTransparency: weightedByTransparency, threads: threads)
        let weights = (0..<cells).map { sums[$0 * 4] }
        let reds = (0..<cells).map { sums[$0 * 4 + 1] }, greens = (0..<cells).map { sums[$0 * 4 + 2] }
        let blues = (0..<cells).map { sums[$0 * 4 + 3] }
        let gridRadius = max(1, (radius + step / 2) / step)
        let (gridWidth, gridHeight) = (gridWidth, gridHeight)
        let blurredWeights = Composite.boxSum(weights, width: gridWidth, height: gridHeight, radius: gridRadius)
        colours = [reds, greens, blues].map { sums in
            let blurred = Composite.boxSum(sums, width: gridWidth, height: gridHeight, radius: gridRadius)
            // Every cell holds at least one pixel of weight at least 1, so every window's weight is positive.
            return (0..<cells).map { blurred[$0] / blurredWeights[$0] }
        }
    }

    /// Per cell, interleaved: weight, weight x red, weight x green, weight x blue, summed over the cell's
    /// pixels (weight `256 - alpha`, or 1). The sums are whole numbers, added up exactly in integers a
    /// row of cells at a time, then converted once; bands of cell rows are split over `threads`.
    static func cellSums(_ image: Image, step: Int, gridWidth: Int, gridHeight: Int, weightedByTransparency: Bool,
                         threads: Int) -> [Float] {
        let width = image.width, height = image.height, channels = image.channels
        var sums = [Float](repeating: 0, count: gridWidth * gridHeight * 4)
        image.pixels.withUnsafeBufferPointer { pixels in
            sums.withUnsafeMutableBufferPointer { sums in
                nonisolated(unsafe) let sums = sums
                parallelFor(gridHeight, threads: threads) { gridRows in
                    var row = [Int](repeating: 0, count: gridWidth * 4)
                    for cellY in gridRows {
                        for index in row.indices { row[index] = 0 }
                        for y in cellY * step..<min(height, cellY * step + step) {
                            var base = y * width * channels
                            for cellX in 0..<gridWidth {
                                let count = min(width, cellX * step + step) - cellX * step
                                var weight = 0, red = 0, green = 0, blue = 0
                                if weightedByTransparency {
                                    for _ in 0..<count {
                                        let pixelWeight = 256 - Int(pixels[base + 3])
                                        weight += pixelWeight
                                        red += pixelWeight * Int(pixels[base])
                                        green += pixelWeight * Int(pixels[base + 1])
                                        blue += pixelWeight * Int(pixels[base + 2])
                                        base += 4
                                    }
                                } else {
                                    for _ in 0..<count {
                                        red += Int(pixels[base])
                                        green += Int(pixels[base + 1])
                                        blue += Int(pixels[base + 2])
                                        base += 3
                                    }
                                    weight = count
                                }
                                row[cellX * 4] += weight
                                row[cellX * 4 + 1] += red
                                row[cellX * 4 + 2] += green
                                row[cellX * 4 + 3] += blue
                            }
                        }
                        for index in 0..<gridWidth * 4 { sums[cellY * gridWidth * 4 + index] = Float(row[index]) }
                    }
                }
            }
        }
        return sums
    }

    /// Slow twin of `cellSums`: each pixel added into its cell in floating point, one at a time.
    static func cellSumsReference(_ image: Image, step: Int, gridWidth: Int, gridHeight: Int,
                                  weightedByTransparency: Bool) -> [Float] {
        var sums = [Float](repeating: 0, count: gridWidth * gridHeight * 4)
        for y in 0..<image.height {
            for x in 0..<image.width {
                let base = (y * image.width + x) * image.channels
                let weight: Float = weightedByTransparency ? Float(256 - Int(image.pixels[base + 3])) : 1
                let cell = ((y / step) * gridWidth + x / step) * 4
                sums[cell] += weight
                for channel in 0..<3 { sums[cell + 1 + channel] += weight * Float(image.pixels[base + channel]) }
            }
        }
        return sums
    }

    /// The blur at full size, RGB.
    public func image(threads: Int = 1) -> Image {
        guard gridWidth > 0, gridHeight > 0 else { return Image(width: width, height: height, channels: 3) }
        var output = Image.unfilled(width: width, height: height, channels: 3)
        let columns = self.columns
        let width = self.width, gridWidth = self.gridWidth, colours = self.colours
        output.pixels.withUnsafeMutableBufferPointer { target in
            nonisolated(unsafe) let target = target
            parallelFor(height, threads: threads) { rows in
                for y in rows {
                    let row = self.row(y)
                    let upper = row.low * gridWidth, lower = row.high * gridWidth
                    for channel in 0..<3 {
                        colours[channel].withUnsafeBufferPointer { plane in
                            for x in 0..<width {
                                target[(y * width + x) * 3 + channel] = Self.sample(plane, upper: upper, lower: lower,
                                                                                     rowWeight: row.weight, column: columns[x])
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// `colours` (RGB, or RGBA whose own alpha is not used) with `alpha` (grey, 255 opaque) as straight
    /// alpha, laid over the blur: RGB, the same as `Composite.blend` of that cut-out over `image()`, to the
    /// byte, without making either. Fully opaque pixels take their colour without sampling the blur.
    public func composite(colours: Image, alpha: Image, threads: Int = 1) -> Image {
        precondition(colours.width == width && colours.height == height && alpha.width == width && alpha.height == height)
        precondition(alpha.channels == 1 && colours.channels >= 3)
        guard gridWidth > 0, gridHeight > 0 else { return Image(width: width, height: height, channels: 3) }
        var output = Image.unfilled(width: width, height: height, channels: 3)
        let columns = self.columns
        let width = self.width, gridWidth = self.gridWidth, channels = colours.channels
        colours.pixels.withUnsafeBufferPointer { source in
            alpha.pixels.withUnsafeBufferPointer { alpha in
                self.colours[0].withUnsafeBufferPointer { red in
                    self.colours[1].withUnsafeBufferPointer { green in
                        self.colours[2].withUnsafeBufferPointer { blue in
                            output.pixels.withUnsafeMutableBufferPointer { target in
                                nonisolated(unsafe) let target = target
                                parallelFor(height, threads: threads) { rows in
                                    for y in rows {
                                        let row = self.row(y)
                                        let upper = row.low * gridWidth, lower = row.high * gridWidth
                                        for x in 0..<width {
                                            let pixel = y * width + x
                                            let opacity = Int(alpha[pixel])
                                            let base = pixel * channels, out = pixel * 3
                                            if opacity == 255 {
                                                target[out] = source[base]
                                                target[out + 1] = source[base + 1]
                                                target[out + 2] = source[base + 2]
                                                continue
                                            }
                                            let column = columns[x]
                                            let back = (Self.sample(red, upper: upper, lower: lower, rowWeight: row.weight, column: column),
                                                        Self.sample(green, upper: upper, lower: lower, rowWeight: row.weight, column: column),
                                                        Self.sample(blue, upper: upper, lower: lower, rowWeight: row.weight, column: column))
                                            // At most (255 * 255 + 127) / 255 = 255: fits a UInt8.
                                            target[out] = UInt8((Int(source[base]) * opacity + Int(back.0) * (255 - opacity) + 127) / 255)
                                            target[out + 1] = UInt8((Int(source[base + 1]) * opacity + Int(back.1) * (255 - opacity) + 127) / 255)
                                            target[out + 2] = UInt8((Int(source[base + 2]) * opacity + Int(back.2) * (255 - opacity) + 127) / 255)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// The grid columns each full-size column samples.
    private var columns: [(low: Int, high: Int, weight: Float)] {
        (0..<width).map { Composite.tap((Float($0) + 0.5) / Float(step) - 0.5, length: gridWidth) }
    }

    /// The grid rows full-size row `y` samples.
    private func row(_ y: Int) -> (low: Int, high: Int, weight: Float) {
        Composite.tap((Float(y) + 0.5) / Float(step) - 0.5, length: gridHeight)
    }

    /// One channel bilinearly sampled, rounded to a byte.
    @inline(__always)
    private static func sample(_ plane: UnsafeBufferPointer<Float>, upper: Int, lower: Int, rowWeight: Float,
                               column: (low: Int, high: Int, weight: Float)) -> UInt8 {
        let upperLeft = plane[upper + column.low], upperRight = plane[upper + column.high]
        let lowerLeft = plane[lower + column.low], lowerRight = plane[lower + column.high]
        let top = upperLeft + (upperRight - upperLeft) * column.weight
        let bottom = lowerLeft + (lowerRight - lowerLeft) * column.weight
        return UInt8(min(max(top + (bottom - top) * rowWeight + 0.5, 0), 255))
    }
}
