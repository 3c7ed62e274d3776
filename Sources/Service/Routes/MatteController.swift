import Foundation
import HTTPTypes
import Hummingbird
import Matting
import MattingIO
import NIOCore

/// `POST /v1/matte`: a photo in, the cut-out (or matte, or composite) out. See `MatteOptions` for the
/// options and `MatteRequest` for the ways a photo can be sent. The work itself is the library's one
/// path for a photo, `PortraitMatting.run`, with the slot's cores.
///
/// Order of work: refuse an over-long declared body (413) before reading it; reserve its size in the
/// service's body budget or be refused (503, `BodyBudget`); read the body under the request deadline (408;
/// a malformed or broken-off body is 400, the client's fault, not the server's); parse the options into a
/// `MattingRequest` and check it (400, 415); check the models are loaded (503); then wait for an inference
/// slot or be refused (503 with Retry-After) and, in the slot, fetch `url` if allowed and run the request,
/// all under the same deadline (503 on time-out). A download is work like any other: it holds a slot, so
/// slow downloads cannot pile up threads or memory beyond the slots and the queue. Image problems are 413
/// (pixel limit) or 422.
struct MatteController {
    let state: ServiceState

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("v1/matte") { request, _ -> Response in try await matte(request) }
    }

    func matte(_ request: Request) async throws -> Response {
        let configuration = state.configuration
        let deadline = Deadline(seconds: configuration.requestTimeout)
        let start = ContinuousClock.now
        return try await Self.withBody(of: request, state: state, deadline: deadline) { body in
            try await matte(request, body: body, deadline: deadline, start: start)
        }
    }

    /// Runs `handle` on the whole body of `request`: an over-long declared body is refused (413) before
    /// it is read; its size is reserved in the service's body budget (503 when full) until `handle`
    /// returns; it is read under `deadline` (408; a malformed or broken-off body is 400).
    static func withBody(of request: Request, state: ServiceState, deadline: Deadline,
                         _ handle: (ByteBuffer) async throws -> Response) async throws -> Response {
        try await state.bodies.withBody(of: request, limit: state.configuration.maxBodyBytes,
                                        busy: .busy(retryAfterSeconds: state.slots.retryAfterSeconds), deadline: deadline,
                                        handle)
    }

    private func matte(_ request: Request, body: ByteBuffer, deadline: Deadline, start: ContinuousClock.Instant)
        async throws -> Response {
        let configuration = state.configuration
        let received = ContinuousClock.now

        let input = try MatteRequest.read(query: request.uri.query, contentType: request.headers[.contentType],
                                          body: Array(buffer: body))
        if input.video != nil { throw ServiceError.videoNeedsAJob }
        let options = try MatteOptions.parse(input.fields, backgroundFile: input.backgroundImage != nil)
        let wantsJSON = Self.acceptsJSON(request.headers[.accept])
        let matting = try options.request(maxPixels: configuration.maxPixels, json: wantsJSON)
        if options.url != nil {
            guard configuration.allowURLFetch else { throw ServiceError.urlFetchingDisabled }
            guard input.image == nil || input.image?.isEmpty == true else {
                throw ServiceError.conflictingOptions("send either an image or a url, not both")
            }
        } else if input.image?.isEmpty ?? true {
            throw ServiceError.emptyBody
        }

        let matter = try state.models.matter()
        let queued = ContinuousClock.now
        let fetcher = state.fetcher
        let (image, backgroundImage) = (input.image ?? [], input.backgroundImage)
        let result = try await deadline.run(orThrow: ServiceError.processingTimeout(seconds: configuration.requestTimeout)) {
            try await state.slots.run {
                var image = image
                if let url = options.url {
                    // The download's own time limit keeps it within the request deadline.
                    var fetcher = fetcher
                    fetcher.timeout = max(0.1, min(fetcher.timeout, deadline.remainingSeconds))
                    do throws(FetchError) { image = try fetcher.fetch(url) } catch { throw ServiceError.fetch(error) }
                    guard !image.isEmpty else { throw ServiceError.emptyBody }
                }
                do throws(PhotoError) {
                    return try matter.run(matting, photo: .encoded(image), background: backgroundImage.map { .encoded($0) })
                } catch {
                    throw ServiceError.photo(error)
                }
            }
        }
        let total = milliseconds(ContinuousClock.now - start)
        let waited = max(0, milliseconds(ContinuousClock.now - queued) - milliseconds(result.timings.total))
        return wantsJSON
            ? try jsonResponse(result, options: options, receive: milliseconds(received - start), wait: waited, total: total)
            : imageResponse(result, options: options, wait: waited, total: total)
    }

    /// Whether `Accept` names `application/json` (with any parameters); images are the default.
    static func acceptsJSON(_ accept: String?) -> Bool {
        guard let accept else { return false }
        return accept.split(separator: ",").contains {
            $0.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
        }
    }

    /// Milliseconds of each stage, as the answers report them.
    static func stageMilliseconds(_ timings: PhotoTimings) -> [(String, Double)] {
        timings.stages.map { ($0.name, milliseconds($0.time)) }
    }

    private func imageResponse(_ result: MattingResult, options: MatteOptions, wait: Double, total: Double) -> Response {
        // The chosen output is always among the request's outputs.
        let file = result[options.output]!
        let serverTiming = (Self.stageMilliseconds(result.timings) + [("wait", wait), ("total", total)])
            .map { "\($0.0);dur=\(String(format: "%.1f", $0.1))" }.joined(separator: ", ")
        let headers: HTTPFields = [
            .contentType: file.format.mimeType,
            .contentDisposition: "inline; filename=\"\(options.output.rawValue).\(file.format.fileExtension)\"",
            HTTPField.Name("Server-Timing")!: serverTiming,
            HTTPField.Name("X-Image-Size")!: "\(result.width)x\(result.height)",
        ]
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    /// `{width, height, alpha, [cutout, cutoutFormat], [composite, compositeFormat], timings}`; images as
    /// base64, the matte always PNG.
    private func jsonResponse(_ result: MattingResult, options: MatteOptions, receive: Double, wait: Double,
                              total: Double) throws -> Response {
        struct Body: Encodable {
            var width: Int
            var height: Int
            var alpha: String
            var cutout: String?
            var cutoutFormat: String?
            var composite: String?
            var compositeFormat: String?
            var timings: [String: Double]
            var check: PhotoCheck?
            var warnings: [CheckWarning]
        }
        let rounded = { (value: Double) in (value * 10).rounded() / 10 }
        var timings = Dictionary(uniqueKeysWithValues: Self.stageMilliseconds(result.timings))
        timings["receive"] = receive
        timings["wait"] = wait
        timings["total"] = total
        let base64 = { (file: MattingResult.File?) in file.map { Data($0.bytes).base64EncodedString() } }
        let body = Body(width: result.width, height: result.height, alpha: base64(result[.alpha]) ?? "",
                        cutout: base64(result[.cutout]), cutoutFormat: result[.cutout]?.format.rawValue,
                        composite: base64(result[.composite]), compositeFormat: result[.composite]?.format.rawValue,
                        timings: timings.mapValues(rounded), check: result.check, warnings: result.warnings)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(body)
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) * 1e-15
}
