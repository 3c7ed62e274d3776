import Foundation
import Imaging

/// Output containers and the codec each gets.
///
/// | extension | codec | with alpha (cut-out) | otherwise |
/// | --- | --- | --- | --- |
/// | `.webm` | VP9 (libvpx-vp9), `-deadline realtime -cpu-used 8 -row-mt 1 -crf 32 -b:v 0` | `yuva420p` | `yuv420p` |
/// | `.mov` | ProRes 4444 (prores_ks, `-profile:v 4444`) | `yuva444p10le` | `yuv444p10le` |
/// | `.mp4`, `.m4v`, `.mkv` | H.264 (libx264, `-preset veryfast -crf 20`) | refused: no alpha | `yuv420p`, padded to even sizes |
///
/// VP9 at realtime speed and x264 at veryfast keep the encoder from taking the cores the matting needs
/// (both share two cores); ProRes has no speed settings (it is intra-only and cheap per bit, but
/// writes ~10x the bytes). backgroundremover uses `-crf 30 -b:v 0 -pix_fmt yuva420p` for VP9 and
/// `-profile:v 4 -pix_fmt yuva444p10le` for ProRes.
public enum VideoContainer: String, Codable, Sendable, CaseIterable {
    case webm, mov, mp4, mkv

    /// The media type a file of this container is served as.
    public var mimeType: String {
        switch self {
        case .webm: "video/webm"
        case .mov: "video/quicktime"
        case .mp4: "video/mp4"
        case .mkv: "video/x-matroska"
        }
    }

    /// The container for `path`'s extension; nil for others.
    public init?(path: String) {
        switch (path as NSString).pathExtension.lowercased() {
        case "webm": self = .webm
        case "mov": self = .mov
        case "mp4", "m4v": self = .mp4
        case "mkv": self = .mkv
        default: return nil
        }
    }

    /// Whether the codec keeps an alpha channel.
    public var carriesAlpha: Bool { self == .webm || self == .mov }

    /// The video codec's options for frames that have (`alpha`) or lack transparency.
    func videoOptions(alpha: Bool) -> [String] {
        switch self {
        case .webm:
            ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1", "-crf", "32", "-b:v", "0",
             "-pix_fmt", alpha ? "yuva420p" : "yuv420p"]
        case .mov:
            ["-c:v", "prores_ks", "-profile:v", "4444", "-vendor", "apl0", "-pix_fmt", alpha ? "yuva444p10le" : "yuv444p10le"]
        case .mp4, .mkv:
            ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
             "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"]
        }
    }

    /// The audio options for an input track in `codec`: a copy when this container can hold it, else a
    /// re-encoding into the container's usual codec.
    func audioOptions(codec: String) -> [String] {
        switch self {
        case .webm: ["opus", "vorbis"].contains(codec) ? ["-c:a", "copy"] : ["-c:a", "libopus", "-b:a", "128k"]
        case .mov, .mp4: ["aac", "mp3", "alac", "ac3", "eac3"].contains(codec) ? ["-c:a", "copy"] : ["-c:a", "aac", "-b:a", "160k"]
        case .mkv: ["-c:a", "copy"]
        }
    }
}

/// A video file written by an `ffmpeg` process that reads our raw frames (`gray`, `rgb24` or `rgba`) from a
/// pipe, with the audio of `audioSource` copied through when it has some.
///
/// FFmpeg writes to a hidden temporary file beside the final one (`.<name>.partial-<process>.<ext>`),
/// renamed into place by `finish()` once FFmpeg has exited cleanly; any failure removes it, so no
/// half-written video is ever left under the final name.
public final class VideoEncoder: FrameSink {
    public let path: String
    private let temporary: String
    private let child: ChildProcess
    private var frames = 0
    private var finished = false

    /// - Parameters:
    ///   - path: the output, its container chosen by extension (`VideoContainer`).
    ///   - channels: of the frames that will come: 1 (grey), 3 (RGB) or 4 (RGBA).
    ///   - frameRate: FFmpeg's rate (`30/1`, `30000/1001`).
    ///   - audioSource: a file whose audio tracks are carried over (`audioCodec` the first one's codec).
    /// - Throws: `VideoError` naming `path`: an unknown extension, a missing folder, alpha into a
    ///   container without it; or naming `ffmpeg` when it is missing.
    public init(path: String, width: Int, height: Int, channels: Int, frameRate: String,
                audioSource: (path: String, audioCodec: String)? = nil) throws(VideoError) {
        self.path = path
        guard let container = VideoContainer(path: path) else {
            throw VideoError(subject: path, reason: "unknown video extension: use .webm (VP9 with alpha), .mov (ProRes 4444 with alpha), .mp4 or .mkv (H.264), or a frame pattern such as frames/%05d.png")
        }
        if channels == 4 && !container.carriesAlpha {
            throw VideoError(subject: path, reason: "H.264 in .\((path as NSString).pathExtension) has no transparency: write the cut-out to .webm or .mov, or choose --background or --outputs alpha")
        }
        let folder = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard folder.isEmpty || (FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue) else {
            throw VideoError(subject: path, reason: "the output folder \(folder) does not exist")
        }
        let name = (path as NSString).lastPathComponent
        temporary = (folder.isEmpty ? "" : folder + "/") + ".\(name).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).\((name as NSString).pathExtension)"
        let pixelFormat = channels == 1 ? "gray" : channels == 4 ? "rgba" : "rgb24"
        var arguments = FFmpeg.quiet + ["-y", "-f", "rawvideo", "-pix_fmt", pixelFormat, "-s", "\(width)x\(height)",
                                        "-r", frameRate, "-i", "-"]
        if let audioSource {
            arguments += ["-i", FFmpeg.fileURL(audioSource.path), "-map", "0:v:0", "-map", "1:a?"]
            arguments += container.audioOptions(codec: audioSource.audioCodec)
        }
        arguments += container.videoOptions(alpha: channels == 4) + ["-threads", "2", FFmpeg.fileURL(temporary)]
        child = try ChildProcess(path: try FFmpeg.path(of: "ffmpeg"), arguments: arguments, sendsInput: true, readsOutput: false)
    }

    public func write(_ frame: Image) throws {
        let written = frame.pixels.withUnsafeBytes { Descriptor.write(child.input, $0) }
        guard written else {
            let status = child.wait()
            throw VideoError(subject: path, reason: "encoding failed at frame \(frames + 1): \(child.reason(or: "ffmpeg exited with status \(status)"))")
        }
        frames += 1
    }

    public func finish() throws {
        let status = child.wait()
        guard status == 0 else {
            unlink(temporary)
            throw VideoError(subject: path, reason: "encoding failed: \(child.reason(or: "ffmpeg exited with status \(status)"))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw VideoError(subject: path, reason: "cannot put the video in place: \(reason)")
        }
        finished = true
    }

    public func abandon() {
        guard !finished else { return }
        child.kill()
        unlink(temporary)
    }
}
