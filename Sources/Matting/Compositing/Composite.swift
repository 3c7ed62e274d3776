import Imaging
import Parallelism

/// What a composite puts behind the person.
public enum Backdrop: Sendable, Equatable {
    /// A solid colour.
    case colour(red: UInt8, green: UInt8, blue: UInt8)
    /// Another photo, scaled to cover the frame (aspect ratio kept) and centred; the overflow is cropped.
    case image(Image)
    /// The photo's own background, blurred: the matte's background estimate when it has one, else the
    /// photo with the person weighted out (see `Composite.blurredBackground`). `radius` is in pixels of
    /// the photo; nil picks `Composite.defaultBlurRadius`.
    case blur(radius: Int?)
}

/// Composites: a cut-out laid over a new background.
///
/// Blending is straight-alpha "over" (Porter and Duff, "Compositing Digital Images", 1984) on 8-bit
/// values: `out = (foreground * alpha + background * (255 - alpha)) / 255`, rounded to nearest.
public enum Composite {
    /// An RGB image of the matte's cut-out over `backdrop`, the size of the photo. A blurred backdrop
    /// blurs `matte.backgroundEstimate` (the estimate of what lies behind the person) when the matte has one.
    /// Rows are split over `threads`.
    public static func make(_ matte: Matte, over backdrop: Backdrop, threads: Int = 1) -> Image {
        make(cutout: matte.cutout, backgroundEstimate: matte.backgroundEstimate, over: backdrop, threads: threads)
    }

    /// An RGB image of `cutout` (RGBA, straight alpha) over `backdrop`, the size of `cutout`.
    ///
    /// - Parameter backgroundEstimate: RGB, the size of `cutout`: what lies behind the person. For
    ///   `.blur`, this is what gets blurred (so the person cannot bleed into the blur); when nil, the
    ///   cut-out's own colours are blurred with the person weighted out (`blurredBackground`).
    public static func make(cutout: Image, backgroundEstimate: Image? = nil, over backdrop: Backdrop,
                            threads: Int = 1) -> Image {
        precondition(cutout.channels == 4, "a cut-out is RGBA")
        switch backdrop {
        case .colour(let red, let green, let blue):
            return cutout.flattened(over: (red, green, blue), threads: threads)
        case .image(let image):
            return blend(cutout, over: cover(image, width: cutout.width, height: cutout.height, threads: threads),
                         threads: threads)
        case .blur(let radius):
            let radius = radius ?? defaultBlurRadius(width: cutout.width, height: cutout.height)
            if let estimate = backgroundEstimate {
                precondition(estimate.width == cutout.width && estimate.height == cutout.height,
                             "the background estimate and the cut-out differ in size")
                return blend(cutout, over: blurred(estimate, radius: radius, threads: threads), threads: threads)
            }
            return blend(cutout, over: blurredBackground(of: cutout, radius: radius, threads: threads), threads: threads)
        }
    }

    /// `cutout` (RGBA) over `background` (RGB, same size).
    static func blend(_ cutout: Image, over background: Image, threads: Int = 1) -> Image {
        precondition(background.channels == 3 && background.width == cutout.width && background.height == cutout.height)
        var output = background
        let width = cutout.width
        cutout.pixels.withUnsafeBufferPointer { source in
            output.pixels.withUnsafeMutableBufferPointer { target in
                nonisolated(unsafe) let target = target
                parallelFor(cutout.height, threads: threads) { rows in
                    for pixel in rows.lowerBound * width..<rows.upperBound * width {
                        let alpha = Int(source[pixel * 4 + 3])
                        for channel in 0..<3 {
                            let front = Int(source[pixel * 4 + channel]), back = Int(target[pixel * 3 + channel])
                            // At most (255 * 255 + 127) / 255 = 255: fits a UInt8.
                            target[pixel * 3 + channel] = UInt8((front * alpha + back * (255 - alpha) + 127) / 255)
                        }
                    }
                }
            }
        }
        return output
    }

    /// `image` (any channel count; RGBA flattened over white) scaled by the smallest factor that makes it
    /// cover `width` x `height`, centred, cropped to that size, bilinear sampling (half-pixel centres).
    /// Returns RGB; rows are split over `threads`.
    public static func cover(_ image: Image, width: Int, height: Int, threads: Int = 1) -> Image {
        // Already the size: bilinear sampling at scale 1 lands on the pixels themselves.
        if image.width == width && image.height == height && image.channels == 3 { return image }
        let source = image.channels == 4 ? image.flattened(over: (255, 255, 255), threads: threads) : image.rgb()
        guard source.width > 0, source.height > 0, width > 0, height > 0 else {
            return Image(width: width, height: height, channels: 3)
        }
        var output = Image.unfilled(width: width, height: height, channels: 3)
        let scale = max(Float(width) / Float(source.width), Float(height) / Float(source.height))
        // Offset of the crop window's left and top edges in source pixels.
        let left = (Float(source.width) - Float(width) / scale) / 2
        let top = (Float(source.height) - Float(height) / scale) / 2
        let columns = (0..<width).map { tap((Float($0) + 0.5) / scale + left - 0.5, length: source.width) }
        source.pixels.withUnsafeBufferPointer { pixels in
            output.pixels.withUnsafeMutableBufferPointer { target in
                nonisolated(unsafe) let target = target
                parallelFor(height, threads: threads) { rows in
                    for y in rows {
                        let row = tap((Float(y) + 0.5) / scale + top - 0.5, length: source.height)
                        for x in 0..<width {
                            let column = columns[x]
                            for channel in 0..<3 {
                                func at(_ sx: Int, _ sy: Int) -> Float { Float(pixels[(sy * source.width + sx) * 3 + channel]) }
                                let upper = at(column.low, row.low) + (at(column.high, row.low) - at(column.low, row.low)) * column.weight
                                let lower = at(column.low, row.high) + (at(column.high, row.high) - at(column.low, row.high)) * column.weight
                                target[(y * width + x) * 3 + channel] = UInt8(min(max(upper + (lower - upper) * row.weight + 0.5, 0), 255))
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// A blur radius that reads as a shallow depth of field: 4% of the longer side, at least 2 pixels.
    public static func defaultBlurRadius(width: Int, height: Int) -> Int {
        max(2, max(width, height) / 25)
    }

    /// Longest side of the grid the background is blurred on; larger photos are averaged down to it first.
    static let blurGridSide = 512

    /// The photo's background with the person blurred away, RGB, the size of `cutout`: the fallback for
    /// mattes without a background estimate.
    ///
    /// A normalised (weighted) box blur: each output colour is `sum(w * colour) / sum(w)` over a square
    /// window, with weight `w = (255 - alpha) + 1` so that person pixels barely count and windows that hold
    /// only person pixels still average to something (the person's own colour, there).
    public static func blurredBackground(of cutout: Image, radius: Int, threads: Int = 1) -> Image {
        precondition(cutout.channels == 4, "a cut-out is RGBA")
        return gridBlur(cutout, radius: radius, weightedByTransparency: true, threads: threads)
    }

    /// `image` (RGB) box-blurred with `radius` (pixels), RGB, the same size.
    public static func blurred(_ image: Image, radius: Int, threads: Int = 1) -> Image {
        gridBlur(image.rgb(), radius: radius, weightedByTransparency: false, threads: threads)
    }

    /// A box blur of `image` (RGB, or RGBA weighted by transparency), RGB, the same size: the blur held
    /// on its coarse grid (`BlurredGrid`), then sampled back at full size.
    static func gridBlur(_ image: Image, radius: Int, weightedByTransparency: Bool, threads: Int = 1) -> Image {
        BlurredGrid(image, radius: radius, weightedByTransparency: weightedByTransparency, threads: threads)
            .image(threads: threads)
    }

    /// Box sums: each output is the sum of `values` over the `(2 * radius + 1)` square window centred on
    /// it, clipped at the edges (no padding values). Separable running sums, O(1) per value and pass.
    /// `values` is row-major `width * height`.
    static func boxSum(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        precondition(values.count == width * height && radius >= 0)
        var horizontal = [Float](repeating: 0, count: values.count)
        for y in 0..<height {
            let base = y * width
            var sum: Float = 0
            for x in 0..<min(radius, width) { sum += values[base + x] }
            for x in 0..<width {
                if x + radius < width { sum += values[base + x + radius] }
                if x - radius - 1 >= 0 { sum -= values[base + x - radius - 1] }
                horizontal[base + x] = sum
            }
        }
        var output = [Float](repeating: 0, count: values.count)
        for x in 0..<width {
            var sum: Float = 0
            for y in 0..<min(radius, height) { sum += horizontal[y * width + x] }
            for y in 0..<height {
                if y + radius < height { sum += horizontal[(y + radius) * width + x] }
                if y - radius - 1 >= 0 { sum -= horizontal[(y - radius - 1) * width + x] }
                output[y * width + x] = sum
            }
        }
        return output
    }

    /// Slow twin of `boxSum`: adds up every window directly.
    static func boxSumReference(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        var output = [Float](repeating: 0, count: values.count)
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for windowY in max(0, y - radius)...min(height - 1, y + radius) {
                    for windowX in max(0, x - radius)...min(width - 1, x + radius) {
                        sum += values[windowY * width + windowX]
                    }
                }
                output[y * width + x] = sum
            }
        }
        return output
    }

    /// The two source indices and the weight of the second for a source position, edges clamped.
    static func tap(_ position: Float, length: Int) -> (low: Int, high: Int, weight: Float) {
        let clamped = min(max(position, 0), Float(length - 1))
        let low = Int(clamped)
        return (low, min(low + 1, length - 1), clamped - Float(low))
    }
}
