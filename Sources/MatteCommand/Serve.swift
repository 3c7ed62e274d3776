import ArgumentParser
import Foundation
import Inference
import Jobs
import Logging
import Matting
import PostgresJobs
import PostgresNIO
import Service

/// `matte serve`: the HTTP service and web page. Each option can also come from an environment variable
/// (`MATTE_PORT=9000`); an option given on the command line wins.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the matting API and web page over HTTP.",
        discussion: """
            ROUTES: GET / (web page), POST /v1/matte (the API, described at GET /openapi.yaml), \
            GET /healthz (alive; the version, commit and model digests), GET /readyz (models loaded), \
            GET /metrics (Prometheus). With --database also the durable jobs API: POST /v1/jobs, \
            GET /v1/jobs, GET /v1/jobs/{id}, GET /v1/jobs/{id}/outputs/{alpha|cutout|composite}, \
            DELETE /v1/jobs/{id}, run by 'matte worker' processes on any machine that reaches the database \
            (without a database these answer 503). The schema is created or migrated at start.

            ACCESS: with --api-keys (or $MATTE_API_KEYS), every /v1/ route needs one of the keys, as \
            'Authorization: Bearer <key>' or 'X-API-Key: <key>' (401 without), and each key sees, fetches \
            and cancels only its own jobs (404 for any other); beyond --max-jobs-per-key jobs queued or \
            running, a key gets 429.

            LOAD: at most --slots images are matted at once and --queue more wait; beyond that requests \
            get 503 with Retry-After at once. Request bodies over --max-body-bytes and images over \
            --max-pixels get 413; a request not answered within --request-timeout gets 408 (body still \
            arriving) or 503; a connection that sends no complete request head within --header-timeout \
            (or stays idle that long) is closed. Videos go through the job queue only (POST /v1/jobs, with a \
            database): their bodies may be up to --max-video-body-bytes, their frames up to 3840x2160 \
            pixels (or --max-pixels, when lower) and --max-video-frames in number.

            ENVIRONMENT: every option can be set by a variable instead: MATTE_HOST, MATTE_PORT, \
            MATTE_SLOTS, MATTE_QUEUE, MATTE_MAX_BODY_BYTES, MATTE_MAX_PIXELS, MATTE_REQUEST_TIMEOUT, \
            MATTE_HEADER_TIMEOUT, MATTE_ALLOW_URL_FETCH (1/true/yes or 0/false/no), MATTE_MODELS, \
            MATTE_DATABASE_URL, MATTE_API_KEYS_FILE, MATTE_API_KEYS (the keys themselves, separated by \
            commas), MATTE_MAX_ATTEMPTS, MATTE_MAX_JOBS_PER_KEY, MATTE_MAX_VIDEO_BODY_BYTES, MATTE_MAX_VIDEO_FRAMES. \
            Command-line options win over variables.

            Stops on SIGTERM or SIGINT after answering the requests in progress.
            """)

    @Option(help: ArgumentHelp("Address to listen on ($MATTE_HOST; default 127.0.0.1).", valueName: "address"))
    var host: String?

    @Option(help: ArgumentHelp("Port to listen on; 0 picks a free one ($MATTE_PORT; default 8080).", valueName: "port"))
    var port: Int?

    @Option(help: ArgumentHelp("Images matted at once ($MATTE_SLOTS; default: the number of cores).", valueName: "count"))
    var slots: Int?

    @Option(help: ArgumentHelp("Requests that may wait for a slot ($MATTE_QUEUE; default: 2 x slots).", valueName: "count"))
    var queue: Int?

    @Option(help: ArgumentHelp("Largest request body in bytes ($MATTE_MAX_BODY_BYTES; default 25000000).", valueName: "bytes"))
    var maxBodyBytes: Int?

    @Option(help: ArgumentHelp("Largest image in pixels, width x height ($MATTE_MAX_PIXELS; default 50000000).",
                               valueName: "count"))
    var maxPixels: Int?

    @Option(help: ArgumentHelp("Largest video body of a job in bytes ($MATTE_MAX_VIDEO_BODY_BYTES; default 200000000).",
                               valueName: "bytes"))
    var maxVideoBodyBytes: Int?

    @Option(help: ArgumentHelp("Most frames of a video job ($MATTE_MAX_VIDEO_FRAMES; default 18000, 10 minutes at 30 frames/s).",
                               valueName: "count"))
    var maxVideoFrames: Int?

    @Option(help: ArgumentHelp("Seconds to answer a request ($MATTE_REQUEST_TIMEOUT; default 30).", valueName: "seconds"))
    var requestTimeout: Double?

    @Option(help: ArgumentHelp("Seconds for a client to send a request head, or to stay idle ($MATTE_HEADER_TIMEOUT; default 10).",
                               valueName: "seconds"))
    var headerTimeout: Double?

    @Flag(help: "Let the 'url' option fetch images from public addresses ($MATTE_ALLOW_URL_FETCH; default off).")
    var allowURLFetch = false

    @Option(name: .customLong("models"),
            help: ArgumentHelp("Folder holding the model files ($MATTE_MODELS; default \(ModelFiles.defaultDirectory)).",
                               valueName: "dir"))
    var modelDirectory: String?

    @Option(help: ArgumentHelp("What the networks' convolutions multiply in: bf16 or fp32 ($MATTE_PRECISION; default bf16, which runs as fp32 on a CPU without AVX512_BF16).",
                               valueName: "precision"))
    var precision: Precision?

    @Option(help: ArgumentHelp("PostgreSQL URL of the job queue, postgres://user:password@host:5432/database ($MATTE_DATABASE_URL; default none: no /v1/jobs).",
                               valueName: "url"))
    var database: String?

    @Option(name: .customLong("api-keys"),
            help: ArgumentHelp("File of API keys, one a line, each 16 characters or more ($MATTE_API_KEYS_FILE, or the keys in $MATTE_API_KEYS; default none: no key needed).",
                               valueName: "file"))
    var apiKeysFile: String?

    @Option(help: ArgumentHelp("Attempts a job gets before it fails for good ($MATTE_MAX_ATTEMPTS; default 5).", valueName: "count"))
    var maxAttempts: Int?

    @Option(help: ArgumentHelp("Jobs one API key may have queued or running ($MATTE_MAX_JOBS_PER_KEY; default 100).", valueName: "count"))
    var maxJobsPerKey: Int?

    /// The root command. Options it declares as well (`--version`, `--models`) are parsed into it wherever
    /// they stand, after `serve` too.
    @ParentCommand var parent: MatteCommand

    /// The configuration from options, then `environment`, then defaults.
    func serviceConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServiceConfiguration {
        var configuration = ServiceConfiguration()
        func integer(_ option: Int?, _ variable: String) throws -> Int? {
            if let option { return option }
            guard let text = environment[variable], !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw ValidationError("\(variable) must be a whole number, not '\(text)'") }
            return value
        }
        func seconds(_ option: Double?, _ variable: String) throws -> Double? {
            if let option { return option }
            guard let text = environment[variable], !text.isEmpty else { return nil }
            guard let value = Double(text) else { throw ValidationError("\(variable) must be a number of seconds, not '\(text)'") }
            return value
        }
        if let host = host ?? environment["MATTE_HOST"].flatMap({ $0.isEmpty ? nil : $0 }) { configuration.host = host }
        if let port = try integer(port, "MATTE_PORT") { configuration.port = port }
        if let slots = try integer(slots, "MATTE_SLOTS") {
            configuration.slots = slots
            configuration.queue = 2 * slots
        }
        if let queue = try integer(queue, "MATTE_QUEUE") { configuration.queue = queue }
        if let bytes = try integer(maxBodyBytes, "MATTE_MAX_BODY_BYTES") {
            configuration.maxBodyBytes = bytes
            configuration.maxDownloadBytes = bytes
        }
        if let pixels = try integer(maxPixels ?? parent.maxPixelsOption, "MATTE_MAX_PIXELS") { configuration.maxPixels = pixels }
        if let bytes = try integer(maxVideoBodyBytes, "MATTE_MAX_VIDEO_BODY_BYTES") { configuration.maxVideoBodyBytes = bytes }
        if let frames = try integer(maxVideoFrames, "MATTE_MAX_VIDEO_FRAMES") { configuration.maxVideoFrames = frames }
        if let timeout = try seconds(requestTimeout, "MATTE_REQUEST_TIMEOUT") { configuration.requestTimeout = timeout }
        if let timeout = try seconds(headerTimeout, "MATTE_HEADER_TIMEOUT") { configuration.headerTimeout = timeout }
        if allowURLFetch {
            configuration.allowURLFetch = true
        } else if let text = environment["MATTE_ALLOW_URL_FETCH"], !text.isEmpty {
            switch text.lowercased() {
            case "1", "true", "yes", "on": configuration.allowURLFetch = true
            case "0", "false", "no", "off": configuration.allowURLFetch = false
            default: throw ValidationError("MATTE_ALLOW_URL_FETCH must be 1/true/yes or 0/false/no, not '\(text)'")
            }
        }
        if let modelDirectory = modelDirectory ?? parent.modelDirectory { configuration.modelDirectory = modelDirectory }
        configuration.databaseURL = database ?? environment["MATTE_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let path = apiKeysFile ?? environment["MATTE_API_KEYS_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read the API key file \(path)") }
            configuration.apiKeys = String(decoding: data, as: UTF8.self)
        } else if let keys = environment["MATTE_API_KEYS"], !keys.isEmpty {
            configuration.apiKeys = keys
        }
        if let keys = configuration.apiKeys {
            do { _ = try APIKeys(text: keys) } catch { throw ValidationError("API keys: \(error)") }
        }
        if let url = configuration.databaseURL {
            do { _ = try DatabaseURL(url) } catch { throw ValidationError("--database: \(error)") }
        }
        if let attempts = try integer(maxAttempts, "MATTE_MAX_ATTEMPTS") { configuration.maxAttempts = attempts }
        if let cap = try integer(maxJobsPerKey, "MATTE_MAX_JOBS_PER_KEY") { configuration.maxUnfinishedJobsPerKey = cap }
        if let problem = configuration.problems.first { throw ValidationError(problem) }
        return configuration
    }

    func validate() throws {
        if parent.version { return }
        _ = try serviceConfiguration()
    }

    /// The `--version` text: this build and the models the service would load.
    func versionText() -> String {
        BuildInfo(modelDirectory: modelDirectory ?? parent.modelDirectory ?? ModelFiles.defaultDirectory).text
    }

    func run() async throws {
        if parent.version {
            FileHandle.standardOutput.write(Data(versionText().utf8))
            return
        }
        let configuration = try serviceConfiguration()
        if let precision = precision ?? parent.precision { Precision.preferred = precision }
        let onServerRunning: @Sendable (Int) async -> Void = { port in
            let jobs = configuration.databaseURL == nil ? "no database: /v1/jobs off" : "jobs on"
            let line = "matte: serving http://\(configuration.host):\(port)/ (\(configuration.slots) slots, queue \(configuration.queue), \(jobs))\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        guard let databaseURL = configuration.databaseURL else {
            try await serve(configuration, onServerRunning: onServerRunning)
            return
        }
        // With a database, its client runs beside the server, and the schema is migrated before it listens.
        let logger = Logger(label: "matte.serve")
        let client = PostgresClient(configuration: try DatabaseURL(databaseURL).configuration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await Migrations.migrate(client, logger: logger)
            try await serve(configuration, jobs: PostgresJobStore(client: client, logger: logger), onServerRunning: onServerRunning)
            group.cancelAll()
        }
    }
}
