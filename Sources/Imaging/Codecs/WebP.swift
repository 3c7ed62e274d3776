import CWebP

/// WebP (RFC 9649: RIFF container, VP8 lossy and VP8L lossless bitstreams) through libwebp.
///
/// Decoding gives 3 channels, or 4 when the file has alpha; animated files are refused. An `EXIF`
/// chunk's orientation is returned. Encoding uses the advanced API (`WebPConfig`, `WebPPicture`) with a
/// memory writer.
enum WebP {
    static func decode(_ bytes: [UInt8], options: DecodeOptions) throws(ImageError) -> DecodedImage {
        var features = WebPBitstreamFeatures()
        let status = bytes.withUnsafeBufferPointer { input in
            WebPGetFeatures(input.baseAddress, input.count, &features)
        }
        guard status == VP8_STATUS_OK else { throw .corrupt("WebP header: \(describe(status))") }
        guard features.has_animation == 0 else { throw .unsupportedFormat("animated WebP") }
        try checkDeclaredSize(width: Int(features.width), height: Int(features.height), options: options)

        let channels = features.has_alpha != 0 ? 4 : 3
        let width = Int(features.width), height = Int(features.height)
        // Sides are at most 16383 (14-bit fields), so none of these products overflow.
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let decoded = bytes.withUnsafeBufferPointer { input in
            pixels.withUnsafeMutableBufferPointer { output in
                let stride = Int32(width * channels)
                return channels == 4
                    ? WebPDecodeRGBAInto(input.baseAddress, input.count, output.baseAddress, output.count, stride)
                    : WebPDecodeRGBInto(input.baseAddress, input.count, output.baseAddress, output.count, stride)
            }
        }
        guard decoded != nil else { throw .corrupt("WebP image data could not be decoded") }
        let image = Image(width: width, height: height, channels: channels, pixels: pixels)
        let orientation = exifChunk(in: bytes).flatMap(EXIF.orientation(in:)) ?? .up
        return DecodedImage(image: image, orientation: orientation)
    }

    /// The payload of the first `EXIF` chunk, walking the RIFF chunks after the 12-byte file header:
    /// each is a FourCC, a little-endian 32-bit size, the payload and a pad byte when the size is odd.
    static func exifChunk(in bytes: [UInt8]) -> ArraySlice<UInt8>? {
        var position = 12
        while position + 8 <= bytes.count {
            let size = (0..<4).reduce(0) { $0 | Int(bytes[position + 4 + $1]) << (8 * $1) }
            let start = position + 8
            // Cannot overflow: size < 2^32 and start < bytes.count.
            let end = start + size
            guard end <= bytes.count else { return nil }
            if bytes[position..<position + 4].elementsEqual("EXIF".utf8) { return bytes[start..<end] }
            position = end + (size & 1)
        }
        return nil
    }

    static func encode(_ image: Image, quality: Float?) throws(ImageError) -> [UInt8] {
        let maximumSide = Int(WEBP_MAX_DIMENSION)
        guard (1...maximumSide).contains(image.width), (1...maximumSide).contains(image.height) else {
            throw .encodingFailed("WebP sides must be 1...\(maximumSide) pixels, not \(image.width)x\(image.height)")
        }
        if let quality, !(0...100).contains(quality) {
            throw .encodingFailed("WebP quality must be 0...100, not \(quality)")
        }
        var config = WebPConfig()
        guard WebPConfigInit(&config) != 0 else { throw .encodingFailed("libwebp version mismatch") }
        if let quality {
            config.quality = quality
        } else {
            config.lossless = 1
            config.exact = 1  // keep the colour under alpha 0
        }
        guard WebPValidateConfig(&config) != 0 else { throw .encodingFailed("invalid WebP settings") }

        var picture = WebPPicture()
        guard WebPPictureInit(&picture) != 0 else { throw .encodingFailed("libwebp version mismatch") }
        defer { WebPPictureFree(&picture) }
        picture.use_argb = 1  // lossless needs ARGB; lossy converts to YUV itself
        picture.width = Int32(image.width)
        picture.height = Int32(image.height)
        let source = image.channels == 1 ? image.rgb() : image
        let imported = source.pixels.withUnsafeBufferPointer { input in
            let stride = Int32(source.width * source.channels)
            return source.channels == 4
                ? WebPPictureImportRGBA(&picture, input.baseAddress, stride)
                : WebPPictureImportRGB(&picture, input.baseAddress, stride)
        }
        guard imported != 0 else { throw .encodingFailed("out of memory importing pixels") }

        var writer = WebPMemoryWriter()
        WebPMemoryWriterInit(&writer)
        defer { WebPMemoryWriterClear(&writer) }
        let encoded = withUnsafeMutablePointer(to: &writer) { writerPointer in
            picture.writer = WebPMemoryWrite
            picture.custom_ptr = UnsafeMutableRawPointer(writerPointer)
            return WebPEncode(&config, &picture)
        }
        guard encoded != 0, let memory = writer.mem else {
            throw .encodingFailed("libwebp error \(picture.error_code.rawValue)")
        }
        return Array(UnsafeBufferPointer(start: memory, count: writer.size))
    }

    private static func describe(_ status: VP8StatusCode) -> String {
        switch status {
        case VP8_STATUS_OUT_OF_MEMORY: "out of memory"
        case VP8_STATUS_INVALID_PARAM: "invalid parameter"
        case VP8_STATUS_BITSTREAM_ERROR: "bitstream error"
        case VP8_STATUS_UNSUPPORTED_FEATURE: "unsupported feature"
        case VP8_STATUS_NOT_ENOUGH_DATA: "not enough data"
        default: "status \(status.rawValue)"
        }
    }
}
