import Imaging

/// The frames of a video file, decoded by an `ffmpeg` process into raw RGB24 on a pipe, in order.
///
/// `-xerror` makes FFmpeg stop with a failure on damaged data (a truncated file, a corrupt packet)
/// instead of carrying on with what it could decode; when the pipe ends, FFmpeg's exit status says whether
/// the video ended or broke, and a failure is thrown with FFmpeg's reason. `-noautorotate` keeps frames in
/// the stored orientation, the size `VideoProbe` reports.
public final class VideoDecoder: FrameSource {
    public let path: String
    public let probe: VideoProbe
    public var width: Int { probe.width }
    public var height: Int { probe.height }
    public var frameCount: Int? { probe.frameCount }
    private let child: ChildProcess
    private let reader: RawFrameReader
    /// Set once the last frame has been read (and FFmpeg reaped): later calls return nil.
    private var ended = false
    /// Most frames this decoder hands out; one more is an error.
    private let maxFrames: Int?

    /// Probes `path` and starts decoding it.
    /// - Parameters:
    ///   - maxPixels: largest frame (width x height), checked from the probe before decoding.
    ///   - maxFrames: most frames, checked from the probe's count before decoding (when it has one) and
    ///     again as frames come, since a container's count may lie.
    /// - Throws: `VideoError` naming `path` (see `VideoProbe.probe`; or over a limit), or naming `ffmpeg`
    ///   when it is missing.
    public init(path: String, maxPixels: Int? = nil, maxFrames: Int? = nil) throws(VideoError) {
        self.path = path
        self.maxFrames = maxFrames
        probe = try VideoProbe.probe(path)
        if let maxPixels, probe.width * probe.height > maxPixels {
            throw VideoError(subject: path, reason: "frames of \(probe.width)x\(probe.height) are over the limit of \(maxPixels) pixels")
        }
        if let maxFrames, let count = probe.frameCount, count > maxFrames {
            throw VideoError(subject: path, reason: "\(count) frames are over the limit of \(maxFrames)")
        }
        child = try ChildProcess(
            path: try FFmpeg.path(of: "ffmpeg"),
            arguments: FFmpeg.quiet + ["-xerror", "-noautorotate", "-i", FFmpeg.fileURL(path),
                                       "-map", "0:v:0", "-an", "-sn", "-dn",
                                       "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
            sendsInput: false, readsOutput: true)
        reader = RawFrameReader(descriptor: child.output, width: probe.width, height: probe.height, name: path)
    }

    public func next() throws -> Image? {
        if ended { return nil }
        let frame: Image?
        do {
            frame = try reader.next()
        } catch {
            // A frame cut short: FFmpeg died or stopped mid-frame; its reason is the better one.
            let status = child.wait()
            let reason = (error as? VideoError)?.reason ?? "\(error)"
            throw VideoError(subject: path, reason: status != 0 ? "decoding failed at frame \(reader.count + 1): \(child.reason(or: "ffmpeg exited with status \(status)"))" : reason)
        }
        if frame != nil, let maxFrames, reader.count > maxFrames {
            abandon()
            throw VideoError(subject: path, reason: "more than \(maxFrames) frames, the limit")
        }
        if frame == nil {
            ended = true
            let status = child.wait()
            guard status == 0 else {
                throw VideoError(subject: path, reason: "decoding failed after frame \(reader.count): \(child.reason(or: "ffmpeg exited with status \(status)"))")
            }
            guard reader.count > 0 else { throw VideoError(subject: path, reason: "no frames could be decoded") }
        }
        return frame
    }

    public func abandon() {
        child.kill()
    }
}
