import Foundation

/// What a `POST /v1/matte` request carries, before options are interpreted: the photo (if sent in the
/// body), a background image file (multipart only), and the option fields from the query string and form.
struct MatteRequest: Sendable {
    var image: [UInt8]?
    var backgroundImage: [UInt8]?
    /// A video, where the photo would be: sent as `video/*`, or bytes with a video's signature
    /// (`VideoBody`). Only a job takes it.
    var video: [UInt8]?
    var fields: [(name: String, value: String)]

    /// Media types of a photo sent as the whole body. The bytes are recognised by their signature, so any
    /// of these may carry any of the three formats; other `image/*` types (GIF, HEIC, ...) are refused
    /// with 415 before anything is decoded.
    static let imageMediaTypes: Set<String> = ["image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/webp",
                                               "application/octet-stream"]

    /// Reads the body by its Content-Type:
    /// - `image/jpeg`, `image/png`, `image/webp` (or `application/octet-stream`): the body is the photo;
    /// - `video/*`: the body is a video (so is a photo whose bytes are a video's, `VideoBody`);
    /// - `multipart/form-data`: file field `image` is the photo (or a video), file field `background` the
    ///   background image, text fields are options;
    /// - `application/x-www-form-urlencoded`: the fields are options (with `url`, no photo in the body);
    /// - no Content-Type and an empty body: options only (query string).
    ///
    /// Query-string fields come first, then form fields; `MatteOptions.parse` refuses a name given twice.
    static func read(query: String?, contentType: String?, body: [UInt8]) throws(ServiceError) -> MatteRequest {
        var request = MatteRequest(image: nil, backgroundImage: nil, video: nil, fields: try FormFields.parse(query ?? ""))
        let mediaType = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        switch mediaType {
        case nil where body.isEmpty:
            break
        case let type? where VideoBody.isVideoMediaType(type):
            request.video = body
        case let type? where imageMediaTypes.contains(type):
            request.image = body
        case "multipart/form-data":
            guard let boundary = try MultipartForm.boundary(contentType: contentType ?? "") else {
                throw .unsupportedMediaType(contentType)
            }
            let form = try MultipartForm(body: body, boundary: boundary)
            for part in form.parts {
                switch part.name {
                case "image":
                    guard request.image == nil else { throw .malformedForm("more than one 'image' field") }
                    request.image = Array(part.content)
                case "background" where part.isFile:
                    guard request.backgroundImage == nil else { throw .malformedForm("more than one 'background' file") }
                    request.backgroundImage = Array(part.content)
                default:
                    guard let value = String(validating: part.content, as: UTF8.self) else {
                        throw .malformedForm("field '\(part.name)' is not UTF-8 text")
                    }
                    request.fields.append((part.name, value))
                }
            }
        case "application/x-www-form-urlencoded":
            guard let text = String(validating: body, as: UTF8.self) else { throw .malformedForm("the form is not UTF-8 text") }
            request.fields += try FormFields.parse(text)
        default:
            throw .unsupportedMediaType(contentType)
        }
        if let image = request.image, VideoBody.hasVideoSignature(image) {
            request.video = image
            request.image = nil
        }
        return request
    }
}

/// `application/x-www-form-urlencoded` text (also the query string): `name=value` pairs joined by `&`,
/// `+` for space, `%XX` escapes (WHATWG URL standard, section 5.1). Empty pairs are skipped; a name
/// without `=` has an empty value.
///
/// Why our own rather than Hummingbird's readers (checked by running them on the same inputs):
/// `URLEncodedFormDecoder` puts fields in a dictionary (their order changed from run to run, and a name
/// given twice cannot be told apart), drops names without `=`, and turns `%FF` into U+FFFD instead of
/// refusing it; `URI.queryParameters` keeps order but leaves `+` and names undecoded and passes `%zz`
/// through. A repeated option must be refused, and bad escapes must be 400s, not silent replacements.
enum FormFields {
    static func parse(_ text: String) throws(ServiceError) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(halves[0])
            let value = halves.count > 1 ? try decode(halves[1]) : ""
            fields.append((name, value))
        }
        return fields
    }

    static func decode(_ text: Substring) throws(ServiceError) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard utf8.count >= 2, let high = hexValue(utf8[utf8.startIndex]), let low = hexValue(utf8[utf8.startIndex + 1]) else {
                    throw .malformedForm("bad %-escape in '\(text)'")
                }
                bytes.append(high << 4 | low)
                utf8 = utf8.dropFirst(2)
            default: bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { throw .malformedForm("'\(text)' is not UTF-8") }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
