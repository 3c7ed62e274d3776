import Foundation
import HTTPTypes
import Hummingbird
import Matting
import MattingIO
import NIOCore

/// `POST /v1/check`: a photo in (sent as to `/v1/matte`: image bytes, a multipart `image` field, or a
/// `url` when fetching is allowed), the photo checks' findings out as JSON (`PhotoCheck.json`). The
/// body is read, and the work waits for a slot, as for `/v1/matte`.
struct CheckController {
    let state: ServiceState

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("v1/check") { request, _ -> Response in try await check(request) }
    }

    func check(_ request: Request) async throws -> Response {
        let configuration = state.configuration
        let deadline = Deadline(seconds: configuration.requestTimeout)
        return try await MatteController.withBody(of: request, state: state, deadline: deadline) { body in
            let input = try MatteRequest.read(query: request.uri.query, contentType: request.headers[.contentType],
                                              body: Array(buffer: body))
            for (name, _) in input.fields where name != "url" {
                throw ServiceError.unknownOption(name, known: ["url"])
            }
            let url = input.fields.last { $0.name == "url" }?.value
            if url != nil {
                guard configuration.allowURLFetch else { throw ServiceError.urlFetchingDisabled }
            } else if input.image?.isEmpty ?? true {
                throw ServiceError.emptyBody
            }
            let matter = try state.models.matter()
            let fetcher = state.fetcher
            let image = input.image ?? []
            let check = try await deadline.run(orThrow: ServiceError.processingTimeout(seconds: configuration.requestTimeout)) {
                try await state.slots.run {
                    var image = image
                    if let url {
                        var fetcher = fetcher
                        fetcher.timeout = max(0.1, min(fetcher.timeout, deadline.remainingSeconds))
                        do throws(FetchError) { image = try fetcher.fetch(url) } catch { throw ServiceError.fetch(error) }
                        guard !image.isEmpty else { throw ServiceError.emptyBody }
                    }
                    do throws(PhotoError) {
                        return try matter.check(photo: .encoded(image), maxPixels: configuration.maxPixels)
                    } catch {
                        throw ServiceError.photo(error)
                    }
                }
            }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: check.json() + "\n")))
        }
    }
}
