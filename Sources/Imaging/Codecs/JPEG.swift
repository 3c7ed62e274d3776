import CTurboJPEG

/// JPEG (ITU T.81, JFIF, Adobe APP14) through TurboJPEG's 2.x API in libjpeg-turbo.
///
/// Decoding: baseline, progressive and arithmetic-coded files; grey -> 1 channel, YCbCr/RGB -> 3,
/// CMYK/YCCK -> 3 (converted as Adobe-inverted CMYK, the way libjpeg-turbo's own tools do). Progressive
/// files with more than 500 scans are refused (`TJFLAG_LIMITSCANS`), a known denial-of-service shape.
enum JPEG {
    static func decode(_ bytes: [UInt8], options: DecodeOptions) throws(ImageError) -> DecodedImage {
        guard let decompressor = tjInitDecompress() else { throw .corrupt("could not start the JPEG decoder") }
        defer { tjDestroy(decompressor) }

        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = -1
        let headerStatus = bytes.withUnsafeBufferPointer { input in
            tjDecompressHeader3(decompressor, input.baseAddress, UInt(input.count),
                                &width, &height, &subsampling, &colorspace)
        }
        if headerStatus != 0 {
            // TurboJPEG 2.1 also fails after reading a usable header: on a warning (stray bytes between
            // segments) and on sampling factors it has no name for (4:1:0). The full decoder handles both, so
            // only a header that was not read (its fields left unset) is an error.
            guard width > 0, height > 0, colorspace >= 0 else { throw .corrupt(errorMessage(decompressor)) }
        }
        try checkDeclaredSize(width: Int(width), height: Int(height), options: options)

        let pixelFormat: TJPF, channels: Int
        switch colorspace {
        case Int32(TJCS_GRAY.rawValue): (pixelFormat, channels) = (TJPF_GRAY, 1)
        case Int32(TJCS_CMYK.rawValue), Int32(TJCS_YCCK.rawValue): (pixelFormat, channels) = (TJPF_CMYK, 4)
        default: (pixelFormat, channels) = (TJPF_RGB, 3)
        }
        let segments = headerSegments(bytes)
        // Cannot overflow: the pixel limit check bounded width * height, and JPEG sides are at most 65535.
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        let status = bytes.withUnsafeBufferPointer { input in
            pixels.withUnsafeMutableBufferPointer { output in
                tjDecompress2(decompressor, input.baseAddress, UInt(input.count), output.baseAddress,
                              width, 0, height, Int32(pixelFormat.rawValue), TJFLAG_LIMITSCANS)
            }
        }
        if status != 0 {
            let message = errorMessage(decompressor)
            guard tjGetErrorCode(decompressor) == Int32(TJERR_WARNING.rawValue) else { throw .corrupt(message) }
            guard let scanStart = segments.scanStart, containsEndOfImage(bytes, from: scanStart) else {
                throw .corrupt("truncated JPEG (\(message))")
            }
            guard Self.isHarmless(warning: message) else { throw .corrupt("damaged JPEG data (\(message))") }
        }

        var image = Image(width: Int(width), height: Int(height), channels: channels, pixels: pixels)
        if channels == 4 { image = rgbFromInvertedCMYK(image) }
        let orientation = segments.exif.flatMap(EXIF.orientation(in:)) ?? .up
        return DecodedImage(image: image, orientation: orientation)
    }

    /// Whether libjpeg's first warning leaves every pixel decoded from the file's own data. Only stray
    /// bytes between segments do ("Corrupt JPEG data: N extraneous bytes before marker 0xXX", common in
    /// camera files and shown by browsers as is). Every other warning means pixels were made up: data
    /// that ends early ("premature end of data segment", also a file cut short with an end-of-image marker
    /// appended, or a header that declares more rows than the data holds), bad Huffman codes, invalid
    /// progression or scan parameters; those files are refused rather than matted with grey where the
    /// data is missing.
    static func isHarmless(warning message: String) -> Bool {
        message.contains("extraneous bytes before marker")
    }

    /// RGB from the CMYK samples libjpeg returns for CMYK and YCCK files.
    ///
    /// Adobe applications store CMYK inverted (0 is full ink), and libjpeg passes the stored values through,
    /// so each sample is already "255 - ink": `R = C * K / 255`, likewise G from M and B from Y (the
    /// conversion libjpeg-turbo's `cmyk.h` and ImageMagick use; no colour profile is applied).
    static func rgbFromInvertedCMYK(_ cmyk: Image) -> Image {
        var rgb = [UInt8](repeating: 0, count: cmyk.pixelCount * 3)
        for pixel in 0..<cmyk.pixelCount {
            let black = Int(cmyk.pixels[pixel * 4 + 3])
            for channel in 0..<3 {
                // At most (255 * 255 + 127) / 255 = 255: fits a UInt8.
                rgb[pixel * 3 + channel] = UInt8((Int(cmyk.pixels[pixel * 4 + channel]) * black + 127) / 255)
            }
        }
        return Image(width: cmyk.width, height: cmyk.height, channels: 3, pixels: rgb)
    }

    /// What the marker segments before the first scan hold (T.81 B.1.1.2): the EXIF block of the first
    /// APP1 segment carrying one, and the offset where the first scan's entropy-coded data begins.
    /// Stops quietly at a malformed length; the decoder reports those.
    static func headerSegments(_ bytes: [UInt8]) -> (exif: ArraySlice<UInt8>?, scanStart: Int?) {
        var exif: ArraySlice<UInt8>?
        var position = 2  // after SOI
        while position + 4 <= bytes.count {
            // Bytes between segments are skipped up to the next 0xFF, as libjpeg does (with a warning).
            guard bytes[position] == 0xFF else { position += 1; continue }
            let marker = bytes[position + 1]
            switch marker {
            case 0xFF: position += 1  // fill byte before a marker
            case 0x01, 0xD0...0xD8: position += 2  // TEM, RSTn, SOI: no length field
            case 0xD9: return (exif, nil)  // EOI before any scan
            default:
                // The length counts itself but not the marker: the segment ends at position + 2 + length.
                let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
                guard length >= 2 else { return (exif, nil) }
                let end = position + 2 + length
                if marker == 0xDA { return (exif, end <= bytes.count ? end : nil) }  // SOS
                guard end <= bytes.count else { return (exif, nil) }
                let payload = bytes[(position + 4)..<end]
                if marker == 0xE1, exif == nil, payload.starts(with: EXIF.identifier) { exif = payload }
                position = end
            }
        }
        return (exif, nil)
    }

    /// Whether an EOI marker (`FF D9`) follows `start`. Entropy-coded data cannot contain one (a 0xFF data
    /// byte is always followed by 0x00), so a file without it after its first scan was cut short.
    static func containsEndOfImage(_ bytes: [UInt8], from start: Int) -> Bool {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == 0xFF, bytes[index + 1] == 0xD9 { return true }
            index += 1
        }
        return false
    }

    static func encode(_ image: Image, quality: Int) throws(ImageError) -> [UInt8] {
        guard image.channels != 4 else {
            throw .encodingFailed("JPEG has no alpha channel: flatten the RGBA image first (Image.flattened(over:))")
        }
        guard (1...65535).contains(image.width), (1...65535).contains(image.height) else {
            throw .encodingFailed("JPEG sides must be 1...65535 pixels, not \(image.width)x\(image.height)")
        }
        guard (1...100).contains(quality) else { throw .encodingFailed("JPEG quality must be 1...100, not \(quality)") }
        guard let compressor = tjInitCompress() else { throw .encodingFailed("could not start the JPEG encoder") }
        defer { tjDestroy(compressor) }

        let pixelFormat: TJPF = image.channels == 1 ? TJPF_GRAY : TJPF_RGB
        let subsampling: TJSAMP = image.channels == 1 ? TJSAMP_GRAY : (quality >= 90 ? TJSAMP_444 : TJSAMP_420)
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        defer { tjFree(output) }
        let status = image.pixels.withUnsafeBufferPointer { input in
            tjCompress2(compressor, input.baseAddress, Int32(image.width), 0, Int32(image.height),
                        Int32(pixelFormat.rawValue), &output, &size, Int32(subsampling.rawValue),
                        Int32(quality), TJFLAG_ACCURATEDCT)
        }
        guard status == 0, let output else { throw .encodingFailed(errorMessage(compressor)) }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    static func errorMessage(_ handle: tjhandle) -> String {
        guard let message = tjGetErrorStr2(handle) else { return "unknown TurboJPEG error" }
        return String(cString: message)
    }
}
