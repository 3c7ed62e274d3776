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

/// Inputs that once got past the service's defences: shapes that blew up resampling, framing errors
/// counted as server errors, methods without a 405, media types the API description promised, and
/// downloads outside the slots. Each is refused with a reason, and the service keeps answering.
@Suite struct HostileInputTests {
    /// A grey PNG of `width` x `height`, every pixel the same: tiny on disk whatever its pixel count.
    static func strip(width: Int, height: Int) throws -> [UInt8] {
        try ImageEncoder.png(Image(width: width, height: height, channels: 1, filling: 128))
    }

    /// A 1 x 49,999,999 PNG (just under the 50-megapixel limit) once made resampling for the networks
    /// allocate tens of gigabytes and took the process down; so did its transpose. Both, and a small
    /// strip past the 20:1 shape limit, are refused from the header with 422; a strip at 20:1 is matted.
    @Test func elongatedImagesAreRefusedAndTheServiceLives() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: try await RealModels.require())
        try await app.test(.router) { client in
            for (width, height) in [(1, 49_999_999), (49_999_999, 1), (2, 41)] {
                let response = try await client.matte(try Self.strip(width: width, height: height))
                #expect(response.status == .unprocessableContent, "\(width)x\(height)")
                let error = try response.errorBody()
                #expect(error.code == "too_elongated", "\(width)x\(height): \(error.message)")
                #expect(error.message.contains("\(width)x\(height)") && error.message.contains("20 times"), "\(error.message)")
                try await client.expectAlive()
            }
            let response = try await client.matte(try Self.strip(width: 4, height: 80), query: "output=alpha")
            #expect(response.status == .ok)
        }
    }

    /// A chunk size that is not hexadecimal is the client's error: 400, and `/metrics` counts no 5xx.
    @Test func malformedChunkedBodyIs400() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let request = Array("POST /v1/matte HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                + Array("zz\r\nhello\r\n0\r\n\r\n".utf8)
            let answer = try await RawSocket.exchange(port: port, send: request, readSeconds: 5)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "answer: \(answer.prefix(300))")
            try await client.expectAlive()
            try await Self.expectNoServerErrors(client)
        }
    }

    /// Clients that give up mid-body are not the server's fault: no 5xx in `/metrics`.
    @Test func abortedBodyIsNotAServerError() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            for _ in 0..<3 {
                let socket = try RawSocket(port: port)
                try socket.send(Array("POST /v1/matte HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n".utf8)
                                + [UInt8](repeating: 0x89, count: 500))
                try await Task.sleep(for: .milliseconds(100))
                socket.close()
            }
            try await Task.sleep(for: .milliseconds(500))
            try await client.expectAlive()
            try await Self.expectNoServerErrors(client)
        }
    }

    static func expectNoServerErrors(_ client: some TestClientProtocol, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
        let serverErrors = metrics.split(separator: "\n").filter { $0.hasPrefix("matte_http_requests_total") && $0.contains("status=\"5") }
        #expect(serverErrors.isEmpty, "\(serverErrors)", sourceLocation: sourceLocation)
    }

    /// TRACE and other methods a path does not take answer 405 with `Allow`; unknown paths stay 404.
    @Test func otherMethodsAre405() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            for (path, method, allow) in [("/v1/matte", HTTPRequest.Method.trace, "POST"), ("/v1/matte", .get, "POST"),
                                          ("/", .trace, "GET, HEAD"), ("/healthz", .delete, "GET, HEAD"),
                                          ("/metrics", .put, "GET, HEAD")] {
                let response = try await client.execute(uri: path, method: method)
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.allow] == allow, "\(method) \(path)")
                #expect(try response.errorBody().code == "method_not_allowed")
            }
            #expect(try await client.execute(uri: "/nowhere", method: .trace).status == .notFound)
            try await client.expectAlive()
        }
    }

    /// The API describes JPEG, PNG and WebP bodies; a GIF's media type is refused before decoding.
    @Test func gifBodyIs415() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            let gif = Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0, 0x3B]
            let response = try await client.matte(gif, contentType: "image/gif")
            #expect(response.status == .unsupportedMediaType)
            #expect(try response.errorBody().message.contains("image/jpeg, image/png or image/webp"))
            // A photo sent as octet-stream is recognised by its signature.
            #expect(try await client.matte(try Samples.png(), contentType: "application/octet-stream").status == .ok)
            let yaml = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(!String(buffer: yaml.body).contains("image/*"))
        }
    }

    /// Bodies being uploaded count against `(slots + queue) x max-body-bytes`: with one slot, no queue and
    /// a 1000-byte body limit, a stalled chunked upload (which may grow to the limit) holds the whole
    /// budget, and another upload is refused with 503 at once instead of buffering beside it.
    @Test func uploadsShareABoundedBudget() async throws {
        let configuration = TestApp.configuration {
            $0.slots = 1
            $0.queue = 0
            $0.maxBodyBytes = 1000
            $0.requestTimeout = 5
        }
        let (app, _) = try TestApp.make(configuration, models: ModelStore(ready: EllipseMatter()))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let stalled = try RawSocket(port: port)
            defer { stalled.close() }
            try stalled.send(Array("POST /v1/matte HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n".utf8))
            try await Task.sleep(for: .milliseconds(500))
            let second = try await client.matte(Array(repeating: 0x89, count: 500))
            #expect(second.status == .serviceUnavailable)
            #expect(try second.errorBody().code == "busy")
            stalled.close()
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await client.matte(try Samples.png(width: 8, height: 8)).status != .serviceUnavailable)
        }
    }

    /// A download holds a slot like any other work: with one slot and no queue, a request arriving
    /// while a slow download runs is refused with 503 at once, instead of starting a second download.
    @Test func downloadsCountAgainstTheSlots() async throws {
        let configuration = TestApp.configuration {
            $0.allowURLFetch = true
            $0.slots = 1
            $0.queue = 0
            $0.requestTimeout = 3
        }
        // A listener that accepts connections (the kernel's backlog does) but never answers.
        let silent = try SilentListener()
        defer { silent.close() }
        let (app, _) = try TestApp.make(configuration, models: ModelStore(ready: EllipseMatter()),
                                        fetcher: URLFetcher(maxBytes: 100_000, checksAddresses: false))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // On a connection of its own, so the test client's connection stays free for the second request.
            let download = Array("POST /v1/matte?url=http%3A%2F%2F127.0.0.1%3A\(silent.port)%2Fp.png HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
            async let slow = RawSocket.exchange(port: port, send: download, readSeconds: 15)
            try await Task.sleep(for: .milliseconds(700))
            let second = try await client.matte(try Samples.png())
            #expect(second.status == .serviceUnavailable)
            #expect(try second.errorBody().code == "busy")
            let first = try await slow
            #expect(!first.hasPrefix("HTTP/1.1 200"), "answer: \(first.prefix(200))")
            try await client.expectAlive()
        }
    }
}

/// A TCP listener on loopback that never accepts: connections complete in the kernel and then hang.
final class SilentListener: @unchecked Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && listen(descriptor, 8) == 0
                    && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(descriptor) }
}
