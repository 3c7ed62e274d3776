import CoreMetrics
import NIOConcurrencyHelpers
import Prometheus

/// The service's metrics: swift-metrics instruments kept in a swift-prometheus registry of this
/// service's own (not the process-wide `MetricsSystem`, so several services in one process, as in the
/// tests, each count their own), written in the Prometheus text exposition format (version 0.0.4):
///
/// - `matte_http_requests_total{route, method, status}` counter
/// - `matte_http_request_duration_seconds{route}` histogram (buckets `bucketBounds`)
/// - `matte_http_requests_in_flight` gauge: requests being answered now
/// - `matte_inference_running`, `matte_inference_queue_depth` gauges; `matte_inference_slots` and
///   `matte_inference_queue_capacity` their limits
/// - `matte_inference_rejected_total` counter: requests refused with 503 because slots and queue were full
/// - `matte_models_ready` gauge: 1 when the models are loaded
/// - on Linux, the conventional process metrics (`ProcessStatistics`): `process_cpu_seconds_total`
///   counter; `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
///   `process_start_time_seconds`, `process_open_fds` and `process_max_fds` gauges (the last two when
///   `/proc` gives them at start)
///
/// The HTTP series are counted as requests are answered; the inference, model and process ones are read
/// when `/metrics` is scraped. Gauge values are written as floating-point numbers (`2.0`), bucket bounds
/// as seconds (`le="0.005"`, `le="1.0"`); families come in no fixed order.
public final class MetricsRegistry: Sendable {
    /// Upper bounds of the latency histogram's buckets (`+Inf` is added).
    public static let bucketBounds: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60),
    ]

    /// Metric names, and what `/metrics` says of each.
    enum Name {
        static let requests = "matte_http_requests_total"
        static let requestDuration = "matte_http_request_duration_seconds"
        static let requestsInFlight = "matte_http_requests_in_flight"
        static let inferenceRunning = "matte_inference_running"
        static let inferenceQueueDepth = "matte_inference_queue_depth"
        static let inferenceSlots = "matte_inference_slots"
        static let inferenceQueueCapacity = "matte_inference_queue_capacity"
        static let inferenceRejected = "matte_inference_rejected_total"
        static let modelsReady = "matte_models_ready"
        static let cpuSeconds = "process_cpu_seconds_total"
        static let residentMemory = "process_resident_memory_bytes"
        static let virtualMemory = "process_virtual_memory_bytes"
        static let openFileDescriptors = "process_open_fds"
        static let maxFileDescriptors = "process_max_fds"
        static let startTime = "process_start_time_seconds"
    }

    static let descriptions: [String: MetricDescription] = [
        Name.requests: .init(help: "HTTP requests answered, by route pattern, method and status."),
        Name.requestDuration: .init(help: "Time from request head to response, by route pattern.", buckets: bucketBounds),
        Name.requestsInFlight: .init(help: "HTTP requests being answered now."),
        Name.inferenceRunning: .init(help: "Matting jobs running in an inference slot now."),
        Name.inferenceQueueDepth: .init(help: "Matting jobs waiting for a slot now."),
        Name.inferenceSlots: .init(help: "Inference slots (--slots)."),
        Name.inferenceQueueCapacity: .init(help: "Places in the wait queue (--queue)."),
        Name.inferenceRejected: .init(help: "Requests refused with 503 because slots and queue were full."),
        Name.modelsReady: .init(help: "1 when the models are loaded and requests can be matted."),
        Name.cpuSeconds: .init(help: "User and system CPU time spent by the process, in seconds."),
        Name.residentMemory: .init(help: "Resident memory size of the process, in bytes."),
        Name.virtualMemory: .init(help: "Virtual memory size of the process, in bytes."),
        Name.openFileDescriptors: .init(help: "Open file descriptors of the process."),
        Name.maxFileDescriptors: .init(help: "Most file descriptors the process may open (its soft limit)."),
        Name.startTime: .init(help: "Start time of the process, in seconds since the Unix epoch."),
    ]

    /// Where the instruments live; `exposition` writes it out.
    let prometheus = PrometheusCollectorRegistry()
    /// Makes this registry's instruments (`Counter(label:dimensions:factory:)` and the like).
    let factory: any MetricsFactory

    private let inFlight: Meter
    private let inferenceRunning, inferenceQueueDepth, inferenceSlots, inferenceQueueCapacity, modelsReady: CoreMetrics.Gauge
    private let inferenceRejected: CoreMetrics.Counter
    private let process: ProcessInstruments?
    /// Held while a scrape brings the sampled series up to date and writes them out.
    private let scrape = NIOLock()

    /// The process metrics, registered only where they can be read.
    private struct ProcessInstruments: Sendable {
        let cpuSeconds: FloatingPointCounter
        let residentMemory, virtualMemory, startTime: CoreMetrics.Gauge
        let openFileDescriptors, maxFileDescriptors: CoreMetrics.Gauge?
    }

    public init() {
        let factory = DescribedPrometheusFactory(registry: prometheus, descriptions: Self.descriptions)
        self.factory = factory
        func gauge(_ name: String) -> CoreMetrics.Gauge { CoreMetrics.Gauge(label: name, factory: factory) }
        inFlight = Meter(label: Name.requestsInFlight, factory: factory)
        inferenceRunning = gauge(Name.inferenceRunning)
        inferenceQueueDepth = gauge(Name.inferenceQueueDepth)
        inferenceSlots = gauge(Name.inferenceSlots)
        inferenceQueueCapacity = gauge(Name.inferenceQueueCapacity)
        inferenceRejected = CoreMetrics.Counter(label: Name.inferenceRejected, factory: factory)
        modelsReady = gauge(Name.modelsReady)
        process = ProcessStatistics.current().map { first in
            ProcessInstruments(
                cpuSeconds: FloatingPointCounter(label: Name.cpuSeconds, factory: factory),
                residentMemory: gauge(Name.residentMemory), virtualMemory: gauge(Name.virtualMemory),
                startTime: gauge(Name.startTime),
                openFileDescriptors: first.openFileDescriptors.map { _ in gauge(Name.openFileDescriptors) },
                maxFileDescriptors: first.maxFileDescriptors.map { _ in gauge(Name.maxFileDescriptors) })
        }
    }

    func requestStarted() {
        inFlight.increment()
    }

    /// Records one answered request. `route` is the matched route pattern (never the raw path, so the
    /// number of series stays bounded), or `unmatched`.
    func requestFinished(route: String, method: String, status: Int, duration: Duration) {
        inFlight.decrement()
        CoreMetrics.Counter(label: Name.requests, dimensions: [("route", route), ("method", method), ("status", String(status))],
                            factory: factory).increment()
        let (seconds, attoseconds) = duration.components
        // Request times are far below the 292 years that overflow nanoseconds in an Int64.
        CoreMetrics.Timer(label: Name.requestDuration, dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// The exposition text, after reading the inference gauges from `slots`, `modelsReady`, and the
    /// process metrics from `/proc`.
    public func exposition(slots: InferenceSlots, modelsReady isReady: Bool) -> String {
        scrape.withLock {
            inferenceRunning.record(slots.running)
            inferenceQueueDepth.record(slots.waiting)
            inferenceSlots.record(slots.slots)
            inferenceQueueCapacity.record(slots.queueLimit)
            modelsReady.record(isReady ? 1 : 0)
            // Totals kept elsewhere are copied into their counters; no scrape sees one between reset and
            // increment, since both happen under `scrape`.
            inferenceRejected.reset()
            inferenceRejected.increment(by: slots.rejected)
            if let process, let statistics = ProcessStatistics.current() {
                process.cpuSeconds.reset()
                process.cpuSeconds.increment(by: statistics.cpuSeconds)
                process.residentMemory.record(statistics.residentMemoryBytes)
                process.virtualMemory.record(statistics.virtualMemoryBytes)
                process.startTime.record(statistics.startTimeSeconds)
                if let open = statistics.openFileDescriptors { process.openFileDescriptors?.record(open) }
                if let max = statistics.maxFileDescriptors { process.maxFileDescriptors?.record(max) }
            }
            return prometheus.emitToString()
        }
    }
}
