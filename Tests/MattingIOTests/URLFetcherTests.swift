import Foundation
import Matting
import MattingIO
import TestSupport
import Testing

/// Runs `URLFetcher` against a server on 127.0.0.1 started by the test.
@Suite struct URLFetcherTests {
    static let body = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }

    static func route(_ path: String) -> LocalHTTPServer.Response {
        switch path {
        case "/image.png": return .reply(200, body: body)
        case "/missing": return .reply(404, body: Array("not here".utf8))
        case "/broken": return .reply(500)
        case "/loop": return .reply(302, headers: [("Location", "/loop")])
        case "/big": return .reply(200, body: [UInt8](repeating: 1, count: 5000))
        case "/big-streamed": return .streamed([UInt8](repeating: 2, count: 5000))
        case "/small-streamed": return .streamed(body)
        case "/to-ftp": return .reply(302, headers: [("Location", "ftp://127.0.0.1/x.jpg")])
        case "/to-file": return .reply(301, headers: [("Location", "file:///etc/passwd")])
        case "/slow": return .silence(seconds: 3)
        default:
            if path.hasPrefix("/hops/"), let count = Int(path.dropFirst("/hops/".count)) {
                return count == 0 ? .reply(200, body: body) : .reply(307, headers: [("Location", "/hops/\(count - 1)")])
            }
            return .reply(404)
        }
    }

    func withServer(_ body: (LocalHTTPServer) throws -> Void) throws {
        let server = try LocalHTTPServer(handler: Self.route)
        defer { server.stop() }
        try body(server)
    }

    func fetchError(_ fetcher: URLFetcher, _ url: String) -> FetchError? {
        do {
            _ = try fetcher.fetch(URL(string: url)!)
            return nil
        } catch {
            return error
        }
    }

    @Test func success() throws {
        try withServer { server in
            let bytes = try URLFetcher(maxBytes: 1000).fetch(URL(string: server.baseURL + "/image.png")!)
            #expect(bytes == Self.body)
            let streamed = try URLFetcher(maxBytes: 1000).fetch(URL(string: server.baseURL + "/small-streamed")!)
            #expect(streamed == Self.body)
        }
    }

    @Test func httpErrors() throws {
        try withServer { server in
            #expect(fetchError(URLFetcher(), server.baseURL + "/missing") == .httpStatus(404))
            #expect(fetchError(URLFetcher(), server.baseURL + "/broken") == .httpStatus(500))
            #expect(FetchError.httpStatus(404).description.hasPrefix("HTTP 404"))
        }
    }

    @Test func redirects() throws {
        try withServer { server in
            let afterFiveHops = try URLFetcher().fetch(URL(string: server.baseURL + "/hops/5")!)
            #expect(afterFiveHops == Self.body)
            #expect(fetchError(URLFetcher(), server.baseURL + "/hops/6") == .tooManyRedirects(limit: 5))
            #expect(fetchError(URLFetcher(maxRedirects: 0), server.baseURL + "/hops/1") == .tooManyRedirects(limit: 0))
            #expect(fetchError(URLFetcher(), server.baseURL + "/loop") == .tooManyRedirects(limit: 5))
        }
    }

    @Test func redirectTargetsMustBeHTTP() throws {
        try withServer { server in
            #expect(fetchError(URLFetcher(), server.baseURL + "/to-ftp") == .unsupportedScheme("ftp"))
            #expect(fetchError(URLFetcher(), server.baseURL + "/to-file") == .unsupportedScheme("file"))
        }
    }

    @Test func tooLarge() throws {
        try withServer { server in
            #expect(fetchError(URLFetcher(maxBytes: 4999), server.baseURL + "/big") == .tooLarge(limit: 4999))
            #expect(fetchError(URLFetcher(maxBytes: 4999), server.baseURL + "/big-streamed") == .tooLarge(limit: 4999))
            let atLimit = try URLFetcher(maxBytes: 5000).fetch(URL(string: server.baseURL + "/big-streamed")!)
            #expect(atLimit.count == 5000)
        }
    }

    @Test func otherSchemesAreRefused() {
        #expect(fetchError(URLFetcher(), "ftp://127.0.0.1/x.jpg") == .unsupportedScheme("ftp"))
        #expect(fetchError(URLFetcher(), "file:///etc/passwd") == .unsupportedScheme("file"))
        #expect(fetchError(URLFetcher(), "data:image/png;base64,AAAA") == .unsupportedScheme("data"))
    }

    @Test func timeout() throws {
        try withServer { server in
            let start = ContinuousClock.now
            #expect(fetchError(URLFetcher(timeout: 0.5), server.baseURL + "/slow") == .timedOut(seconds: 0.5))
            #expect(ContinuousClock.now - start < .seconds(2.5))
        }
    }

    @Test func refusedConnection() throws {
        let server = try LocalHTTPServer(handler: Self.route)
        let url = server.baseURL + "/image.png"
        server.stop()
        guard case .transport = fetchError(URLFetcher(timeout: 5), url) else {
            Issue.record("expected a transport error")
            return
        }
    }
}
