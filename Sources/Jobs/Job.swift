import Foundation
import Imaging
import Matting
import Video

/// Where a job stands. `queued` -> `running` -> `succeeded`, `failed` or `cancelled`; a running job goes
/// back to `queued` when an attempt fails and may be retried, or when its lease runs out (its worker died
/// or lost the database).
public enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, running, succeeded, failed, cancelled

    /// Whether the job will not change again.
    public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// One attempt that did not succeed: its number (from 1), why, the worker that ran it, and when
/// (ISO 8601, as PostgreSQL writes a `timestamptz` into JSON).
public struct AttemptError: Codable, Sendable, Equatable {
    public var attempt: Int
    public var error: String
    public var worker: String?
    public var at: String

    public init(attempt: Int, error: String, worker: String?, at: String) {
        self.attempt = attempt
        self.error = error
        self.worker = worker
        self.at = at
    }
}

/// One output of a finished job, as stored beside it.
public struct StoredOutput: Codable, Sendable, Equatable {
    public var output: MattingRequest.Output
    /// The file's format: `png`, `webp`, `jpeg` (`ImageFormat`) for a photo's outputs; `webm`, `mov`,
    /// `mp4`, `mkv` (`VideoContainer`) for a video's.
    public var format: String
    /// Size of the encoded file.
    public var bytes: Int

    public init(output: MattingRequest.Output, format: String, bytes: Int) {
        self.output = output
        self.format = format
        self.bytes = bytes
    }
}

/// What a job is asked to make: a photo's outputs or a video.
///
/// Its JSON (a job's `request`): a photo's is `MattingRequest`'s object as it is; a video's is
/// `{"video": {...}}`, `VideoRequest`'s object under the one key `video`.
public enum JobRequest: Codable, Sendable, Equatable {
    case photo(MattingRequest)
    case video(VideoRequest)

    /// The role its input is stored under beside the job: `photo` or `video`.
    public var inputRole: String {
        switch self {
        case .photo: "photo"
        case .video: "video"
        }
    }

    private enum Key: String, CodingKey { case video }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        if container.contains(.video) {
            self = .video(try container.decode(VideoRequest.self, forKey: .video))
        } else {
            // A photo's request refuses unknown keys, `video` beside others among them.
            self = .photo(try MattingRequest(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .photo(let request):
            try request.encode(to: encoder)
        case .video(let request):
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(request, forKey: .video)
        }
    }
}

/// What a client submits: the request (the job's payload), the input's bytes (the photo, or the video;
/// and a background image's when a photo's `background` is `image`), who owns it, and the optional
/// idempotency key and callback.
public struct NewJob: Sendable {
    public var request: JobRequest
    public var input: [UInt8]
    public var background: [UInt8]?
    /// The API key's digest (hex) that submitted the job; empty when the service has no keys.
    public var owner: String
    /// At most one job per owner and key: a repeat returns the first job.
    public var idempotencyKey: String?
    /// Called once when the job is finished (`POST` of the job's status).
    public var callbackURL: String?
    /// Attempts before the job fails for good (1 means no retry).
    public var maxAttempts: Int

    public init(request: JobRequest, input: [UInt8], background: [UInt8]? = nil, owner: String = "",
                idempotencyKey: String? = nil, callbackURL: String? = nil, maxAttempts: Int = 5) {
        self.request = request
        self.input = input
        self.background = background
        self.owner = owner
        self.idempotencyKey = idempotencyKey
        self.callbackURL = callbackURL
        self.maxAttempts = maxAttempts
    }
}

/// A job as its owner sees it.
public struct JobRecord: Sendable, Equatable {
    /// Random (UUID version 4: 122 random bits), so one id says nothing of another.
    public var id: UUID
    public var state: JobState
    /// Attempts started so far.
    public var attempts: Int
    public var maxAttempts: Int
    /// Every attempt that did not succeed, oldest first.
    public var errors: [AttemptError]
    /// Times a lease ran out under this job and it went back to the queue.
    public var rescues: Int
    public var request: JobRequest
    /// Empty until the job has succeeded.
    public var outputs: [StoredOutput]
    /// The photo's size (upright), or the video's frame size, once matted.
    public var width: Int?
    public var height: Int?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var cancelRequested: Bool

    public init(id: UUID, state: JobState, attempts: Int, maxAttempts: Int, errors: [AttemptError], rescues: Int,
                request: JobRequest, outputs: [StoredOutput], width: Int?, height: Int?, createdAt: Date,
                startedAt: Date?, finishedAt: Date?, cancelRequested: Bool) {
        self.id = id
        self.state = state
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.errors = errors
        self.rescues = rescues
        self.request = request
        self.outputs = outputs
        self.width = width
        self.height = height
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.cancelRequested = cancelRequested
    }
}

/// The answer to a submission: the job, and whether this call made it (false: an earlier call with the
/// same idempotency key did).
public struct Submission: Sendable {
    public var job: JobRecord
    public var created: Bool

    public init(job: JobRecord, created: Bool) {
        self.job = job
        self.created = created
    }
}
