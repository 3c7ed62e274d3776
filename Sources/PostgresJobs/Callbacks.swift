import Foundation
import Jobs
import PostgresNIO

/// A finished job's callback, due to be called: `POST` of `{"id", "state", "url"}` as JSON to the URL
/// its submitter gave.
public struct DueCallback: Sendable {
    public var job: UUID
    public var url: String
    public var state: JobState
    /// This delivery's number, from 1.
    public var attempt: Int

    /// The JSON body sent.
    public var body: [UInt8] {
        let id = job.uuidString.lowercased()
        return Array(#"{"id":"\#(id)","state":"\#(state.rawValue)","url":"/v1/jobs/\#(id)"}"#.utf8)
    }
}

extension PostgresJobStore {
    /// Attempts per callback before it is given up.
    public static let callbackAttempts = 8

    /// Takes up to `limit` callbacks that are due, for `lease` seconds: a worker that dies while calling
    /// leaves them due again after that, so each is called once unless a call's answer is lost.
    public func claimCallbacks(limit: Int, lease: Double) async throws -> [DueCallback] {
        let rows = try await client.query("""
            WITH due AS (
                SELECT id FROM matte_jobs WHERE callback_due <= now() ORDER BY callback_due LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            UPDATE matte_jobs AS j SET callback_due = now() + \(lease) * interval '1 second',
                callback_attempts = j.callback_attempts + 1
            FROM due WHERE j.id = due.id
            RETURNING j.id, j.callback_url, j.state, j.callback_attempts
            """, logger: logger).collect()
        return try rows.map { row in
            let (id, url, state, attempt) = try row.decode((UUID, String, String, Int).self)
            return DueCallback(job: id, url: url, state: JobState(rawValue: state) ?? .failed, attempt: attempt)
        }
    }

    /// Records a callback's outcome: done, or due again after `retryAfter` seconds (given up after
    /// `callbackAttempts`).
    public func finishCallback(_ callback: DueCallback, delivered: Bool, retryAfter: Double) async throws {
        let again = !delivered && callback.attempt < Self.callbackAttempts
        try await client.query("""
            UPDATE matte_jobs SET callback_due = CASE WHEN \(again) THEN now() + \(retryAfter) * interval '1 second' END
            WHERE id = \(callback.job)
            """, logger: logger)
    }
}
