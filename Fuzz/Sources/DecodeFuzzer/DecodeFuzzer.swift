import FuzzSupport
import Imaging

/// Feeds each input to `ImageDecoder.decode` as an uploaded photo, with its EXIF orientation applied.
///
/// This is what the command and the service do first with every image: sniff the format, read the header
/// and check the declared size, decode through libjpeg-turbo, libspng or libwebp, find the EXIF block
/// (JPEG APP1, PNG eXIf, WebP EXIF chunk), read its orientation with libexif, and rotate or flip the
/// pixels. The pixel limit is 4 megapixels rather than the default 50, so a header declaring a huge image
/// is refused at once and an accepted one decodes in milliseconds. The C libraries are not instrumented
/// for coverage; the Swift around them (buffer sizes, channel layouts, segment and chunk walks,
/// orientation) is.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    do {
        let image = try ImageDecoder.decode(bytes(data, size), options: options)
        report("decoded \(image.width)x\(image.height), \(image.channels) channels")
    } catch {
        report("refused: \(error)")
    }
    return 0
}

private let options = DecodeOptions(pixelLimit: 4_000_000, applyOrientation: true)
