import Imaging

/// One channel of float values over an image grid, row-major: a probability map or an alpha matte,
/// values in [0, 1].
public struct Plane: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        precondition(values.count == width * height, "\(values.count) values do not fill \(width)x\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    public init(width: Int, height: Int, filling value: Float = 0) {
        self.init(width: width, height: height, values: [Float](repeating: value, count: width * height))
    }

    public subscript(x: Int, y: Int) -> Float {
        get { values[y * width + x] }
        set { values[y * width + x] = newValue }
    }

    /// The plane as an 8-bit grey image, values clamped to [0, 1] and rounded.
    public func greyImage() -> Image {
        Image(width: width, height: height, channels: 1, pixels: values.map { Self.byte($0) })
    }

    @inline(__always)
    static func byte(_ value: Float) -> UInt8 {
        UInt8(min(max(value, 0), 1) * 255 + 0.5)
    }
}

extension SIMD4<Float> {
    /// Each lane clamped to [0, 1] (written out lane by lane: the generic `clamped` is not inlined).
    @inline(__always)
    var unitClamped: SIMD4<Float> {
        SIMD4(Swift.min(Swift.max(x, 0), 1), Swift.min(Swift.max(y, 0), 1), Swift.min(Swift.max(z, 0), 1), Swift.min(Swift.max(w, 0), 1))
    }
}
