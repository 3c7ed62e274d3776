import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Imaging
import Jobs
import PostgresJobs
import Matting
import MattingIO
import NIOCore
import PostgresNIO
import Service
import TestSupport
import Synchronization
import Testing

/// `/v1/jobs` over a real PostgreSQL server (`scripts/test-database`), with the stand-in matter; and the
/// 503 without a database.
@Suite(.serialized) struct JobsAPITests {
    static let alice = "alice-key-0123456789abcdef"
    static let bob = "bob-key-0123456789abcdef-xyz"

    struct View: Decodable {
        var id: String
        var state: String
        var attempts: Int
        var outputs: [String: String]
        var errors: [AttemptError]
        var request: JobRequest
    }

    /// Runs `body` with an application over a fresh database (API keys when `keys`), its store, and a
    /// worker running its jobs.
    func withService(keys: [String]? = nil, fetcher: URLFetcher? = nil, change: (inout ServiceConfiguration) -> Void = { _ in },
                     _ body: @escaping @Sendable (any TestClientProtocol, PostgresJobStore) async throws -> Void) async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            let configuration = TestApp.configuration(change)
            let state = ServiceState(configuration: configuration, models: ModelStore(ready: EllipseMatter()), fetcher: fetcher,
                                     jobs: store, apiKeys: try keys.map { try APIKeys(keys: $0) })
            let app = try buildApplication(configuration, state: state)
            var workerConfiguration = WorkerConfiguration(name: "api-test")
            workerConfiguration.pollInterval = 0.1
            let worker = JobWorker(store: store, matter: EllipseMatter(), configuration: workerConfiguration)
            let running = Task { await worker.run() }
            defer { worker.stop() }
            try await app.test(.router) { client in try await body(client, store) }
            worker.stop()
            await running.value
        }
    }

    static func headers(key: String?, _ more: HTTPFields = [:]) -> HTTPFields {
        var headers = more
        if let key { headers[.authorization] = "Bearer \(key)" }
        return headers
    }

    static func view(_ response: TestResponse) throws -> View {
        let decoder = JSONDecoder()
        return try decoder.decode(View.self, from: Data(Array(buffer: response.body)))
    }

    /// Polls the job until it is finished (10 s at most).
    static func finished(_ client: any TestClientProtocol, _ location: String, key: String? = nil) async throws -> View {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let response = try await client.execute(uri: location, method: .get, headers: headers(key: key))
            let view = try Self.view(response)
            if ["succeeded", "failed", "cancelled"].contains(view.state) || ContinuousClock.now > deadline { return view }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func withoutADatabaseJobsAnswer503() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/v1/jobs", method: .post, headers: [.contentType: "image/png"],
                                                    body: ByteBuffer(bytes: try Samples.png()))
            #expect(response.status == .serviceUnavailable)
            #expect(try response.errorBody().code == "database_required")
            let status = try await client.execute(uri: "/v1/jobs/\(UUID())", method: .get)
            #expect(status.status == .serviceUnavailable)
        }
    }

    @Test(.enabled(if: TestDatabase.enabled)) func aJobFromSubmissionToOutputs() async throws {
        try await withService { client, _ in
            let photo = try Samples.png(width: 40, height: 30)
            let response = try await client.execute(uri: "/v1/jobs?background=%23ff0000&output=composite", method: .post,
                                                    headers: [.contentType: "image/png"], body: ByteBuffer(bytes: photo))
            #expect(response.status == .accepted)
            let location = try #require(response.headers[.location])
            let submitted = try Self.view(response)
            #expect(location == "/v1/jobs/\(submitted.id)")
            #expect(submitted.state == "queued")
            let done = try await Self.finished(client, location)
            #expect(done.state == "succeeded")
            #expect(done.attempts == 1)
            #expect(Set(done.outputs.keys) == ["alpha", "cutout", "composite"])
            // Byte for byte what the library makes of the same photo and request.
            let request = try MatteOptions.parse([("background", "#ff0000"), ("output", "composite")])
                .request(maxPixels: 50_000_000, json: true)
            let direct = try EllipseMatter().run(request, photo: .encoded(photo))
            for (name, url) in done.outputs {
                let output = try await client.execute(uri: url, method: .get)
                #expect(output.status == .ok)
                #expect(Array(buffer: output.body) == direct[MattingRequest.Output(rawValue: name)!]!.bytes)
            }
            let list = try await client.execute(uri: "/v1/jobs", method: .get)
            #expect(String(buffer: list.body).contains(submitted.id))
        }
    }

    @Test(.enabled(if: TestDatabase.enabled)) func anIdempotencyKeyReturnsTheSameJob() async throws {
        try await withService { client, store in
            let headers: HTTPFields = [.contentType: "image/png", HTTPField.Name("Idempotency-Key")!: "upload-17"]
            let first = try await client.execute(uri: "/v1/jobs", method: .post, headers: headers,
                                                 body: ByteBuffer(bytes: try Samples.png()))
            let second = try await client.execute(uri: "/v1/jobs", method: .post, headers: headers,
                                                  body: ByteBuffer(bytes: try Samples.png()))
            #expect(first.status == .created)
            #expect(second.status == .ok)
            #expect(try Self.view(first).id == Self.view(second).id)
            #expect(try await store.jobs(owner: "", limit: 10).count == 1)
        }
    }

    @Test(.enabled(if: TestDatabase.enabled)) func badInputFailsAtOnce() async throws {
        try await withService { client, _ in
            let response = try await client.execute(uri: "/v1/jobs", method: .post, headers: [.contentType: "image/png"],
                                                    body: ByteBuffer(bytes: Array("\u{89}PNG broken".utf8)))
            #expect(response.status == .accepted)
            let done = try await Self.finished(client, try #require(response.headers[.location]))
            #expect(done.state == "failed")
            #expect(done.attempts == 1)
            #expect(done.errors.count == 1)
        }
    }

    @Test(.enabled(if: TestDatabase.enabled)) func aKeySeesOnlyItsOwnJobs() async throws {
        try await withService(keys: [Self.alice, Self.bob]) { client, _ in
            let png: HTTPFields = [.contentType: "image/png"]
            let anonymous = try await client.execute(uri: "/v1/jobs", method: .post, headers: png,
                                                     body: ByteBuffer(bytes: try Samples.png()))
            #expect(anonymous.status == .unauthorized)
            let wrong = try await client.execute(uri: "/v1/jobs", method: .post, headers: Self.headers(key: "not-a-key-0123456789", png),
                                                 body: ByteBuffer(bytes: try Samples.png()))
            #expect(wrong.status == .unauthorized)
            let matte = try await client.execute(uri: "/v1/matte", method: .post, headers: png, body: ByteBuffer(bytes: try Samples.png()))
            #expect(matte.status == .unauthorized)

            let response = try await client.execute(uri: "/v1/jobs", method: .post, headers: Self.headers(key: Self.alice, png),
                                                    body: ByteBuffer(bytes: try Samples.png()))
            #expect(response.status == .accepted)
            let location = try #require(response.headers[.location])
            let done = try await Self.finished(client, location, key: Self.alice)
            #expect(done.state == "succeeded")

            // Bob: the job, its outputs, cancelling it and the list all look as if it did not exist.
            let read = try await client.execute(uri: location, method: .get, headers: Self.headers(key: Self.bob))
            #expect(read.status == .notFound)
            for url in done.outputs.values {
                let output = try await client.execute(uri: url, method: .get, headers: Self.headers(key: Self.bob))
                #expect(output.status == .notFound)
                let own = try await client.execute(uri: url, method: .get, headers: Self.headers(key: Self.alice))
                #expect(own.status == .ok)
            }
            let cancel = try await client.execute(uri: location, method: .delete, headers: Self.headers(key: Self.bob))
            #expect(cancel.status == .notFound)
            let list = try await client.execute(uri: "/v1/jobs", method: .get, headers: Self.headers(key: Self.bob))
            #expect(!String(buffer: list.body).contains(done.id))
            // A guessed id is as absent as another's.
            let guessed = try await client.execute(uri: "/v1/jobs/\(UUID())", method: .get, headers: Self.headers(key: Self.alice))
            #expect(guessed.status == .notFound)
            #expect(try guessed.errorBody().code == "no_such_job")
            let still = try await client.execute(uri: location, method: .get, headers: Self.headers(key: Self.alice))
            #expect(try Self.view(still).state == "succeeded")
        }
    }

    @Test(.enabled(if: TestDatabase.enabled)) func aKeyBeyondItsCapGets429() async throws {
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            let configuration = TestApp.configuration { $0.maxUnfinishedJobsPerKey = 2 }
            let state = ServiceState(configuration: configuration, models: ModelStore(ready: EllipseMatter()), jobs: store,
                                     apiKeys: try APIKeys(keys: [Self.alice, Self.bob]))
            let app = try buildApplication(configuration, state: state)
            try await app.test(.router) { client in
                let png: HTTPFields = [.contentType: "image/png"]
                var statuses: [HTTPResponse.Status] = []
                for _ in 0..<3 {
                    statuses.append(try await client.execute(uri: "/v1/jobs", method: .post, headers: Self.headers(key: Self.alice, png),
                                                              body: ByteBuffer(bytes: try Samples.png())).status)
                }
                #expect(statuses == [.accepted, .accepted, .tooManyRequests])
                let other = try await client.execute(uri: "/v1/jobs", method: .post, headers: Self.headers(key: Self.bob, png),
                                                     body: ByteBuffer(bytes: try Samples.png()))
                #expect(other.status == .accepted)
                // Cancelling one makes room.
                let list = try await client.execute(uri: "/v1/jobs", method: .get, headers: Self.headers(key: Self.alice))
                struct List: Decodable { var jobs: [View] }
                let first = try #require(try JSONDecoder().decode(List.self, from: Data(Array(buffer: list.body))).jobs.first)
                let cancel = try await client.execute(uri: "/v1/jobs/\(first.id)", method: .delete, headers: Self.headers(key: Self.alice))
                #expect(try Self.view(cancel).state == "cancelled")
                let again = try await client.execute(uri: "/v1/jobs", method: .post, headers: Self.headers(key: Self.alice, png),
                                                     body: ByteBuffer(bytes: try Samples.png()))
                #expect(again.status == .accepted)
            }
        }
    }

    @Test(.enabled(if: TestDatabase.enabled)) func aJSONBodyWithAURLAndACallback() async throws {
        let photo = try Samples.png(width: 40, height: 30)
        let called = CallbackPaths()
        let server = try LocalHTTPServer { path in
            if path == "/photo.png" { return .reply(200, headers: [("Content-Type", "image/png")], body: photo) }
            called.append(path)
            return .reply(204)
        }
        defer { server.stop() }
        let fetcher = URLFetcher(maxBytes: 100_000, checksAddresses: false)
        try await withService(fetcher: fetcher, change: { $0.allowURLFetch = true }) { client, store in
            let body = #"{"url": "\#(server.baseURL)/photo.png", "mode": "fast", "callback": "\#(server.baseURL)/done"}"#
            let response = try await client.execute(uri: "/v1/jobs", method: .post, headers: [.contentType: "application/json"],
                                                    body: ByteBuffer(string: body))
            #expect(response.status == .accepted)
            let job = try Self.view(response)
            let done = try await Self.finished(client, try #require(response.headers[.location]))
            #expect(done.state == "succeeded")
            // The worker's callback, through the same poster `matte worker` uses (addresses unchecked here).
            var configuration = WorkerConfiguration(name: "callbacks")
            configuration.pollInterval = 0.1
            let poster = URLFetcher(maxBytes: 10_000, maxRedirects: 0, timeout: 5, checksAddresses: false)
            let worker = JobWorker(store: store, matter: EllipseMatter(), configuration: configuration) { callback in
                (try? poster.post(callback.body, contentType: "application/json", to: callback.url)) != nil
            }
            let running = Task { await worker.run() }
            let deadline = ContinuousClock.now + .seconds(10)
            while called.all.isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            try await Task.sleep(for: .milliseconds(500))
            worker.stop()
            await running.value
            #expect(called.all == ["/done"])
            _ = job
        }
        // By default a callback to this machine is refused, as URL fetching refuses it.
        let guarded = URLFetcher(maxBytes: 10_000, maxRedirects: 0, timeout: 5, checksAddresses: true)
        #expect(throws: FetchError.self) { try guarded.post(Array("{}".utf8), contentType: "application/json", to: server.baseURL + "/done") }
    }

    @Test func keysAreComparedByDigest() throws {
        let keys = try APIKeys(text: "# team keys\n\(Self.alice)\n\n\(Self.bob)\n")
        let owner = try #require(keys.owner(ofKey: Self.alice))
        #expect(owner.count == 64 && !owner.contains(Self.alice))
        #expect(keys.owner(ofKey: Self.bob) != owner)
        #expect(keys.owner(ofKey: Self.alice + "x") == nil)
        #expect(keys.owner(ofKey: "") == nil)
        #expect(throws: APIKeys.Problem.self) { try APIKeys(text: "short") }
    }
}

/// Paths a test server was asked for, other than the photo.
final class CallbackPaths: Sendable {
    private let paths = Mutex<[String]>([])
    func append(_ path: String) { paths.withLock { $0.append(path) } }
    var all: [String] { paths.withLock { $0 } }
}
