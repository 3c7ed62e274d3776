import Foundation
import Hummingbird
import HummingbirdTesting
import Imaging
import Matting
import MattingIO
import NIOCore
import Service
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile and broken requests: each gets a 4xx JSON error whose code and message name the reason, and
/// the service keeps answering afterwards. Runs the real models (the refusals must not depend on them).
@Suite struct BadInputTests {
    /// (body, query, content type, status, code, a phrase the message must contain)
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var body: [UInt8]
        var query = ""
        var contentType: String? = "image/png"
        var status: HTTPResponse.Status
        var code: String
        var phrase: String
        var description: String { name }
    }

    static let cases: [Case] = {
        let png = (try? Samples.png(width: 40, height: 40)) ?? []
        let multipartWithoutImage = Samples.multipart([("output", nil, nil, Samples.text("alpha"))])
        let truncatedMultipart = Array(Samples.multipart([("image", "p.png", "image/png", png)]).body.dropLast(30))
        return [
            Case(name: "empty body", body: [], status: .badRequest, code: "empty_body", phrase: "no image"),
            Case(name: "empty body, no type", body: [], contentType: nil, status: .badRequest, code: "empty_body", phrase: "no image"),
            Case(name: "not an image", body: Samples.text("hello, this is text"), status: .unprocessableContent,
                 code: "not_an_image", phrase: "not a supported image"),
            Case(name: "truncated image", body: Array(png.prefix(png.count / 2)), status: .unprocessableContent,
                 code: "corrupt_image", phrase: "corrupt or truncated"),
            Case(name: "wrong content type", body: png, contentType: "text/plain", status: .unsupportedMediaType,
                 code: "unsupported_media_type", phrase: "text/plain"),
            Case(name: "json content type", body: Samples.text("{}"), contentType: "application/json",
                 status: .unsupportedMediaType, code: "unsupported_media_type", phrase: "application/json"),
            Case(name: "unknown option", body: png, query: "size=large", status: .badRequest, code: "unknown_option",
                 phrase: "unknown option 'size'"),
            Case(name: "bad option value", body: png, query: "output=mask", status: .badRequest, code: "invalid_option",
                 phrase: "option 'output' cannot be 'mask'"),
            Case(name: "option twice", body: png, query: "output=alpha&output=cutout", status: .badRequest,
                 code: "invalid_option", phrase: "more than once"),
            Case(name: "jpeg cut-out", body: png, query: "format=jpeg", status: .badRequest, code: "conflicting_options",
                 phrase: "cannot hold the cut-out's transparency"),
            Case(name: "background without composite", body: png, query: "background=blur", status: .badRequest,
                 code: "conflicting_options", phrase: "option 'background': applies to the composite"),
            Case(name: "background image without file", body: png, query: "output=composite&background=image",
                 status: .badRequest, code: "conflicting_options", phrase: "needs a 'background' image file"),
            Case(name: "bad colour", body: png, query: "output=composite&background=%23ff00", status: .badRequest,
                 code: "invalid_option", phrase: "#rrggbb"),
            Case(name: "bad escape", body: png, query: "output=%zz", status: .badRequest, code: "malformed_form",
                 phrase: "%-escape"),
            Case(name: "multipart without image", body: multipartWithoutImage.body,
                 contentType: multipartWithoutImage.contentType, status: .badRequest, code: "empty_body", phrase: "no image"),
            Case(name: "multipart truncated", body: truncatedMultipart, contentType: "multipart/form-data; boundary=matte-test-boundary",
                 status: .badRequest, code: "malformed_form", phrase: "truncated"),
            Case(name: "multipart without boundary", body: png, contentType: "multipart/form-data", status: .badRequest,
                 code: "malformed_form", phrase: "boundary"),
            Case(name: "unknown form field", body: Samples.multipart([("image", "p.png", "image/png", png), ("colour", nil, nil, Samples.text("red"))]).body,
                 contentType: "multipart/form-data; boundary=matte-test-boundary", status: .badRequest, code: "unknown_option",
                 phrase: "unknown option 'colour'"),
            Case(name: "url while fetching is off", body: [], query: "url=http%3A%2F%2F127.0.0.1%2Fx.png", contentType: nil,
                 status: .forbidden, code: "url_fetching_disabled", phrase: "--allow-url-fetch"),
        ]
    }()

    @Test(arguments: cases)
    func refusedWithAReason(_ test: Case) async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: try await RealModels.require())
        try await app.test(.router) { client in
            let response = try await client.matte(test.body, query: test.query, contentType: test.contentType)
            #expect(response.status == test.status)
            let error = try response.errorBody()
            #expect(error.status == Int(test.status.code))
            #expect(error.code == test.code)
            #expect(error.message.contains(test.phrase), "message: \(error.message)")
            try await client.expectAlive()
        }
    }

    @Test func oversizedBodyIs413() async throws {
        let configuration = TestApp.configuration { $0.maxBodyBytes = 1000 }
        let (app, _) = try TestApp.make(configuration, models: try await RealModels.require())
        try await app.test(.router) { client in
            let response = try await client.matte([UInt8](repeating: 0x89, count: 5000))
            #expect(response.status == .contentTooLarge)
            let error = try response.errorBody()
            #expect(error.code == "body_too_large")
            #expect(error.message.contains("1000 bytes"))
            try await client.expectAlive()
        }
    }

    @Test func oversizedBodyWithoutContentLengthIs413() async throws {
        // Over a live connection with chunked transfer: the limit is found while reading.
        let configuration = TestApp.configuration { $0.maxBodyBytes = 1000 }
        let (app, _) = try TestApp.make(configuration, models: try await RealModels.require())
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let chunk = [UInt8](repeating: 0x41, count: 4000)
            let request = Array("POST /v1/matte HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                + Array(String(chunk.count, radix: 16).utf8) + Array("\r\n".utf8) + chunk + Array("\r\n0\r\n\r\n".utf8)
            let answer = try await RawSocket.exchange(port: port, send: request, readSeconds: 5)
            #expect(answer.hasPrefix("HTTP/1.1 413"), "answer: \(answer.prefix(200))")
            #expect(answer.contains("body_too_large"))
            try await client.expectAlive()
        }
    }

    @Test func overThePixelLimit() async throws {
        let configuration = TestApp.configuration { $0.maxPixels = 1000 }
        let (app, _) = try TestApp.make(configuration, models: try await RealModels.require())
        try await app.test(.router) { client in
            let response = try await client.matte(try Samples.png(width: 50, height: 50))
            #expect(response.status == .contentTooLarge)
            let error = try response.errorBody()
            #expect(error.code == "too_many_pixels")
            #expect(error.message.contains("50x50 (2500 pixels), over the limit of 1000 pixels"))
            try await client.expectAlive()
        }
    }

    @Test func corruptBackgroundImageIsNamed() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: try await RealModels.require())
        let form = Samples.multipart([
            ("image", "p.png", "image/png", try Samples.png()),
            ("background", "b.png", "image/png", Samples.text("not really a png")),
        ])
        try await app.test(.router) { client in
            let response = try await client.matte(form.body, contentType: form.contentType)
            #expect(response.status == .unprocessableContent)
            #expect(try response.errorBody().message.hasPrefix("background: "))
        }
    }

    @Test func unknownRouteIsAJSON404() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/v2/nothing", method: .get)
            #expect(response.status == .notFound)
            #expect(try response.errorBody().status == 404)
        }
    }

    @Test func slowHeaderClientIsCutOff() async throws {
        let configuration = TestApp.configuration { $0.headerTimeout = 1 }
        let (app, _) = try TestApp.make(configuration, models: ModelStore(ready: EllipseMatter()))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let socket = try RawSocket(port: port)
            defer { socket.close() }
            // Half a request head, then nothing: the server must close the connection.
            try socket.send(Array("POST /v1/matte HTTP/1.1\r\nHost: localhost\r\nContent-Ty".utf8))
            let start = ContinuousClock.now
            let result = await socket.readUntilClosed(seconds: 30)
            let elapsed = ContinuousClock.now - start
            #expect(result.closed, "the server kept a slow client's connection open")
            // The header timeout is 1 s; the bound is loose for busy test machines.
            #expect(elapsed < .seconds(15), "closed after \(elapsed)")
            // The test client's own connection was idle as long, so it is closed too: ask on a new one.
            let health = try await RawSocket.exchange(port: port, send: Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8),
                                                      readSeconds: 5)
            #expect(health.hasPrefix("HTTP/1.1 200"), "answer: \(health.prefix(200))")
        }
    }

    @Test func slowBodyGets408AtTheRequestDeadline() async throws {
        let configuration = TestApp.configuration {
            $0.requestTimeout = 1
            $0.headerTimeout = 60
        }
        let (app, _) = try TestApp.make(configuration, models: ModelStore(ready: EllipseMatter()))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let start = ContinuousClock.now
            // 100 of the 1000 bytes promised, then nothing.
            let answer = try await RawSocket.exchange(
                port: port,
                send: Array("POST /v1/matte HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n".utf8)
                    + [UInt8](repeating: 0x89, count: 100),
                readSeconds: 30)
            #expect(answer.hasPrefix("HTTP/1.1 408"), "answer: \(answer.prefix(200))")
            #expect(answer.contains("request_timeout"))
            // The request deadline (1 s) answered, not the header timeout (60 s).
            #expect(ContinuousClock.now - start < .seconds(20))
        }
    }

    @Test func urlToLoopbackIsRefusedWhenFetchingIsOn() async throws {
        let configuration = TestApp.configuration { $0.allowURLFetch = true }
        let (app, _) = try TestApp.make(configuration, models: try await RealModels.require())
        try await app.test(.live) { client in
            let port = try #require(client.port)
            for url in ["http://127.0.0.1:\(port)/healthz", "http://localhost:\(port)/", "http://[::1]:\(port)/",
                        "http://0.0.0.0:\(port)/", "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/x.png"] {
                let query = "url=" + url.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let response = try await client.matte([], query: query, contentType: nil)
                #expect(response.status == .badRequest, "\(url)")
                let error = try response.errorBody()
                #expect(error.code == "url_refused", "\(url): \(error.message)")
                #expect(error.message.contains("refused to connect to"), "\(url): \(error.message)")
            }
            let scheme = try await client.matte([], query: "url=file%3A%2F%2F%2Fetc%2Fpasswd", contentType: nil)
            #expect(scheme.status == .badRequest)
            #expect(try scheme.errorBody().code == "url_refused")
            try await client.expectAlive()
        }
    }

    @Test func urlFetchingWorksForAllowedAddresses() async throws {
        // With the address check off (a test-only switch), a loopback URL is fetched: the fetcher itself works.
        let configuration = TestApp.configuration { $0.allowURLFetch = true }
        let (app, _) = try TestApp.make(configuration, models: ModelStore(ready: EllipseMatter()),
                                        fetcher: URLFetcher(maxBytes: 100_000, checksAddresses: false))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // The service serves no image by GET: fetch /openapi.yaml, which is not an image, and expect
            // the decoder, not the fetcher, to refuse it.
            let response = try await client.matte([], query: "url=http%3A%2F%2F127.0.0.1%3A\(port)%2Fopenapi.yaml", contentType: nil)
            #expect(response.status == .unprocessableContent)
            #expect(try response.errorBody().code == "not_an_image")
        }
    }
}

/// A plain TCP client for tests that need to misbehave (slow heads, hand-written chunked bodies).
/// Blocking reads run on a thread of their own, so they never hold one of Swift's few cooperative threads.
final class RawSocket: @unchecked Sendable {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            Glibc.close(descriptor)
            throw POSIXError(.ECONNREFUSED)
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw POSIXError(.EPIPE) }
            offset += sent
        }
    }

    /// Reads until the peer closes (or resets) the connection or `seconds` pass.
    func readUntilClosed(seconds: Double) async -> (closed: Bool, bytes: [UInt8]) {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.blockingReadUntilClosed(seconds: seconds)) }.start()
        }
    }

    private func blockingReadUntilClosed(seconds: Double) -> (closed: Bool, bytes: [UInt8]) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return (true, received) }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                return (true, received)  // reset
            }
            received += buffer[0..<count]
        }
        return (false, received)
    }

    func close() { Glibc.close(descriptor) }

    /// Sends `request` on a new connection and returns what came back within `readSeconds` (or until close).
    static func exchange(port: Int, send request: [UInt8], readSeconds: Double) async throws -> String {
        let socket = try RawSocket(port: port)
        defer { socket.close() }
        try? socket.send(request)
        let (_, bytes) = await socket.readUntilClosed(seconds: readSeconds)
        return String(decoding: bytes, as: UTF8.self)
    }
}
