import ArgumentParser
import Dispatch
import Foundation
import Jobs
import PostgresJobs
import Logging
import Matting
import MattingIO
import PostgresNIO
import Service
import Video

/// `matte worker`: runs the jobs queued through `matte serve`'s `/v1/jobs`, from the same database, on
/// as many machines as wanted. Each option can also come from an environment variable; an option given
/// on the command line wins.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run queued matting jobs from the database.",
        discussion: """
            Claims jobs from the queue in PostgreSQL (FOR UPDATE SKIP LOCKED: several workers never take \
            the same job) and runs each through the same pipeline as the 'matte' command, --concurrency \
            at a time, each with its share of the cores. A claimed job is held under a lease of --lease \
            seconds, renewed every third of it; the jobs of a worker that dies or loses the database go \
            back to the queue once its leases run out, and its late results are refused. A failed attempt \
            is retried after an exponential, jittered back-off (--retry-base seconds, doubling, at most \
            60 s) up to the job's attempts; bad input (a corrupt photo, too many pixels) fails at once. \
            A video job runs as 'matte video' does (ffmpeg, Debian's ffmpeg package, decoding and encoding \
            in separate processes), one frame at a time on the job's cores; a corrupt video, one without \
            a video track, or one over its frame limits fails at once.

            Idle workers wake on NOTIFY when a job is queued, and poll every --poll-interval seconds in \
            case a notification is lost; when the database goes away they retry until it is back. Each \
            worker also puts jobs with expired leases back in the queue and deletes finished jobs and \
            their images after --retention-hours. The schema is created or migrated at start.

            CALLBACKS: a job queued with a callback URL gets one POST of {"id", "state", "url"} as JSON \
            when it is finished, retried with the same back-off up to 8 times until the URL answers 2xx; \
            like URL fetching, only public addresses are called unless --allow-private-callbacks.

            METRICS: with --metrics-port, GET /metrics answers Prometheus text: claims, claim latency, \
            job duration, failed attempts, retries, rescues, lost leases, and the queue's jobs by state.

            ENVIRONMENT: MATTE_DATABASE_URL, MATTE_CONCURRENCY, MATTE_LEASE_SECONDS, \
            MATTE_POLL_INTERVAL, MATTE_RETENTION_HOURS, MATTE_GRACE_SECONDS, MATTE_RETRY_BASE_SECONDS, \
            MATTE_WORKER_NAME, MATTE_METRICS_PORT, MATTE_METRICS_HOST, MATTE_ALLOW_PRIVATE_CALLBACKS, \
            MATTE_MODELS. Command-line options win over variables.

            SIGTERM or SIGINT: stop claiming; running jobs get --grace seconds to finish, then are given \
            back to the queue; exit 0.
            """)

    @Option(help: ArgumentHelp("PostgreSQL URL of the job queue, postgres://user:password@host:5432/database ($MATTE_DATABASE_URL; required).",
                               valueName: "url"))
    var database: String?

    @Option(help: ArgumentHelp("Jobs run at once, each with cores / concurrency cores ($MATTE_CONCURRENCY; default 1).", valueName: "count"))
    var concurrency: Int?

    @Option(help: ArgumentHelp("Seconds a claim holds a job without renewal: how soon a dead worker's jobs run again ($MATTE_LEASE_SECONDS; default 10).",
                               valueName: "seconds"))
    var lease: Double?

    @Option(help: ArgumentHelp("Seconds between looks at the queue when no notification comes ($MATTE_POLL_INTERVAL; default 1).",
                               valueName: "seconds"))
    var pollInterval: Double?

    @Option(help: ArgumentHelp("Hours finished jobs and their images are kept ($MATTE_RETENTION_HOURS; default 24).", valueName: "hours"))
    var retentionHours: Double?

    @Option(help: ArgumentHelp("Seconds running jobs get to finish after SIGTERM ($MATTE_GRACE_SECONDS; default 30).", valueName: "seconds"))
    var grace: Double?

    @Option(help: ArgumentHelp("Seconds before the first retry of a failed attempt; each later one waits twice as long, at most 60 s ($MATTE_RETRY_BASE_SECONDS; default 1).",
                               valueName: "seconds"))
    var retryBase: Double?

    @Option(help: ArgumentHelp("Port of this worker's /metrics page, on 127.0.0.1 unless --metrics-host ($MATTE_METRICS_PORT; default none).",
                               valueName: "port"))
    var metricsPort: Int?

    @Option(help: ArgumentHelp("Address of the /metrics page ($MATTE_METRICS_HOST; default 127.0.0.1).", valueName: "address"))
    var metricsHost: String?

    @Flag(help: "Let callbacks reach loopback and private addresses, for tests ($MATTE_ALLOW_PRIVATE_CALLBACKS; default off: public addresses only).")
    var allowPrivateCallbacks = false

    @Option(help: ArgumentHelp("This worker's name in the jobs it runs ($MATTE_WORKER_NAME; default host-pid).", valueName: "name"))
    var name: String?

    @Option(name: .customLong("models"),
            help: ArgumentHelp("Folder holding the model files ($MATTE_MODELS; default \(ModelFiles.defaultDirectory)).", valueName: "dir"))
    var modelDirectory: String?

    @ParentCommand var parent: MatteCommand

    /// The database URL and the worker's configuration, from options, then `environment`, then defaults.
    func settings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (DatabaseURL, WorkerConfiguration) {
        func text(_ option: String?, _ variable: String) -> String? {
            option ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
        }
        func number(_ option: Double?, _ variable: String) throws -> Double? {
            if let option { return option }
            guard let text = text(nil, variable) else { return nil }
            guard let value = Double(text) else { throw ValidationError("\(variable) must be a number, not '\(text)'") }
            return value
        }
        guard let url = text(database, "MATTE_DATABASE_URL") else {
            throw ValidationError("a database is needed: --database postgres://user@host/db (or $MATTE_DATABASE_URL)")
        }
        let databaseURL: DatabaseURL
        do { databaseURL = try DatabaseURL(url) } catch { throw ValidationError("--database: \(error)") }
        var configuration = WorkerConfiguration(name: text(name, "MATTE_WORKER_NAME") ?? WorkerConfiguration.defaultName)
        if let count = try number(concurrency.map(Double.init), "MATTE_CONCURRENCY") {
            guard count == count.rounded() else { throw ValidationError("concurrency must be a whole number") }
            configuration.concurrency = Int(count)
        }
        if let seconds = try number(lease, "MATTE_LEASE_SECONDS") { configuration.lease = seconds }
        if let seconds = try number(pollInterval, "MATTE_POLL_INTERVAL") { configuration.pollInterval = seconds }
        if let hours = try number(retentionHours, "MATTE_RETENTION_HOURS") { configuration.retention = hours * 3600 }
        if let seconds = try number(grace, "MATTE_GRACE_SECONDS") { configuration.grace = seconds }
        if let seconds = try number(retryBase, "MATTE_RETRY_BASE_SECONDS") {
            guard seconds > 0 && seconds <= 60 else { throw ValidationError("retry base must be more than 0 and at most 60 seconds") }
            configuration.backoff.base = seconds
        }
        if let problem = configuration.problems.first { throw ValidationError(problem) }
        return (databaseURL, configuration)
    }

    func validate() throws {
        if parent.version { return }
        _ = try settings()
    }

    func run() async throws {
        if parent.version {
            let directory = modelDirectory ?? parent.modelDirectory ?? ModelFiles.defaultDirectory
            FileHandle.standardOutput.write(Data(BuildInfo(modelDirectory: directory).text.utf8))
            return
        }
        let (databaseURL, configuration) = try settings()
        // Folders of video jobs whose worker was killed mid-job (on this machine) go before any job runs.
        VideoJob.removeLeftovers()
        let directory = modelDirectory ?? parent.modelDirectory ?? ProcessInfo.processInfo.environment["MATTE_MODELS"]
            ?? ModelFiles.defaultDirectory
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let matter = try PortraitMatter(modelDirectory: directory, threads: max(1, cores / configuration.concurrency))
        var logger = Logger(label: "matte.worker")
        logger.logLevel = .info
        let environment = ProcessInfo.processInfo.environment
        let client = PostgresClient(configuration: databaseURL.configuration, backgroundLogger: logger)
        let store = PostgresJobStore(client: client, logger: logger)
        let metrics = WorkerMetrics()
        let privateCallbacks = allowPrivateCallbacks || ["1", "true", "yes", "on"].contains(environment["MATTE_ALLOW_PRIVATE_CALLBACKS"]?.lowercased() ?? "")
        let poster = URLFetcher(maxBytes: 1_000_000, maxRedirects: 0, timeout: 10, checksAddresses: !privateCallbacks)
        let worker = JobWorker(store: store, matter: matter, configuration: configuration, logger: logger,
                               metrics: metrics.factory) { callback in
            await withCheckedContinuation { continuation in
                Thread {
                    do throws(FetchError) {
                        _ = try poster.post(callback.body, contentType: "application/json", to: callback.url)
                        continuation.resume(returning: true)
                    } catch {
                        continuation.resume(returning: false)
                    }
                }.start()
            }
        }
        let metricsPort = try self.metricsPort ?? environment["MATTE_METRICS_PORT"].flatMap { text in
            guard let port = Int(text), (0...65535).contains(port) else { throw ValidationError("MATTE_METRICS_PORT must be a port number, not '\(text)'") }
            return port
        }
        let stopLogger = logger
        let signals = [SIGTERM, SIGINT].map { (number: Int32) -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                worker.stop()
                // A query on a connection whose network went away without a reset waits for TCP to give
                // up (minutes), and the slot waiting on it never sees the stop. So past the grace period
                // and one lease (for handing jobs back) the process leaves anyway: jobs it still holds go
                // back to the queue when their leases run out, as after a crash.
                let limit = configuration.grace + configuration.lease + 2
                DispatchQueue.global().asyncAfter(deadline: .now() + limit) {
                    stopLogger.notice("still stopping \(limit) s after the signal (the database does not answer): leaving; held jobs return to the queue when their leases run out")
                    Foundation.exit(0)
                }
            }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            if let metricsPort {
                let host = metricsHost ?? environment["MATTE_METRICS_HOST"] ?? "127.0.0.1"
                let application = metrics.application(host: host, port: metricsPort, store: store)
                group.addTask { try await application.run() }
            }
            try await migrate(client, logger: logger)
            let line = "matte: worker \(configuration.name) on \(databaseURL): \(configuration.concurrency) slot(s), lease \(configuration.lease) s\n"
            FileHandle.standardOutput.write(Data(line.utf8))
            await worker.run()
            group.cancelAll()
        }
    }

    /// Migrates, retrying for a minute while the database is out of reach (starting, or restarting).
    private func migrate(_ client: PostgresClient, logger: Logger) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                try await Migrations.migrate(client, logger: logger)
                return
            } catch {
                guard ContinuousClock.now < deadline else { throw error }
                logger.warning("cannot reach the database yet (retrying): \(String(reflecting: error))")
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
