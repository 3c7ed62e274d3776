import Foundation
import Hummingbird
import HummingbirdTesting
import Matting
import NIOCore
@testable import Service
import Testing

/// Health, readiness, metrics, the API description and the page.
@Suite struct OperationsTests {
    @Test func healthzAnswersWhileModelsAreMissing() async throws {
        let models = ModelStore { throw FailingLoad() }
        let (app, _) = try TestApp.make(TestApp.configuration(), models: models)
        await models.waitUntilLoaded(seconds: 5)
        try await app.test(.router) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(String(buffer: health.body).contains("alive"))

            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            let error = try ready.errorBody()
            #expect(error.code == "not_ready")
            #expect(error.message.contains("selfie.tflite is missing"))

            // Matting says the same, after the request itself was found valid.
            let matte = try await client.matte(try Samples.png())
            #expect(matte.status == .serviceUnavailable)
            #expect(try matte.errorBody().code == "not_ready")
        }
    }

    /// `/healthz` names this build and the model files in the configured folder, as `matte --version` does.
    @Test func healthzCarriesVersionAndModels() async throws {
        let folder = NSTemporaryDirectory() + "/matte-healthz-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("abc".utf8).write(to: URL(fileURLWithPath: folder + "/" + ModelFiles.u2netp))
        let configuration = TestApp.configuration { $0.modelDirectory = folder }
        let (app, _) = try TestApp.make(configuration, models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            struct Health: Decodable {
                struct Model: Decodable, Equatable {
                    var file: String
                    var sha256: String
                }
                var status: String
                var version: String
                var commit: String
                var models: [Model]
            }
            let health = try JSONDecoder().decode(Health.self, from: Data(response.bytes))
            #expect(health.status == "alive")
            #expect(health.version == BuildInfo.version)
            #expect(!health.commit.isEmpty)
            #expect(health.models == [Health.Model(file: ModelFiles.selfie, sha256: "missing"),
                                      Health.Model(file: ModelFiles.u2netp, sha256: "ba7816bf"),
                                      Health.Model(file: ModelFiles.faceDetector, sha256: "missing")])
            #expect(!String(buffer: response.body).contains(folder), "the folder stays private")
        }
    }

    @Test func readyzIsOKWithModels() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: try await RealModels.require())
        try await app.test(.router) { client in
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
        }
    }

    @Test func realModelsLoadInTheBackground() async throws {
        _ = try await RealModels.require()
        let configuration = TestApp.configuration()
        let app = try buildApplication(configuration)
        try await app.test(.router) { client in
            var status = HTTPResponse.Status.serviceUnavailable
            let deadline = ContinuousClock.now + .seconds(30)
            while status != .ok && ContinuousClock.now < deadline {
                status = try await client.execute(uri: "/readyz", method: .get).status
                if status != .ok { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(status == .ok)
        }
    }

    @Test func metricsCountRequestsByRouteAndStatus() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            _ = try await client.execute(uri: "/healthz", method: .get)
            _ = try await client.matte(try Samples.png(width: 8, height: 8))
            _ = try await client.matte([], query: "nonsense=1")
            _ = try await client.execute(uri: "/nowhere/12345", method: .get)
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(buffer: response.body)
            for line in [
                #"matte_http_requests_total{route="/healthz",method="GET",status="200"} 1"#,
                #"matte_http_requests_total{route="/v1/matte",method="POST",status="200"} 1"#,
                #"matte_http_requests_total{route="/v1/matte",method="POST",status="400"} 1"#,
                #"matte_http_requests_total{route="unmatched",method="GET",status="404"} 1"#,
                #"matte_http_request_duration_seconds_count{route="/v1/matte"} 2"#,
                #"matte_http_request_duration_seconds_bucket{route="/v1/matte",le="+Inf"} 2"#,
                #"matte_http_request_duration_seconds_bucket{route="/v1/matte",le="60.0"} 2"#,
                // swift-prometheus writes gauges as floating-point numbers.
                "matte_http_requests_in_flight 1.0",
                "matte_inference_running 0.0",
                "matte_inference_queue_depth 0.0",
                "matte_inference_slots 2.0",
                "matte_inference_queue_capacity 4.0",
                "matte_inference_rejected_total 0",
                "matte_models_ready 1.0",
                "# TYPE matte_http_requests_total counter",
                "# TYPE matte_http_request_duration_seconds histogram",
                "# TYPE matte_inference_rejected_total counter",
                "# HELP matte_http_requests_in_flight HTTP requests being answered now.",
            ] {
                #expect(text.contains(line + "\n"), "metrics lack: \(line)")
            }
            let bounds = text.split(separator: "\n").filter { $0.hasPrefix(#"matte_http_request_duration_seconds_bucket{route="/healthz""#) }
                .compactMap { $0.split(separator: "le=\"").last?.split(separator: "\"").first.map(String.init) }
            #expect(bounds == ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "30.0",
                               "60.0", "+Inf"])
            #expect(!text.contains("12345"), "raw paths must not become labels")
        }
    }

    /// Each app counts its own requests, although tests run several in one process.
    @Test func metricsAreKeptPerService() async throws {
        let (first, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        let (second, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await first.test(.router) { client in
            _ = try await client.execute(uri: "/healthz", method: .get)
            _ = try await client.execute(uri: "/healthz", method: .get)
        }
        try await second.test(.router) { client in
            _ = try await client.execute(uri: "/healthz", method: .get)
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(text.contains(#"matte_http_requests_total{route="/healthz",method="GET",status="200"} 1"# + "\n"))
        }
    }

    #if os(Linux)
    @Test func metricsIncludeTheProcess() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            func value(_ name: String) -> Double? {
                text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.dropFirst(name.count + 1)) }
            }
            #expect(text.contains("# TYPE process_cpu_seconds_total counter\n"))
            for name in ["process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds",
                         "process_max_fds", "process_start_time_seconds"] {
                #expect(text.contains("# TYPE \(name) gauge\n"), "\(name) is not a gauge")
                #expect((value(name) ?? 0) > 0, "\(name) is missing or zero")
            }
            #expect(value("process_cpu_seconds_total") != nil)
            #expect((value("process_max_fds") ?? 0) >= (value("process_open_fds") ?? .infinity))
        }
    }
    #endif

    @Test func pageIsServed() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let page = String(buffer: response.body)
            for piece in ["<html", "/v1/matte", "type=\"file\"", "Download"] {
                #expect(page.contains(piece), "page lacks \(piece)")
            }
            #expect(page == WebPage.html, "the page is the resource index.html as it is")
            #expect(page.hasPrefix("<!doctype html>") && page.hasSuffix("</html>\n"))
        }
    }

    /// Every (method, path) in openapi.yaml is a route, and every route is in openapi.yaml.
    @Test func openAPIDescribesExactlyTheRoutes() async throws {
        let state = ServiceState(configuration: TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        let router = buildRouter(state)
        let routes = Set(router.routes.map { "\($0.method.rawValue) \(Self.normalise($0.path.description))" })
        let documented = Set(Self.documentedOperations(OpenAPIDocument.yaml))
        #expect(!routes.isEmpty)
        #expect(routes == documented, "only routed: \(routes.subtracting(documented)); only documented: \(documented.subtracting(routes))")

        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == OpenAPIDocument.yaml)
        }
    }

    /// No key appears twice at the same level of a section (YAML readers keep only the last, so a second
    /// `schemas:` would hide the first), checked for the top level and for the keys two spaces in.
    @Test func openAPIHasNoRepeatedKeys() {
        var seen: [String: Set<String>] = [:]
        var section = ""
        for line in OpenAPIDocument.yaml.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("#") else { continue }
            let indent = line.prefix { $0 == " " }.count
            let key = String(line[line.startIndex..<colon]).trimmingCharacters(in: .whitespaces)
            guard indent == 0 || indent == 2, !key.isEmpty, !key.hasPrefix("-") else { continue }
            if indent == 0 { section = key }
            let scope = indent == 0 ? "" : section
            #expect(seen[scope, default: []].insert(key).inserted, "\(key) repeated in \(scope.isEmpty ? "the document" : scope)")
        }
    }

    static func normalise(_ path: String) -> String {
        path.hasPrefix("/") ? path : "/" + path
    }

    /// `METHOD /path` for each operation under `paths:` (two-space indented paths, four-space methods).
    static func documentedOperations(_ yaml: String) -> [String] {
        var operations: [String] = []
        var inPaths = false
        var path: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "put", "post", "delete", "patch", "head", "options"].contains(String(method)) {
                    operations.append("\(method.uppercased()) \(path)")
                }
            }
        }
        return operations
    }
}
