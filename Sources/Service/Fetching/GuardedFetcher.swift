import CCurl
import Foundation
import Matting

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a server-side fetch failed: a `FetchError` (scheme, size, redirects, status, time, transport), or
/// an address the `AddressPolicy` refuses.
public enum GuardedFetchError: Error, Equatable, CustomStringConvertible {
    case fetch(FetchError)
    /// The host resolved to (or a redirect led to) an address that is not public unicast.
    case refusedAddress(address: String, kind: String)

    public var description: String {
        switch self {
        case .fetch(let error): "\(error)"
        case .refusedAddress(let address, let kind):
            "refused to connect to \(address): a \(kind) address (only public addresses are fetched)"
        }
    }
}

/// Downloads images for the service's `url` option with libcurl, guarding against requests that reach
/// the server's own network (server-side request forgery):
///
/// - Every connection curl opens, for the first URL and for each redirect, and for every address a name
///   resolves to, passes through an open-socket callback that checks the actual IP address about to be
///   connected to against `AddressPolicy`. Checking there, not before curl resolves the name itself, leaves
///   no gap for a DNS answer that changes between check and use.
/// - http and https only (`CURLOPT_PROTOCOLS_STR`, `CURLOPT_REDIR_PROTOCOLS_STR`); proxies from the
///   environment are ignored, so the check applies to the real destination.
/// - At most `maxRedirects` redirects, at most `maxBytes` of body (refused from Content-Length, else
///   counted while receiving), `timeout` seconds for the whole exchange, HTTP status 400 and above fail.
public struct GuardedFetcher: Sendable {
    public var maxBytes: Int
    public var maxRedirects: Int
    public var timeout: Double
    /// Lets tests reach a server on loopback: when false, addresses are not checked. Never false in service.
    public var checksAddresses: Bool

    public init(maxBytes: Int, maxRedirects: Int = 5, timeout: Double = 30, checksAddresses: Bool = true) {
        self.maxBytes = maxBytes
        self.maxRedirects = maxRedirects
        self.timeout = timeout
        self.checksAddresses = checksAddresses
    }

    private static let initialised: Bool = matte_curl_global_init() == CURLE_OK

    /// The body at `url`. Blocks the calling thread until done.
    public func fetch(_ url: String) throws(GuardedFetchError) -> [UInt8] {
        guard let parsed = URL(string: url), URLFetcher.isFetchable(parsed) else {
            throw .fetch(.unsupportedScheme(URL(string: url)?.scheme ?? ""))
        }
        guard Self.initialised, let handle = curl_easy_init() else {
            throw .fetch(.transport("could not start libcurl"))
        }
        defer { curl_easy_cleanup(handle) }

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

        let result = curl_easy_perform(handle)
        if let refusal = transfer.refusal { throw refusal }
        if transfer.tooLarge || result == CURLE_FILESIZE_EXCEEDED { throw .fetch(.tooLarge(limit: maxBytes)) }
        switch result {
        case CURLE_OK: break
        case CURLE_OPERATION_TIMEDOUT: throw .fetch(.timedOut(seconds: timeout))
        case CURLE_TOO_MANY_REDIRECTS: throw .fetch(.tooManyRedirects(limit: maxRedirects))
        case CURLE_UNSUPPORTED_PROTOCOL: throw .fetch(.transport("redirect to a scheme other than http or https"))
        default: throw .fetch(.transport(String(cString: curl_easy_strerror(result))))
        }
        var status = 0
        matte_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        if status >= 400 { throw .fetch(.httpStatus(status)) }
        return transfer.body
    }
}

/// One transfer's state, reached from curl's callbacks (all on the calling thread, so no locking).
private final class Transfer {
    let maxBytes: Int
    let checksAddresses: Bool
    var body: [UInt8] = []
    var tooLarge = false
    var refusal: GuardedFetchError?

    init(maxBytes: Int, checksAddresses: Bool) {
        self.maxBytes = maxBytes
        self.checksAddresses = checksAddresses
    }
}
