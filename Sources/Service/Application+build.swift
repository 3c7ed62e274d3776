import Hummingbird
import Jobs
import Logging
import Matting
import MattingIO
import NIOConcurrencyHelpers
import NIOCore

/// What the routes share: settings, inference slots, models and metrics.
public final class ServiceState: Sendable {
    public let configuration: ServiceConfiguration
    public let slots: InferenceSlots
    let bodies: BodyBudget
    /// Bodies being uploaded to `POST /v1/jobs`, apart from the photo route's: room for two of the largest
    /// a job may take (a video's limit), so that many uploads at once cannot add up to more memory.
    let jobBodies: BodyBudget
    public let models: ModelStore
    public let metrics: MetricsRegistry
    let fetcher: URLFetcher
    /// The job queue; nil without a database.
    public let jobs: (any JobStore)?
    /// nil: no keys, every request is served.
    public let apiKeys: APIKeys?
    private let buildInfoCache = NIOLockedValueBox<BuildInfo?>(nil)

    /// - Parameter fetcher: for the `url` option; by default one that refuses addresses other than public
    ///   unicast ones (tests pass one that does not, to reach a server on loopback).
    public init(configuration: ServiceConfiguration, models: ModelStore? = nil, fetcher: URLFetcher? = nil,
                jobs: (any JobStore)? = nil, apiKeys: APIKeys? = nil) {
        self.configuration = configuration
        self.jobs = jobs
        self.apiKeys = apiKeys
        self.slots = InferenceSlots(slots: configuration.slots, queueLimit: configuration.queue)
        self.bodies = BodyBudget(capacity: (configuration.slots + configuration.queue) * configuration.maxBodyBytes)
        self.jobBodies = BodyBudget(capacity: 2 * max(configuration.maxBodyBytes, configuration.maxVideoBodyBytes))
        self.models = models ?? ModelStore(directory: configuration.modelDirectory, threads: configuration.threadsPerJob)
        self.metrics = MetricsRegistry()
        self.fetcher = fetcher ?? URLFetcher(maxBytes: configuration.maxDownloadBytes,
                                             timeout: min(30, configuration.requestTimeout), checksAddresses: true)
    }

    /// This build and the digests of the model files in the configured folder, for `/healthz`: read on
    /// first use (a few milliseconds), then kept.
    public var buildInfo: BuildInfo {
        buildInfoCache.withLockedValue { cached in
            if let cached { return cached }
            let info = BuildInfo(modelDirectory: configuration.modelDirectory)
            cached = info
            return info
        }
    }
}

/// The application `matte serve` runs: the router behind an HTTP/1.1 server whose idle timeout closes
/// connections that do not send a complete request head within `headerTimeout` (slow clients), and that
/// stays idle no longer than that between requests. Model loading starts here, in the background.
///
/// - Parameters:
///   - state: shared state; made from `configuration` when nil (tests pass stand-in models).
///   - onServerRunning: called with the port once the server listens (useful with port 0).
public func buildApplication(_ configuration: ServiceConfiguration, state: ServiceState? = nil, logger: Logger? = nil,
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
    let problems = configuration.problems
    guard problems.isEmpty else {
        throw ServiceError(.internalServerError, code: "bad_configuration", problems.joined(separator: "; "))
    }
    var logger = logger ?? Logger(label: "matte.serve")
    if logger.logLevel > .info { logger.logLevel = .info }
    let state = state ?? ServiceState(configuration: configuration)
    state.models.startLoading()
    let router = buildRouter(state, logger: logger)
    let idleTimeout = TimeAmount.milliseconds(Int64(configuration.headerTimeout * 1000))
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: idleTimeout)),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "matte"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

/// Builds the application and runs it until SIGTERM or SIGINT, which stop it gracefully: the listener
/// closes, requests in progress are answered, then the process returns.
///
/// - Parameter jobs: the job queue for `/v1/jobs` (the caller keeps its database client running); nil
///   without a database.
public func serve(_ configuration: ServiceConfiguration, jobs: (any JobStore)? = nil,
                  onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
    var apiKeys: APIKeys?
    if let text = configuration.apiKeys {
        do throws(APIKeys.Problem) { apiKeys = try APIKeys(text: text) } catch {
            throw ServiceError(.internalServerError, code: "bad_configuration", error.description)
        }
    }
    let state = ServiceState(configuration: configuration, jobs: jobs, apiKeys: apiKeys)
    let app = try buildApplication(configuration, state: state, onServerRunning: onServerRunning)
    try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
}

/// Every route, behind the metrics and error middleware:
///
/// | route | answer |
/// | --- | --- |
/// | `GET /` | the web page |
/// | `GET /openapi.yaml` | the API description |
/// | `GET /healthz` | 200 while the process is up, with the version, commit and model digests |
/// | `GET /readyz` | 200 when the models are loaded, else 503 |
/// | `GET /metrics` | Prometheus text |
/// | `POST /v1/matte` | the matting API (`MatteController`) |
/// | `/v1/jobs...` | durable jobs (`JobsController`) |
///
/// Any other method on these paths answers 405 with `Allow` (`AllowedMethods`).
public func buildRouter(_ state: ServiceState, logger: Logger = Logger(label: "matte.serve")) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: MetricsMiddleware(registry: state.metrics))
    router.add(middleware: ErrorMiddleware(logger: logger))
    router.add(middleware: APIKeyMiddleware(keys: state.apiKeys))
    router.add(middleware: AllowedMethods(methods: [
        "/": [.get], "/openapi.yaml": [.get], "/healthz": [.get], "/readyz": [.get], "/metrics": [.get],
        "/v1/matte": [.post], "/v1/jobs": [.get, .post],
    ]))
    DocumentController().addRoutes(to: router)
    HealthController(state: state).addRoutes(to: router)
    MatteController(state: state).addRoutes(to: router)
    CheckController(state: state).addRoutes(to: router)
    JobsController(state: state).addRoutes(to: router)
    return router
}
