import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking  // URLSession on Linux; needs libcurl.so.4 (Debian: libcurl4) at run time
#endif

/// Why a download failed. The message names the reason; callers add the URL.
public enum FetchError: Error, Equatable, CustomStringConvertible {
    /// Only http and https are fetched, both for the URL given and for every redirect target.
    case unsupportedScheme(String)
    case tooManyRedirects(limit: Int)
    /// The body is larger than the limit (declared by Content-Length, or counted while streaming).
    case tooLarge(limit: Int)
    case httpStatus(Int)
    case timedOut(seconds: Double)
    /// Connection, DNS or TLS failure, as reported by the transport.
    case transport(String)

    public var description: String {
        switch self {
        case .unsupportedScheme(let scheme):
            scheme.isEmpty ? "not an http or https URL" : "unsupported URL scheme '\(scheme)' (only http and https are fetched)"
        case .tooManyRedirects(let limit): "more than \(limit) redirects"
        case .tooLarge(let limit): "download is larger than \(limit) bytes (see --max-download-bytes)"
        case .httpStatus(let status):
            "HTTP \(status) \(HTTPURLResponse.localizedString(forStatusCode: status))"
        case .timedOut(let seconds): "no complete response within \(Self.format(seconds)) s"
        case .transport(let reason): reason
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

/// Downloads one URL into memory with limits suited to untrusted addresses:
/// http and https only (redirect targets re-checked), at most `maxRedirects` redirects, at most
/// `maxBytes` of body (refused from Content-Length before reading, else counted while streaming),
/// a whole-request deadline of `timeout`, and HTTP status 400 and above treated as failure.
public struct URLFetcher: Sendable {
    public var maxBytes: Int
    public var maxRedirects: Int
    /// Seconds for the whole exchange, redirects included.
    public var timeout: Double

    public init(maxBytes: Int = 50_000_000, maxRedirects: Int = 5, timeout: Double = 30) {
        self.maxBytes = maxBytes
        self.maxRedirects = maxRedirects
        self.timeout = timeout
    }

    public static func isFetchable(_ url: URL) -> Bool {
        ["http", "https"].contains(url.scheme?.lowercased() ?? "")
    }

    /// The body of `url`. Blocks the calling thread until done; throws `FetchError`.
    public func fetch(_ url: URL) throws -> [UInt8] {
        guard Self.isFetchable(url) else { throw FetchError.unsupportedScheme(url.scheme ?? "") }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        let delegate = FetchDelegate(maxBytes: maxBytes, maxRedirects: maxRedirects)
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        defer { session.invalidateAndCancel() }  // a session keeps its delegate until invalidated

        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.setValue("matte", forHTTPHeaderField: "User-Agent")
        let task = session.dataTask(with: request)
        task.resume()
        if delegate.finished.wait(timeout: .now() + timeout) == .timedOut {
            delegate.fail(.timedOut(seconds: timeout))
            task.cancel()
        }
        return try delegate.result(timeout: timeout)
    }
}

/// Receives one task's events on the session's queue; `lock` guards the state the caller reads.
private final class FetchDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let maxBytes: Int
    let maxRedirects: Int
    let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var body: [UInt8] = []
    private var redirects = 0
    private var failure: FetchError?
    private var completionError: Error?
    private var status: Int?

    init(maxBytes: Int, maxRedirects: Int) {
        self.maxBytes = maxBytes
        self.maxRedirects = maxRedirects
    }

    /// Records the first failure; later ones (such as the cancellation it causes) are ignored.
    func fail(_ error: FetchError) {
        lock.withLock { if failure == nil { failure = error } }
    }

    func result(timeout: Double) throws -> [UInt8] {
        try lock.withLock {
            if let failure { throw failure }
            if let completionError {
                let nsError = completionError as NSError
                if nsError.domain == NSURLErrorDomain && nsError.code == NSURLErrorTimedOut {
                    throw FetchError.timedOut(seconds: timeout)
                }
                throw FetchError.transport(nsError.localizedDescription)
            }
            if let status, status >= 400 { throw FetchError.httpStatus(status) }
            if let status, (300..<400).contains(status) {
                throw FetchError.transport("redirect (HTTP \(status)) without a usable Location")
            }
            return body
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        // The Location header is checked as well as the new request: FoundationNetworking turns a target
        // without a host, such as file:///etc/passwd, into a path on the current server.
        let locationScheme = response.value(forHTTPHeaderField: "Location").flatMap { URL(string: $0)?.scheme }
        let refusal: FetchError? = lock.withLock {
            redirects += 1
            if redirects > maxRedirects { return .tooManyRedirects(limit: maxRedirects) }
            if let locationScheme, !["http", "https"].contains(locationScheme.lowercased()) {
                return .unsupportedScheme(locationScheme)
            }
            guard let target = request.url, URLFetcher.isFetchable(target) else {
                return .unsupportedScheme(request.url?.scheme ?? "")
            }
            return nil
        }
        if let refusal {
            fail(refusal)
            completionHandler(nil)
            task.cancel()
        } else {
            completionHandler(request)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let status = (response as? HTTPURLResponse)?.statusCode
        lock.withLock { self.status = status }
        if let status, status >= 400 {
            fail(.httpStatus(status))
            completionHandler(.cancel)
        } else if response.expectedContentLength > Int64(maxBytes) {
            fail(.tooLarge(limit: maxBytes))
            completionHandler(.cancel)
        } else {
            completionHandler(.allow)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let overLimit = lock.withLock {
            guard failure == nil else { return false }
            guard body.count + data.count <= maxBytes else { return true }
            body.append(contentsOf: data)
            return false
        }
        if overLimit {
            fail(.tooLarge(limit: maxBytes))
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.withLock { completionError = error }
        finished.signal()
    }
}
