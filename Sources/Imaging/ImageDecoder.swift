/// How untrusted image bytes are decoded.
public struct DecodeOptions: Sendable {
    /// Most pixels (`width * height`) an image may declare. Checked from the header, before any pixel
    /// memory is allocated. The default, 50 million, is a 8660x5773 photo: about 200 MB as RGBA.
    public var pixelLimit: Int = 50_000_000
    /// Rotate and flip the pixels as the file's EXIF orientation says (JPEG APP1, PNG eXIf, WebP EXIF).
    public var applyOrientation = true
    /// Largest ratio of the longer side to the shorter one, checked from the header like `pixelLimit`;
    /// nil for none. Photos to be matted set it (`PortraitMatter.maximumAspectRatio`); backdrops do not.
    public var maximumAspectRatio: Int?

    public init(pixelLimit: Int = 50_000_000, applyOrientation: Bool = true, maximumAspectRatio: Int? = nil) {
        self.pixelLimit = pixelLimit
        self.applyOrientation = applyOrientation
        self.maximumAspectRatio = maximumAspectRatio
    }
}

/// Reads JPEG, PNG and WebP files into 8-bit `Image`s.
public enum ImageDecoder {
    /// Decodes JPEG, PNG or WebP bytes to 8-bit grey (1 channel), RGB (3) or RGBA (4, straight alpha).
    ///
    /// Channels by source: JPEG grey -> 1, colour and CMYK/YCCK -> 3; PNG grey -> 1, grey+alpha -> 4 (grey
    /// repeated), palette -> 3 (4 with tRNS), RGB -> 3 (4 with tRNS), RGBA -> 4, 16-bit samples keep their high
    /// byte; WebP -> 3, or 4 when it has alpha. Colour profiles and PNG gamma are not applied.
    ///
    /// The EXIF orientation (all eight) is applied when `options.applyOrientation` is set, so the result
    /// is upright. Images over `options.pixelLimit` are refused from the header, before pixels are decoded.
    /// Truncated files are errors: no partial image is returned.
    public static func decode(_ bytes: [UInt8], options: DecodeOptions = .init()) throws(ImageError) -> Image {
        guard !bytes.isEmpty else { throw .empty }
        guard let format = ImageFormat.sniff(bytes) else {
            throw .unsupportedFormat("unrecognised signature")
        }
        let decoded: DecodedImage = switch format {
        case .jpeg: try JPEG.decode(bytes, options: options)
        case .png: try PNG.decode(bytes, options: options)
        case .webp: try WebP.decode(bytes, options: options)
        }
        return options.applyOrientation ? decoded.image.applying(decoded.orientation) : decoded.image
    }
}

/// A codec's output: the stored pixels and how they should be turned to display upright.
struct DecodedImage {
    var image: Image
    var orientation: Orientation
}

/// Refuses a declared size before any pixel memory is allocated.
///
/// - Throws: `corrupt` for a zero side, `tooLarge` when `width * height` exceeds `options.pixelLimit` (or
///   overflows), `tooElongated` when the sides are further apart than `options.maximumAspectRatio`.
func checkDeclaredSize(width: Int, height: Int, options: DecodeOptions) throws(ImageError) {
    guard width > 0, height > 0 else { throw .corrupt("header declares a \(width)x\(height) image") }
    let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
    if overflow || pixels > options.pixelLimit { throw .tooLarge(width: width, height: height, limit: options.pixelLimit) }
    if let ratio = options.maximumAspectRatio { try checkAspectRatio(width: width, height: height, maximumRatio: ratio) }
}

/// Refuses a shape whose longer side is more than `maximumRatio` times its shorter one (sides positive):
/// from a header before decoding, or on pixels already decoded.
///
/// - Throws: `tooElongated`.
public func checkAspectRatio(width: Int, height: Int, maximumRatio: Int) throws(ImageError) {
    if max(width, height) > maximumRatio * min(width, height) {
        throw .tooElongated(width: width, height: height, maximumRatio: maximumRatio)
    }
}
