import Hummingbird

/// Counts every request and its latency in `MetricsRegistry`, labelled by the route pattern the router
/// matched (`/v1/matte`), or `unmatched`. Sits outside the error middleware, so it sees final statuses.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: MetricsRegistry

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        registry.requestStarted()
        func finish(_ status: HTTPResponse.Status) {
            // Hummingbird names unmatched requests by its not-found handler; routes all start with "/".
            let route = context.endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
            registry.requestFinished(route: route, method: request.method.rawValue,
                                     status: status.code, duration: ContinuousClock.now - start)
        }
        do {
            let response = try await next(request, context)
            finish(response.status)
            return response
        } catch {
            finish((error as? any HTTPResponseError)?.status ?? .internalServerError)
            throw error
        }
    }
}
