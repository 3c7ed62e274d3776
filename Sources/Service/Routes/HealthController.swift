import Foundation
import Hummingbird
import Matting
import NIOCore

/// `GET /healthz` (the process is up, and which build with which models), `GET /readyz` (the models are
/// loaded) and `GET /metrics`.
struct HealthController {
    let state: ServiceState

    /// The `/healthz` body: `{"commit":"3c7f16e","models":[{"file":"u2netp.onnx","sha256":"309c8469"}, ...],
    /// "status":"alive","version":"0.4.0"}`, with `unknown` for a commit not recorded and `missing` for a
    /// model file that cannot be read (as `matte --version` prints them).
    struct Health: Encodable {
        struct Model: Encodable {
            var file: String
            var sha256: String
        }
        var status = "alive"
        var version: String
        var commit: String
        var models: [Model]

        init(_ info: BuildInfo) {
            version = info.version
            commit = info.commit ?? "unknown"
            models = info.models.map { Model(file: $0.file, sha256: $0.sha256 ?? "missing") }
        }

        var json: String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? #"{"status":"alive"}"#
        }
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("healthz") { _, _ -> Response in
            Response.json(Health(state.buildInfo).json)
        }
        router.get("readyz") { _, _ -> Response in
            if case .failed(let reason) = state.models.current { throw ServiceError.notReady(reason) }
            _ = try state.models.matter()
            return Response.json(#"{"status":"ready"}"#)
        }
        router.get("metrics") { _, _ -> Response in
            var text = state.metrics.exposition(slots: state.slots, modelsReady: state.models.isReady)
            if let jobs = state.jobs { text += await JobMetrics.exposition(jobs) }
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
