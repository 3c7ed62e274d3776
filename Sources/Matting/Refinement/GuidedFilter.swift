import Imaging
import Inference

/// Edge-aware upsampling of a coarse probability map, guided by the full-resolution photo.
///
/// The colour guided filter of He, Sun and Tang, "Guided Image Filtering" (TPAMI 2013): within each
/// window the output is a linear function of the guide's RGB, `q = a . I + b`, fitted to the input
/// by ridge regression with regulariser `epsilon`. Run as the fast guided filter (He and Sun 2015):
/// the coefficients are fitted on a copy subsampled by `subsampling`, then bilinearly upsampled and
/// applied to the full-resolution guide, so edges follow the photo at its own resolution.
public struct GuidedFilter: Sendable {
    /// Window radius in full-resolution pixels.
    public var radius: Int
    /// Regularisation: larger values smooth more and follow the guide's edges less.
    public var epsilon: Float
    /// Factor by which the coefficients' grid is coarser than the photo.
    public var subsampling: Int

    public init(radius: Int, epsilon: Float = 1e-3, subsampling: Int = 4) {
        self.radius = max(radius, 1)
        self.epsilon = epsilon
        self.subsampling = max(subsampling, 1)
    }

    /// Filter parameters scaled to a photo: radius about 1.5% of the longer side, coefficients on a
    /// grid of at most ~512 pixels along that side.
    public static func forImage(width: Int, height: Int) -> GuidedFilter {
        let longer = max(width, height)
        return GuidedFilter(radius: max(2, longer * 15 / 1000), epsilon: 1e-3,
                            subsampling: max(1, longer / 512))
    }

    /// Filters `input` (any size; resampled to the guide's grid) guided by `guide` (grey, RGB or RGBA).
    /// Returns a plane of the guide's size, values clamped to [0, 1].
    public func apply(input: Plane, guide: Image, threads: Int = 1) -> Plane {
        let lowWidth = max(1, (guide.width + subsampling - 1) / subsampling)
        let lowHeight = max(1, (guide.height + subsampling - 1) / subsampling)
        let lowRadius = max(1, radius / subsampling)
        let lowGuide = Self.areaDownsample(guide, width: lowWidth, height: lowHeight)
        let lowInput = input.resized(width: lowWidth, height: lowHeight)

        // Window statistics on the low-resolution grid.
        let count = lowWidth * lowHeight
        func box(_ values: [Float]) -> [Float] { Self.boxMean(values, width: lowWidth, height: lowHeight, radius: lowRadius) }
        let red = lowGuide[0], green = lowGuide[1], blue = lowGuide[2], p = lowInput.values
        let meanR = box(red), meanG = box(green), meanB = box(blue), meanP = box(p)
        func product(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map(*) }
        let meanRR = box(product(red, red)), meanRG = box(product(red, green)), meanRB = box(product(red, blue))
        let meanGG = box(product(green, green)), meanGB = box(product(green, blue)), meanBB = box(product(blue, blue))
        let meanRP = box(product(red, p)), meanGP = box(product(green, p)), meanBP = box(product(blue, p))

        var coefficientR = [Float](repeating: 0, count: count), coefficientG = coefficientR
        var coefficientB = coefficientR, offset = coefficientR
        for index in 0..<count {
            // Covariance of the guide (symmetric 3x3) plus epsilon on the diagonal.
            let rr = meanRR[index] - meanR[index] * meanR[index] + epsilon
            let rg = meanRG[index] - meanR[index] * meanG[index]
            let rb = meanRB[index] - meanR[index] * meanB[index]
            let gg = meanGG[index] - meanG[index] * meanG[index] + epsilon
            let gb = meanGB[index] - meanG[index] * meanB[index]
            let bb = meanBB[index] - meanB[index] * meanB[index] + epsilon
            // Covariance of guide and input.
            let rp = meanRP[index] - meanR[index] * meanP[index]
            let gp = meanGP[index] - meanG[index] * meanP[index]
            let bp = meanBP[index] - meanB[index] * meanP[index]
            // Solve by the adjugate.
            let inverse00 = gg * bb - gb * gb, inverse01 = rb * gb - rg * bb, inverse02 = rg * gb - rb * gg
            let inverse11 = rr * bb - rb * rb, inverse12 = rb * rg - rr * gb, inverse22 = rr * gg - rg * rg
            let determinant = rr * inverse00 + rg * inverse01 + rb * inverse02
            let a0 = (inverse00 * rp + inverse01 * gp + inverse02 * bp) / determinant
            let a1 = (inverse01 * rp + inverse11 * gp + inverse12 * bp) / determinant
            let a2 = (inverse02 * rp + inverse12 * gp + inverse22 * bp) / determinant
            coefficientR[index] = a0
            coefficientG[index] = a1
            coefficientB[index] = a2
            offset[index] = meanP[index] - a0 * meanR[index] - a1 * meanG[index] - a2 * meanB[index]
        }
        let coefficients = [box(coefficientR), box(coefficientG), box(coefficientB), box(offset)]

        // Apply at full resolution, q = a . I + b, with a and b bilinearly upsampled on the fly.
        var result = Plane(width: guide.width, height: guide.height)
        let channels = guide.channels, width = guide.width
        let scaleX = Float(lowWidth) / Float(guide.width), scaleY = Float(lowHeight) / Float(guide.height)
        let columns = (0..<guide.width).map { Plane.tap(Float($0), scale: scaleX, length: lowWidth) }
        guide.pixels.withUnsafeBufferPointer { pixels in
            result.values.withUnsafeMutableBufferPointer { output in
                let output = output
                parallelFor(guide.height, threads: threads) { rows in
                    var interpolated = [Float](repeating: 0, count: 4)
                    for y in rows {
                        let row = Plane.tap(Float(y), scale: scaleY, length: lowHeight)
                        let top = row.low * lowWidth, bottom = row.high * lowWidth
                        for x in 0..<width {
                            let column = columns[x]
                            for plane in 0..<4 {
                                let values = coefficients[plane]
                                let upper = values[top + column.low] + (values[top + column.high] - values[top + column.low]) * column.weight
                                let lower = values[bottom + column.low] + (values[bottom + column.high] - values[bottom + column.low]) * column.weight
                                interpolated[plane] = upper + (lower - upper) * row.weight
                            }
                            let base = (y * width + x) * channels
                            let r = Float(pixels[base]) / 255
                            let g = channels >= 3 ? Float(pixels[base + 1]) / 255 : r
                            let b = channels >= 3 ? Float(pixels[base + 2]) / 255 : r
                            let value = interpolated[0] * r + interpolated[1] * g + interpolated[2] * b + interpolated[3]
                            output[y * width + x] = min(max(value, 0), 1)
                        }
                    }
                }
            }
        }
        return result
    }

    /// Mean over the (2 radius + 1)^2 window around each pixel, the window clipped to the grid.
    static func boxMean(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        var horizontal = [Float](repeating: 0, count: values.count)
        for y in 0..<height {
            var sum: Float = 0
            let row = y * width
            // Running sum over x with a window [x - radius, x + radius].
            for x in 0..<min(radius, width) { sum += values[row + x] }
            for x in 0..<width {
                if x + radius < width { sum += values[row + x + radius] }
                if x - radius - 1 >= 0 { sum -= values[row + x - radius - 1] }
                let span = min(x + radius, width - 1) - max(x - radius, 0) + 1
                horizontal[row + x] = sum / Float(span)
            }
        }
        var result = [Float](repeating: 0, count: values.count)
        var sums = [Float](repeating: 0, count: width)
        for y in 0..<min(radius, height) { for x in 0..<width { sums[x] += horizontal[y * width + x] } }
        for y in 0..<height {
            if y + radius < height { for x in 0..<width { sums[x] += horizontal[(y + radius) * width + x] } }
            if y - radius - 1 >= 0 { for x in 0..<width { sums[x] -= horizontal[(y - radius - 1) * width + x] } }
            let span = Float(min(y + radius, height - 1) - max(y - radius, 0) + 1)
            for x in 0..<width { result[y * width + x] = sums[x] / span }
        }
        return result
    }

    /// Box (area) downsample of the guide to three float planes in [0, 1] (grey replicated): each
    /// low-resolution cell averages the photo pixels that map into it.
    static func areaDownsample(_ image: Image, width: Int, height: Int) -> [[Float]] {
        var sums = [Float](repeating: 0, count: width * height * 3)
        var counts = [Float](repeating: 0, count: width * height)
        let channels = image.channels
        let cellOfColumn = (0..<image.width).map { $0 * width / image.width }
        image.pixels.withUnsafeBufferPointer { pixels in
            sums.withUnsafeMutableBufferPointer { sums in
                counts.withUnsafeMutableBufferPointer { counts in
                    for y in 0..<image.height {
                        let rowCell = (y * height / image.height) * width
                        var base = y * image.width * channels
                        for x in 0..<image.width {
                            let cell = rowCell + cellOfColumn[x]
                            let red = Float(pixels[base])
                            sums[cell * 3] += red
                            sums[cell * 3 + 1] += channels >= 3 ? Float(pixels[base + 1]) : red
                            sums[cell * 3 + 2] += channels >= 3 ? Float(pixels[base + 2]) : red
                            counts[cell] += 1
                            base += channels
                        }
                    }
                }
            }
        }
        return (0..<3).map { channel in
            (0..<width * height).map { cell in counts[cell] > 0 ? sums[cell * 3 + channel] / (counts[cell] * 255) : 0 }
        }
    }
}
