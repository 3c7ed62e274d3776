/// Telling a video from a photo before anything is decoded: by the media type (`video/*`), else by the
/// bytes' signature, so a video sent as `application/octet-stream` (or mislabelled as an image) is known
/// for what it is.
enum VideoBody {
    /// Whether `mediaType` (lower case, without parameters) is `video/*`.
    static func isVideoMediaType(_ mediaType: String?) -> Bool {
        mediaType?.hasPrefix("video/") == true
    }

    /// Brands of ISO base media files that hold still images (HEIF, AVIF), not video.
    static let stillImageBrands: Set<String> = ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif", "avis"]

    /// Whether `bytes` begin as a video container does: ISO base media (MP4, MOV, 3GP: a first box
    /// `ftyp` whose brand is not a still image's, or a QuickTime file opening with `moov`, `mdat`, `wide`
    /// or `free`), EBML (WebM, Matroska), RIFF AVI, FLV, or an MPEG transport stream (sync byte 0x47
    /// every 188 bytes).
    static func hasVideoSignature(_ bytes: [UInt8]) -> Bool {
        func text(_ range: Range<Int>) -> String? {
            guard bytes.count >= range.upperBound else { return nil }
            return String(decoding: bytes[range], as: UTF8.self)
        }
        if let box = text(4..<8) {
            if box == "ftyp", let brand = text(8..<12) { return !stillImageBrands.contains(brand) }
            if ["moov", "mdat", "wide", "free"].contains(box) { return true }
        }
        if bytes.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { return true }
        if text(0..<4) == "RIFF", text(8..<12) == "AVI " { return true }
        if text(0..<3) == "FLV" { return true }
        if bytes.count > 376, bytes[0] == 0x47, bytes[188] == 0x47, bytes[376] == 0x47 { return true }
        return false
    }
}
