import Foundation
import Imaging
@testable import Matting
import Video

/// Test clips made by ffmpeg at test time from a sample portrait (nothing downloaded, nothing committed).
enum Clips {
    static let ffmpegAvailable = (try? FFmpeg.path(of: "ffmpeg")) != nil && (try? FFmpeg.path(of: "ffprobe")) != nil
    static var portrait: String { ModelFiles.samplesDirectory + "/grace_hopper.jpg" }
    static var available: Bool { ffmpegAvailable && FileManager.default.fileExists(atPath: portrait) }
    static let modelsAvailable = (try? PortraitMatter(threads: 1)) != nil

    /// A `width` x `height` H.264 clip of the portrait: still (with light per-frame noise, as a camera
    /// gives) for `still` seconds, then panning right by `speed` pixels a second; with a sine tone as
    /// AAC audio when `audio`.
    static func make(_ path: String, width: Int = 320, height: Int = 180, seconds: Double = 2, rate: Int = 15,
                     still: Double = 1, speed: Int = 60, audio: Bool = false, codec: [String] = ["-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p"]) throws {
        let wide = width * 5 / 4
        var arguments = ["-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-framerate", "\(rate)", "-i", portrait]
        if audio { arguments += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] }
        arguments += ["-t", "\(seconds)", "-vf",
                      "scale=\(wide):-2,crop=\(width):\(height):x='if(lt(t,\(still)),0,min(iw-ow,(t-\(still))*\(speed)))':y=(ih-oh)/3,noise=alls=3:allf=t"]
        arguments += codec
        if audio { arguments += ["-c:a", "aac", "-shortest"] }
        arguments.append(path)
        try run("ffmpeg", arguments)
    }

    /// Runs an FFmpeg program to completion; throws with its error text on failure.
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FFmpeg.path(of: program))
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw VideoError(subject: program, reason: "exit \(process.terminationStatus): \(errorText)")
        }
        return text
    }

    /// `ffprobe`'s value of one stream entry (`codec_name`, `pix_fmt`, ...) for each stream of `kind` (`v`, `a`).
    static func streams(_ path: String, kind: String, entry: String) throws -> [String] {
        try run("ffprobe", ["-v", "error", "-select_streams", kind, "-show_entries", "stream=\(entry)", "-of", "csv=p=0", path])
            .split(whereSeparator: \.isNewline).map(String.init)
    }

    /// Frames of a video decoded as raw `pixelFormat` (`gray`, `rgb24`, `rgba`).
    static func frames(_ path: String, pixelFormat: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FFmpeg.path(of: "ffmpeg"))
        // FFmpeg's own VP9 decoder drops the alpha side stream; libvpx's keeps it.
        let decoder = path.hasSuffix(".webm") ? ["-c:v", "libvpx-vp9"] : []
        process.arguments = ["-hide_banner", "-loglevel", "error"] + decoder + ["-i", path, "-f", "rawvideo", "-pix_fmt", pixelFormat, "-"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }
}

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
