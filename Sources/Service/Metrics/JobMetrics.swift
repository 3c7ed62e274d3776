import Hummingbird
import Jobs
import CoreMetrics
import NIOCore
import Prometheus

/// The queue's gauges, read from the database at each scrape: jobs by state, and whether the database
/// answered. Both `matte serve` and `matte worker` show them on `/metrics`.
enum JobMetrics {
    static func exposition(_ store: any JobStore) async -> String {
        var lines = ["# HELP matte_jobs_database_up Whether the queue's database answered this scrape.",
                     "# TYPE matte_jobs_database_up gauge"]
        guard let counts = try? await store.counts() else { return (lines + ["matte_jobs_database_up 0"]).joined(separator: "\n") + "\n" }
        lines += ["matte_jobs_database_up 1",
                  "# HELP matte_jobs Jobs in the queue by state (finished ones until pruned).", "# TYPE matte_jobs gauge"]
        lines += JobState.allCases.map { "matte_jobs{state=\"\($0.rawValue)\"} \(counts[$0] ?? 0)" }
        lines += ["# HELP matte_jobs_queue_depth Jobs waiting to run (queued, due now or after a back-off).",
                  "# TYPE matte_jobs_queue_depth gauge", "matte_jobs_queue_depth \(counts[.queued] ?? 0)"]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `matte worker --metrics-port`: a `/metrics` page with the worker's own instruments (claims, claim
/// latency, job duration, failed attempts, retries, rescues, lost leases; `JobWorker` records them
/// through `factory`) and the queue's gauges.
public final class WorkerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    public init() {}

    /// What the worker records its instruments through.
    public var factory: any MetricsFactory { PrometheusMetricsFactory(registry: registry) }

    /// An HTTP server answering `GET /metrics` on `host:port`.
    public func application(host: String, port: Int, store: any JobStore) -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        let registry = registry
        router.get("metrics") { _, _ -> Response in
            let text = registry.emitToString() + (await JobMetrics.exposition(store))
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "matte-worker"))
    }
}
