import Hummingbird

/// Answers 405 Method Not Allowed, with an `Allow` header, when a known path is asked with a method it
/// does not take (TRACE, PUT, `GET /v1/matte`, ...), instead of the router's 404. HEAD is allowed
/// wherever GET is. Unknown paths are left to the router (404).
struct AllowedMethods<Context: RequestContext>: RouterMiddleware {
    /// Path -> the methods its routes take.
    let methods: [String: [HTTPRequest.Method]]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if let allowed = methods[path] {
            let all = allowed.contains(.get) ? allowed + [.head] : allowed
            if !all.contains(request.method) {
                let list = all.map(\.rawValue).joined(separator: ", ")
                throw ServiceError(.methodNotAllowed, code: "method_not_allowed",
                                   "\(request.method.rawValue) is not allowed on \(path) (allowed: \(list))",
                                   headers: [.allow: list])
            }
        }
        return try await next(request, context)
    }
}
