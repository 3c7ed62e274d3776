import CoreMetrics
import Prometheus

/// What the exposition says of one metric beyond its name: its `# HELP` text and, for a timer, the upper
/// bounds of its histogram's buckets.
struct MetricDescription: Sendable {
    var help: String
    var buckets: [Duration] = []
}

/// A swift-metrics factory whose instruments live in one `PrometheusCollectorRegistry`.
///
/// Like swift-prometheus's `PrometheusMetricsFactory`, which it falls back on, except that metrics named
/// in `descriptions` are registered with their help text (a `# HELP` line in the exposition) and timers
/// with their own buckets. Aggregating recorders (value histograms) are left to the fallback, undescribed.
/// Every instrument of one name must come through this factory: the registry refuses (traps on) a second
/// registration of a name with another help text.
struct DescribedPrometheusFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    let descriptions: [String: MetricDescription]
    private let fallback: PrometheusMetricsFactory

    init(registry: PrometheusCollectorRegistry, descriptions: [String: MetricDescription]) {
        self.registry = registry
        self.descriptions = descriptions
        self.fallback = PrometheusMetricsFactory(registry: registry)
    }

    private func descriptor(_ label: String) -> MetricNameDescriptor? {
        // An empty unit leaves the name as it is.
        descriptions[label].map { MetricNameDescriptor(metricName: label, unitName: "", helpText: $0.help) }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let descriptor = descriptor(label) else { return fallback.makeCounter(label: label, dimensions: dimensions) }
        return registry.makeCounter(descriptor: descriptor, labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        guard let descriptor = descriptor(label) else {
            return fallback.makeFloatingPointCounter(label: label, dimensions: dimensions)
        }
        return registry.makeCounter(descriptor: descriptor, labels: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let descriptor = descriptor(label) else { return fallback.makeMeter(label: label, dimensions: dimensions) }
        return registry.makeGauge(descriptor: descriptor, labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard !aggregate, let descriptor = descriptor(label) else {
            return fallback.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }
        return registry.makeGauge(descriptor: descriptor, labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let description = descriptions[label], let descriptor = descriptor(label) else {
            return fallback.makeTimer(label: label, dimensions: dimensions)
        }
        let buckets = description.buckets.isEmpty ? fallback.defaultDurationHistogramBuckets : description.buckets
        return registry.makeDurationHistogram(descriptor: descriptor, labels: dimensions, buckets: buckets)
    }

    func destroyCounter(_ handler: any CounterHandler) { fallback.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { fallback.destroyFloatingPointCounter(handler) }
    func destroyMeter(_ handler: any MeterHandler) { fallback.destroyMeter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { fallback.destroyRecorder(handler) }
    func destroyTimer(_ handler: any TimerHandler) { fallback.destroyTimer(handler) }
}
