import CCurl
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a download failed. The message names the reason; callers add the URL.
public enum FetchError: Error, Equatable, CustomStringConvertible {
    /// Only http and https are fetched, both for the URL given and for every redirect target.
    case unsupportedScheme(String)
    case tooManyRedirects(limit: Int)
    /// The body is larger than the limit (declared by Content-Length, or counted while receiving).
    case tooLarge(limit: Int)
    case httpStatus(Int)
    case timedOut(seconds: Double)
    /// The host resolved to (or a redirect led to) an address that is not public unicast, with
    /// `URLFetcher.checksAddresses` on.
    case refusedAddress(address: String, kind: String)
    /// Connection, DNS or TLS failure, as reported by the transport.
    case transport(String)

    public var description: String {
        switch self {
        case .unsupportedScheme(let scheme):
            scheme.isEmpty ? "not an http or https URL" : "unsupported URL scheme '\(scheme)' (only http and https are fetched)"
        case .tooManyRedirects(let limit): "more than \(limit) redirects"
        case .tooLarge(let limit): "download is larger than \(limit) bytes"
        case .httpStatus(let status): (["HTTP \(status)"] + [Self.reasons[status]].compactMap { $0 }).joined(separator: " ")
        case .timedOut(let seconds): "no complete response within \(Self.format(seconds)) s"
        case .refusedAddress(let address, let kind):
            "refused to connect to \(address): a \(kind) address (only public addresses are fetched)"
        case .transport(let reason): reason
        }
    }

    /// Reason phrases of the error statuses most often met (RFC 9110, section 15).
    private static let reasons: [Int: String] = [
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
        408: "Request Timeout", 410: "Gone", 413: "Content Too Large", 414: "URI Too Long", 429: "Too Many Requests",
        500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
        504: "Gateway Timeout",
    ]

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

/// Downloads one URL into memory with libcurl, with limits suited to untrusted addresses, for the
/// command's URL inputs and the service's `url` option:
///
/// - http and https only (`CURLOPT_PROTOCOLS_STR`, `CURLOPT_REDIR_PROTOCOLS_STR`), for the first URL and
///   every redirect; at most `maxRedirects` redirects, at most `maxBytes` of body (refused from
///   Content-Length, else counted while receiving), `timeout` seconds for the whole exchange, HTTP status
///   400 and above fail. Proxies from the environment are ignored.
/// - With `checksAddresses` (the service), guards against requests that reach the server's own network
///   (server-side request forgery): every connection curl opens, for the first URL and for each redirect,
///   and for every address a name resolves to, passes through an open-socket callback that checks the
///   actual IP address about to be connected to against `AddressPolicy`. Checking there, not before curl
///   resolves the name itself, leaves no gap for a DNS answer that changes between check and use.
///
/// Why libcurl with a hand-written check rather than an HTTP client package: none of the Swift clients at
/// hand (AsyncHTTPClient, URLSession on Linux) lets a caller veto the address of each connection it opens,
/// redirects included, so a check before the request could be bypassed by DNS rebinding; libcurl's
/// open-socket callback is that veto, and `URLFetcherTests` and the service's URL tests exercise it with
/// loopback, private, link-local and metadata addresses and with redirects to them.
public struct URLFetcher: Sendable {
    public var maxBytes: Int
    public var maxRedirects: Int
    /// Seconds for the whole exchange, redirects included.
    public var timeout: Double
    /// Refuse addresses that are not public unicast (`AddressPolicy`). On for the service; off for the
    /// command, whose user may fetch from their own network.
    public var checksAddresses: Bool

    public init(maxBytes: Int = 50_000_000, maxRedirects: Int = 5, timeout: Double = 30, checksAddresses: Bool = false) {
        self.maxBytes = maxBytes
        self.maxRedirects = maxRedirects
        self.timeout = timeout
        self.checksAddresses = checksAddresses
    }

    public static func isFetchable(_ url: URL) -> Bool {
        ["http", "https"].contains(url.scheme?.lowercased() ?? "")
    }

    /// The body at `url`. Blocks the calling thread until done.
    public func fetch(_ url: URL) throws(FetchError) -> [UInt8] {
        try fetch(url.absoluteString)
    }

    /// Why libcurl could not be loaded and initialised, once for the process (`matte_curl_load`); nil when
    /// it is ready.
    private static let loadFailure: String? = matte_curl_load().map { String(cString: $0) }

    /// The body at `url`. Blocks the calling thread until done.
    public func fetch(_ url: String) throws(FetchError) -> [UInt8] {
        try transfer(url, posting: nil)
    }

    /// POSTs `body` as `contentType` to `url` (no redirects followed) and returns the answer's body, under
    /// the same limits and address policy as `fetch`. Blocks the calling thread until done.
    public func post(_ body: [UInt8], contentType: String, to url: String) throws(FetchError) -> [UInt8] {
        try transfer(url, posting: (body, contentType))
    }

    private func transfer(_ url: String, posting: (body: [UInt8], contentType: String)?) throws(FetchError) -> [UInt8] {
        guard let parsed = URL(string: url), URLFetcher.isFetchable(parsed) else {
            throw .unsupportedScheme(URL(string: url)?.scheme ?? "")
        }
        if let failure = Self.loadFailure { throw .transport("could not load libcurl: \(failure)") }
        guard let handle = matte_curl_easy_init() else {
            throw .transport("could not start libcurl")
        }
        defer { matte_curl_easy_cleanup(handle) }

        let transfer = Transfer(maxBytes: maxBytes, checksAddresses: checksAddresses)
        let context = Unmanaged.passRetained(transfer)
        defer { context.release() }

        matte_curl_set_string(handle, CURLOPT_URL, url)
        matte_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        matte_curl_set_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        matte_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 1)
        matte_curl_set_long(handle, CURLOPT_MAXREDIRS, maxRedirects)
        matte_curl_set_string(handle, CURLOPT_PROXY, "")
        matte_curl_set_string(handle, CURLOPT_NOPROXY, "*")
        matte_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        matte_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
        matte_curl_set_offset(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(maxBytes))
        matte_curl_set_string(handle, CURLOPT_USERAGENT, "matte")
        let headers = posting.flatMap { matte_curl_slist_append(nil, "Content-Type: \($0.contentType)") }
        defer { if let headers { matte_curl_slist_free_all(headers) } }
        if let posting {
            matte_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
            matte_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(posting.body.count))
            // COPYPOSTFIELDS copies the bytes, so they need not outlive this call.
            var body = posting.body
            if body.isEmpty { body = [0] }
            body.withUnsafeMutableBytes { _ = matte_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) }
            matte_curl_set_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers))
        }
        matte_curl_set_pointer(handle, CURLOPT_WRITEDATA, context.toOpaque())
        matte_curl_set_write_function(handle) { data, size, count, context in
            guard let data, let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            guard transfer.body.count + length <= transfer.maxBytes else {
                transfer.tooLarge = true
                return 0  // makes curl stop with CURLE_WRITE_ERROR
            }
            data.withMemoryRebound(to: UInt8.self, capacity: length) {
                transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
            }
            return length
        }
        matte_curl_set_pointer(handle, CURLOPT_OPENSOCKETDATA, context.toOpaque())
        matte_curl_set_open_socket_function(handle) { context, _, address in
            guard let context, let address else { return -1 }  // CURL_SOCKET_BAD
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            var bytes = [UInt8](repeating: 0, count: 16)
            let family = matte_curl_address(address, &bytes)
            if transfer.checksAddresses {
                let kind: String? = switch family {
                case AF_INET: AddressPolicy.refusal(ipv4: Array(bytes[0..<4]))
                case AF_INET6: AddressPolicy.refusal(ipv6: bytes)
                default: "non-IP"
                }
                if let kind {
                    let text = family == AF_INET ? AddressPolicy.text(Array(bytes[0..<4])) : AddressPolicy.text(bytes)
                    transfer.refusal = .refusedAddress(address: text, kind: kind)
                    return -1  // CURL_SOCKET_BAD: curl reports CURLE_COULDNT_CONNECT
                }
            }
            return socket(address.pointee.family, address.pointee.socktype, address.pointee.`protocol`)
        }

        let result = matte_curl_easy_perform(handle)
        if let refusal = transfer.refusal { throw refusal }
        if transfer.tooLarge || result == CURLE_FILESIZE_EXCEEDED { throw .tooLarge(limit: maxBytes) }
        switch result {
        case CURLE_OK: break
        case CURLE_OPERATION_TIMEDOUT: throw .timedOut(seconds: timeout)
        case CURLE_TOO_MANY_REDIRECTS: throw .tooManyRedirects(limit: maxRedirects)
        case CURLE_UNSUPPORTED_PROTOCOL:
            // The first URL is http(s), so a redirect led elsewhere: name its scheme.
            func scheme(_ info: CURLINFO) -> String? {
                var text: UnsafeMutablePointer<CChar>?
                guard matte_curl_get_string(handle, info, &text) == CURLE_OK, let text,
                      let scheme = URL(string: String(cString: text))?.scheme,
                      !["http", "https"].contains(scheme.lowercased()) else { return nil }
                return scheme
            }
            throw .unsupportedScheme(scheme(CURLINFO_REDIRECT_URL) ?? scheme(CURLINFO_EFFECTIVE_URL) ?? "")
        default: throw .transport(String(cString: matte_curl_easy_strerror(result)))
        }
        var status = 0
        matte_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        if status >= 400 { throw .httpStatus(status) }
        return transfer.body
    }
}

/// One transfer's state, reached from curl's callbacks (all on the calling thread, so no locking).
private final class Transfer {
    let maxBytes: Int
    let checksAddresses: Bool
    var body: [UInt8] = []
    var tooLarge = false
    var refusal: FetchError?

    init(maxBytes: Int, checksAddresses: Bool) {
        self.maxBytes = maxBytes
        self.checksAddresses = checksAddresses
    }
}
