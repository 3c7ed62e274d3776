import Imaging
@testable import Matting
import Testing
@testable import Video

/// The frame pipeline with a stand-in matter: order, reuse, steadying, failures.
@Suite struct VideoMattingTests {
    /// `count` 64 x 48 frames whose red channel is the frame's number times 10 (each frame differs).
    func frames(_ count: Int) -> [Image] {
        (0..<count).map { number in
            var image = Image(width: 64, height: 48, channels: 3)
            for index in 0..<image.pixelCount { image.pixels[index * 3] = UInt8(number * 10) }
            return image
        }
    }

    func options(_ output: MattingRequest.Output, background: String? = nil) -> VideoOptions {
        var options = VideoOptions(request: MattingRequest(mode: .fast, outputs: [.composite], background: background), output: output)
        options.stabilise = false
        return options
    }

    @Test(arguments: [1, 2, 3])
    func framesComeOutInOrder(workers: Int) throws {
        var options = options(.alpha)
        options.workers = workers
        let sink = MemorySink()
        let report = try VideoMatting(matter: StandInMatter(), options: options).run(source: MemorySource(frames(20)), sink: sink)
        #expect(report.frames == 20 && sink.finished)
        #expect(sink.frames.map { $0.pixels[0] } == (0..<20).map { UInt8($0 * 10) })
    }

    @Test func outputsHaveTheirChannels() throws {
        for (output, channels) in [(MattingRequest.Output.alpha, 1), (.cutout, 4), (.composite, 3)] {
            let sink = MemorySink()
            _ = try VideoMatting(matter: StandInMatter(), options: options(output, background: output == .composite ? "blur" : nil))
                .run(source: MemorySource(frames(3)), sink: sink)
            #expect(sink.frames.allSatisfy { $0.channels == channels && $0.width == 64 && $0.height == 48 })
        }
    }

    @Test func unchangedFramesReuseTheLastMatte() throws {
        var options = options(.alpha)
        options.skipUnchanged = true
        let still = frames(1)[0]
        let source = MemorySource([still, still, still] + frames(4).dropFirst())
        let sink = MemorySink()
        let report = try VideoMatting(matter: StandInMatter(noise: 20), options: options).run(source: source, sink: sink)
        #expect(report.reused == 2)
        #expect(sink.frames[1] == sink.frames[0] && sink.frames[2] == sink.frames[0])
    }

    @Test func steadyingLowersFlickerOnAStillScene() throws {
        // A still, uncertain scene (red 128: alpha near 0.5) whose per-frame mattes wobble by 30 levels.
        var scene = Image(width: 64, height: 48, channels: 3, filling: 128)
        scene.pixels[0] = 128
        var options = options(.alpha)
        options.skipUnchanged = false
        options.measureFlicker = true
        options.stabilise = true
        options.workers = 1
        let report = try VideoMatting(matter: WobblingMatter(), options: options)
            .run(source: MemorySource(Array(repeating: scene, count: 12)), sink: MemorySink())
        let flicker = try #require(report.flicker)
        #expect(flicker.perFrameFlicker > 10)
        #expect(flicker.outputFlicker < flicker.perFrameFlicker * 0.6)
    }

    @Test func aFailingSinkAbandonsBoth() throws {
        let source = MemorySource(frames(10))
        let sink = MemorySink()
        sink.failAt = 4
        #expect(throws: VideoError.self) {
            try VideoMatting(matter: StandInMatter(), options: options(.alpha)).run(source: source, sink: sink)
        }
        #expect(sink.abandoned && !sink.finished && source.abandoned && sink.frames.count == 4)
    }

    @Test func aFailingMatterStopsTheRun() throws {
        let sink = MemorySink()
        #expect(throws: VideoError.self) {
            try VideoMatting(matter: FailingMatter(failAt: 5), options: options(.alpha)).run(source: MemorySource(frames(10)), sink: sink)
        }
        #expect(sink.abandoned && sink.frames.count <= 5)
    }
}

/// Alpha 128 plus or minus 30, alternating by frame: an uncertain matte that flickers.
final class WobblingMatter: PortraitMatting, @unchecked Sendable {
    private var count = 0
    func matte(_ image: Image, options: MattingOptions) throws -> Matte {
        count += 1
        let value: UInt8 = count % 2 == 0 ? 158 : 98
        let alpha = Image(width: image.width, height: image.height, channels: 1, filling: value)
        return Matte(alpha: alpha, cutout: Image(width: image.width, height: image.height, channels: 4, filling: value),
                     timings: StageTimings())
    }
}

/// Fails on the frame whose red channel is `failAt * 10`.
struct FailingMatter: PortraitMatting {
    var failAt: Int
    func matte(_ image: Image, options: MattingOptions) throws -> Matte {
        if image.pixels[0] == UInt8(failAt * 10) { throw VideoError(subject: "matter", reason: "failed on purpose") }
        return try StandInMatter().matte(image, options: options)
    }
}
