import Foundation
import Jobs
import Matting
import PostgresJobs
import TestSupport
import Testing
import Video

/// Video jobs on the queue, against PostgreSQL, with the stand-in matter and clips made by ffmpeg.
extension QueueTests {
    /// A 160x90 clip of 10 frames, as file bytes.
    static func clip(in folder: TemporaryFolder) throws -> [UInt8] {
        let path = folder.path + "/clip.mp4"
        try Clips.make(path, width: 160, height: 90, seconds: 1, rate: 10)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test(.enabled(if: Clips.available, "needs ffmpeg and the sample portrait"))
    func aVideoJobWhoseWorkerDiedMidwayIsRedone() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let video = try Self.clip(in: folder)
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            let request = VideoRequest(mode: .fast, background: "blur")
            let id = try await store.submit(NewJob(request: .video(request), input: video)).job.id
            // Claimed by a worker killed mid-video: nobody renews the lease, nothing is stored.
            let dead = try #require(try await store.claim(worker: "killed", lease: 1))
            #expect(dead.request == .video(request))
            #expect(dead.input == video)
            try await runWorker(store, lease: 1) { try await store.job(id, owner: "")?.state.isFinal == true }
            let job = try #require(try await store.job(id, owner: ""))
            #expect(job.state == .succeeded)
            #expect(job.rescues == 1 && job.attempts == 2)
            #expect(job.request == .video(request))
            #expect(job.outputs.map(\.output) == [.composite] && job.outputs.map(\.format) == ["mp4"])
            #expect(job.width == 160 && job.height == 90)
            // The late worker's result would be refused.
            let late = try JobRequest.video(request).run(input: video, background: nil, matter: HalfMatter())
            #expect(try await store.complete(dead.lease, result: late) == false)
            // The stored video holds every frame, at the clip's size.
            let stored = try #require(try await store.output(.composite, of: id, owner: ""))
            #expect(stored.format == "mp4")
            try folder.write("out.mp4", stored.bytes)
            #expect(try Clips.streams(folder.path + "/out.mp4", kind: "v", entry: "width,height") == ["160,90"])
            #expect(try Clips.frames(folder.path + "/out.mp4", pixelFormat: "gray").count == 160 * 90 * 10)
        }
    }

    @Test(.enabled(if: Clips.available, "needs ffmpeg and the sample portrait"))
    func aCorruptVideoFailsAtOnceWithItsReason() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let video = try Self.clip(in: folder)
        try await TestDatabase.with { client, _ in
            let store = PostgresJobStore(client: client)
            // Cut short: an MP4's index is at its end, so the truncated file cannot be read as video.
            var job = NewJob(request: .video(VideoRequest(mode: .fast)), input: Array(video.prefix(video.count / 2)), maxAttempts: 5)
            let truncated = try await store.submit(job).job.id
            job.input = Array("not a video at all".utf8)
            let notVideo = try await store.submit(job).job.id
            try await runWorker(store) {
                let first = try await store.job(truncated, owner: "")?.state.isFinal == true
                let second = try await store.job(notVideo, owner: "")?.state.isFinal == true
                return first && second
            }
            for id in [truncated, notVideo] {
                let record = try #require(try await store.job(id, owner: ""))
                #expect(record.state == .failed)
                #expect(record.attempts == 1)
                #expect(record.errors.count == 1)
                #expect(record.errors.first?.error.hasPrefix("video: ") == true, "\(record.errors)")
                // The reason names no temporary path.
                #expect(record.errors.first?.error.contains("matte-video-job") == false, "\(record.errors)")
                #expect(record.outputs.isEmpty)
                #expect(try await store.output(.cutout, of: id, owner: "") == nil)
            }
        }
    }
}
