import Foundation
import Hummingbird
import HummingbirdTesting
import Imaging
@testable import Matting
import MattingIO
import NIOCore
import Service
import Testing

/// Shared models for the tests that run the real pipeline: loaded once, on a thread of their own, so that
/// tests waiting for them do not hold Swift's cooperative threads (which would stall timing tests).
enum RealModels {
    private static let loading = Task {
        await withCheckedContinuation { (continuation: CheckedContinuation<ModelStore?, Never>) in
            Thread { continuation.resume(returning: (try? PortraitMatter(threads: 1)).map { ModelStore(ready: $0) }) }.start()
        }
    }

    /// The loaded models, or a failed requirement telling how to fetch them.
    static func require() async throws -> ModelStore {
        try #require(await loading.value, "model files missing from \(ModelFiles.defaultDirectory): run scripts/fetch-assets")
    }
}

/// A stand-in matter: an ellipse in the middle is the person. `delay` makes it slow for load tests.
struct EllipseMatter: PortraitMatting {
    var delay: Double = 0

    func matte(_ image: Image, options: MattingOptions) throws -> Matte {
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        var alpha = Plane(width: image.width, height: image.height)
        for y in 0..<image.height {
            for x in 0..<image.width {
                let dx = (Float(x) + 0.5) / Float(image.width) - 0.5, dy = (Float(y) + 0.5) / Float(image.height) - 0.5
                alpha[x, y] = dx * dx + dy * dy < 0.1 ? 1 : 0
            }
        }
        return Matte(alpha: alpha.greyImage(), cutout: Cutout.make(photo: image, alpha: alpha), timings: StageTimings())
    }
}

/// A store whose loading always fails.
struct FailingLoad: Error, CustomStringConvertible {
    var description: String { "model file /nowhere/selfie.tflite is missing" }
}

/// Test images and request bodies.
enum Samples {
    /// A `width` x `height` RGB gradient.
    static func image(width: Int, height: Int) -> Image {
        var image = Image(width: width, height: height, channels: 3)
        for y in 0..<height {
            for x in 0..<width {
                let index = (y * width + x) * 3
                image.pixels[index] = UInt8(truncatingIfNeeded: x * 255 / max(width - 1, 1))
                image.pixels[index + 1] = UInt8(truncatingIfNeeded: y * 255 / max(height - 1, 1))
                image.pixels[index + 2] = 128
            }
        }
        return image
    }

    static func png(width: Int = 48, height: Int = 64) throws -> [UInt8] {
        try ImageEncoder.png(image(width: width, height: height))
    }

    static func jpeg(width: Int = 48, height: Int = 64) throws -> [UInt8] {
        try ImageEncoder.jpeg(image(width: width, height: height))
    }

    /// A `multipart/form-data` body of `parts` (name, optional filename and type, content) and its Content-Type.
    static func multipart(_ parts: [(name: String, filename: String?, type: String?, content: [UInt8])],
                          boundary: String = "matte-test-boundary") -> (contentType: String, body: [UInt8]) {
        var body: [UInt8] = []
        for part in parts {
            var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { head += "; filename=\"\(filename)\"" }
            head += "\r\n"
            if let type = part.type { head += "Content-Type: \(type)\r\n" }
            head += "\r\n"
            body += Array(head.utf8) + part.content + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", body)
    }

    static func text(_ value: String) -> [UInt8] { Array(value.utf8) }
}

/// Building an application for a test.
enum TestApp {
    static func configuration(_ change: (inout ServiceConfiguration) -> Void = { _ in }) -> ServiceConfiguration {
        var configuration = ServiceConfiguration()
        configuration.port = 0
        configuration.slots = 2
        configuration.queue = 4
        change(&configuration)
        return configuration
    }

    static func make(_ configuration: ServiceConfiguration, models: ModelStore,
                     fetcher: URLFetcher? = nil) throws -> (some ApplicationProtocol, ServiceState) {
        let state = ServiceState(configuration: configuration, models: models, fetcher: fetcher)
        return (try buildApplication(configuration, state: state), state)
    }
}

/// The error body every refusal carries.
struct ErrorBody: Decodable {
    struct Detail: Decodable {
        var status: Int
        var code: String
        var message: String
    }
    var error: Detail
}

extension TestResponse {
    var bytes: [UInt8] { Array(buffer: body) }

    /// The JSON error body, or a failed requirement.
    func errorBody(sourceLocation: SourceLocation = #_sourceLocation) throws -> ErrorBody.Detail {
        #expect(headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
        return try JSONDecoder().decode(ErrorBody.self, from: Data(bytes)).error
    }
}

extension TestClientProtocol {
    /// POSTs `body` to `/v1/matte` with `query` and `contentType`.
    func matte(_ body: [UInt8], query: String = "", contentType: String? = "image/png",
               accept: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let contentType { headers[.contentType] = contentType }
        if let accept { headers[.accept] = accept }
        return try await execute(uri: "/v1/matte" + (query.isEmpty ? "" : "?" + query), method: .post,
                                 headers: headers, body: ByteBuffer(bytes: body))
    }

    /// Expects `/healthz` to answer 200: the service is still up after whatever came before.
    func expectAlive(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let response = try await execute(uri: "/healthz", method: .get)
        #expect(response.status == .ok, sourceLocation: sourceLocation)
    }
}
