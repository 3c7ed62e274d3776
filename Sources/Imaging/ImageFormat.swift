/// The image file formats this library reads and writes.
public enum ImageFormat: String, Sendable, CaseIterable, Codable {
    case jpeg, png, webp

    /// Recognises a format from its signature (magic bytes); nil when unknown.
    ///
    /// - JPEG: `FF D8 FF` (start-of-image marker followed by another marker), ITU T.81 B.1.1.
    /// - PNG: the eight-byte signature `89 'PNG' 0D 0A 1A 0A`, PNG spec 5.2.
    /// - WebP: `'RIFF'`, a four-byte size, then `'WEBP'` (RFC 9649, 2.5).
    public static func sniff(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        let head = Array(bytes.prefix(12))
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.count == 12, head.starts(with: Array("RIFF".utf8)), head[8...].elementsEqual("WEBP".utf8) {
            return .webp
        }
        return nil
    }

    /// The format a file name's extension names (`jpg`, `jpeg`, `png`, `webp`, any case); nil otherwise.
    public init?(pathExtension: String) {
        switch pathExtension.lowercased() {
        case "jpg", "jpeg": self = .jpeg
        case "png": self = .png
        case "webp": self = .webp
        default: return nil
        }
    }

    /// The usual file name extension, without the dot: `jpg`, `png`, `webp`.
    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .png: "png"
        case .webp: "webp"
        }
    }

    /// The media type, as sent in `Content-Type`.
    public var mimeType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .webp: "image/webp"
        }
    }
}
