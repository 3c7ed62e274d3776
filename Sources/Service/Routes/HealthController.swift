import Hummingbird
import NIOCore

/// `GET /healthz` (the process is up), `GET /readyz` (the models are loaded) and `GET /metrics`.
struct HealthController {
    let state: ServiceState

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("healthz") { _, _ -> Response in
            Response.json(#"{"status":"alive"}"#)
        }
        router.get("readyz") { _, _ -> Response in
            if case .failed(let reason) = state.models.current { throw ServiceError.notReady(reason) }
            _ = try state.models.matter()
            return Response.json(#"{"status":"ready"}"#)
        }
        router.get("metrics") { _, _ -> Response in
            let text = state.metrics.exposition(slots: state.slots, modelsReady: state.models.isReady)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}

extension Response {
    /// A 200 answer with `text` as a JSON body.
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
