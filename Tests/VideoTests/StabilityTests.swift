import Foundation
import Matting
import TestSupport
import Testing
@testable import Video

/// Steadying on real mattes: a clip of the portrait, still (with camera-like noise) and then panning,
/// through the fast pipeline. Flicker must fall and the output must not trail the moving person.
@Suite(.serialized, .enabled(if: Clips.available && Clips.modelsAvailable, "ffmpeg, the sample portrait or the models missing"))
struct StabilityTests {
    func measure(stabilise: Bool, reuse: Bool) throws -> (FlickerMeasure, VideoReport) {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Clips.make(folder.path + "/clip.mp4", width: 320, height: 180, seconds: 2, rate: 15, still: 1, speed: 60)
        var options = VideoOptions(request: MattingRequest(mode: .fast, outputs: [.composite]), output: .alpha)
        options.stabilise = stabilise
        options.skipUnchanged = reuse
        options.measureFlicker = true
        let matting = try VideoMatting(matter: try PortraitMatter(threads: 1), options: options)
        let report = try matting.run(source: try VideoDecoder(path: folder.path + "/clip.mp4"), sink: MemorySink())
        return (try #require(report.flicker), report)
    }

    @Test func steadyingCutsFlickerWithoutTrailingMotion() throws {
        let (plain, _) = try measure(stabilise: false, reuse: false)
        let (steadied, _) = try measure(stabilise: true, reuse: false)
        let (both, report) = try measure(stabilise: true, reuse: true)
        print("stability, 320x180 clip, fast mode: off: \(plain.summary); smoothing: \(steadied.summary); smoothing and reuse (\(report.reused) frames reused): \(both.summary)")
        #expect(plain.outputFlicker == plain.perFrameFlicker)
        #expect(plain.perFrameFlicker > 0)
        #expect(steadied.outputFlicker < plain.perFrameFlicker * 0.8)
        #expect(both.outputFlicker < steadied.outputFlicker)
        #expect(report.reused > 0)
        // Where the picture moves, the steadied matte trails a fresh per-frame one by less than a frame.
        #expect(steadied.lag < steadied.frameLag * 0.5)
        #expect(both.lag < both.frameLag)
    }
}
