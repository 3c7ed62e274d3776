import Foundation
import Matting

/// What the service and the workers ask of the queue. `PostgresJobStore` is the one kept in a database;
/// every guarantee is stated here and tested against it.
///
/// Ownership: every call a client makes names the owner, and a job of another owner is treated as
/// absent (nil), so ids cannot be probed.
public protocol JobStore: Sendable {
    // MARK: Clients

    /// Queues `job` (with its photo) and wakes a worker, or returns the job an earlier submission with
    /// the same owner and idempotency key made.
    func submit(_ job: NewJob) async throws -> Submission
    func job(_ id: UUID, owner: String) async throws -> JobRecord?
    /// The owner's most recent jobs, newest first.
    func jobs(owner: String, limit: Int) async throws -> [JobRecord]
    /// An output's format and bytes, once the job has succeeded.
    func output(_ output: MattingRequest.Output, of id: UUID, owner: String) async throws -> (format: String, bytes: [UInt8])?
    /// Cancels a queued job at once; a running one is asked to stop (it ends `cancelled` instead of
    /// `succeeded`, and a retry never starts). Finished jobs are left as they are.
    func cancel(_ id: UUID, owner: String) async throws -> JobRecord?
    /// Jobs of `owner` queued or running: what the per-key cap counts.
    func unfinishedCount(owner: String) async throws -> Int

    // MARK: Workers

    /// Takes the next due job under a new lease of `lease` seconds, or nil when none is due.
    func claim(worker: String, lease: Double) async throws -> ClaimedJob?
    /// Extends a held lease by `seconds` from now; `.lost` when another worker took the job over (or it
    /// was cancelled while queued).
    func renew(_ lease: Lease, seconds: Double) async throws -> LeaseStatus
    /// Stores the result and marks the job succeeded in one transaction, only while `lease` is the
    /// job's current lease; false (and nothing written) otherwise.
    func complete(_ lease: Lease, result: JobResult) async throws -> Bool
    /// Records a failed attempt: back to the queue after `retryAfter` seconds, or failed for good when
    /// `permanent` or out of attempts. Returns the job's new state; nil when the lease was lost.
    func fail(_ lease: Lease, error: String, permanent: Bool, retryAfter: Double) async throws -> JobState?
    /// Gives a job back to the queue without counting its attempt (a worker stopping before it ends).
    func release(_ lease: Lease) async throws
    /// Puts running jobs whose lease ran out back in the queue (or fails them when out of attempts).
    /// Returns their ids.
    func rescueExpired() async throws -> [UUID]
    /// Deletes finished jobs (and their blobs) finished more than `seconds` ago; returns how many.
    func prune(finishedBefore seconds: Double) async throws -> Int
    /// Jobs by state, for metrics.
    func counts() async throws -> [JobState: Int]
}

/// A job a worker has claimed: what to run and the lease that lets it report back.
public struct ClaimedJob: Sendable {
    public var lease: Lease
    public var request: JobRequest
    /// The photo's or the video's bytes.
    public var input: [UInt8]
    public var background: [UInt8]?
    /// This attempt's number, from 1.
    public var attempt: Int
    public var maxAttempts: Int
    /// Seconds from when the job was due to when it was claimed.
    public var waited: Double

    public init(lease: Lease, request: JobRequest, input: [UInt8], background: [UInt8]?, attempt: Int,
                maxAttempts: Int, waited: Double) {
        self.lease = lease
        self.request = request
        self.input = input
        self.background = background
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.waited = waited
    }
}

/// The right to finish one attempt of one job: a random token the claim wrote into the job's row. A
/// claim by another worker writes another token, and every write of the holder names its own, so a
/// worker that lost its lease cannot change the job any more.
public struct Lease: Sendable, Equatable {
    public var job: UUID
    public var token: UUID

    public init(job: UUID, token: UUID) {
        self.job = job
        self.token = token
    }
}

public enum LeaseStatus: Sendable, Equatable {
    case held(cancelRequested: Bool)
    case lost
}
