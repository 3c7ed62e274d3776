import Foundation
import Imaging
@testable import Matting
import Video

/// Stands in for `PortraitMatter`: alpha is the frame's red channel with a pseudo-random wobble of up to
/// `noise` levels (as per-frame networks wobble), colours the frame's.
struct StandInMatter: PortraitMatting {
    var noise = 0
    func matte(_ image: Image, options: MattingOptions) throws -> Matte {
        var alpha = Image(width: image.width, height: image.height, channels: 1)
        var state = UInt32(truncatingIfNeeded: image.pixels.prefix(64).reduce(7) { $0 &* 31 &+ Int($1) })
        for index in 0..<image.pixelCount {
            state = state &* 1_664_525 &+ 1_013_904_223
            let wobble = noise > 0 ? Int(state >> 16) % (2 * noise + 1) - noise : 0
            alpha.pixels[index] = UInt8(clamping: Int(image.pixels[index * image.channels]) + wobble)
        }
        let plane = Plane(width: image.width, height: image.height, values: alpha.pixels.map { Float($0) / 255 })
        return Matte(alpha: alpha, cutout: Cutout.make(photo: image, alpha: plane), timings: StageTimings())
    }
}

/// Frames held in memory, for sources and sinks in tests.
final class MemorySource: FrameSource {
    var frames: [Image]
    let width: Int, height: Int
    var frameCount: Int? { nil }
    private(set) var abandoned = false
    init(_ frames: [Image]) {
        self.frames = frames
        width = frames.first?.width ?? 0
        height = frames.first?.height ?? 0
    }
    func next() throws -> Image? { frames.isEmpty ? nil : frames.removeFirst() }
    func abandon() { abandoned = true }
}

final class MemorySink: FrameSink {
    var frames: [Image] = []
    var finished = false, abandoned = false
    var failAt: Int?
    func write(_ frame: Image) throws {
        if let failAt, frames.count == failAt { throw VideoError(subject: "sink", reason: "failed on purpose") }
        frames.append(frame)
    }
    func finish() throws { finished = true }
    func abandon() { abandoned = true }
}
