import Foundation
import Jobs
import Matting

/// The job store kept in memory, for tests of the routes without a database: the answers of
/// `PostgresJobStore` within one process (owners, idempotency keys, leases, retries), none of its
/// durability. Jobs are claimed in the order they were queued.
public final class MemoryJobStore: JobStore, @unchecked Sendable {
    private struct Entry {
        var record: JobRecord
        var owner: String
        var key: String?
        var input: [UInt8]
        var background: [UInt8]?
        var lease: UUID?
        var worker: String?
        var lockedUntil = Date.distantPast
        var runAt = Date()
        var files: [JobResult.File] = []
    }

    private let lock = NSLock()
    private var entries: [UUID: Entry] = [:]
    /// Ids in the order they were queued.
    private var order: [UUID] = []

    public init() {}

    /// The input stored with a job (nil once it has succeeded), for tests that look.
    public func input(of id: UUID) -> [UInt8]? {
        lock.withLock { entries[id]?.input }
    }

    public func submit(_ job: NewJob) async throws -> Submission {
        lock.withLock {
            if let key = job.idempotencyKey,
               let existing = order.lazy.compactMap({ self.entries[$0] }).first(where: { $0.owner == job.owner && $0.key == key }) {
                return Submission(job: existing.record, created: false)
            }
            let record = JobRecord(id: UUID(), state: .queued, attempts: 0, maxAttempts: job.maxAttempts, errors: [], rescues: 0,
                                   request: job.request, outputs: [], width: nil, height: nil, createdAt: Date(),
                                   startedAt: nil, finishedAt: nil, cancelRequested: false)
            entries[record.id] = Entry(record: record, owner: job.owner, key: job.idempotencyKey, input: job.input,
                                       background: job.background)
            order.append(record.id)
            return Submission(job: record, created: true)
        }
    }

    public func job(_ id: UUID, owner: String) async throws -> JobRecord? {
        lock.withLock { entries[id].flatMap { $0.owner == owner ? $0.record : nil } }
    }

    public func jobs(owner: String, limit: Int) async throws -> [JobRecord] {
        lock.withLock { Array(order.reversed().compactMap { entries[$0] }.filter { $0.owner == owner }.map(\.record).prefix(limit)) }
    }

    public func output(_ output: MattingRequest.Output, of id: UUID, owner: String) async throws -> (format: String, bytes: [UInt8])? {
        lock.withLock {
            guard let entry = entries[id], entry.owner == owner, entry.record.state == .succeeded,
                  let file = entry.files.first(where: { $0.output == output }) else { return nil }
            return (file.format, file.bytes)
        }
    }

    public func cancel(_ id: UUID, owner: String) async throws -> JobRecord? {
        lock.withLock {
            guard var entry = entries[id], entry.owner == owner else { return nil }
            if !entry.record.state.isFinal { entry.record.cancelRequested = true }
            if entry.record.state == .queued {
                entry.record.state = .cancelled
                entry.record.finishedAt = Date()
            }
            entries[id] = entry
            return entry.record
        }
    }

    public func unfinishedCount(owner: String) async throws -> Int {
        lock.withLock { entries.values.filter { $0.owner == owner && !$0.record.state.isFinal }.count }
    }

    public func claim(worker: String, lease: Double) async throws -> ClaimedJob? {
        lock.withLock {
            let now = Date()
            guard let id = order.first(where: { entries[$0]?.record.state == .queued && entries[$0]!.runAt <= now }),
                  var entry = entries[id] else { return nil }
            let token = UUID()
            entry.record.state = .running
            entry.record.attempts += 1
            entry.record.startedAt = entry.record.startedAt ?? now
            entry.lease = token
            entry.worker = worker
            entry.lockedUntil = now.addingTimeInterval(lease)
            entries[id] = entry
            return ClaimedJob(lease: Lease(job: id, token: token), request: entry.record.request, input: entry.input,
                              background: entry.background, attempt: entry.record.attempts,
                              maxAttempts: entry.record.maxAttempts, waited: max(0, now.timeIntervalSince(entry.runAt)))
        }
    }

    /// Runs `change` on the job of `lease` while the lease is its own; nil otherwise.
    private func held<Value>(_ lease: Lease, _ change: (inout Entry) -> Value) -> Value? {
        lock.withLock {
            guard var entry = entries[lease.job], entry.lease == lease.token else { return nil }
            let value = change(&entry)
            entries[lease.job] = entry
            return value
        }
    }

    public func renew(_ lease: Lease, seconds: Double) async throws -> LeaseStatus {
        held(lease) { entry in
            entry.lockedUntil = Date().addingTimeInterval(seconds)
            return LeaseStatus.held(cancelRequested: entry.record.cancelRequested)
        } ?? .lost
    }

    public func complete(_ lease: Lease, result: JobResult) async throws -> Bool {
        held(lease) { entry in
            entry.lease = nil
            entry.record.finishedAt = Date()
            if entry.record.cancelRequested {
                entry.record.state = .cancelled
                return true
            }
            entry.record.state = .succeeded
            entry.files = result.files
            entry.record.outputs = result.files.map { StoredOutput(output: $0.output, format: $0.format, bytes: $0.bytes.count) }
            entry.record.width = result.width
            entry.record.height = result.height
            entry.input = []
            entry.background = nil
            return true
        } ?? false
    }

    public func fail(_ lease: Lease, error: String, permanent: Bool, retryAfter: Double) async throws -> JobState? {
        held(lease) { entry in
            entry.record.errors.append(AttemptError(attempt: entry.record.attempts, error: error, worker: entry.worker,
                                                    at: ISO8601DateFormatter().string(from: Date())))
            entry.lease = nil
            entry.record.state = entry.record.cancelRequested ? .cancelled
                : permanent || entry.record.attempts >= entry.record.maxAttempts ? .failed : .queued
            if entry.record.state.isFinal { entry.record.finishedAt = Date() }
            entry.runAt = Date().addingTimeInterval(retryAfter)
            return entry.record.state
        }
    }

    public func release(_ lease: Lease) async throws {
        _ = held(lease) { entry in
            entry.lease = nil
            entry.record.state = .queued
            entry.record.attempts -= 1
        }
    }

    public func rescueExpired() async throws -> [UUID] {
        lock.withLock {
            let now = Date()
            var rescued: [UUID] = []
            for id in order {
                guard var entry = entries[id], entry.record.state == .running, entry.lockedUntil < now else { continue }
                entry.record.errors.append(AttemptError(attempt: entry.record.attempts, error: "lease expired", worker: entry.worker,
                                                        at: ISO8601DateFormatter().string(from: now)))
                entry.record.rescues += 1
                entry.lease = nil
                entry.record.state = entry.record.cancelRequested ? .cancelled
                    : entry.record.attempts >= entry.record.maxAttempts ? .failed : .queued
                if entry.record.state.isFinal { entry.record.finishedAt = now }
                entries[id] = entry
                rescued.append(id)
            }
            return rescued
        }
    }

    public func prune(finishedBefore seconds: Double) async throws -> Int {
        lock.withLock {
            let cutoff = Date().addingTimeInterval(-seconds)
            let old = order.filter { entries[$0]?.record.finishedAt.map { $0 < cutoff } == true }
            for id in old { entries[id] = nil }
            order.removeAll { entries[$0] == nil }
            return old.count
        }
    }

    public func counts() async throws -> [JobState: Int] {
        lock.withLock {
            var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for entry in entries.values { counts[entry.record.state, default: 0] += 1 }
            return counts
        }
    }
}
