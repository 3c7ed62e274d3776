import Foundation
import Jobs
import Logging
import Matting
import PostgresNIO

/// The queue in PostgreSQL (schema: `Migrations`). Jobs are rows of `matte_jobs`; their photos, videos
/// and outputs are rows of `matte_blobs`, so that claiming, renewing and listing never read image bytes.
/// Claims and leases are in `Claim.swift` and `Lease.swift`.
///
/// The `PostgresClient` must be running (`client.run()` in a task) for any call to return.
public struct PostgresJobStore: JobStore {
    public let client: PostgresClient
    public let logger: Logger

    /// Channel on which a new or requeued job's id is sent (ids only: a payload must stay under 8,000 bytes).
    public static let queueChannel = "matte_jobs"

    public init(client: PostgresClient, logger: Logger = Logger(label: "matte.jobs")) {
        self.client = client
        self.logger = logger
    }

    /// The columns `record(_:)` reads.
    static let recordColumns = """
        id, state, attempt, max_attempts, errors::text AS errors, rescues, request::text AS request, \
        outputs::text AS outputs, width, height, created_at, started_at, finished_at, cancel_requested
        """

    public func submit(_ job: NewJob) async throws -> Submission {
        let request = String(decoding: try JSONEncoder().encode(job.request), as: UTF8.self)
        let id = UUID()
        return try await client.withTransaction(logger: logger) { connection in
            let inserted = try await connection.query("""
                INSERT INTO matte_jobs (id, owner, idempotency_key, request, callback_url, max_attempts)
                VALUES (\(id), \(job.owner), \(job.idempotencyKey), \(request)::jsonb, \(job.callbackURL), \(job.maxAttempts))
                ON CONFLICT (owner, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                RETURNING id
                """, logger: logger).collect()
            if inserted.isEmpty, let key = job.idempotencyKey {
                // Another submission with this key committed first (or was waited for): answer with its job.
                let rows = try await connection.query(
                    "SELECT \(unescaped: Self.recordColumns) FROM matte_jobs WHERE owner = \(job.owner) AND idempotency_key = \(key)",
                    logger: logger).collect()
                guard let row = rows.first else { throw StoreError.vanished(key) }
                return Submission(job: try Self.record(row), created: false)
            }
            try await connection.query("""
                INSERT INTO matte_blobs (job_id, role, format, bytes) VALUES (\(id), \(job.request.inputRole), '', \(Data(job.input)))
                """, logger: logger)
            if let background = job.background {
                try await connection.query("""
                    INSERT INTO matte_blobs (job_id, role, format, bytes) VALUES (\(id), 'background', '', \(Data(background)))
                    """, logger: logger)
            }
            try await connection.query("SELECT pg_notify(\(Self.queueChannel), \(id.uuidString))", logger: logger)
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.recordColumns) FROM matte_jobs WHERE id = \(id)", logger: logger).collect()
            return Submission(job: try Self.record(rows[0]), created: true)
        }
    }

    public func job(_ id: UUID, owner: String) async throws -> JobRecord? {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.recordColumns) FROM matte_jobs WHERE id = \(id) AND owner = \(owner)", logger: logger).collect()
        return try rows.first.map(Self.record)
    }

    public func jobs(owner: String, limit: Int) async throws -> [JobRecord] {
        let rows = try await client.query("""
            SELECT \(unescaped: Self.recordColumns) FROM matte_jobs WHERE owner = \(owner)
            ORDER BY created_at DESC, id LIMIT \(limit)
            """, logger: logger).collect()
        return try rows.map(Self.record)
    }

    public func output(_ output: MattingRequest.Output, of id: UUID, owner: String) async throws -> (format: String, bytes: [UInt8])? {
        let rows = try await client.query("""
            SELECT b.format, b.bytes FROM matte_blobs b JOIN matte_jobs j ON j.id = b.job_id
            WHERE j.id = \(id) AND j.owner = \(owner) AND j.state = 'succeeded' AND b.role = \(output.rawValue)
            """, logger: logger).collect()
        guard let row = rows.first else { return nil }
        let (format, bytes) = try row.decode((String, Data).self)
        return (format, Array(bytes))
    }

    public func cancel(_ id: UUID, owner: String) async throws -> JobRecord? {
        let rows = try await client.query("""
            UPDATE matte_jobs SET
                state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END,
                cancel_requested = cancel_requested OR state IN ('queued', 'running')
            WHERE id = \(id) AND owner = \(owner)
            RETURNING \(unescaped: Self.recordColumns)
            """, logger: logger).collect()
        return try rows.first.map(Self.record)
    }

    public func unfinishedCount(owner: String) async throws -> Int {
        let rows = try await client.query(
            "SELECT count(*)::bigint FROM matte_jobs WHERE owner = \(owner) AND state IN ('queued', 'running')",
            logger: logger).collect()
        return try rows[0].decode(Int.self)
    }

    public func prune(finishedBefore seconds: Double) async throws -> Int {
        let rows = try await client.query("""
            DELETE FROM matte_jobs WHERE finished_at < now() - \(seconds) * interval '1 second' RETURNING id
            """, logger: logger).collect()
        return rows.count
    }

    public func counts() async throws -> [JobState: Int] {
        var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for try await (state, count) in try await client.query(
            "SELECT state, count(*)::bigint FROM matte_jobs GROUP BY state", logger: logger).decode((String, Int).self) {
            if let state = JobState(rawValue: state) { counts[state] = count }
        }
        return counts
    }

    /// A `JobRecord` from a row of `recordColumns`.
    static func record(_ row: PostgresRow) throws -> JobRecord {
        let cells = row.makeRandomAccess()
        let decoder = JSONDecoder()
        let state = try cells["state"].decode(String.self)
        return JobRecord(
            id: try cells["id"].decode(UUID.self),
            state: JobState(rawValue: state) ?? .failed,
            attempts: try cells["attempt"].decode(Int.self),
            maxAttempts: try cells["max_attempts"].decode(Int.self),
            errors: try decoder.decode([AttemptError].self, from: Data(try cells["errors"].decode(String.self).utf8)),
            rescues: try cells["rescues"].decode(Int.self),
            request: try decoder.decode(JobRequest.self, from: Data(try cells["request"].decode(String.self).utf8)),
            outputs: try decoder.decode([StoredOutput].self, from: Data(try cells["outputs"].decode(String.self).utf8)),
            width: try cells["width"].decode(Int?.self),
            height: try cells["height"].decode(Int?.self),
            createdAt: try cells["created_at"].decode(Date.self),
            startedAt: try cells["started_at"].decode(Date?.self),
            finishedAt: try cells["finished_at"].decode(Date?.self),
            cancelRequested: try cells["cancel_requested"].decode(Bool.self))
    }
}

/// The database answered in a way the queue's own invariants rule out.
public enum StoreError: Error, CustomStringConvertible {
    /// A submission's idempotency key matched a job that was then gone (pruned in between).
    case vanished(String)

    public var description: String {
        switch self {
        case .vanished(let key): "the job for idempotency key '\(key)' was deleted while being looked up; submit again"
        }
    }
}
