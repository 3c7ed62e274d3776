import Jobs
import Logging
import PostgresNIO

/// The schema, as numbered steps applied in order and recorded in `matte_schema_migrations`. Every
/// process that opens the queue (`matte serve`, each `matte worker`) runs `migrate`: the steps run in
/// one transaction under a transaction-level advisory lock, so processes starting together apply each
/// step once and the others wait, then find nothing left to do. Steps are never edited once released;
/// a change is a new step.
public enum Migrations {
    /// One step: its version (1, 2, ...), a name, and its statements (run one by one: the extended
    /// protocol takes one statement per query).
    public struct Step: Sendable {
        public var version: Int
        public var name: String
        public var statements: [String]
    }

    /// `pg_advisory_xact_lock` key: "matte" in ASCII, so other users of advisory locks are unlikely to clash.
    static let lockKey: Int64 = 0x6D_61_74_74_65

    public static let steps: [Step] = [
        Step(version: 1, name: "jobs and blobs", statements: [
            // The queue row holds no image bytes: claiming, renewing and listing touch this table only.
            """
            CREATE TABLE matte_jobs (
                id uuid PRIMARY KEY,
                owner text NOT NULL,
                idempotency_key text,
                state text NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
                request jsonb NOT NULL,
                callback_url text,
                attempt integer NOT NULL DEFAULT 0,
                max_attempts integer NOT NULL CHECK (max_attempts >= 1),
                errors jsonb NOT NULL DEFAULT '[]',
                rescues integer NOT NULL DEFAULT 0,
                run_at timestamptz NOT NULL DEFAULT now(),
                created_at timestamptz NOT NULL DEFAULT now(),
                started_at timestamptz,
                finished_at timestamptz,
                lease uuid,
                locked_by text,
                locked_until timestamptz,
                cancel_requested boolean NOT NULL DEFAULT false,
                outputs jsonb NOT NULL DEFAULT '[]',
                width integer,
                height integer,
                callback_due timestamptz,
                callback_attempts integer NOT NULL DEFAULT 0,
                CHECK ((state IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL)),
                CHECK ((state = 'running') = (lease IS NOT NULL AND locked_until IS NOT NULL))
            )
            """,
            "CREATE UNIQUE INDEX matte_jobs_idempotency ON matte_jobs (owner, idempotency_key) WHERE idempotency_key IS NOT NULL",
            "CREATE INDEX matte_jobs_queued ON matte_jobs (run_at, id) WHERE state = 'queued'",
            "CREATE INDEX matte_jobs_leases ON matte_jobs (locked_until) WHERE state = 'running'",
            "CREATE INDEX matte_jobs_finished ON matte_jobs (finished_at) WHERE finished_at IS NOT NULL",
            "CREATE INDEX matte_jobs_owner ON matte_jobs (owner, created_at)",
            "CREATE INDEX matte_jobs_callbacks ON matte_jobs (callback_due) WHERE callback_due IS NOT NULL",
            // Inputs and outputs, one row per job and role: the primary key also refuses a second result.
            """
            CREATE TABLE matte_blobs (
                job_id uuid NOT NULL REFERENCES matte_jobs (id) ON DELETE CASCADE,
                role text NOT NULL CHECK (role IN ('photo', 'background', 'alpha', 'cutout', 'composite')),
                format text NOT NULL,
                bytes bytea NOT NULL,
                PRIMARY KEY (job_id, role)
            )
            """,
        ]),
        // A job's input may be a video (`JobRequest.video`), stored under its own role.
        Step(version: 2, name: "video inputs", statements: [
            "ALTER TABLE matte_blobs DROP CONSTRAINT matte_blobs_role_check",
            """
            ALTER TABLE matte_blobs ADD CONSTRAINT matte_blobs_role_check
                CHECK (role IN ('photo', 'video', 'background', 'alpha', 'cutout', 'composite'))
            """,
        ]),
    ]

    /// Applies the steps not yet applied; returns their versions.
    @discardableResult
    public static func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS matte_schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var applied: Set<Int> = []
            for try await version in try await connection.query("SELECT version FROM matte_schema_migrations", logger: logger)
                .decode(Int.self) {
                applied.insert(version)
            }
            var done: [Int] = []
            for step in steps where !applied.contains(step.version) {
                for statement in step.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO matte_schema_migrations (version, name) VALUES (\(step.version), \(step.name))", logger: logger)
                done.append(step.version)
            }
            return done
        }
    }
}
