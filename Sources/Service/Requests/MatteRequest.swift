import Foundation
import Hummingbird

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

/// `application/x-www-form-urlencoded` text (a form body, or the query string) read by Hummingbird's
/// `URLEncodedFormDecoder` (`name=value` pairs joined by `&`, `+` for space, `%XX` escapes) into a dictionary,
/// returned as (name, value) pairs sorted by name, so `MatteOptions.parse` sees the same order every run.
///
/// The decoder refuses a name given twice (the option is refused as given more than once), a bad
/// `%`-escape and `name[...]` nesting (malformed). Around it: a pair without `=` is skipped by the
/// decoder, and escapes that are not UTF-8 come out as U+FFFD, which no option value takes, so a field
/// holding U+FFFD is refused here as not UTF-8.
enum FormFields {
    static func parse(_ text: String) throws(ServiceError) -> [(name: String, value: String)] {
        let fields: [String: String]
        do {
            fields = try URLEncodedFormDecoder().decode([String: String].self, from: text)
        } catch let error as URLEncodedFormError {
            switch error.code {
            case .duplicateKeys: throw .repeatedOption(error.value)
            case .failedToPercentDecode: throw .malformedForm("bad %-escape in '\(error.value)'")
            default: throw .malformedForm("\(error)")
            }
        } catch {
            // A nested name (`a[b]=...`) decodes to no string.
            throw .malformedForm("fields must be plain name=value pairs")
        }
        for (name, value) in fields where name.contains("\u{FFFD}") || value.contains("\u{FFFD}") {
            throw .malformedForm("field '\(name)' is not UTF-8 text")
        }
        return fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
