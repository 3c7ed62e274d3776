import Foundation
import Jobs
import Matting
import PostgresNIO

/// Every write a worker makes about its job names its lease token (`WHERE id = ... AND lease = ...`): a
/// worker whose lease ran out and was taken over, or whose job was rescued, changes nothing.
extension PostgresJobStore {
    public func renew(_ lease: Lease, seconds: Double) async throws -> LeaseStatus {
        let rows = try await client.query("""
            UPDATE matte_jobs SET locked_until = now() + \(seconds) * interval '1 second'
            WHERE id = \(lease.job) AND lease = \(lease.token)
            RETURNING cancel_requested
            """, logger: logger).collect()
        guard let row = rows.first else { return .lost }
        return .held(cancelRequested: try row.decode(Bool.self))
    }

    /// In one transaction: lock the job's row if and only if it still carries this lease; write every
    /// output; mark it succeeded (or cancelled, when a cancel was asked meanwhile, writing nothing) and
    /// drop its inputs. A lost lease rolls everything back: at most one result per job, ever.
    public func complete(_ lease: Lease, result: JobResult) async throws -> Bool {
        let outputs = result.files.map { StoredOutput(output: $0.output, format: $0.format, bytes: $0.bytes.count) }
        let outputsJSON = String(decoding: try JSONEncoder().encode(outputs), as: UTF8.self)
        return try await client.withTransaction(logger: logger) { connection in
            let held = try await connection.query(
                "SELECT cancel_requested FROM matte_jobs WHERE id = \(lease.job) AND lease = \(lease.token) FOR UPDATE",
                logger: logger).collect()
            guard let row = held.first else { return false }
            if try row.decode(Bool.self) {
                try await connection.query("""
                    UPDATE matte_jobs SET state = 'cancelled', finished_at = now(), lease = NULL, locked_by = NULL, locked_until = NULL
                    WHERE id = \(lease.job)
                    """, logger: logger)
                return true
            }
            for file in result.files {
                try await connection.query("""
                    INSERT INTO matte_blobs (job_id, role, format, bytes)
                    VALUES (\(lease.job), \(file.output.rawValue), \(file.format), \(Data(file.bytes)))
                    """, logger: logger)
            }
            try await connection.query(
                "DELETE FROM matte_blobs WHERE job_id = \(lease.job) AND role IN ('photo', 'video', 'background')", logger: logger)
            try await connection.query("""
                UPDATE matte_jobs SET state = 'succeeded', finished_at = now(), outputs = \(outputsJSON)::jsonb,
                    width = \(result.width), height = \(result.height), lease = NULL, locked_by = NULL, locked_until = NULL,
                    callback_due = CASE WHEN callback_url IS NULL THEN NULL ELSE now() END
                WHERE id = \(lease.job)
                """, logger: logger)
            return true
        }
    }

    public func fail(_ lease: Lease, error: String, permanent: Bool, retryAfter: Double) async throws -> JobState? {
        let rows = try await client.query("""
            UPDATE matte_jobs SET
                state = CASE WHEN cancel_requested THEN 'cancelled' WHEN \(permanent) OR attempt >= max_attempts THEN 'failed' ELSE 'queued' END,
                finished_at = CASE WHEN cancel_requested OR \(permanent) OR attempt >= max_attempts THEN now() END,
                callback_due = CASE WHEN callback_url IS NOT NULL AND (cancel_requested OR \(permanent) OR attempt >= max_attempts)
                    THEN now() END,
                errors = errors || jsonb_build_array(jsonb_build_object('attempt', attempt, 'worker', locked_by,
                    'error', \(error)::text, 'at', now())),
                run_at = now() + \(retryAfter) * interval '1 second',
                lease = NULL, locked_by = NULL, locked_until = NULL
            WHERE id = \(lease.job) AND lease = \(lease.token)
            RETURNING state
            """, logger: logger).collect()
        guard let row = rows.first else { return nil }
        return JobState(rawValue: try row.decode(String.self))
    }

    public func release(_ lease: Lease) async throws {
        try await client.query("""
            UPDATE matte_jobs SET state = 'queued', attempt = attempt - 1,
                lease = NULL, locked_by = NULL, locked_until = NULL
            WHERE id = \(lease.job) AND lease = \(lease.token)
            """, logger: logger)
        try await client.query("SELECT pg_notify(\(Self.queueChannel), \(lease.job.uuidString))", logger: logger)
    }
}
