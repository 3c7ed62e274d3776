import Foundation
import Hummingbird
import Imaging
import Logging
import Matting
import MattingIO
import NIOCore

/// A request the service refuses or cannot answer, with the HTTP status, a stable machine-readable `code`
/// and a message naming the reason. Sent as JSON:
/// `{"error": {"status": 400, "code": "unknown_option", "message": "unknown option 'size' (known: ...)"}}`.
///
/// Library errors (`ImageError`, `FetchError`, ...) become `ServiceError`s here, at the HTTP edge.
public struct ServiceError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Extra response headers (`Retry-After`, `Allow`, `Connection: close`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    // MARK: Requests

    static let emptyBody = ServiceError(.badRequest, code: "empty_body",
                                        "the request has no image: send image bytes as the body, a multipart 'image' field, or a 'url' option")

    static func unknownOption(_ name: String, known: [String]) -> ServiceError {
        ServiceError(.badRequest, code: "unknown_option",
                     "unknown option '\(name)' (known: \(known.joined(separator: ", ")))")
    }

    static func invalidOption(_ name: String, _ value: String, expected: String) -> ServiceError {
        ServiceError(.badRequest, code: "invalid_option", "option '\(name)' cannot be '\(value)': expected \(expected)")
    }

    static func repeatedOption(_ name: String) -> ServiceError {
        ServiceError(.badRequest, code: "invalid_option", "option '\(name)' is given more than once")
    }

    /// A `MattingRequest` whose fields do not fit together, named by the service's option names.
    static func request(_ error: RequestError) -> ServiceError {
        let name = error.field == "outputs" ? "output" : error.field
        return ServiceError(.badRequest, code: "conflicting_options", "option '\(name)': \(error.reason)")
    }

    /// What the pipeline refused or failed at, by the part at fault.
    static func photo(_ error: PhotoError) -> ServiceError {
        switch error {
        case .request(let error): request(error)
        case .photo(let error): image(error, role: "image")
        case .background(let error): image(error, role: "background")
        case .backgroundMissing: conflictingOptions("\(error)")
        case .matting(let error): ServiceError(.internalServerError, code: "matting_failed", "matting failed: \(error)")
        case .encoding(let error): ServiceError(.internalServerError, code: "encoding_failed", "\(error)")
        case .checkFailed: ServiceError(.unprocessableContent, code: "check_failed", "\(error)")
        }
    }

    static func conflictingOptions(_ message: String) -> ServiceError {
        ServiceError(.badRequest, code: "conflicting_options", message)
    }

    static func unsupportedMediaType(_ contentType: String?) -> ServiceError {
        ServiceError(.unsupportedMediaType, code: "unsupported_media_type",
                     "Content-Type \(contentType.map { "'\($0)'" } ?? "is missing"): send a photo as image/jpeg, image/png or image/webp bytes, multipart/form-data, or application/x-www-form-urlencoded with a 'url' option")
    }

    /// A video sent to the synchronous route: videos take minutes, so they go through the job queue.
    static let videoNeedsAJob = ServiceError(.unsupportedMediaType, code: "video_needs_a_job",
                                             "this is a video: videos are matted as jobs, POST it to /v1/jobs (the answer says where to fetch the result)")

    static func malformedForm(_ reason: String) -> ServiceError {
        ServiceError(.badRequest, code: "malformed_form", "malformed form data: \(reason)")
    }

    static func bodyTooLarge(limit: Int) -> ServiceError {
        ServiceError(.contentTooLarge, code: "body_too_large", "the request body is larger than \(limit) bytes",
                     headers: [.connection: "close"])
    }

    /// The body could not be read to its end: malformed chunked framing, or the connection closed under it.
    static func brokenBody(_ error: any Error) -> ServiceError {
        ServiceError(.badRequest, code: "broken_body", "the request body could not be read to its end: \(error)",
                     headers: [.connection: "close"])
    }

    static let urlFetchingDisabled = ServiceError(.forbidden, code: "url_fetching_disabled",
                                                  "fetching images from URLs is turned off on this server (--allow-url-fetch)")

    // MARK: Images

    static func image(_ error: ImageError, role: String) -> ServiceError {
        switch error {
        case .tooLarge:
            ServiceError(.contentTooLarge, code: "too_many_pixels", "\(role): \(error)")
        case .empty:
            ServiceError(.badRequest, code: "empty_image", "\(role): \(error)")
        case .tooElongated:
            ServiceError(.unprocessableContent, code: "too_elongated", "\(role): \(error)")
        case .unsupportedFormat:
            ServiceError(.unprocessableContent, code: "not_an_image", "\(role): \(error)")
        case .corrupt:
            ServiceError(.unprocessableContent, code: "corrupt_image", "\(role): \(error)")
        case .encodingFailed:
            ServiceError(.internalServerError, code: "encoding_failed", "\(error)")
        }
    }

    static func fetch(_ error: FetchError) -> ServiceError {
        switch error {
        case .refusedAddress, .unsupportedScheme:
            ServiceError(.badRequest, code: "url_refused", "url: \(error)")
        case .tooLarge:
            ServiceError(.contentTooLarge, code: "download_too_large", "url: \(error)")
        default:
            ServiceError(.badGateway, code: "url_fetch_failed", "url: \(error)")
        }
    }

    // MARK: Capacity and time

    static func uploadsBusy(retryAfterSeconds: Int) -> ServiceError {
        ServiceError(.serviceUnavailable, code: "busy",
                     "too many job bodies are being received at once; retry after \(retryAfterSeconds) s",
                     headers: [.retryAfter: String(retryAfterSeconds)])
    }

    static func busy(retryAfterSeconds: Int) -> ServiceError {
        ServiceError(.serviceUnavailable, code: "busy",
                     "every inference slot and queue place is taken; retry after \(retryAfterSeconds) s",
                     headers: [.retryAfter: String(retryAfterSeconds)])
    }

    static func notReady(_ reason: String) -> ServiceError {
        ServiceError(.serviceUnavailable, code: "not_ready", "the models are not loaded: \(reason)",
                     headers: [.retryAfter: "5"])
    }

    static func bodyTimeout(seconds: Double) -> ServiceError {
        ServiceError(.requestTimeout, code: "request_timeout",
                     "the request body did not arrive within \(format(seconds)) s", headers: [.connection: "close"])
    }

    static func processingTimeout(seconds: Double) -> ServiceError {
        ServiceError(.serviceUnavailable, code: "processing_timeout",
                     "the request was not answered within \(format(seconds)) s (the server is overloaded or the image is large)",
                     headers: [.retryAfter: "5"])
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

extension ServiceError: HTTPResponseError {
    private struct Body: Encodable {
        struct Detail: Encodable {
            var status: Int
            var code: String
            var message: String
        }
        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(error: .init(status: status.code, code: code, message: message))
        let data = (try? JSONEncoder().encode(body)) ?? Data("{}".utf8)
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error that reaches the edge into a `ServiceError`'s JSON body: Hummingbird's own
/// `HTTPError`s (404 for unknown routes, 405, ...) keep their status, anything else is a 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServiceError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "no route \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            let code = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            return try ServiceError(error.status, code: code, message, headers: error.headers)
                .response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            return try ServiceError(error.status, code: error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"),
                                    "\(error)").response(from: request, context: context)
        } catch {
            logger.error("internal error", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return try ServiceError(.internalServerError, code: "internal_error", "internal error: \(error)")
                .response(from: request, context: context)
        }
    }
}
