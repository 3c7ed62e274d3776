import Jobs
import CoreMetrics
import Foundation
import Logging
import Matting
import NIOConcurrencyHelpers
import PostgresNIO

/// How a worker runs jobs.
public struct WorkerConfiguration: Sendable {
    /// Names this worker in the jobs it runs (`locked_by`) and in their errors.
    public var name: String
    /// Jobs run at once, each on a thread of its own with its share of the cores.
    public var concurrency = 1
    /// Seconds a claim holds a job without renewal. A worker that dies or loses the database loses its
    /// jobs to others after this long (plus one `pollInterval`).
    public var lease = 10.0
    /// Seconds between lease renewals: a third of the lease, so two renewals may fail before it runs out.
    public var heartbeat: Double { lease / 3 }
    /// Seconds between looks at the queue when no notification comes; also how often expired leases are
    /// looked for.
    public var pollInterval = 1.0
    public var backoff = Backoff()
    /// Seconds finished jobs are kept before they and their images are deleted.
    public var retention = 86_400.0
    /// Seconds, after SIGTERM, that running jobs get to finish before they are given back to the queue.
    public var grace = 30.0

    public init(name: String = WorkerConfiguration.defaultName) {
        self.name = name
    }

    /// `host-pid`.
    public static var defaultName: String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// Problems that make the configuration unusable, as messages; empty when valid.
    public var problems: [String] {
        var problems: [String] = []
        if concurrency < 1 { problems.append("concurrency must be at least 1") }
        if !(lease >= 1 && lease <= 3600) { problems.append("lease must be 1 to 3600 seconds") }
        if !(pollInterval > 0 && pollInterval <= 60) { problems.append("poll interval must be more than 0 and at most 60 seconds") }
        if !(retention >= 60) { problems.append("retention must be at least 60 seconds") }
        if !(grace >= 0) { problems.append("grace must be 0 seconds or more") }
        return problems
    }
}

/// Runs queued jobs: `concurrency` slots, each claiming a job, running it through `JobRequest.run`
/// (`PortraitMatting.run` for a photo, `VideoJob.run` for a video: the paths `matte` takes) on a thread of its own while a heartbeat renews its lease, then storing the
/// result or the error. Beside the slots: a listener that wakes idle slots on NOTIFY (reconnecting when
/// the database goes away), and upkeep that rescues jobs with expired leases and prunes old ones.
///
/// `stop()` (SIGTERM) stops claiming; running jobs get `grace` seconds to finish, then are given back.
public final class JobWorker: Sendable {
    public let store: PostgresJobStore
    public let matter: any PortraitMatting
    public let configuration: WorkerConfiguration
    let logger: Logger
    /// Calls a finished job's callback URL; true when it answered 2xx. nil: callbacks stay due.
    let deliver: (@Sendable (DueCallback) async -> Bool)?
    private let doorbell = Doorbell()
    /// Seconds one LISTEN lasts before it is started afresh (see `listen()`).
    static let listenSession = 60.0
    /// When `stop()` was called.
    private let stopped = NIOLockedValueBox<ContinuousClock.Instant?>(nil)

    private let claims: Counter
    private let succeeded: Counter
    private let failedAttempts: Counter
    private let retries: Counter
    private let rescues: Counter
    private let lostLeases: Counter
    private let claimLatency: CoreMetrics.Timer
    private let jobDuration: CoreMetrics.Timer

    /// - Parameters:
    ///   - metrics: where the worker's instruments are recorded (`WorkerMetrics.factory` for `/metrics`).
    ///   - deliver: calls a callback (`matte worker` posts with the URL-fetching address policy).
    public init(store: PostgresJobStore, matter: any PortraitMatting, configuration: WorkerConfiguration,
                logger: Logger = Logger(label: "matte.worker"), metrics: any MetricsFactory = MetricsSystem.factory,
                deliver: (@Sendable (DueCallback) async -> Bool)? = nil) {
        self.store = store
        self.matter = matter
        self.configuration = configuration
        self.logger = logger
        self.deliver = deliver
        claims = Counter(label: "matte_worker_claims_total", factory: metrics)
        succeeded = Counter(label: "matte_worker_jobs_succeeded_total", factory: metrics)
        failedAttempts = Counter(label: "matte_worker_attempts_failed_total", factory: metrics)
        retries = Counter(label: "matte_worker_retries_total", factory: metrics)
        rescues = Counter(label: "matte_worker_rescues_total", factory: metrics)
        lostLeases = Counter(label: "matte_worker_leases_lost_total", factory: metrics)
        claimLatency = CoreMetrics.Timer(label: "matte_worker_claim_latency_seconds", factory: metrics)
        jobDuration = CoreMetrics.Timer(label: "matte_worker_job_duration_seconds", factory: metrics)
    }

    public var isStopping: Bool { stopped.withLockedValue { $0 != nil } }

    /// Stops claiming; `run` returns once running jobs have ended or been given back.
    public func stop() {
        stopped.withLockedValue { if $0 == nil { $0 = .now } }
        doorbell.ring()
    }

    /// Runs until `stop()` and the slots have ended.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.listen() }
            group.addTask { await self.upkeep() }
            await withTaskGroup(of: Void.self) { slots in
                for slot in 0..<configuration.concurrency {
                    slots.addTask { await self.runSlot(slot) }
                }
            }
            group.cancelAll()
        }
    }

    // MARK: Slots

    private func runSlot(_ slot: Int) async {
        while !isStopping {
            let job: ClaimedJob?
            do {
                job = try await withDeadline(seconds: configuration.lease) { [store, configuration] in
                    try await store.claim(worker: configuration.name, lease: configuration.lease)
                }
            } catch {
                logger.warning("claim failed (retrying): \(String(reflecting: error))")
                await doorbell.wait(seconds: configuration.pollInterval)
                continue
            }
            guard let job else {
                await doorbell.wait(seconds: configuration.pollInterval)
                continue
            }
            claims.increment()
            claimLatency.recordNanoseconds(Int64(job.waited * 1e9))
            await execute(job)
        }
    }

    private enum Outcome: Sendable {
        case finished(Result<JobResult, JobFailure>)
        /// Stopping, and the grace period ran out first.
        case gaveUp
    }

    /// Runs one claimed job to its end: the result stored (or the error recorded), or the job given back.
    func execute(_ job: ClaimedJob) async {
        let start = ContinuousClock.now
        let (results, delivery) = AsyncStream.makeStream(of: Result<JobResult, JobFailure>.self)
        let matter = matter
        Thread {
            let result = Result { () throws(JobFailure) -> JobResult in
                try job.request.run(input: job.input, background: job.background, matter: matter)
            }
            delivery.yield(result)
            delivery.finish()
        }.start()

        let outcome: Outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                for await result in results { return .finished(result) }
                return nil
            }
            group.addTask { await self.renewWhileRunning(job.lease); return nil }
            group.addTask { await self.waitForGraceToEnd(); return .gaveUp }
            var outcome: Outcome = .gaveUp
            while let next = await group.next() {
                if let next {
                    outcome = next
                    break
                }
            }
            group.cancelAll()
            return outcome
        }
        jobDuration.recordNanoseconds(Int64(milliseconds(ContinuousClock.now - start) * 1e6))

        switch outcome {
        case .gaveUp:
            logger.info("job \(job.lease.job): stopping before it ended; giving it back to the queue")
            _ = try? await withDeadline(seconds: configuration.lease) { [store] in try await store.release(job.lease) }
        case .finished(.success(let result)):
            if await report({ try await self.store.complete(job.lease, result: result) }) == true {
                succeeded.increment()
            } else {
                lostLeases.increment()
                logger.notice("job \(job.lease.job): lease lost; its result was dropped (another worker has the job)")
            }
        case .finished(.failure(let error)):
            failedAttempts.increment()
            let permanent = error.permanent
            let delay = configuration.backoff.delay(afterAttempt: job.attempt)
            let state = await report { try await self.store.fail(job.lease, error: "\(error)", permanent: permanent, retryAfter: delay) } ?? nil
            if state == .queued { retries.increment() }
            logger.info("job \(job.lease.job): attempt \(job.attempt) failed (\(state.map { "\($0)" } ?? "lease lost")): \(error)")
        }
    }

    /// Runs `write` until the database answers (it may be restarting, or out of reach; each try waits at
    /// most a lease, `withDeadline`), for at most ten leases; after that another worker has long taken the job over, so nothing is lost by giving up.
    private func report<Value: Sendable>(_ write: @escaping @Sendable () async throws -> Value) async -> Value? {
        let deadline = ContinuousClock.now + .seconds(configuration.lease * 10)
        while true {
            do {
                return try await withDeadline(seconds: configuration.lease, write)
            } catch {
                guard ContinuousClock.now < deadline else {
                    logger.error("giving up reporting a job: \(String(reflecting: error))")
                    return nil
                }
                logger.warning("reporting a job failed (retrying): \(String(reflecting: error))")
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// Renews `lease` every `heartbeat` seconds until cancelled. A lost lease is logged (the result will be
    /// refused when stored); a failed renewal is retried at the next beat.
    private func renewWhileRunning(_ lease: Lease) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .milliseconds(Int64(configuration.heartbeat * 1000)))
            } catch { return }
            do {
                let renewal = try await withDeadline(seconds: configuration.heartbeat) { [store, configuration] in
                    try await store.renew(lease, seconds: configuration.lease)
                }
                if renewal == .lost {
                    logger.notice("job \(lease.job): lease lost while running")
                    return
                }
            } catch {
                logger.warning("job \(lease.job): lease renewal failed: \(String(reflecting: error))")
            }
        }
    }

    /// Returns once stopping and the grace period has run out (or when cancelled).
    private func waitForGraceToEnd() async {
        while !Task.isCancelled {
            if let since = stopped.withLockedValue({ $0 }), ContinuousClock.now - since >= .seconds(configuration.grace) {
                return
            }
            do { try await Task.sleep(for: .milliseconds(100)) } catch { return }
        }
    }

    // MARK: Listener and upkeep

    /// LISTENs on the queue channel and rings the doorbell for each notification; when the connection
    /// breaks (the database restarted or is out of reach), tries again every second. Each LISTEN lasts at
    /// most `listenSession` and is then started afresh: a connection whose network was cut without a reset
    /// reports nothing, and would otherwise leave the slots on polling alone for as long as TCP takes.
    private func listen() async {
        while !Task.isCancelled && !isStopping {
            do {
                try await withDeadline(seconds: Self.listenSession) { [store, doorbell] in
                    try await store.client.withConnection { connection in
                        try await connection.listen(on: PostgresJobStore.queueChannel) { notifications in
                            // Jobs may have been queued while not listening.
                            doorbell.ring()
                            for try await _ in notifications { doorbell.ring() }
                        }
                    }
                }
            } catch is DeadlineExceeded {
                continue
            } catch {
                if Task.isCancelled { return }
                logger.warning("listening for jobs failed (polling meanwhile, retrying): \(String(reflecting: error))")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Every poll interval, rescues jobs whose lease ran out and calls due callbacks; every minute, prunes
    /// old finished jobs. Each database call waits at most a lease (`withDeadline`), so a connection cut
    /// without a reset delays rescues by a lease, not by TCP's minutes.
    private func upkeep() async {
        var lastPrune = ContinuousClock.now - .seconds(3600)
        let lease = configuration.lease
        while !Task.isCancelled && !isStopping {
            do {
                let rescued = try await withDeadline(seconds: lease) { [store] in try await store.rescueExpired() }
                if !rescued.isEmpty {
                    rescues.increment(by: rescued.count)
                    logger.notice("rescued \(rescued.count) job(s) whose lease ran out: \(rescued.map(\.uuidString).joined(separator: ", "))")
                    doorbell.ring()
                }
                if let deliver {
                    let due = try await withDeadline(seconds: lease) { [store] in
                        try await store.claimCallbacks(limit: 10, lease: 60)
                    }
                    for callback in due {
                        let delivered = await deliver(callback)
                        if !delivered { logger.notice("job \(callback.job): callback \(callback.attempt) to \(callback.url) failed") }
                        let retryAfter = configuration.backoff.delay(afterAttempt: callback.attempt)
                        try await withDeadline(seconds: lease) { [store] in
                            try await store.finishCallback(callback, delivered: delivered, retryAfter: retryAfter)
                        }
                    }
                }
                if ContinuousClock.now - lastPrune > .seconds(60) {
                    let retention = configuration.retention
                    let pruned = try await withDeadline(seconds: lease) { [store] in
                        try await store.prune(finishedBefore: retention)
                    }
                    if pruned > 0 { logger.info("pruned \(pruned) finished job(s)") }
                    lastPrune = .now
                }
            } catch {
                logger.warning("upkeep failed (retrying): \(String(reflecting: error))")
            }
            try? await Task.sleep(for: .milliseconds(Int64(configuration.pollInterval * 1000)))
        }
    }
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) * 1e-15
}
