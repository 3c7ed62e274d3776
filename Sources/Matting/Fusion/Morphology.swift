/// Binary morphology with square structuring elements on maps in [0, 1] (row-major, `width` x
/// `height`): max and min over the (2 radius + 1)^2 window, computed separably.
public enum Morphology {
    public static func dilate(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        filter(values, width: width, height: height, radius: radius, combine: max)
    }

    public static func erode(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        filter(values, width: width, height: height, radius: radius, combine: min)
    }

    /// Separable running extreme; each pass costs O(pixels * (2 radius + 1)), fine for the maps'
    /// working resolutions.
    static func filter(_ values: [Float], width: Int, height: Int, radius: Int,
                       combine: (Float, Float) -> Float) -> [Float] {
        var horizontal = values
        for y in 0..<height {
            for x in 0..<width {
                var extreme = values[y * width + x]
                for u in max(0, x - radius)...min(width - 1, x + radius) { extreme = combine(extreme, values[y * width + u]) }
                horizontal[y * width + x] = extreme
            }
        }
        var result = horizontal
        for y in 0..<height {
            for x in 0..<width {
                var extreme = horizontal[y * width + x]
                for v in max(0, y - radius)...min(height - 1, y + radius) { extreme = combine(extreme, horizontal[v * width + x]) }
                result[y * width + x] = extreme
            }
        }
        return result
    }
}
