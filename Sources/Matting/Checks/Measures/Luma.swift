import Imaging

/// Grey values of photos for the checks: luma Y' = 0.299 R + 0.587 G + 0.114 B of the 8-bit,
/// gamma-encoded samples (ITU-R BT.601 weights, as OpenCV's grey conversion), in [0, 255].
enum Luma {
    /// Luma of pixel (x, y), which must lie inside `image` (grey images are their own luma).
    @inline(__always)
    static func at(_ pixels: UnsafeBufferPointer<UInt8>, _ image: Image, x: Int, y: Int) -> Float {
        let offset = (y * image.width + x) * image.channels
        if image.channels == 1 { return Float(pixels[offset]) }
        return 0.299 * Float(pixels[offset]) + 0.587 * Float(pixels[offset + 1]) + 0.114 * Float(pixels[offset + 2])
    }

    /// `box` of `image` resampled to `side` x `side` luma values, row-major: each value the mean luma
    /// of the photo pixels whose centres fall in its share of the box when that share is a pixel or
    /// more wide and high (downscaling), else bilinear at its centre (upscaling). Parts of the box
    /// outside the photo take the nearest edge pixel.
    static func region(of image: Image, box: Face.Box, side: Int) -> [Float] {
        var values = [Float](repeating: 0, count: side * side)
        let stepX = Double(box.width) / Double(side), stepY = Double(box.height) / Double(side)
        image.pixels.withUnsafeBufferPointer { pixels in
            func clampedLuma(_ x: Int, _ y: Int) -> Float {
                Luma.at(pixels, image, x: min(max(x, 0), image.width - 1), y: min(max(y, 0), image.height - 1))
            }
            for row in 0..<side {
                let top = Double(box.y) + Double(row) * stepY
                for column in 0..<side {
                    let left = Double(box.x) + Double(column) * stepX
                    if stepX >= 1, stepY >= 1 {
                        // Pixel centres (i + 0.5) in [left, left + stepX): i from ceil(left - 0.5).
                        let x0 = Int((left - 0.5).rounded(.up)), x1 = Int((left + stepX - 0.5).rounded(.up))
                        let y0 = Int((top - 0.5).rounded(.up)), y1 = Int((top + stepY - 0.5).rounded(.up))
                        var sum: Float = 0
                        for y in y0..<max(y1, y0 + 1) {
                            for x in x0..<max(x1, x0 + 1) { sum += clampedLuma(x, y) }
                        }
                        values[row * side + column] = sum / Float(max(x1 - x0, 1) * max(y1 - y0, 1))
                    } else {
                        let x = left + stepX / 2 - 0.5, y = top + stepY / 2 - 0.5
                        let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
                        let fx = Float(x - Double(x0)), fy = Float(y - Double(y0))
                        let upper = clampedLuma(x0, y0) * (1 - fx) + clampedLuma(x0 + 1, y0) * fx
                        let lower = clampedLuma(x0, y0 + 1) * (1 - fx) + clampedLuma(x0 + 1, y0 + 1) * fx
                        values[row * side + column] = upper * (1 - fy) + lower * fy
                    }
                }
            }
        }
        return values
    }
}
