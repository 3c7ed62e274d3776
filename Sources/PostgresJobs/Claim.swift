import Foundation
import Jobs
import Matting
import PostgresNIO

extension PostgresJobStore {
    /// One statement: the oldest due queued job, locked with `FOR UPDATE SKIP LOCKED` (so concurrent
    /// claims take different jobs and never wait on each other), becomes `running` under a new random
    /// lease token with `locked_until` = now + `lease`, its attempt counted. The CTE keeps the planner
    /// from locking more rows than the one it takes (as River and Oban write it). The input (photo or video)
    /// is read after, by the job's id.
    public func claim(worker: String, lease: Double) async throws -> ClaimedJob? {
        let token = UUID()
        let rows = try await client.query("""
            WITH next AS (
                SELECT id FROM matte_jobs WHERE state = 'queued' AND run_at <= now()
                ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
            UPDATE matte_jobs AS j SET state = 'running', attempt = j.attempt + 1, lease = \(token), locked_by = \(worker),
                locked_until = now() + \(lease) * interval '1 second', started_at = coalesce(j.started_at, now())
            FROM next WHERE j.id = next.id
            RETURNING j.id, j.request::text, j.attempt, j.max_attempts, extract(epoch FROM now() - j.run_at)::float8
            """, logger: logger).collect()
        guard let row = rows.first else { return nil }
        let (id, requestText, attempt, maxAttempts, waited) = try row.decode((UUID, String, Int, Int, Double).self)
        let held = Lease(job: id, token: token)
        let request: JobRequest
        do {
            request = try JSONDecoder().decode(JobRequest.self, from: Data(requestText.utf8))
        } catch {
            // A payload this build cannot read will not get better with retries.
            _ = try await fail(held, error: "payload: \(error)", permanent: true, retryAfter: 0)
            return nil
        }
        var input: [UInt8] = []
        var background: [UInt8]?
        for try await (role, bytes) in try await client.query(
            "SELECT role, bytes FROM matte_blobs WHERE job_id = \(id) AND role IN ('photo', 'video', 'background')",
            logger: logger).decode((String, Data).self) {
            if role == "background" { background = Array(bytes) } else { input = Array(bytes) }
        }
        return ClaimedJob(lease: held, request: request, input: input, background: background, attempt: attempt,
                          maxAttempts: maxAttempts, waited: max(0, waited))
    }

    /// Running jobs whose `locked_until` has passed go back to `queued` at once (their attempt's error
    /// says the lease ran out), or to `failed` when that was their last attempt; `cancelled` when a
    /// cancel was asked. They keep their `run_at`, so they go to the head of the queue (the oldest due
    /// first), not behind the jobs that came after them. Every worker runs this on each poll, so a dead
    /// worker's jobs are claimed again after at most the lease plus one poll interval and the time a
    /// slot takes to free up.
    public func rescueExpired() async throws -> [UUID] {
        let rows = try await client.query("""
            WITH expired AS (
                SELECT id FROM matte_jobs WHERE state = 'running' AND locked_until < now() FOR UPDATE SKIP LOCKED)
            UPDATE matte_jobs AS j SET
                state = CASE WHEN j.cancel_requested THEN 'cancelled' WHEN j.attempt >= j.max_attempts THEN 'failed' ELSE 'queued' END,
                finished_at = CASE WHEN j.cancel_requested OR j.attempt >= j.max_attempts THEN now() END,
                errors = j.errors || jsonb_build_array(jsonb_build_object('attempt', j.attempt, 'worker', j.locked_by,
                    'error', 'lease expired: the worker stopped renewing it (died, or lost the database)', 'at', now())),
                rescues = j.rescues + 1, lease = NULL, locked_by = NULL, locked_until = NULL
            FROM expired WHERE j.id = expired.id
            RETURNING j.id, j.state
            """, logger: logger).collect()
        var ids: [UUID] = []
        for row in rows {
            let (id, state) = try row.decode((UUID, String).self)
            ids.append(id)
            if state == JobState.queued.rawValue {
                try await client.query("SELECT pg_notify(\(Self.queueChannel), \(id.uuidString))", logger: logger)
            }
        }
        return ids
    }
}
