import Foundation

/// The `ffmpeg` and `ffprobe` programs of Debian's `ffmpeg` package, run as separate processes that trade
/// raw frames with us over pipes (`-f rawvideo`): nothing links FFmpeg's libraries, which Debian builds
/// under the GPL (`--enable-gpl`, with libx264).
public enum FFmpeg {
    /// The Debian package holding both programs.
    public static let package = "ffmpeg"

    /// The path of `program` (`ffmpeg` or `ffprobe`) on `$PATH`.
    /// - Throws: `VideoError` naming the package to install when it is missing.
    public static func path(of program: String) throws(VideoError) -> String {
        let search = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in search.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw VideoError(subject: program, reason: "not found on PATH: install Debian's '\(package)' package (apt-get install \(package), or scripts/install-dependencies)")
    }

    /// `path` as an FFmpeg URL that is always a plain file, whatever characters it holds (`a:b.mp4` would
    /// otherwise name the protocol `a`).
    static func fileURL(_ path: String) -> String { "file:" + path }

    /// Makes a write to an FFmpeg process that has died fail with EPIPE (reported with FFmpeg's reason)
    /// instead of killing this process with SIGPIPE. Call once before running any.
    public static func ignoreBrokenPipes() {
        ChildProcess.ignoreBrokenPipes()
    }

    /// Options every run starts with: no banner, only errors, no keyboard interaction.
    static let quiet = ["-hide_banner", "-loglevel", "error", "-nostdin"]
}

/// What `ffprobe` says of a video file: its first video track and its first audio track.
public struct VideoProbe: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Frames per second as FFmpeg writes it (`30/1`, `30000/1001`).
    public var frameRate: String
    /// The decoded pixel format of the video track (`yuv420p`, `yuva420p`, ...).
    public var pixelFormat: String
    /// Frames expected, from the track's count or the duration times the rate; nil when unknown.
    public var frameCount: Int?
    /// The codec of the first audio track (`aac`, `opus`, ...); nil without audio.
    public var audioCodec: String?

    /// Frames per second as a number.
    public var framesPerSecond: Double {
        let parts = frameRate.split(separator: "/").compactMap { Double($0) }
        guard let numerator = parts.first, numerator > 0 else { return 30 }
        return parts.count == 2 && parts[1] > 0 ? numerator / parts[1] : numerator
    }

    /// Probes the file at `path`.
    /// - Throws: `VideoError` naming `path`: not readable as media, a still image, no video track, a
    ///   pixel format FFmpeg cannot decode, or a size of zero.
    public static func probe(_ path: String) throws(VideoError) -> VideoProbe {
        guard FileManager.default.fileExists(atPath: path) else {
            throw VideoError(subject: path, reason: "no such file")
        }
        let child = try ChildProcess(
            path: try FFmpeg.path(of: "ffprobe"),
            arguments: ["-v", "error", "-show_entries",
                        "stream=codec_type,codec_name,width,height,pix_fmt,r_frame_rate,nb_frames:format=duration,format_name",
                        "-of", "json", FFmpeg.fileURL(path)],
            sendsInput: false, readsOutput: true)
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while text.count < 1 << 20 {
            let count = buffer.withUnsafeMutableBytes { Descriptor.read(child.output, into: $0, count: $0.count) } ?? 0
            guard count > 0 else { break }
            text += buffer[0..<count]
        }
        guard child.wait() == 0 else {
            throw VideoError(subject: path, reason: "not a readable video: \(child.reason(or: "ffprobe failed"))")
        }
        return try parse(text, path: path)
    }

    private struct Report: Decodable {
        struct Stream: Decodable {
            var codec_type: String?
            var codec_name: String?
            var width: Int?
            var height: Int?
            var pix_fmt: String?
            var r_frame_rate: String?
            var nb_frames: String?
        }
        struct Format: Decodable {
            var duration: String?
            var format_name: String?
        }
        var streams: [Stream]?
        var format: Format?
    }

    /// Reads ffprobe's JSON report (`-of json`).
    static func parse(_ json: [UInt8], path: String) throws(VideoError) -> VideoProbe {
        let report: Report
        do {
            report = try JSONDecoder().decode(Report.self, from: Data(json))
        } catch {
            throw VideoError(subject: path, reason: "not a readable video: ffprobe's report could not be read")
        }
        let format = report.format?.format_name ?? ""
        if format == "image2" || format.hasSuffix("_pipe") {
            throw VideoError(subject: path, reason: "a still image, not a video (matte -i mattes photos)")
        }
        let streams = report.streams ?? []
        guard let video = streams.first(where: { $0.codec_type == "video" }) else {
            throw VideoError(subject: path, reason: "no video track")
        }
        guard let pixelFormat = video.pix_fmt, !pixelFormat.isEmpty, pixelFormat != "unknown", pixelFormat != "none" else {
            throw VideoError(subject: path, reason: "cannot decode the video track (codec \(video.codec_name ?? "unknown"), no pixel format found): an unsupported pixel format, or a truncated or corrupt file")
        }
        guard let width = video.width, let height = video.height, width > 0, height > 0 else {
            throw VideoError(subject: path, reason: "the video track has no frame size")
        }
        var probe = VideoProbe(width: width, height: height, frameRate: video.r_frame_rate ?? "30/1",
                               pixelFormat: pixelFormat, frameCount: nil,
                               audioCodec: streams.first { $0.codec_type == "audio" }?.codec_name)
        if probe.frameRate.hasPrefix("0") { probe.frameRate = "30/1" }
        if let count = video.nb_frames.flatMap({ Int($0) }), count > 0 {
            probe.frameCount = count
        } else if let duration = report.format?.duration.flatMap({ Double($0) }), duration > 0 {
            probe.frameCount = Int((duration * probe.framesPerSecond).rounded())
        }
        return probe
    }
}
