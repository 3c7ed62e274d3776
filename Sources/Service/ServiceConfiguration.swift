import Foundation
import Matting

/// Everything `matte serve` can be told: where to listen, how much work to take on, and the limits that
/// keep it up under load and hostile input.
public struct ServiceConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port = 8080
    /// Matting jobs that run at once. Each gets `max(1, cores / slots)` cores.
    public var slots: Int
    /// Jobs that may wait for a slot; beyond that, requests are refused with 503 and Retry-After.
    public var queue: Int
    /// Largest request body, in bytes (413 beyond).
    public var maxBodyBytes = 25_000_000
    /// Largest image, in pixels (width x height), checked from the header before decoding (413 beyond);
    /// also the largest frame of a video job.
    public var maxPixels = 50_000_000
    /// Largest video body of a job (`POST /v1/jobs` with a video), in bytes (413 beyond).
    public var maxVideoBodyBytes = 200_000_000
    /// Most frames of a video job, checked from the video's header and again while decoding.
    public var maxVideoFrames = 18_000
    /// Seconds from a request's arrival to its answer: a body still arriving then gets 408, a job still
    /// waiting or running gets 503.
    public var requestTimeout = 30.0
    /// Seconds a connection may take to send a request head, or stay idle between requests, before it is closed.
    public var headerTimeout = 10.0
    /// Whether the `url` option may make the server fetch images (public addresses only).
    public var allowURLFetch = false
    /// Largest image fetched for `url`, in bytes.
    public var maxDownloadBytes = 25_000_000
    /// Folder holding the model files.
    public var modelDirectory = ModelFiles.defaultDirectory
    /// The job queue's database (`postgres://...`); without it `/v1/jobs` answers 503.
    public var databaseURL: String?
    /// API keys (as `APIKeys(text:)` reads them); with keys, every `/v1/` route needs one.
    public var apiKeys: String?
    /// Attempts a job gets before it fails for good.
    public var maxAttempts = 5
    /// Jobs one API key may have queued or running at once (429 beyond); nil for no cap.
    public var maxUnfinishedJobsPerKey: Int? = 100
    /// Cores on this machine.
    public var cores = ProcessInfo.processInfo.activeProcessorCount

    public init() {
        slots = max(1, cores)
        queue = 2 * slots
    }

    /// Cores each matting job uses.
    public var threadsPerJob: Int { max(1, cores / max(1, slots)) }

    /// Problems that make the configuration unusable, as messages; empty when valid.
    public var problems: [String] {
        var problems: [String] = []
        if host.isEmpty { problems.append("host must not be empty") }
        if !(0...65535).contains(port) { problems.append("port must be 0 to 65535") }
        if slots < 1 { problems.append("slots must be at least 1") }
        if queue < 0 { problems.append("queue must be 0 or more") }
        if maxBodyBytes < 1 { problems.append("max-body-bytes must be at least 1") }
        if maxPixels < 1 { problems.append("max-pixels must be at least 1") }
        if maxVideoBodyBytes < 1 { problems.append("max-video-body-bytes must be at least 1") }
        if maxVideoFrames < 1 { problems.append("max-video-frames must be at least 1") }
        if !(requestTimeout > 0 && requestTimeout <= 86_400) { problems.append("request-timeout must be more than 0 and at most 86400 seconds") }
        if !(headerTimeout > 0 && headerTimeout <= 86_400) { problems.append("header-timeout must be more than 0 and at most 86400 seconds") }
        if !(1...100).contains(maxAttempts) { problems.append("max-attempts must be 1 to 100") }
        if let cap = maxUnfinishedJobsPerKey, cap < 1 { problems.append("max-jobs-per-key must be at least 1") }
        return problems
    }
}
