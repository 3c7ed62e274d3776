import ArgumentParser
import Foundation
import Inference
import Matting
import Service

/// `matte serve`: the HTTP service and web page. Each option can also come from an environment variable
/// (`MATTE_PORT=9000`); an option given on the command line wins.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the matting API and web page over HTTP.",
        discussion: """
            ROUTES: GET / (web page), POST /v1/matte (the API, described at GET /openapi.yaml), \
            GET /healthz (alive; the version, commit and model digests), GET /readyz (models loaded), \
            GET /metrics (Prometheus).

            LOAD: at most --slots images are matted at once and --queue more wait; beyond that requests \
            get 503 with Retry-After at once. Request bodies over --max-body-bytes and images over \
            --max-pixels get 413; a request not answered within --request-timeout gets 408 (body still \
            arriving) or 503; a connection that sends no complete request head within --header-timeout \
            (or stays idle that long) is closed.

            ENVIRONMENT: every option can be set by a variable instead: MATTE_HOST, MATTE_PORT, \
            MATTE_SLOTS, MATTE_QUEUE, MATTE_MAX_BODY_BYTES, MATTE_MAX_PIXELS, MATTE_REQUEST_TIMEOUT, \
            MATTE_HEADER_TIMEOUT, MATTE_ALLOW_URL_FETCH (1/true/yes or 0/false/no), MATTE_MODELS. \
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
        try await serve(configuration) { port in
            let line = "matte: serving http://\(configuration.host):\(port)/ (\(configuration.slots) slots, queue \(configuration.queue))\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }
}
