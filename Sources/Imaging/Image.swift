/// An 8-bit image in memory: rows top to bottom, pixels left to right, channels interleaved.
///
/// `channels` is 1 (grey), 3 (RGB) or 4 (RGBA with straight, not premultiplied, alpha).
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// `width * height * channels` bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition([1, 3, 4].contains(channels), "channels must be 1, 3 or 4")
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * channels,
                     "\(pixels.count) bytes do not make a \(width)x\(height)x\(channels) image")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    public init(width: Int, height: Int, channels: Int, filling value: UInt8 = 0) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: value, count: width * height * channels))
    }

    /// An image whose bytes are not set, for a producer that writes every one of them before any is
    /// read: its pages are first touched by the threads that fill them, with no pass of zeroes before.
    public static func unfilled(width: Int, height: Int, channels: Int) -> Image {
        let count = width * height * channels
        return Image(width: width, height: height, channels: channels,
                     pixels: [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count })
    }

    public var pixelCount: Int { width * height }
}

/// Why image bytes could not be read or written. The message names the reason; callers add the input's name.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    case empty
    /// The bytes are not a format this library reads (JPEG, PNG, WebP).
    case unsupportedFormat(String)
    /// The header declares more pixels than allowed; refused before decoding.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// One side is more than `maximumRatio` times the other; refused before decoding.
    case tooElongated(width: Int, height: Int, maximumRatio: Int)
    /// The decoder failed: corrupt or truncated data.
    case corrupt(String)
    case encodingFailed(String)

    public var description: String {
        switch self {
        case .empty: return "empty file"
        case .unsupportedFormat(let what): return "not a supported image (JPEG, PNG or WebP): \(what)"
        case .tooLarge(let width, let height, let limit):
            // Sizes come from untrusted headers: their product may not fit in an Int.
            let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
            let count = overflow ? "too many" : String(pixels)
            return "image is \(width)x\(height) (\(count) pixels), over the limit of \(limit) pixels"
        case .tooElongated(let width, let height, let ratio):
            return "image is \(width)x\(height), its longer side is more than \(ratio) times its shorter side: too elongated to matte (crop it closer to the subject)"
        case .corrupt(let what): return "corrupt or truncated image: \(what)"
        case .encodingFailed(let what): return "could not encode image: \(what)"
        }
    }
}
