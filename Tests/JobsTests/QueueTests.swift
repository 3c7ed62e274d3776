import Foundation
import Jobs
import PostgresJobs
import Matting
import PostgresNIO
import TestSupport
import Synchronization
import Testing

/// The queue's guarantees, each against a real PostgreSQL server (`scripts/test-database`).
@Suite(.enabled(if: TestDatabase.enabled, "no test database: set MATTE_TEST_DATABASE_URL (scripts/test does)"), .serialized)
struct QueueTests {
    let request = MattingRequest(outputs: [.alpha, .cutout])

    func newJob(seed: Int = 0, key: String? = nil, owner: String = "", maxAttempts: Int = 3) throws -> NewJob {
        NewJob(request: .photo(request), input: try Photos.png(seed: seed), owner: owner, idempotencyKey: key, maxAttempts: maxAttempts)
    }

    func result(for job: ClaimedJob) throws -> JobResult {
        try job.request.run(input: job.input, background: job.background, matter: HalfMatter())
    }

    @Test func migrationsRunOnceFromManyProcessesAtOnce() async throws {
        /// Four clients of `url` migrating at once; the versions each applied.
        func migrateFromFour(_ url: String) async throws -> [Int] {
            try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let client = PostgresClient(configuration: try DatabaseURL(url).configuration)
                        return try await withThrowingTaskGroup(of: [Int].self) { inner in
                            inner.addTask { await client.run(); return [] }
                            let applied = try await TestDatabase.migrate(client)
                            inner.cancelAll()
                            return applied
                        }
                    }
                }
                var applied: [Int] = []
                for try await versions in group { applied += versions }
                return applied
            }
        }
        try await TestDatabase.with { client, name in
            // Migrated already: nothing left to apply.
            #expect(try await migrateFromFour(try TestDatabase.url(database: name)).isEmpty)
            // On a database with no schema yet: each step is applied by exactly one of the four.
            try await client.query("DROP TABLE matte_blobs, matte_jobs, matte_schema_migrations")
            #expect(try await migrateFromFour(try TestDatabase.url(database: name)).sorted() == Migrations.steps.map(\.version))
            let rows = try await client.query("SELECT count(*)::bigint FROM matte_schema_migrations").collect()
            #expect(try rows[0].decode(Int.self) == Migrations.steps.count)
        }
    }

    @Test func aJobRunsAndItsResultIsStored() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            let submitted = try await store.submit(try newJob())
            #expect(submitted.created)
            #expect(submitted.job.state == .queued)
            #expect(submitted.job.id.uuidString.dropFirst(14).first == "4")  // UUID version 4: random
            let claimed = try #require(try await store.claim(worker: "w1", lease: 10))
            #expect(claimed.lease.job == submitted.job.id)
            #expect(claimed.attempt == 1)
            #expect(try await store.claim(worker: "w2", lease: 10) == nil)
            let result = try result(for: claimed)
            #expect(try await store.complete(claimed.lease, result: result))
            let job = try #require(try await store.job(submitted.job.id, owner: ""))
            #expect(job.state == .succeeded)
            #expect(job.outputs.map(\.output) == [.alpha, .cutout])
            #expect(job.finishedAt != nil)
            let alpha = try #require(try await store.output(.alpha, of: job.id, owner: ""))
            #expect(alpha.bytes == result.files.first { $0.output == .alpha }?.bytes)
            // The inputs are gone once the result is in; the outputs stay.
            let roles = try await client.query("SELECT role FROM matte_blobs WHERE job_id = \(job.id) ORDER BY role").collect()
            #expect(try roles.map { try $0.decode(String.self) } == ["alpha", "cutout"])
        }
    }

    @Test func theSameIdempotencyKeyNeverMakesASecondJob() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            let first = try await store.submit(try newJob(key: "photo-1"))
            let again = try await store.submit(try newJob(seed: 5, key: "photo-1"))
            #expect(first.created && !again.created)
            #expect(first.job.id == again.job.id)
            // The same key from another owner is another job.
            let other = try await store.submit(try newJob(key: "photo-1", owner: "someone-else"))
            #expect(other.created && other.job.id != first.job.id)
            // Twenty submissions racing with one new key: one job.
            let ids = try await withThrowingTaskGroup(of: (UUID, Bool).self) { group in
                for seed in 0..<20 {
                    group.addTask { let s = try await store.submit(try newJob(seed: seed, key: "race")); return (s.job.id, s.created) }
                }
                var ids: [(UUID, Bool)] = []
                for try await id in group { ids.append(id) }
                return ids
            }
            #expect(Set(ids.map(\.0)).count == 1)
            #expect(ids.filter(\.1).count == 1)
            let rows = try await client.query("SELECT count(*)::bigint FROM matte_jobs").collect()
            #expect(try rows[0].decode(Int.self) == 3)
        }
    }

    @Test func concurrentClaimsNeverTakeTheSameJob() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            for seed in 0..<40 { _ = try await store.submit(try newJob(seed: seed)) }
            let claimed = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for worker in 0..<6 {
                    group.addTask {
                        var mine: [UUID] = []
                        while let job = try await store.claim(worker: "w\(worker)", lease: 30) { mine.append(job.lease.job) }
                        return mine
                    }
                }
                var all: [UUID] = []
                for try await mine in group { all += mine }
                return all
            }
            #expect(claimed.count == 40)
            #expect(Set(claimed).count == 40)
        }
    }

    @Test func aWorkerThatLostItsLeaseCannotOverwriteTheResult() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            let id = try await store.submit(try newJob()).job.id
            let first = try #require(try await store.claim(worker: "stalled", lease: 1))
            #expect(try await store.rescueExpired().isEmpty)  // not yet expired
            try await Task.sleep(for: .milliseconds(1200))
            #expect(try await store.rescueExpired() == [id])
            let second = try #require(try await store.claim(worker: "healthy", lease: 30))
            #expect(second.attempt == 2)
            #expect(second.lease.token != first.lease.token)
            // The stalled worker comes back: every write it tries is refused.
            #expect(try await store.renew(first.lease, seconds: 30) == .lost)
            #expect(try await store.complete(first.lease, result: try result(for: first)) == false)
            #expect(try await store.fail(first.lease, error: "late", permanent: true, retryAfter: 0) == nil)
            #expect(try await store.renew(second.lease, seconds: 30) == .held(cancelRequested: false))
            let secondResult = try result(for: second)
            #expect(try await store.complete(second.lease, result: secondResult))
            // ... and after the healthy one has finished, too.
            #expect(try await store.complete(first.lease, result: try result(for: first)) == false)
            let job = try #require(try await store.job(id, owner: ""))
            #expect(job.state == .succeeded)
            #expect(job.rescues == 1)
            #expect(job.errors.map(\.attempt) == [1])
            #expect(job.errors.first?.error.contains("lease expired") == true)
            let blobs = try await client.query("SELECT count(*)::bigint FROM matte_blobs WHERE job_id = \(id)").collect()
            #expect(try blobs[0].decode(Int.self) == 2)
        }
    }

    @Test func failedAttemptsAreRetriedWithBackoffThenFailKeepingEveryError() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            let id = try await store.submit(try newJob(maxAttempts: 2)).job.id
            let first = try #require(try await store.claim(worker: "w", lease: 30))
            #expect(try await store.fail(first.lease, error: "out of memory", permanent: false, retryAfter: 0.6) == .queued)
            #expect(try await store.claim(worker: "w", lease: 30) == nil)  // backing off
            try await Task.sleep(for: .milliseconds(700))
            let second = try #require(try await store.claim(worker: "w", lease: 30))
            #expect(second.attempt == 2)
            #expect(try await store.fail(second.lease, error: "out of memory again", permanent: false, retryAfter: 0) == .failed)
            let job = try #require(try await store.job(id, owner: ""))
            #expect(job.state == .failed)
            #expect(job.errors.map(\.error) == ["out of memory", "out of memory again"])
            #expect(job.errors.map(\.attempt) == [1, 2])
            #expect(try await store.claim(worker: "w", lease: 30) == nil)
        }
    }

    @Test func badInputFailsAtOnceWithoutRetries() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            var job = try newJob(maxAttempts: 5)
            job.input = Array("not an image at all".utf8)
            let id = try await store.submit(job).job.id
            try await runWorker(store, until: { try await store.job(id, owner: "")?.state.isFinal == true })
            let record = try #require(try await store.job(id, owner: ""))
            #expect(record.state == .failed)
            #expect(record.attempts == 1)
            #expect(record.errors.count == 1)
        }
    }

    @Test func cancellingAQueuedJobAndARunningOne() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            let queued = try await store.submit(try newJob(seed: 1)).job.id
            #expect(try await store.cancel(queued, owner: "")?.state == .cancelled)
            #expect(try await store.claim(worker: "w", lease: 30) == nil)

            let running = try await store.submit(try newJob(seed: 2)).job.id
            let claimed = try #require(try await store.claim(worker: "w", lease: 30))
            let asked = try #require(try await store.cancel(running, owner: ""))
            #expect(asked.state == .running && asked.cancelRequested)
            #expect(try await store.renew(claimed.lease, seconds: 30) == .held(cancelRequested: true))
            #expect(try await store.complete(claimed.lease, result: try result(for: claimed)))
            let job = try #require(try await store.job(running, owner: ""))
            #expect(job.state == .cancelled)
            #expect(try await store.output(.alpha, of: running, owner: "") == nil)
        }
    }

    @Test func nobodySeesAnotherOwnersJobs() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            let mine = try await store.submit(try newJob(owner: "alice")).job.id
            let claimed = try #require(try await store.claim(worker: "w", lease: 30))
            #expect(try await store.complete(claimed.lease, result: try result(for: claimed)))
            #expect(try await store.job(mine, owner: "alice") != nil)
            #expect(try await store.job(mine, owner: "bob") == nil)
            #expect(try await store.output(.alpha, of: mine, owner: "bob") == nil)
            #expect(try await store.cancel(mine, owner: "bob") == nil)
            #expect(try await store.jobs(owner: "bob", limit: 10).isEmpty)
            #expect(try await store.jobs(owner: "alice", limit: 10).map(\.id) == [mine])
            #expect(try await store.job(UUID(), owner: "alice") == nil)
        }
    }

    @Test func finishedJobsArePrunedWithTheirImages() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            let done = try await store.submit(try newJob(seed: 1)).job.id
            let claimed = try #require(try await store.claim(worker: "w", lease: 30))
            #expect(try await store.complete(claimed.lease, result: try result(for: claimed)))
            let waiting = try await store.submit(try newJob(seed: 2)).job.id
            #expect(try await store.prune(finishedBefore: 3600) == 0)
            try await Task.sleep(for: .milliseconds(50))
            #expect(try await store.prune(finishedBefore: 0.01) == 1)
            #expect(try await store.job(done, owner: "") == nil)
            #expect(try await store.job(waiting, owner: "") != nil)
            let blobs = try await client.query("SELECT count(*)::bigint FROM matte_blobs WHERE job_id = \(done)").collect()
            #expect(try blobs[0].decode(Int.self) == 0)
        }
    }

    @Test func theWorkerRunsJobsAsTheLibraryDoesByteForByte() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            var ids: [UUID] = []
            for seed in 0..<6 { ids.append(try await store.submit(try newJob(seed: seed)).job.id) }
            try await runWorker(store, concurrency: 2) {
                try await store.counts()[.succeeded] == 6
            }
            for (seed, id) in ids.enumerated() {
                let direct = try HalfMatter().run(request, photo: .encoded(try Photos.png(seed: seed)))
                let stored = try #require(try await store.output(.cutout, of: id, owner: ""))
                #expect(stored.bytes == direct[.cutout]!.bytes)
            }
        }
    }

    @Test func aDeadWorkersJobRunsAgainWithinSeconds() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            let id = try await store.submit(try newJob()).job.id
            // Claimed by a worker that then dies: nobody renews the lease.
            _ = try #require(try await store.claim(worker: "dead", lease: 1))
            let start = ContinuousClock.now
            try await runWorker(store, lease: 1) { try await store.job(id, owner: "")?.state == .succeeded }
            #expect(ContinuousClock.now - start < .seconds(4))
            let job = try #require(try await store.job(id, owner: ""))
            #expect(job.rescues == 1 && job.attempts == 2)
        }
    }

    @Test func aNotificationWakesAnIdleWorkerBeforeItsPoll() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            var configuration = WorkerConfiguration(name: "listener")
            configuration.pollInterval = 30
            let worker = JobWorker(store: store, matter: HalfMatter(), configuration: configuration)
            let running = Task { await worker.run() }
            try await Task.sleep(for: .milliseconds(500))  // the worker has polled once and listens
            let id = try await store.submit(try newJob()).job.id
            let start = ContinuousClock.now
            while try await store.job(id, owner: "")?.state != .succeeded {
                #expect(ContinuousClock.now - start < .seconds(5))
                if ContinuousClock.now - start > .seconds(5) { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            worker.stop()
            await running.value
        }
    }

    @Test func stoppingGivesBackAJobThatOutlivesTheGracePeriod() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            let id = try await store.submit(try newJob()).job.id
            var configuration = WorkerConfiguration(name: "stopping")
            configuration.grace = 0.2
            configuration.pollInterval = 0.1
            let worker = JobWorker(store: store, matter: HalfMatter(delay: 3), configuration: configuration)
            let running = Task { await worker.run() }
            while try await store.job(id, owner: "")?.state != .running { try await Task.sleep(for: .milliseconds(20)) }
            let start = ContinuousClock.now
            worker.stop()
            await running.value
            #expect(ContinuousClock.now - start < .seconds(2))
            let job = try #require(try await store.job(id, owner: ""))
            #expect(job.state == .queued)
            #expect(job.attempts == 0)
        }
    }

    @Test func aCallbackIsCalledOnceWhenTheJobIsFinishedAndRetriedUntilItAnswers() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            var job = try newJob()
            job.callbackURL = "http://example.invalid/done"
            let id = try await store.submit(job).job.id
            #expect(try await store.claimCallbacks(limit: 10, lease: 60).isEmpty)  // not finished yet
            let calls = CallLog()
            var configuration = WorkerConfiguration(name: "callbacks")
            configuration.pollInterval = 0.1
            configuration.backoff = Backoff(base: 0.2, maximum: 1, jitter: 0)
            let worker = JobWorker(store: store, matter: HalfMatter(), configuration: configuration) { callback in
                // The first call fails; the retry gets through.
                calls.append(callback)
                return calls.count > 1
            }
            let running = Task { await worker.run() }
            let deadline = ContinuousClock.now + .seconds(10)
            while calls.count < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            try await Task.sleep(for: .seconds(1))  // no third call comes
            worker.stop()
            await running.value
            let made = calls.all
            #expect(made.count == 2)
            #expect(made.allSatisfy { $0.job == id && $0.state == .succeeded && $0.url == "http://example.invalid/done" })
            #expect(made.map(\.attempt) == [1, 2])
            #expect(String(decoding: made[0].body, as: UTF8.self).contains(id.uuidString.lowercased()))
            #expect(try await store.claimCallbacks(limit: 10, lease: 60).isEmpty)
        }
    }

    /// Runs a worker with the stand-in matter until `done` holds (or 20 s pass), then stops it.
    func runWorker(_ store: PostgresJobStore, concurrency: Int = 1, lease: Double = 10,
                   until done: @escaping @Sendable () async throws -> Bool) async throws {
        var configuration = WorkerConfiguration(name: "test-worker")
        configuration.concurrency = concurrency
        configuration.lease = lease
        configuration.pollInterval = 0.2
        let worker = JobWorker(store: store, matter: HalfMatter(), configuration: configuration)
        let running = Task { await worker.run() }
        let deadline = ContinuousClock.now + .seconds(20)
        while try await !done() {
            guard ContinuousClock.now < deadline else {
                Issue.record("the worker did not finish within 20 s")
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        worker.stop()
        await running.value
    }
}

@Suite struct BackoffTests {
    @Test func delaysDoubleUpToTheMaximumWithinTheJitter() {
        let backoff = Backoff(base: 1, maximum: 60, jitter: 0.2)
        #expect(backoff.delay(afterAttempt: 1, random: 0.5) == 1)
        #expect(backoff.delay(afterAttempt: 4, random: 0.5) == 8)
        #expect(backoff.delay(afterAttempt: 20, random: 0.5) == 60)
        #expect(abs(backoff.delay(afterAttempt: 3, random: 0) - 4 * 0.8) < 1e-9)
        #expect(abs(backoff.delay(afterAttempt: 3, random: 1) - 4 * 1.2) < 1e-9)
    }
}

/// Callbacks a test's worker was asked to make.
final class CallLog: Sendable {
    private let calls = Mutex<[DueCallback]>([])
    func append(_ callback: DueCallback) { calls.withLock { $0.append(callback) } }
    var count: Int { calls.withLock { $0.count } }
    var all: [DueCallback] { calls.withLock { $0 } }
}
