import Foundation
import NIOConcurrencyHelpers

/// The service's metrics, written in the Prometheus text exposition format (version 0.0.4):
///
/// - `matte_http_requests_total{route, method, status}` counter
/// - `matte_http_request_duration_seconds{route}` histogram (buckets `bucketBounds`)
/// - `matte_http_requests_in_flight` gauge: requests being answered now
/// - `matte_inference_running`, `matte_inference_queue_depth` gauges; `matte_inference_slots` and
///   `matte_inference_queue_capacity` their limits
/// - `matte_inference_rejected_total` counter: requests refused with 503 because slots and queue were full
/// - `matte_models_ready` gauge: 1 when the models are loaded
///
/// A tiny hand-written registry: the service needs a handful of series, not a metrics framework.
public final class MetricsRegistry: Sendable {
    /// Upper bounds, in seconds, of the latency histogram's buckets (`+Inf` is added).
    public static let bucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    private struct RequestKey: Hashable, Comparable {
        var route: String, method: String, status: Int
        static func < (a: Self, b: Self) -> Bool { (a.route, a.method, a.status) < (b.route, b.method, b.status) }
    }

    private struct Histogram {
        var counts = [Int](repeating: 0, count: MetricsRegistry.bucketBounds.count)
        var sum = 0.0
        var count = 0
    }

    private struct State {
        var requests: [RequestKey: Int] = [:]
        var durations: [String: Histogram] = [:]
        var inFlight = 0
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    func requestStarted() {
        state.withLockedValue { $0.inFlight += 1 }
    }

    /// Records one answered request. `route` is the matched route pattern (never the raw path, so the
    /// number of series stays bounded), or `unmatched`.
    func requestFinished(route: String, method: String, status: Int, seconds: Double) {
        state.withLockedValue { state in
            state.inFlight -= 1
            state.requests[RequestKey(route: route, method: method, status: status), default: 0] += 1
            var histogram = state.durations[route] ?? Histogram()
            for (index, bound) in Self.bucketBounds.enumerated() where seconds <= bound { histogram.counts[index] += 1 }
            histogram.sum += seconds
            histogram.count += 1
            state.durations[route] = histogram
        }
    }

    /// The exposition text; `slots` and `modelsReady` supply the inference gauges.
    public func exposition(slots: InferenceSlots, modelsReady: Bool) -> String {
        let snapshot = state.withLockedValue { $0 }
        var lines: [String] = []
        lines += ["# HELP matte_http_requests_total HTTP requests answered, by route pattern, method and status.",
                  "# TYPE matte_http_requests_total counter"]
        for (key, count) in snapshot.requests.sorted(by: { $0.key < $1.key }) {
            lines.append("matte_http_requests_total{route=\"\(Self.escape(key.route))\",method=\"\(Self.escape(key.method))\",status=\"\(key.status)\"} \(count)")
        }
        lines += ["# HELP matte_http_request_duration_seconds Time from request head to response, by route pattern.",
                  "# TYPE matte_http_request_duration_seconds histogram"]
        for (route, histogram) in snapshot.durations.sorted(by: { $0.key < $1.key }) {
            let label = "route=\"\(Self.escape(route))\""
            for (index, bound) in Self.bucketBounds.enumerated() {
                lines.append("matte_http_request_duration_seconds_bucket{\(label),le=\"\(Self.number(bound))\"} \(histogram.counts[index])")
            }
            lines.append("matte_http_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(histogram.count)")
            lines.append("matte_http_request_duration_seconds_sum{\(label)} \(Self.number(histogram.sum))")
            lines.append("matte_http_request_duration_seconds_count{\(label)} \(histogram.count)")
        }
        func gauge(_ name: String, _ help: String, _ value: Int, type: String = "gauge") {
            lines += ["# HELP \(name) \(help)", "# TYPE \(name) \(type)", "\(name) \(value)"]
        }
        gauge("matte_http_requests_in_flight", "HTTP requests being answered now.", snapshot.inFlight)
        gauge("matte_inference_running", "Matting jobs running in an inference slot now.", slots.running)
        gauge("matte_inference_queue_depth", "Matting jobs waiting for a slot now.", slots.waiting)
        gauge("matte_inference_slots", "Inference slots (--slots).", slots.slots)
        gauge("matte_inference_queue_capacity", "Places in the wait queue (--queue).", slots.queueLimit)
        gauge("matte_inference_rejected_total", "Requests refused with 503 because slots and queue were full.",
              slots.rejected, type: "counter")
        gauge("matte_models_ready", "1 when the models are loaded and requests can be matted.", modelsReady ? 1 : 0)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
