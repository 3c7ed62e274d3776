import Foundation
import HTTPTypes
import Hummingbird
import Matting

/// The API keys a service accepts, kept only as SHA-256 digests. A request names its key as
/// `Authorization: Bearer <key>` or `X-API-Key: <key>`; its digest is compared with every stored one, each
/// comparison reading all 32 bytes and none stopping early, so the time taken says nothing of how
/// close a guess came. The key's digest (hex) is its owner name: jobs belong to it.
public struct APIKeys: Sendable {
    private let digests: [[UInt8]]

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// - Parameter keys: the keys themselves (at least 16 characters each, so that they cannot be guessed).
    public init(keys: [String]) throws(Problem) {
        var digests: [[UInt8]] = []
        for key in keys {
            guard key.count >= 16 else { throw Problem(description: "an API key is shorter than 16 characters") }
            guard key.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline }) else {
                throw Problem(description: "an API key holds spaces or non-ASCII characters")
            }
            digests.append(SHA256.hash(Array(key.utf8)))
        }
        guard !digests.isEmpty else { throw Problem(description: "no API keys given") }
        self.digests = digests
    }

    /// Keys from `text`: one a line (commas also separate them); blank lines and lines starting with `#` are skipped.
    public init(text: String) throws(Problem) {
        let keys = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "," })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        try self.init(keys: keys)
    }

    /// Keys from the file at `path` (as `init(text:)` reads them).
    public init(file path: String) throws(Problem) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(description: "cannot read the API key file \(path)")
        }
        try self.init(text: String(decoding: data, as: UTF8.self))
    }

    /// The owner name of `key` (its digest, hex), or nil when it is not one of the keys.
    public func owner(ofKey key: String) -> String? {
        let digest = SHA256.hash(Array(key.utf8))
        var matched = false
        for stored in digests {
            var difference: UInt8 = 0
            for index in 0..<32 { difference |= stored[index] ^ digest[index] }
            matched = matched || difference == 0
        }
        return matched ? digest.map { String(format: "%02x", $0) }.joined() : nil
    }

    /// The key a request presents, if any.
    static func presented(in headers: HTTPFields) -> String? {
        if let value = headers[.authorization] {
            let parts = value.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        return headers[HTTPField.Name("X-API-Key")!]
    }
}

/// With keys configured, every `/v1/` route answers 401 to a request without a valid key.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: APIKeys?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let keys, request.uri.path.hasPrefix("/v1/") {
            guard let key = APIKeys.presented(in: request.headers), keys.owner(ofKey: key) != nil else {
                throw ServiceError(.unauthorized, code: "unauthorized",
                                   "this service needs an API key: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                                   headers: [.wwwAuthenticate: "Bearer"])
            }
        }
        return try await next(request, context)
    }
}
