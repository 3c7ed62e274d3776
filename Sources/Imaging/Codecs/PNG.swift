import CSPNG

/// PNG (ISO/IEC 15948, W3C PNG 3rd edition): decoding through libspng; encoding in PNGEncoding.swift.
///
/// Decoding maps every colour type and bit depth to 8 bits: grey (1, 2, 4, 8, 16-bit) -> 1 channel,
/// grey+alpha -> 4 (grey repeated), palette -> 3, RGB -> 3, RGBA -> 4; grey, palette and RGB with a tRNS
/// chunk -> 4. 16-bit samples keep their high byte (as libspng's 8-bit outputs do). Interlaced files are
/// de-interlaced. gAMA, cHRM, iCCP and sBIT are not applied. An eXIf chunk's orientation is returned.
enum PNG {
    /// Largest ancillary chunk kept in memory (iCCP, eXIf, text...) and all of them together. Image data
    /// (IDAT) is streamed and not counted.
    static let chunkSizeLimit = 16 << 20
    static let chunkCacheLimit = 64 << 20

    static func decode(_ bytes: [UInt8], options: DecodeOptions) throws(ImageError) -> DecodedImage {
        guard let context = spng_ctx_new(0) else { throw .corrupt("could not start the PNG decoder") }
        defer { spng_ctx_free(context) }
        return try bytes.withUnsafeBufferPointer { input throws(ImageError) in
            try decode(input, context: context, options: options)
        }
    }

    private static func decode(_ input: UnsafeBufferPointer<UInt8>, context: OpaquePointer,
                               options: DecodeOptions) throws(ImageError) -> DecodedImage {
        let pixelLimit = options.pixelLimit
        // A side longer than the pixel limit cannot pass it: let libspng refuse such headers too.
        let sideLimit = UInt32(clamping: min(pixelLimit, Int(Int32.max)))
        var status = spng_set_image_limits(context, max(sideLimit, 1), max(sideLimit, 1))
        if status == 0 { status = spng_set_chunk_limits(context, chunkSizeLimit, chunkCacheLimit) }
        if status == 0 { status = spng_set_png_buffer(context, input.baseAddress, input.count) }
        guard status == 0 else { throw .corrupt(message(status)) }

        var header = spng_ihdr()
        status = spng_get_ihdr(context, &header)
        if status == Int32(SPNG_EUSER_WIDTH.rawValue) || status == Int32(SPNG_EUSER_HEIGHT.rawValue) {
            // Refused by the side limit: report the declared size, read from IHDR (PNG spec 11.2.2).
            let size = declaredSize(input)
            throw .tooLarge(width: size.width, height: size.height, limit: pixelLimit)
        }
        guard status == 0 else { throw .corrupt(message(status)) }
        try checkDeclaredSize(width: Int(header.width), height: Int(header.height), options: options)

        var transparency = spng_trns()
        let hasTransparency = spng_get_trns(context, &transparency) == 0
        let colorType = Int(header.color_type)
        let channels: Int
        let format: spng_format
        switch colorType {
        case Int(SPNG_COLOR_TYPE_GRAYSCALE.rawValue) where !hasTransparency:
            // G8 expands 1/2/4-bit grey; 16-bit grey is read raw (big-endian) and reduced here.
            (channels, format) = (1, header.bit_depth == 16 ? SPNG_FMT_RAW : SPNG_FMT_G8)
        case Int(SPNG_COLOR_TYPE_TRUECOLOR.rawValue) where !hasTransparency,
             Int(SPNG_COLOR_TYPE_INDEXED.rawValue) where !hasTransparency:
            (channels, format) = (3, SPNG_FMT_RGB8)
        default:
            (channels, format) = (4, SPNG_FMT_RGBA8)
        }
        let flags = channels == 4 ? Int32(SPNG_DECODE_TRNS.rawValue) : 0

        var size = 0
        status = spng_decoded_image_size(context, Int32(format.rawValue), &size)
        guard status == 0 else { throw .corrupt(message(status)) }
        // Width * height is within the pixel limit, so this buffer is at most 4 bytes per allowed pixel.
        var decoded = [UInt8](repeating: 0, count: size)
        status = decoded.withUnsafeMutableBytes { output in
            spng_decode_image(context, output.baseAddress, output.count, Int32(format.rawValue), flags)
        }
        guard status == 0 else { throw .corrupt(message(status)) }
        // Read the chunks after the image data up to IEND: a file cut short there is truncated too, and
        // an eXIf chunk may follow the image data.
        status = spng_decode_chunks(context)
        guard status == 0 else { throw .corrupt(message(status)) }
        // libspng stops at IEND's type without reading its CRC; a file cut inside it is truncated too.
        guard endsWithCompleteIEND(input) else { throw .corrupt("truncated PNG: IEND chunk cut short") }

        let pixelCount = Int(header.width) * Int(header.height)
        if format == SPNG_FMT_RAW {
            guard decoded.count == pixelCount * 2 else { throw .corrupt("unexpected decoded size") }
            decoded = (0..<pixelCount).map { decoded[$0 * 2] }  // the high byte of each big-endian sample
        }
        guard decoded.count == pixelCount * channels else { throw .corrupt("unexpected decoded size") }
        let image = Image(width: Int(header.width), height: Int(header.height), channels: channels, pixels: decoded)
        return DecodedImage(image: image, orientation: orientation(context) ?? .up)
    }

    /// The orientation in the eXIf chunk, if there is one (PNG 3rd edition 11.3.6.1).
    private static func orientation(_ context: OpaquePointer) -> Orientation? {
        var exif = spng_exif()
        guard spng_get_exif(context, &exif) == 0, let data = exif.data, exif.length > 0 else { return nil }
        let block = data.withMemoryRebound(to: UInt8.self, capacity: exif.length) { start in
            Array(UnsafeBufferPointer(start: start, count: exif.length))
        }
        return EXIF.orientation(in: block[...])
    }

    /// Whether the chunk walk from the signature reaches an IEND chunk whose 12 bytes (length, type, CRC)
    /// are all present. Each chunk is a 4-byte big-endian length, a 4-byte type, the data and a 4-byte CRC.
    private static func endsWithCompleteIEND(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        var position = 8
        while position + 8 <= input.count {
            let length = (position..<position + 4).reduce(0) { $0 << 8 | Int(input[$1]) }
            // Cannot overflow: length < 2^32 and position < input.count.
            let next = position + 12 + length
            if input[(position + 4)..<(position + 8)].elementsEqual("IEND".utf8) { return next <= input.count }
            position = next
        }
        return false
    }

    /// Width and height from the IHDR chunk, which must follow the signature: bytes 16..<24, big-endian.
    private static func declaredSize(_ input: UnsafeBufferPointer<UInt8>) -> (width: Int, height: Int) {
        guard input.count >= 24 else { return (0, 0) }
        func word(_ offset: Int) -> Int {
            (offset..<offset + 4).reduce(0) { $0 << 8 | Int(input[$1]) }
        }
        return (word(16), word(20))
    }

    private static func message(_ status: Int32) -> String {
        guard let text = spng_strerror(status) else { return "libspng error \(status)" }
        return String(cString: text)
    }
}
