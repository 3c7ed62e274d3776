import Foundation
import Imaging
import Matting

/// A queued video carried out: the job worker's way into the same path `matte video` takes for a file
/// (`VideoDecoder`, `VideoMatting.run`, `VideoEncoder`).
///
/// The video's bytes are written to a private temporary folder (FFmpeg reads containers that need
/// seeking, such as MP4 with its index at the end), decoded there, and the output encoded beside them
/// and read back once FFmpeg has finished it cleanly. The folder is removed whatever happens, so a failed
/// job leaves nothing, and no partial output is ever returned. A process killed mid-job cannot remove
/// its folder: the folder's name carries the process id, and a worker starting up removes the folders
/// of processes that are gone (`removeLeftovers`).
public enum VideoJob {
    /// Start of the temporary folders' names; the process id, a dash and a random suffix follow.
    static let folderPrefix = "matte-video-job-"

    /// The encoded video.
    public struct Result: Sendable {
        public var output: MattingRequest.Output
        public var format: VideoContainer
        public var bytes: [UInt8]
        /// Frame size and count.
        public var width: Int
        public var height: Int
        public var frames: Int
    }

    /// Why a video job failed, and whether trying again could help.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var reason: String
        /// The video or the request is at fault (corrupt, no video track, over a limit, options that do
        /// not fit): it would fail the same way every time.
        public var permanent: Bool
        public var description: String { reason }
    }

    /// Mattes `video` (the file's bytes, any container FFmpeg reads) as `request` says, one frame at a
    /// time on `matter.threads` cores.
    ///
    /// - Throws: `Failure`: the reason names the part at fault (`request`, `video`, `encoding`).
    public static func run(_ request: VideoRequest, video: [UInt8], matter: any PortraitMatting) throws(Failure) -> Result {
        do throws(RequestError) { try request.validate() } catch {
            throw Failure(reason: "request: \(error)", permanent: true)
        }
        guard !video.isEmpty else { throw Failure(reason: "video: the body is empty", permanent: true) }
        FFmpeg.ignoreBrokenPipes()
        var template = Array((NSTemporaryDirectory() + "/" + folderPrefix + "\(getpid())-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw Failure(reason: "cannot make a temporary folder: \(String(cString: strerror(errno)))", permanent: false)
        }
        let folder = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = folder + "/input", output = folder + "/output." + request.resolvedFormat.rawValue
        guard FileManager.default.createFile(atPath: input, contents: Data(video)) else {
            throw Failure(reason: "cannot write the video to \(folder)", permanent: false)
        }

        var options = request.options
        // The matter's cores for one frame at a time: the worker's share and no more.
        options.workers = 1
        do {
            let decoder = try VideoDecoder(path: input, maxPixels: request.maxPixels, maxFrames: request.maxFrames)
            let sink: VideoEncoder
            do {
                sink = try VideoEncoder(path: output, width: decoder.width, height: decoder.height,
                                        channels: options.outputChannels, frameRate: decoder.probe.frameRate,
                                        audioSource: decoder.probe.audioCodec.map { (path: input, audioCodec: $0) })
            } catch {
                decoder.abandon()
                throw error
            }
            let report = try VideoMatting(matter: matter, options: options).run(source: decoder, sink: sink)
            guard let bytes = FileManager.default.contents(atPath: output) else {
                throw Failure(reason: "encoding: the finished video could not be read back", permanent: false)
            }
            return Result(output: options.output, format: request.resolvedFormat, bytes: Array(bytes),
                          width: decoder.width, height: decoder.height, frames: report.frames)
        } catch let error as Failure {
            throw error
        } catch let error as VideoError {
            // The paths are temporary ones: the user knows the input as "the video" (FFmpeg's own reasons
            // name it by its URL).
            let reason = error.reason.replacingOccurrences(of: FFmpeg.fileURL(input), with: "the video")
                .replacingOccurrences(of: folder + "/", with: "")
            if error.subject == input || error.subject == "input" {
                throw Failure(reason: "video: \(reason)", permanent: true)
            }
            if error.subject == output {
                throw Failure(reason: "encoding: \(reason)", permanent: false)
            }
            throw Failure(reason: "\(error.subject): \(reason)", permanent: false)
        } catch let error as ImageError {
            throw Failure(reason: "video: \(error)", permanent: true)
        } catch {
            throw Failure(reason: "matting failed: \(error)", permanent: false)
        }
    }

    /// Removes the temporary folders in `directory` left by video jobs of processes that no longer run
    /// (killed mid-job), and those named with this process's own id (a restarted container's worker
    /// gets the id its predecessor had; at start-up it runs no job yet). Call it before taking jobs.
    ///
    /// - Returns: the paths removed.
    @discardableResult
    public static func removeLeftovers(in directory: String = NSTemporaryDirectory()) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(folderPrefix) {
            let rest = name.dropFirst(folderPrefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]), pid > 0 else { continue }
            let running = pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM)
            guard !running else { continue }
            let path = (directory as NSString).appendingPathComponent(name)
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
        }
        return removed
    }
}
