import Inference

extension Plane {
    /// Bilinear resample to `width` x `height`, mapping pixel centres to pixel centres
    /// (half-pixel alignment), edges clamped.
    public func resized(width newWidth: Int, height newHeight: Int) -> Plane {
        var result = Plane(width: newWidth, height: newHeight)
        let scaleX = Float(width) / Float(newWidth), scaleY = Float(height) / Float(newHeight)
        let columns = (0..<newWidth).map { Self.tap(Float($0), scale: scaleX, length: width) }
        values.withUnsafeBufferPointer { source in
            result.values.withUnsafeMutableBufferPointer { target in
                for y in 0..<newHeight {
                    let row = Self.tap(Float(y), scale: scaleY, length: height)
                    let top = row.low * width, bottom = row.high * width
                    for x in 0..<newWidth {
                        let column = columns[x]
                        let upper = source[top + column.low] + (source[top + column.high] - source[top + column.low]) * column.weight
                        let lower = source[bottom + column.low] + (source[bottom + column.high] - source[bottom + column.low]) * column.weight
                        target[y * newWidth + x] = upper + (lower - upper) * row.weight
                    }
                }
            }
        }
        return result
    }

    /// The two source indices and the weight of the second for output index `index`.
    static func tap(_ index: Float, scale: Float, length: Int) -> (low: Int, high: Int, weight: Float) {
        let position = min(max((index + 0.5) * scale - 0.5, 0), Float(length - 1))
        let low = Int(position)
        return (low, min(low + 1, length - 1), position - Float(low))
    }
}
