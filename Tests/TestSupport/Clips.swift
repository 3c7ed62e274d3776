import Foundation
import Matting
import Video

/// Test clips made by ffmpeg at test time from a sample portrait (nothing downloaded, nothing committed).
public enum Clips {
    public static let ffmpegAvailable = (try? FFmpeg.path(of: "ffmpeg")) != nil && (try? FFmpeg.path(of: "ffprobe")) != nil
    public static var portrait: String { ModelFiles.samplesDirectory + "/grace_hopper.jpg" }
    public static var available: Bool { ffmpegAvailable && FileManager.default.fileExists(atPath: portrait) }
    public static let modelsAvailable = (try? PortraitMatter(threads: 1)) != nil

    /// A `width` x `height` H.264 clip of the portrait: still (with light per-frame noise, as a camera
    /// gives) for `still` seconds, then panning right by `speed` pixels a second; with a sine tone as
    /// AAC audio when `audio`.
    public static func make(_ path: String, width: Int = 320, height: Int = 180, seconds: Double = 2, rate: Int = 15,
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
    public static func run(_ program: String, _ arguments: [String]) throws -> String {
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
    public static func streams(_ path: String, kind: String, entry: String) throws -> [String] {
        try run("ffprobe", ["-v", "error", "-select_streams", kind, "-show_entries", "stream=\(entry)", "-of", "csv=p=0", path])
            .split(whereSeparator: \.isNewline).map(String.init)
    }

    /// Frames of a video decoded as raw `pixelFormat` (`gray`, `rgb24`, `rgba`).
    public static func frames(_ path: String, pixelFormat: String) throws -> Data {
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
