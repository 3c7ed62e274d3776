import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Jobs
import Matting
import NIOCore
import PostgresJobs
@testable import Service
import TestSupport
import Testing
import Video

/// Video through the service: refused by the synchronous route, queued by `/v1/jobs` (options, limits),
/// run to a stored video through the router and a store in memory, and on the queue in PostgreSQL.
@Suite(.serialized) struct VideoJobsAPITests {
    /// The first bytes of an MP4 file: a `ftyp` box of brand `isom`.
    static let mp4Start: [UInt8] = [0, 0, 0, 0x20] + Array("ftypisom".utf8) + [0, 0, 2, 0] + Array("isomiso2avc1mp41".utf8)

    /// A 160x90 clip of 10 frames (H.264 in MP4), as file bytes.
    static func clip() throws -> [UInt8] {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Clips.make(folder.path + "/clip.mp4", width: 160, height: 90, seconds: 1, rate: 10)
        return Array(try Data(contentsOf: URL(fileURLWithPath: folder.path + "/clip.mp4")))
    }

    /// The frame size and count of an encoded video.
    static func frames(of video: [UInt8], name: String) throws -> (size: [String], frames: Int) {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write(name, video)
        let path = folder.path + "/" + name
        let size = try Clips.streams(path, kind: "v", entry: "width,height")
        return (size, try Clips.frames(path, pixelFormat: "gray").count / (160 * 90))
    }

    @Test func videoSignaturesAreKnownAndStillImagesAreNot() {
        #expect(VideoBody.hasVideoSignature(Self.mp4Start))
        #expect(VideoBody.hasVideoSignature([0x1A, 0x45, 0xDF, 0xA3, 1, 2, 3]))  // WebM, Matroska
        #expect(VideoBody.hasVideoSignature(Array("RIFF\u{0}\u{0}\u{0}\u{0}AVI LIST".utf8)))
        // HEIF and AVIF stills are ISO base media files too.
        #expect(!VideoBody.hasVideoSignature([0, 0, 0, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0]))
        #expect(!VideoBody.hasVideoSignature([0, 0, 0, 0x18] + Array("ftypavif".utf8) + [0, 0, 0, 0]))
        #expect(!VideoBody.hasVideoSignature(try! Samples.png()))
        #expect(!VideoBody.hasVideoSignature([0xFF, 0xD8, 0xFF, 0xE0]))
        #expect(!VideoBody.hasVideoSignature([]))
    }

    @Test func theSynchronousRouteRefusesVideo() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            let bodies: [(String, [UInt8])] = [("video/mp4", Self.mp4Start), ("video/webm", [0x1A, 0x45, 0xDF, 0xA3]),
                                               ("application/octet-stream", Self.mp4Start), ("image/png", Self.mp4Start)]
            for (contentType, body) in bodies {
                let response = try await client.matte(body, contentType: contentType)
                #expect(response.status == .unsupportedMediaType, "\(contentType)")
                let error = try response.errorBody()
                #expect(error.code == "video_needs_a_job", "\(contentType)")
                #expect(error.message.contains("/v1/jobs"))
            }
        }
    }

    /// Runs `body` with an application over a store in memory.
    func withMemoryStore(change: (inout ServiceConfiguration) -> Void = { _ in },
                         _ body: @escaping @Sendable (any TestClientProtocol, MemoryJobStore) async throws -> Void) async throws {
        let store = MemoryJobStore()
        let configuration = TestApp.configuration(change)
        let state = ServiceState(configuration: configuration, models: ModelStore(ready: EllipseMatter()), fetcher: nil, jobs: store)
        let app = try buildApplication(configuration, state: state)
        try await app.test(.router) { client in try await body(client, store) }
    }

    static func submit(_ client: any TestClientProtocol, _ video: [UInt8], query: String = "",
                       contentType: String = "video/mp4") async throws -> TestResponse {
        try await client.execute(uri: "/v1/jobs" + (query.isEmpty ? "" : "?" + query), method: .post,
                                 headers: [.contentType: contentType], body: ByteBuffer(bytes: video))
    }

    @Test(.enabled(if: Clips.available, "needs ffmpeg and the sample portrait"))
    func aVideoJobThroughTheRouterAndAStoreInMemory() async throws {
        let video = try Self.clip()
        try await withMemoryStore { client, store in
            let response = try await Self.submit(client, video, query: "mode=fast&background=blur&format=mkv&stabilise=false")
            #expect(response.status == .accepted)
            let submitted = try JobsAPITests.view(response)
            #expect(submitted.state == "queued")
            let expected = VideoRequest(mode: .fast, format: .mkv, background: "blur", stabilise: false,
                                        maxPixels: 3840 * 2160, maxFrames: 18_000)
            #expect(submitted.request == .video(expected))
            // What a worker does with it: the same run as the queue's.
            let claimed = try #require(try await store.claim(worker: "w", lease: 30))
            #expect(claimed.input == video)
            let result = try claimed.request.run(input: claimed.input, background: claimed.background, matter: EllipseMatter())
            #expect(try await store.complete(claimed.lease, result: result))

            let location = try #require(response.headers[.location])
            let done = try JobsAPITests.view(try await client.execute(uri: location, method: .get))
            #expect(done.state == "succeeded")
            #expect(Set(done.outputs.keys) == ["composite"])
            let output = try await client.execute(uri: try #require(done.outputs["composite"]), method: .get)
            #expect(output.status == .ok)
            #expect(output.headers[.contentType] == "video/x-matroska")
            #expect(output.headers[.contentDisposition]?.contains("composite.mkv") == true)
            let decoded = try Self.frames(of: output.bytes, name: "out.mkv")
            #expect(decoded.size == ["160,90"])
            #expect(decoded.frames == 10)
        }
    }

    @Test func videoOptionsAreCheckedWhenSubmitted() async throws {
        try await withMemoryStore(change: { $0.maxVideoBodyBytes = 1000 }) { client, store in
            let cases: [(String, String)] = [("output=cutout&format=mp4", "conflicting_options"),
                                             ("output=alpha&background=blur", "conflicting_options"),
                                             ("background=image", "invalid_option"),
                                             ("format=gif", "invalid_option"),
                                             ("stabilise=maybe", "invalid_option"),
                                             ("quality=80", "unknown_option")]
            for (query, code) in cases {
                let response = try await Self.submit(client, Self.mp4Start, query: query)
                #expect(response.status == .badRequest, "\(query)")
                #expect(try response.errorBody().code == code, "\(query)")
            }
            // Over the video body limit (a video's own, not the photo's).
            let large = try await Self.submit(client, Self.mp4Start + [UInt8](repeating: 0, count: 1000))
            #expect(large.status == .contentTooLarge)
            // A cut-out defaults to WebM, which keeps its transparency; sniffed from octet-stream too.
            let cutout = try await Self.submit(client, Self.mp4Start, contentType: "application/octet-stream")
            #expect(cutout.status == .accepted)
            guard case .video(let request) = try JobsAPITests.view(cutout).request else {
                Issue.record("not a video job")
                return
            }
            #expect(request.resolvedOutput == .cutout && request.resolvedFormat == .webm)
            #expect(try await store.counts()[.queued] == 1)
        }
    }

    /// Job bodies being received share room for two of the largest: with a 1000-byte video limit, two
    /// stalled chunked uploads (each counted at the limit) fill it, and a third is refused with 503 at
    /// once instead of buffering beside them; once one goes, uploads are taken again.
    @Test func jobUploadsShareABoundedBudget() async throws {
        let configuration = TestApp.configuration {
            $0.maxBodyBytes = 500
            $0.maxVideoBodyBytes = 1000
            $0.requestTimeout = 5
        }
        let state = ServiceState(configuration: configuration, models: ModelStore(ready: EllipseMatter()), fetcher: nil,
                                 jobs: MemoryJobStore())
        let app = try buildApplication(configuration, state: state)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let head = Array("POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: video/mp4\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n".utf8)
            let first = try RawSocket(port: port)
            defer { first.close() }
            let second = try RawSocket(port: port)
            defer { second.close() }
            try first.send(head)
            try second.send(head)
            try await Task.sleep(for: .milliseconds(500))
            let third = try await Self.submit(client, Self.mp4Start)
            #expect(third.status == .serviceUnavailable)
            #expect(try third.errorBody().code == "busy")
            #expect(third.headers[.retryAfter] != nil)
            first.close()
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await Self.submit(client, Self.mp4Start).status != .serviceUnavailable)
        }
    }

    @Test func aPhotoBodyKeepsThePhotoLimitWhenVideosMayBeLarger() async throws {
        try await withMemoryStore(change: { $0.maxBodyBytes = 100; $0.maxVideoBodyBytes = 1_000_000 }) { client, _ in
            let photo = try Samples.png(width: 40, height: 30)
            #expect(photo.count > 100)
            let response = try await Self.submit(client, photo, contentType: "application/octet-stream")
            #expect(response.status == .contentTooLarge)
        }
    }
}

/// Video jobs on the queue in PostgreSQL, run by a worker (`JobsAPITests.withService`).
extension JobsAPITests {
    @Test(.enabled(if: TestDatabase.enabled && Clips.available))
    func aVideoJobFromSubmissionToItsVideo() async throws {
        let video = try VideoJobsAPITests.clip()
        try await withService { client, _ in
            let response = try await VideoJobsAPITests.submit(client, video, query: "mode=fast&output=alpha")
            #expect(response.status == .accepted)
            let done = try await Self.finished(client, try #require(response.headers[.location]))
            #expect(done.state == "succeeded", "\(done.errors)")
            #expect(Set(done.outputs.keys) == ["alpha"])
            let output = try await client.execute(uri: try #require(done.outputs["alpha"]), method: .get)
            #expect(output.headers[.contentType] == "video/mp4")
            let decoded = try VideoJobsAPITests.frames(of: Array(buffer: output.body), name: "alpha.mp4")
            #expect(decoded.size == ["160,90"])
            #expect(decoded.frames == 10)
        }
    }

    @Test(.enabled(if: TestDatabase.enabled && Clips.ffmpegAvailable))
    func aBadVideoFailsWithItsReason() async throws {
        try await withService { client, _ in
            // An MP4's opening box and nothing after it: no video track can be read.
            let response = try await VideoJobsAPITests.submit(client, VideoJobsAPITests.mp4Start, query: "mode=fast")
            #expect(response.status == .accepted)
            let done = try await Self.finished(client, try #require(response.headers[.location]))
            #expect(done.state == "failed")
            #expect(done.attempts == 1)
            #expect(done.errors.first?.error.hasPrefix("video: ") == true, "\(done.errors)")
            #expect(done.outputs.isEmpty)
        }
    }
}
