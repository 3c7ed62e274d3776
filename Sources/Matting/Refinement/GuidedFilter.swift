import Imaging
import Parallelism

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

    /// Filters `input` (any size; resampled to the coefficients' grid) guided by `guide` (grey, RGB or
    /// RGBA). Returns a plane of the guide's size, values clamped to [0, 1].
    public func apply(input: Plane, guide: Image, threads: Int = 1) -> Plane {
        let lowWidth = max(1, (guide.width + subsampling - 1) / subsampling)
        let lowHeight = max(1, (guide.height + subsampling - 1) / subsampling)
        let lowGuide = guide.areaDownsampled(width: lowWidth, height: lowHeight, threads: threads)
        return apply(input: input, guide: guide, lowGuide: lowGuide, threads: threads)
    }

    /// Filters `input` guided by `guide`, fitting the coefficients on `lowGuide`: the guide already
    /// area-downsampled (`Image.areaDownsampled`) to the grid of the caller's choice, which overrides
    /// `subsampling`. The window radius is `radius` scaled to that grid (at least 1).
    public func apply(input: Plane, guide: Image, lowGuide: Image, threads: Int = 1) -> Plane {
        let lowRadius = max(1, Int((Float(radius) * Float(lowGuide.width) / Float(guide.width)).rounded()))
        let coefficients = coefficients(input: input, lowGuide: lowGuide, lowRadius: lowRadius, threads: threads)
        return Self.evaluate(coefficients, width: lowGuide.width, height: lowGuide.height, guide: guide, threads: threads)
    }

    /// The window-averaged linear coefficients (a_red, a_green, a_blue, b) on `lowGuide`'s grid,
    /// `input` resampled to that grid first.
    ///
    /// The thirteen planes whose window means the fit needs (the guide's colour, the input, their
    /// products) are filtered together, interleaved in the lanes of one SIMD16 a pixel, and the four
    /// coefficients likewise in a SIMD4: the same sums in the same order as `coefficientsReference`,
    /// equal to it to the bit.
    func coefficients(input: Plane, lowGuide: Image, lowRadius: Int, threads: Int) -> [SIMD4<Float>] {
        let lowWidth = lowGuide.width, lowHeight = lowGuide.height, count = lowWidth * lowHeight
        let colours = MattingLaplacian.colours(of: lowGuide)
        let p = input.width == lowWidth && input.height == lowHeight
            ? input.values : input.resized(width: lowWidth, height: lowHeight).values
        // Lanes: red, green, blue, p; red red, red green, red blue, green green, green blue, blue blue;
        // red p, green p, blue p.
        var moments = (0..<count).map { index -> SIMD16<Float> in
            let colour = colours[index], value = p[index]
            let red = colour.x, green = colour.y, blue = colour.z
            return SIMD16(red, green, blue, value, red * red, red * green, red * blue, green * green, green * blue,
                          blue * blue, red * value, green * value, blue * value, 0, 0, 0)
        }
        Self.replaceByBoxMeans(&moments, width: lowWidth, height: lowHeight, radius: lowRadius, threads: threads)
        let means = moments
        var linear = [SIMD4<Float>](repeating: .zero, count: count)
        linear.withUnsafeMutableBufferPointer { linear in
            nonisolated(unsafe) let linear = linear
            parallelFor(count, threads: threads) { indices in
                for index in indices {
                    linear[index] = Self.linearModel(means[index], epsilon: epsilon)
                }
            }
        }
        Self.replaceByBoxMeans(&linear, width: lowWidth, height: lowHeight, radius: lowRadius, threads: threads)
        return linear
    }

    /// One window's linear model (a_red, a_green, a_blue, b) of the input in the guide's colours, from
    /// the window means in `coefficients`' lane order: a = (Sigma + epsilon U)^-1 cov(I, p) by the
    /// adjugate of the symmetric 3x3 covariance, b = mean(p) - a . mean(I) (the colour guide of He et al.).
    @inline(__always)
    static func linearModel(_ mean: SIMD16<Float>, epsilon: Float) -> SIMD4<Float> {
        let meanR = mean[0], meanG = mean[1], meanB = mean[2], meanP = mean[3]
        // Covariance of the guide (symmetric 3x3) plus epsilon on the diagonal.
        let rr = mean[4] - meanR * meanR + epsilon
        let rg = mean[5] - meanR * meanG
        let rb = mean[6] - meanR * meanB
        let gg = mean[7] - meanG * meanG + epsilon
        let gb = mean[8] - meanG * meanB
        let bb = mean[9] - meanB * meanB + epsilon
        // Covariance of guide and input.
        let rp = mean[10] - meanR * meanP
        let gp = mean[11] - meanG * meanP
        let bp = mean[12] - meanB * meanP
        // Solve by the adjugate.
        let inverse00 = gg * bb - gb * gb, inverse01 = rb * gb - rg * bb, inverse02 = rg * gb - rb * gg
        let inverse11 = rr * bb - rb * rb, inverse12 = rb * rg - rr * gb, inverse22 = rr * gg - rg * rg
        let determinant = rr * inverse00 + rg * inverse01 + rb * inverse02
        let a0 = (inverse00 * rp + inverse01 * gp + inverse02 * bp) / determinant
        let a1 = (inverse01 * rp + inverse11 * gp + inverse12 * bp) / determinant
        let a2 = (inverse02 * rp + inverse12 * gp + inverse22 * bp) / determinant
        return SIMD4(a0, a1, a2, meanP - a0 * meanR - a1 * meanG - a2 * meanB)
    }

    /// `coefficients` written plainly, one plane at a time: the reference it is tested against.
    func coefficientsReference(input: Plane, lowGuide: Image, lowRadius: Int, threads: Int) -> [SIMD4<Float>] {
        let lowWidth = lowGuide.width, lowHeight = lowGuide.height, count = lowWidth * lowHeight
        let colours = MattingLaplacian.colours(of: lowGuide)
        let p = input.width == lowWidth && input.height == lowHeight
            ? input.values : input.resized(width: lowWidth, height: lowHeight).values
        let red = colours.map { $0.x }, green = colours.map { $0.y }, blue = colours.map { $0.z }
        func product(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map(*) }
        // Window means of the guide, the input and their products, one box filter per plane in parallel.
        let means = Self.boxMeans([
            red, green, blue, p,
            product(red, red), product(red, green), product(red, blue),
            product(green, green), product(green, blue), product(blue, blue),
            product(red, p), product(green, p), product(blue, p),
        ], width: lowWidth, height: lowHeight, radius: lowRadius, threads: threads)
        let meanR = means[0], meanG = means[1], meanB = means[2], meanP = means[3]
        let meanRR = means[4], meanRG = means[5], meanRB = means[6]
        let meanGG = means[7], meanGB = means[8], meanBB = means[9]
        let meanRP = means[10], meanGP = means[11], meanBP = means[12]

        var coefficientR = [Float](repeating: 0, count: count), coefficientG = coefficientR
        var coefficientB = coefficientR, offset = coefficientR
        coefficientR.withUnsafeMutableBufferPointer { coefficientR in
            coefficientG.withUnsafeMutableBufferPointer { coefficientG in
                coefficientB.withUnsafeMutableBufferPointer { coefficientB in
                    offset.withUnsafeMutableBufferPointer { offset in
                        nonisolated(unsafe) let coefficientR = coefficientR, coefficientG = coefficientG
                        nonisolated(unsafe) let coefficientB = coefficientB, offset = offset
                        parallelFor(count, threads: threads) { indices in
                            for index in indices {
                                let model = Self.linearModel(SIMD16(
                                    meanR[index], meanG[index], meanB[index], meanP[index],
                                    meanRR[index], meanRG[index], meanRB[index], meanGG[index], meanGB[index], meanBB[index],
                                    meanRP[index], meanGP[index], meanBP[index], 0, 0, 0), epsilon: epsilon)
                                coefficientR[index] = model.x
                                coefficientG[index] = model.y
                                coefficientB[index] = model.z
                                offset[index] = model.w
                            }
                        }
                    }
                }
            }
        }
        let averaged = Self.boxMeans([coefficientR, coefficientG, coefficientB, offset], width: lowWidth, height: lowHeight, radius: lowRadius, threads: threads)
        return (0..<count).map { SIMD4(averaged[0][$0], averaged[1][$0], averaged[2][$0], averaged[3][$0]) }
    }

    /// q = a . I + b at every pixel of `guide`, with the coefficients (`width` x `height`, see
    /// `coefficients`) bilinearly upsampled on the fly (pixel centres aligned); clamped to [0, 1].
    static func evaluate(_ coefficients: [SIMD4<Float>], width lowWidth: Int, height lowHeight: Int,
                         guide: Image, threads: Int) -> Plane {
        var result = Plane(width: guide.width, height: guide.height)
        let channels = guide.channels, width = guide.width
        let scaleX = Float(lowWidth) / Float(guide.width), scaleY = Float(lowHeight) / Float(guide.height)
        let columns = (0..<guide.width).map { Plane.tap(Float($0), scale: scaleX, length: lowWidth) }
        guide.pixels.withUnsafeBufferPointer { pixels in
            coefficients.withUnsafeBufferPointer { coefficients in
                result.values.withUnsafeMutableBufferPointer { output in
                    nonisolated(unsafe) let output = output
                    parallelFor(guide.height, threads: threads) { rows in
                        for y in rows {
                            let row = Plane.tap(Float(y), scale: scaleY, length: lowHeight)
                            let top = row.low * lowWidth, bottom = row.high * lowWidth
                            for x in 0..<width {
                                let column = columns[x]
                                let upper = coefficients[top + column.low]
                                    + (coefficients[top + column.high] - coefficients[top + column.low]) * column.weight
                                let lower = coefficients[bottom + column.low]
                                    + (coefficients[bottom + column.high] - coefficients[bottom + column.low]) * column.weight
                                let linear = upper + (lower - upper) * row.weight
                                let base = (y * width + x) * channels
                                let r = Float(pixels[base]) / 255
                                let g = channels >= 3 ? Float(pixels[base + 1]) / 255 : r
                                let b = channels >= 3 ? Float(pixels[base + 2]) / 255 : r
                                let value = linear.x * r + linear.y * g + linear.z * b + linear.w
                                output[y * width + x] = min(max(value, 0), 1)
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Replaces each lane of `values` (one plane a lane, interleaved) by its `boxMean`, to the bit, in
    /// place: rows split over `threads` threads for the pass along rows (each row copied aside first),
    /// columns for the pass along columns (which keeps aside the rows it has overwritten but must still
    /// subtract: the last `radius + 1`).
    static func replaceByBoxMeans<Vector: SIMD>(_ values: inout [Vector], width: Int, height: Int, radius: Int,
                                                threads: Int) where Vector.Scalar == Float {
        guard width > 0 && height > 0 else { return }
        precondition(values.count == width * height, "\(values.count) values do not fill \(width)x\(height)")
        // 1 / (pixels in the clipped window) along each axis.
        let inverseColumnSpans = (0..<width).map { 1 / Float(min($0 + radius, width - 1) - max($0 - radius, 0) + 1) }
        values.withUnsafeMutableBufferPointer { values in
            nonisolated(unsafe) let values = values.baseAddress!
            parallelFor(height, threads: threads) { rows in
                let source = UnsafeMutablePointer<Vector>.allocate(capacity: width)
                defer { source.deallocate() }
                source.initialize(repeating: .zero, count: width)
                for y in rows {
                    let target = values + y * width
                    source.update(from: target, count: width)
                    var sum = Vector.zero
                    for x in 0..<min(radius, width) { sum += source[x] }
                    for x in 0..<width {
                        if x + radius < width { sum += source[x + radius] }
                        if x - radius - 1 >= 0 { sum -= source[x - radius - 1] }
                        target[x] = sum * inverseColumnSpans[x]
                    }
                }
            }
            parallelFor(width, threads: threads) { columns in
                let first = columns.lowerBound, count = columns.count
                let sums = UnsafeMutablePointer<Vector>.allocate(capacity: count)
                defer { sums.deallocate() }
                sums.initialize(repeating: .zero, count: count)
                // Row y's values (these columns) before they were overwritten, in slot y % (radius + 1).
                let kept = UnsafeMutablePointer<Vector>.allocate(capacity: (radius + 1) * count)
                defer { kept.deallocate() }
                kept.initialize(repeating: .zero, count: (radius + 1) * count)
                for y in 0..<min(radius, height) {
                    let adding = values + y * width + first
                    for x in 0..<count { sums[x] += adding[x] }
                }
                for y in 0..<height {
                    // Row y + radius is not overwritten yet.
                    if y + radius < height {
                        let adding = values + (y + radius) * width + first
                        for x in 0..<count { sums[x] += adding[x] }
                    }
                    let slot = kept + y % (radius + 1) * count
                    // The slot of row y holds row y - radius - 1, the one that leaves the window.
                    if y - radius - 1 >= 0 {
                        for x in 0..<count { sums[x] -= slot[x] }
                    }
                    let target = values + y * width + first
                    slot.update(from: target, count: count)
                    let scale = 1 / Float(min(y + radius, height - 1) - max(y - radius, 0) + 1)
                    for x in 0..<count { target[x] = sums[x] * scale }
                }
            }
        }
    }

    /// `boxMean` of each plane, the planes shared out over `threads` threads.
    static func boxMeans(_ planes: [[Float]], width: Int, height: Int, radius: Int, threads: Int) -> [[Float]] {
        var results = [[Float]](repeating: [], count: planes.count)
        results.withUnsafeMutableBufferPointer { results in
            nonisolated(unsafe) let results = results
            parallelFor(planes.count, threads: threads) { range in
                for index in range { results[index] = boxMean(planes[index], width: width, height: height, radius: radius) }
            }
        }
        return results
    }

    /// Mean over the (2 radius + 1)^2 window around each pixel, the window clipped to the grid:
    /// running sums along rows, then along columns (a whole row of column sums at a time).
    static func boxMean(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        guard width > 0 && height > 0 else { return values }
        var horizontal = [Float](repeating: 0, count: values.count)
        var result = [Float](repeating: 0, count: values.count)
        // 1 / (pixels in the clipped window) along each axis.
        let inverseColumnSpans = (0..<width).map { 1 / Float(min($0 + radius, width - 1) - max($0 - radius, 0) + 1) }
        values.withUnsafeBufferPointer { values in
            horizontal.withUnsafeMutableBufferPointer { horizontal in
                for y in 0..<height {
                    let source = values.baseAddress! + y * width, target = horizontal.baseAddress! + y * width
                    var sum: Float = 0
                    for x in 0..<min(radius, width) { sum += source[x] }
                    for x in 0..<width {
                        if x + radius < width { sum += source[x + radius] }
                        if x - radius - 1 >= 0 { sum -= source[x - radius - 1] }
                        target[x] = sum * inverseColumnSpans[x]
                    }
                }
            }
            horizontal.withUnsafeBufferPointer { horizontal in
                result.withUnsafeMutableBufferPointer { result in
                    let sums = UnsafeMutablePointer<Float>.allocate(capacity: width)
                    defer { sums.deallocate() }
                    sums.initialize(repeating: 0, count: width)
                    let rows = horizontal.baseAddress!
                    for y in 0..<min(radius, height) { for x in 0..<width { sums[x] += rows[y * width + x] } }
                    for y in 0..<height {
                        if y + radius < height {
                            let adding = rows + (y + radius) * width
                            for x in 0..<width { sums[x] += adding[x] }
                        }
                        if y - radius - 1 >= 0 {
                            let removing = rows + (y - radius - 1) * width
                            for x in 0..<width { sums[x] -= removing[x] }
                        }
                        let scale = 1 / Float(min(y + radius, height - 1) - max(y - radius, 0) + 1)
                        let target = result.baseAddress! + y * width
                        for x in 0..<width { target[x] = sums[x] * scale }
                    }
                }
            }
        }
        return result
    }
}
