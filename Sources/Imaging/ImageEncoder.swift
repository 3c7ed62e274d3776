/// Writes `Image`s as PNG, WebP or JPEG files.
public enum ImageEncoder {
    /// Lossless PNG, 8 bits per sample: 1 channel -> grey, 3 -> RGB, 4 -> RGBA. Coded in strips on up to
    /// `threads` cores (see `PNGEncoding.swift`); by default all of them.
    public static func png(_ image: Image, threads: Int = processorCount) throws(ImageError) -> [UInt8] {
        try PNG.encode(image, threads: threads)
    }

    /// WebP of any channel count (grey is stored as RGB).
    ///
    /// - Parameter quality: 0...100 for lossy; nil for lossless with the colour of fully transparent
    ///   pixels kept exactly (libwebp's `exact`), so cut-outs can be un-premultiplied or re-matted later.
    public static func webp(_ image: Image, quality: Float? = nil) throws(ImageError) -> [UInt8] {
        try WebP.encode(image, quality: quality)
    }

    /// Baseline JPEG of a grey (1 channel) or RGB (3 channel) image.
    ///
    /// - Parameter quality: 1...100. At 90 and above chroma is not subsampled (4:4:4), below it is 4:2:0,
    ///   the convention ImageMagick follows.
    /// - Throws: `encodingFailed` for RGBA: JPEG has no alpha; flatten it first (`Image.flattened(over:)`).
    public static func jpeg(_ image: Image, quality: Int = 90) throws(ImageError) -> [UInt8] {
        try JPEG.encode(image, quality: quality)
    }

    /// Encodes in `format`.
    ///
    /// - Parameters:
    ///   - quality: 1...100 for JPEG (nil: 90) and lossy WebP (nil: lossless WebP); PNG ignores it.
    ///   - threads: cores the PNG coder may use (WebP and JPEG use one).
    public static func encode(_ image: Image, as format: ImageFormat, quality: Int? = nil,
                              threads: Int = processorCount) throws(ImageError) -> [UInt8] {
        switch format {
        case .png: try png(image, threads: threads)
        case .webp: try webp(image, quality: quality.map(Float.init))
        case .jpeg: try jpeg(image, quality: quality ?? 90)
        }
    }
}
