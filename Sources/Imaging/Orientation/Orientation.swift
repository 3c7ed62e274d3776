/// How stored pixels are turned to display upright: the EXIF/TIFF `Orientation` tag (0x0112), values 1...8.
///
/// Case names follow the usual reading of the tag (as in Apple's `CGImagePropertyOrientation`): where the
/// stored image's top row ends up, and whether it is mirrored. For each case, the doc gives the TIFF 6.0
/// wording ("row 0 is at the visual ..., column 0 at the visual ...") and the transform that makes it upright.
public enum Orientation: Int, Sendable, CaseIterable {
    /// 1: row 0 top, column 0 left. Already upright.
    case up = 1
    /// 2: row 0 top, column 0 right. Upright after a horizontal flip.
    case upMirrored = 2
    /// 3: row 0 bottom, column 0 right. Upright after a 180° turn.
    case down = 3
    /// 4: row 0 bottom, column 0 left. Upright after a vertical flip.
    case downMirrored = 4
    /// 5: row 0 left, column 0 top. Upright after a transpose (flip about the main diagonal).
    case leftMirrored = 5
    /// 6: row 0 right, column 0 top. Upright after a 90° clockwise turn.
    case right = 6
    /// 7: row 0 right, column 0 bottom. Upright after a transverse (flip about the anti-diagonal).
    case rightMirrored = 7
    /// 8: row 0 left, column 0 bottom. Upright after a 90° anticlockwise turn.
    case left = 8

    /// Whether making the image upright swaps its width and height.
    public var swapsDimensions: Bool { rawValue >= 5 }

    /// Where upright pixel (`x`, `y`) comes from in a stored `width` x `height` image: the definition the
    /// fast path in `Image.applying(_:)` is tested against.
    public func sourceCoordinate(x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
        switch self {
        case .up: (x, y)
        case .upMirrored: (width - 1 - x, y)
        case .down: (width - 1 - x, height - 1 - y)
        case .downMirrored: (x, height - 1 - y)
        case .leftMirrored: (y, x)
        case .right: (y, height - 1 - x)
        case .rightMirrored: (width - 1 - y, height - 1 - x)
        case .left: (width - 1 - y, x)
        }
    }
}

extension Image {
    /// This image turned upright as `orientation` says: the stored pixels are rotated and/or flipped,
    /// and for orientations 5...8 width and height swap. Any channel count.
    public func applying(_ orientation: Orientation) -> Image {
        if orientation == .up || pixelCount == 0 { return self }
        let outputWidth = orientation.swapsDimensions ? height : width
        let outputHeight = orientation.swapsDimensions ? width : height
        // Source pixel index of upright pixel (x, y) is `start + x * stepX + y * stepY`; these are
        // `sourceCoordinate` written as index arithmetic (source index = sourceY * width + sourceX).
        let last = width * height - 1
        let (start, stepX, stepY): (Int, Int, Int) = switch orientation {
        case .up: (0, 1, width)
        case .upMirrored: (width - 1, -1, width)
        case .down: (last, -1, -width)
        case .downMirrored: (last - (width - 1), 1, -width)
        case .leftMirrored: (0, width, 1)
        case .right: (last - (width - 1), -width, 1)
        case .rightMirrored: (last, -width, -1)
        case .left: (width - 1, width, -1)
        }
        var output = [UInt8](repeating: 0, count: pixels.count)
        let channels = channels
        pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                var outputIndex = 0
                for y in 0..<outputHeight {
                    var sourcePixel = start + y * stepY
                    for _ in 0..<outputWidth {
                        let sourceIndex = sourcePixel * channels
                        for channel in 0..<channels {
                            destination[outputIndex + channel] = source[sourceIndex + channel]
                        }
                        outputIndex += channels
                        sourcePixel += stepX
                    }
                }
            }
        }
        return Image(width: outputWidth, height: outputHeight, channels: channels, pixels: output)
    }
}
