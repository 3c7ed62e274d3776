import Foundation
import HTTPTypes
import Hummingbird
import Imaging
import Jobs
import Matting
import MattingIO
import NIOCore
import Video

/// The durable jobs API, over the queue in PostgreSQL (`Jobs`):
///
/// | route | answer |
/// | --- | --- |
/// | `POST /v1/jobs` | queues a photo: the body and options of `POST /v1/matte` (or JSON `{"url": ..., "callback": ..., options}`); or a video: the body as `video/*` or `application/octet-stream`, options `VideoJobOptions` in the query; 202 with the job and `Location` (with `Idempotency-Key`: 201 when it made the job, 200 when an earlier request with that key did) |
/// | `GET /v1/jobs` | the caller's latest jobs, newest first |
/// | `GET /v1/jobs/{id}` | state, attempts, each attempt's error, timings, links to the outputs |
/// | `GET /v1/jobs/{id}/outputs/{alpha,cutout,composite}` | an output's image (or a video job's video) once the job has succeeded |
/// | `DELETE /v1/jobs/{id}` | cancels a queued job; asks a running one to stop |
///
/// Without a database every route answers 503 (`database_required`). Jobs belong to the API key that
/// queued them; any other key gets 404, as for an id that does not exist, so ids cannot be probed.
struct JobsController {
    let state: ServiceState

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("v1/jobs") { request, _ -> Response in try await submit(request) }
        router.get("v1/jobs") { request, _ -> Response in
            let (store, owner) = try access(request)
            let jobs = try await store.jobs(owner: owner, limit: 100)
            return try json(["jobs": jobs.map(JobView.init)])
        }
        router.get("v1/jobs/:id") { request, context -> Response in
            let (store, owner) = try access(request)
            guard let job = try await store.job(try jobID(context), owner: owner) else { throw ServiceError.noSuchJob }
            return try json(JobView(job))
        }
        router.get("v1/jobs/:id/outputs/:output") { request, context -> Response in
            let (store, owner) = try access(request)
            let id = try jobID(context)
            guard let output = context.parameters.get("output").flatMap(MattingRequest.Output.init(rawValue:)) else {
                throw ServiceError(.notFound, code: "no_such_output", "outputs are alpha, cutout and composite")
            }
            guard let file = try await store.output(output, of: id, owner: owner) else {
                guard let job = try await store.job(id, owner: owner) else { throw ServiceError.noSuchJob }
                throw ServiceError(.notFound, code: "no_such_output",
                                   job.state == .succeeded ? "job \(id) did not make a \(output.rawValue) output"
                                                           : "job \(id) is \(job.state.rawValue): outputs come once it has succeeded")
            }
            let type = ImageFormat(rawValue: file.format)?.mimeType ?? VideoContainer(rawValue: file.format)?.mimeType
                ?? "application/octet-stream"
            let fileExtension = ImageFormat(rawValue: file.format)?.fileExtension ?? VideoContainer(rawValue: file.format)?.rawValue ?? "bin"
            return Response(status: .ok, headers: [
                .contentType: type,
                .contentDisposition: "inline; filename=\"\(output.rawValue).\(fileExtension)\"",
            ], body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
        }
        router.delete("v1/jobs/:id") { request, context -> Response in
            let (store, owner) = try access(request)
            guard let job = try await store.cancel(try jobID(context), owner: owner) else { throw ServiceError.noSuchJob }
            return try json(JobView(job))
        }
    }

    /// The store and the caller's owner name ("" without API keys; `APIKeyMiddleware` has already refused
    /// requests without a valid key).
    private func access(_ request: Request) throws -> (any JobStore, String) {
        guard let store = state.jobs else { throw ServiceError.databaseRequired }
        guard let keys = state.apiKeys else { return (store, "") }
        guard let key = APIKeys.presented(in: request.headers), let owner = keys.owner(ofKey: key) else {
            throw ServiceError(.unauthorized, code: "unauthorized", "a valid API key is needed")
        }
        return (store, owner)
    }

    /// The `{id}` path parameter; a malformed id is a job that does not exist.
    private func jobID(_ context: BasicRequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else { throw ServiceError.noSuchJob }
        return id
    }

    private func submit(_ request: Request) async throws -> Response {
        let (store, owner) = try access(request)
        let configuration = state.configuration
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        if let key, key.isEmpty || key.count > 200 {
            throw ServiceError(.badRequest, code: "invalid_idempotency_key", "Idempotency-Key must be 1 to 200 characters")
        }
        // A video's body has its own limit; one that may be either (bytes still to be looked at) may be as
        // large as the larger, and once read a photo must be within the photo's.
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        let limit = VideoBody.isVideoMediaType(mediaType) ? configuration.maxVideoBodyBytes
            : mediaType == "application/octet-stream" ? max(configuration.maxBodyBytes, configuration.maxVideoBodyBytes)
            : configuration.maxBodyBytes
        // Held while the body is read and queued, in a budget of its own (a video's limit is far above a
        // photo's); no deadline, as a large video may take longer to arrive than a photo's answer.
        return try await state.jobBodies.withBody(of: request, limit: limit, busy: .uploadsBusy(retryAfterSeconds: 5),
                                                  deadline: nil) { body in
            try await queueSubmission(body, of: request, store: store, owner: owner, key: key)
        }
    }

    /// Reads a submission from `body` and queues it as a photo or a video job.
    private func queueSubmission(_ body: ByteBuffer, of request: Request, store: any JobStore, owner: String, key: String?)
        async throws -> Response {
        let configuration = state.configuration
        let submission = try JobSubmission.read(query: request.uri.query, contentType: request.headers[.contentType],
                                                body: Array(buffer: body))
        if let video = submission.video {
            guard video.count <= configuration.maxVideoBodyBytes else {
                throw ServiceError.bodyTooLarge(limit: configuration.maxVideoBodyBytes)
            }
            // Frames of at most 4K (8.3 megapixels) unless --max-pixels is lower: a worker holds two or three.
            let videoRequest = try VideoJobOptions.request(submission.fields, maxPixels: min(configuration.maxPixels, VideoRequest().maxPixels),
                                                           maxFrames: configuration.maxVideoFrames)
            try checkCallback(submission.callback)
            try await checkCap(store: store, owner: owner)
            return try await queue(NewJob(request: .video(videoRequest), input: video, owner: owner), key: key,
                                   callback: submission.callback, store: store)
        }
        guard body.readableBytes <= configuration.maxBodyBytes else {
            throw ServiceError.bodyTooLarge(limit: configuration.maxBodyBytes)
        }
        let options = try MatteOptions.parse(submission.fields, backgroundFile: submission.backgroundImage != nil)
        // A job keeps every output its options make: the chosen one, the matte and the cut-out (as the JSON
        // answer of /v1/matte has them), each once.
        var matting = try options.request(maxPixels: configuration.maxPixels, json: true)
        matting.outputs = matting.outputs.map { chosen in MattingRequest.Output.allCases.filter(chosen.contains) }
        try checkCallback(submission.callback)
        try await checkCap(store: store, owner: owner)
        var photo = submission.image ?? []
        if let url = options.url {
            guard configuration.allowURLFetch else { throw ServiceError.urlFetchingDisabled }
            guard photo.isEmpty else { throw ServiceError.conflictingOptions("send either an image or a url, not both") }
            let fetcher = state.fetcher
            photo = try await state.slots.run {
                do throws(FetchError) { return try fetcher.fetch(url) } catch { throw ServiceError.fetch(error) }
            }
        }
        guard !photo.isEmpty else { throw ServiceError.emptyBody }

        return try await queue(NewJob(request: .photo(matting), input: photo, background: submission.backgroundImage, owner: owner),
                               key: key, callback: submission.callback, store: store)
    }

    /// Queues `job` with the idempotency key and the callback (both checked already), and answers with it.
    private func queue(_ job: NewJob, key: String?, callback: String?, store: any JobStore) async throws -> Response {
        var job = job
        job.idempotencyKey = key
        job.callbackURL = callback
        job.maxAttempts = state.configuration.maxAttempts
        let result = try await store.submit(job)
        let status: HTTPResponse.Status = key == nil ? .accepted : result.created ? .created : .ok
        var response = try json(JobView(result.job), status: status)
        response.headers[.location] = "/v1/jobs/\(result.job.id.uuidString.lowercased())"
        return response
    }

    private func checkCallback(_ callback: String?) throws {
        if let callback {
            guard let url = URL(string: callback), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw ServiceError(.badRequest, code: "invalid_callback", "callback must be an http or https URL")
            }
        }
    }

    /// Refuses a key that has as many unfinished jobs as allowed (429).
    private func checkCap(store: any JobStore, owner: String) async throws {
        if let cap = state.configuration.maxUnfinishedJobsPerKey, state.apiKeys != nil,
           try await store.unfinishedCount(owner: owner) >= cap {
            throw ServiceError(.tooManyRequests, code: "too_many_jobs",
                               "this key has \(cap) jobs queued or running, the most allowed: wait for some to finish",
                               headers: [.retryAfter: "10"])
        }
    }

    private func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Response.json(String(decoding: try encoder.encode(value), as: UTF8.self), status: status)
    }
}

/// A job as the API shows it.
struct JobView: Encodable {
    var id: String
    var state: String
    var attempts: Int
    var maxAttempts: Int
    var errors: [AttemptError]
    var rescues: Int
    /// `JobRequest`'s JSON: a photo's request, or `{"video": {...}}`.
    var request: JobRequest
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    var width: Int?
    var height: Int?
    var cancelRequested: Bool
    /// Output name -> its URL.
    var outputs: [String: String]

    init(_ job: JobRecord) {
        id = job.id.uuidString.lowercased()
        state = job.state.rawValue
        attempts = job.attempts
        maxAttempts = job.maxAttempts
        errors = job.errors
        rescues = job.rescues
        request = job.request
        createdAt = job.createdAt
        startedAt = job.startedAt
        finishedAt = job.finishedAt
        width = job.width
        height = job.height
        cancelRequested = job.cancelRequested
        outputs = Dictionary(uniqueKeysWithValues: job.outputs.map {
            ($0.output.rawValue, "/v1/jobs/\(job.id.uuidString.lowercased())/outputs/\($0.output.rawValue)")
        })
    }
}

extension ServiceError {
    static let noSuchJob = ServiceError(.notFound, code: "no_such_job", "no such job")
    static let databaseRequired = ServiceError(.serviceUnavailable, code: "database_required",
                                               "jobs need a database: start matte serve with --database postgres://... (or $MATTE_DATABASE_URL)")
}
