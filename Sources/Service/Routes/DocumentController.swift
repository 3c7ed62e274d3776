import Hummingbird
import NIOCore

/// `GET /` (the web page) and `GET /openapi.yaml` (the API description), both read from the target's
/// resources once, when the routes are added.
struct DocumentController {
    func addRoutes(to router: Router<BasicRequestContext>) {
        let page = ByteBuffer(string: WebPage.html), description = ByteBuffer(string: OpenAPIDocument.yaml)
        router.get("/") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: page))
        }
        router.get("openapi.yaml") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                     body: .init(byteBuffer: description))
        }
    }
}
